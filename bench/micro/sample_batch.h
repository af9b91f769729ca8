// A record batch of `records` values of `size` bytes, for micro-benchmarks.
#pragma once

#include <string>
#include <vector>

#include "protocol/record_batch.h"

namespace wharf::bench {

inline std::vector<std::uint8_t> sample_batch(int records, std::size_t size) {
  protocol::batch::Builder b;
  std::string value(size, 'x');
  ProducerRecord r;
  r.value = value;
  for (int i = 0; i < records; ++i) b.add(r, 1700000000000 + i);
  auto bytes = b.finish();
  return {bytes.begin(), bytes.end()};
}

}  // namespace wharf::bench

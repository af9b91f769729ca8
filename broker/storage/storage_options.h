// How a data directory is opened.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

namespace wharf::storage {

class FaultInjector;

enum class Durability {
  // LMDB's synced commit: data pages flushed, then the meta page written
  // through a synced fd. A confirmed write survives power loss.
  sync,
  // MDB_NOMETASYNC: one flush per commit; a power loss (not a process crash)
  // may undo the last committed transactions, never corrupts.
  relaxed,
};

struct StorageOptions {
  std::filesystem::path dir;
  std::uint64_t map_size = 8ull << 30;
  Durability durability = Durability::sync;
  unsigned max_readers = 512;
  // Optional, for tests: every commit passes through it.
  FaultInjector* faults = nullptr;
  // Where storage reports failures (the broker's log).
  std::function<void(std::string_view)> log;
  // Before opening, rewrite the data file compacted (Storage::compacted).
  bool compact_on_start = false;
};

}  // namespace wharf::storage

#include "bench/bench_target.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace wharf::bench {

std::unique_ptr<Target> Target::open(const TargetOptions& options) {
  auto t = std::unique_ptr<Target>(new Target());
  if (!options.embedded) {
    t->address_ = options.broker;
    t->kafka_address_ = options.kafka_broker;
    return t;
  }
  std::string pattern = (std::filesystem::path(options.data_parent) / "wharf-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::fprintf(stderr, "wharf-bench: cannot create a data dir under %s\n", options.data_parent.c_str());
    return nullptr;
  }
  t->dir_ = pattern;
  BrokerOptions bo;
  bo.port = 0;
  bo.data_dir = t->dir_;
  bo.durability = options.durability == "relaxed" ? Durability::relaxed : Durability::sync;
  bo.map_size = 64ull << 30;
  bo.kafka.listen = true;
  bo.kafka.host = "127.0.0.1";
  bo.kafka.port = 0;
  auto b = Broker::start(bo);
  if (!b) {
    std::fprintf(stderr, "wharf-bench: embedded broker: %s\n", b.error().to_string().c_str());
    return nullptr;
  }
  t->broker_ = std::move(*b);
  t->address_ = t->broker_->address();
  t->kafka_address_ = fmt::format("127.0.0.1:{}", t->broker_->kafka_port());
  return t;
}

Target::~Target() {
  if (broker_) broker_->stop();
  broker_.reset();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::unique_ptr<Client> Target::connect() const {
  ClientOptions co;
  co.broker = address_;
  co.client_id = "wharf-bench";
  auto c = Client::connect(co);
  if (!c) {
    std::fprintf(stderr, "wharf-bench: %s\n", c.error().to_string().c_str());
    return nullptr;
  }
  return std::move(*c);
}

}  // namespace wharf::bench

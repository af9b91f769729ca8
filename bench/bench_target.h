// Where a benchmark runs: an embedded broker on a temp data dir, or an
// external one given by --broker.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "wharf/broker.h"
#include "wharf/client.h"

namespace wharf::bench {

struct TargetOptions {
  bool embedded = false;
  std::string broker = "127.0.0.1:7420";
  std::string kafka_broker = "127.0.0.1:9092";  // the Kafka listener of --broker
  std::string durability = "sync";  // embedded only
  std::string data_parent = ".";    // embedded: where the temp data dir goes
};

class Target {
 public:
  // Starts the embedded broker if asked; prints a message and returns
  // nullptr on failure.
  static std::unique_ptr<Target> open(const TargetOptions& options);
  ~Target();

  std::unique_ptr<Client> connect() const;
  const std::string& address() const { return address_; }
  // The Kafka listener (embedded: its own, on an ephemeral port).
  const std::string& kafka_address() const { return kafka_address_; }
  bool embedded() const { return broker_ != nullptr; }

 private:
  std::string address_;
  std::string kafka_address_;
  std::filesystem::path dir_;
  std::unique_ptr<Broker> broker_;
};

}  // namespace wharf::bench

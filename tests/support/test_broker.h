// Starts a real broker in-process on 127.0.0.1, port 0, over a temp data
// dir; restart() reopens the same dir.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "support/temp_dir.h"
#include "support/wait_for.h"
#include "wharf/broker.h"
#include "wharf/client.h"

namespace wharf::test {

class TestBroker {
 public:
  explicit TestBroker(BrokerOptions options = {}) : options_(std::move(options)) {
    options_.host = "127.0.0.1";
    options_.port = 0;
    options_.kafka.host = "127.0.0.1";
    options_.kafka.port = 0;
    options_.http.host = "127.0.0.1";
    options_.http.port = 0;
    if (options_.data_dir == BrokerOptions().data_dir) options_.data_dir = dir_.path() / "data";
    if (!options_.log) options_.log = [](LogLevel, std::string_view) {};
    start();
  }

  void start() {
    auto b = Broker::start(options_);
    if (!b) {
      ADD_FAILURE() << "broker did not start: " << b.error().to_string();
      return;
    }
    broker_ = std::move(*b);
    // Restarts keep the ports so clients with auto_reconnect find them again.
    options_.port = broker_->port();
    options_.kafka.port = broker_->kafka_port();
    options_.http.port = broker_->http_port();
  }
  void stop() {
    if (broker_) broker_->stop();
    broker_.reset();
  }
  void restart() {
    stop();
    start();
  }

  Broker& broker() { return *broker_; }
  BrokerOptions& options() { return options_; }
  const std::filesystem::path& data_dir() const { return options_.data_dir; }
  std::string address() const { return "127.0.0.1:" + std::to_string(options_.port); }
  // The Kafka listener (options().kafka.listen).
  std::uint16_t kafka_port() const { return options_.kafka.port; }
  std::string kafka_address() const { return "127.0.0.1:" + std::to_string(options_.kafka.port); }
  // The HTTP listener (options().http.listen).
  std::string http_url() const { return "http://127.0.0.1:" + std::to_string(options_.http.port); }

  std::unique_ptr<Client> client(ClientOptions o = {}) {
    o.broker = address();
    auto c = Client::connect(o);
    if (!c) {
      ADD_FAILURE() << "client did not connect: " << c.error().to_string();
      return nullptr;
    }
    return std::move(*c);
  }

 private:
  TempDir dir_;
  BrokerOptions options_;
  std::unique_ptr<Broker> broker_;
};

}  // namespace wharf::test

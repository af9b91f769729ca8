// Runs wharfd as a child process (crash and soak tests): start on a free
// port, read its memory use, SIGKILL or SIGTERM it.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <thread>

namespace wharf::crash {

class BrokerProcess {
 public:
  BrokerProcess(std::string wharfd, std::filesystem::path data_dir, std::filesystem::path log)
      : wharfd_(std::move(wharfd)), data_dir_(std::move(data_dir)), log_(std::move(log)) {}
  ~BrokerProcess() { kill_now(); }

  // Starts wharfd and waits for its startup line; false on failure.
  bool start() {
    std::filesystem::remove(log_);
    pid_ = fork();
    if (pid_ == 0) {
      const std::string out = log_.string();
      if (freopen(out.c_str(), "w", stdout) == nullptr || freopen(out.c_str(), "a", stderr) == nullptr) _exit(126);
      execl(wharfd_.c_str(), wharfd_.c_str(), "--listen", "127.0.0.1:0", "--kafka-listen", "127.0.0.1:0",
            "--http-listen", "127.0.0.1:0", "--data-dir", data_dir_.c_str(), "--retention-check-interval", "100ms", nullptr);
      _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(log_);
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string text = ss.str();
      const auto at = text.find("listening on ");
      const auto comma = at == std::string::npos ? std::string::npos : text.find(',', at);
      const auto kafka = comma == std::string::npos ? std::string::npos : text.find(", kafka ", comma);
      const auto kafka_end = kafka == std::string::npos ? std::string::npos : text.find(',', kafka + 8);
      if (kafka_end != std::string::npos) {
        address_ = text.substr(at + 13, comma - at - 13);
        kafka_address_ = text.substr(kafka + 8, kafka_end - kafka - 8);
        return true;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        std::fprintf(stderr, "wharfd exited at startup:\n%s\n", text.c_str());
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  void kill_now() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  const std::string& address() const { return address_; }
  const std::string& kafka_address() const { return kafka_address_; }
  pid_t pid() const { return pid_; }

  // Resident memory of the broker in bytes: {anonymous (heap, stacks), total}.
  std::pair<std::size_t, std::size_t> rss() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::size_t anon = 0;
    std::size_t total = 0;
    // Lines look like "VmRSS:\t   1234 kB"; most other lines are not numeric.
    for (std::string line; std::getline(in, line);) {
      const auto read_kib = [&line](std::string_view key) -> std::size_t {
        return std::strtoull(line.c_str() + key.size(), nullptr, 10) * 1024;
      };
      if (line.starts_with("RssAnon:")) anon = read_kib("RssAnon:");
      if (line.starts_with("VmRSS:")) total = read_kib("VmRSS:");
    }
    return {anon, total};
  }

  // SIGTERM and wait; true if it exited with status 0.
  bool stop() {
    if (pid_ <= 0) return true;
    ::kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

 private:
  std::string wharfd_;
  std::filesystem::path data_dir_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
  std::string address_;
  std::string kafka_address_;
};

}  // namespace wharf::crash

#include "broker/http/http_service.h"

#include <httplib.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace wharf::http {
namespace {

// One request in, its response out: the router reads and writes this as it
// would a socket.
class MemoryStream final : public httplib::Stream {
 public:
  MemoryStream(std::string_view in, std::string peer_ip, std::string* out)
      : in_(in), peer_ip_(std::move(peer_ip)), out_(out) {}
  bool is_readable() const override { return pos_ < in_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const std::size_t n = std::min(size, in_.size() - pos_);
    std::memcpy(ptr, in_.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    out_->append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = peer_ip_;
    port = 0;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip.clear();
    port = 0;
  }
  socket_t socket() const override { return INVALID_SOCKET; }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
  std::string peer_ip_;
  std::string* out_;
};

}  // namespace

// cpp-httplib's server used only for its routing and response writing:
// it never listens.
class HttpService::Router final : public httplib::Server {
 public:
  void run(std::string_view request, const std::string& peer_ip, std::string* response, bool* close) {
    MemoryStream stream(request, peer_ip, response);
    bool closed = false;
    process_request(stream, /*close_connection=*/false, closed, nullptr);
    *close = closed;
  }
};

HttpService::HttpService(std::size_t workers)
    : router_(std::make_unique<Router>()), workers_(std::make_unique<httplib::ThreadPool>(workers)) {}

HttpService::~HttpService() { stop(); }

httplib::Server& HttpService::router() { return *router_; }

namespace {
thread_local std::chrono::milliseconds t_hold{0};  // set by hold_answer_for() on a worker
}  // namespace

void hold_answer_for(std::chrono::milliseconds delay) { t_hold = std::max(t_hold, delay); }

void HttpService::serve(std::string request, std::string peer_ip, Answer answer) {
  MutexLock lock(mu_);
  if (!workers_) return;
  workers_->enqueue([this, request = std::move(request), peer_ip = std::move(peer_ip), answer = std::move(answer)] {
    std::string response;
    bool close = false;
    t_hold = std::chrono::milliseconds(0);
    router_->run(request, peer_ip, &response, &close);
    answer(std::move(response), close, std::exchange(t_hold, std::chrono::milliseconds(0)));
  });
}

void HttpService::stop() {
  std::unique_ptr<httplib::ThreadPool> workers;
  {
    MutexLock lock(mu_);
    workers = std::move(workers_);
  }
  if (workers) workers->shutdown();
}

}  // namespace wharf::http

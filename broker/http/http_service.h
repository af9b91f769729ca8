// Runs whole HTTP requests through the routes: cpp-httplib's router, fed
// from memory instead of a socket, on a pool of worker threads (handlers
// block on the engines, up to seconds for an admin call). Connections and
// their deadlines belong to the transport (HttpSession); this sees only
// requests already framed and bounded.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "base/mutex.h"

namespace httplib {
class Server;
class ThreadPool;
}  // namespace httplib

namespace wharf::http {

class HttpService {
 public:
  explicit HttpService(std::size_t workers);
  ~HttpService();
  HttpService(const HttpService&) = delete;
  HttpService& operator=(const HttpService&) = delete;

  // Where routes are added, before the first request.
  httplib::Server& router();

  // The response to one whole request from `peer_ip`, and whether the
  // connection must close after it (the client asked, or HTTP/1.0).
  // `delay`: how long the answer is to be held back (hold_answer_for()).
  using Answer = std::function<void(std::string response, bool close, std::chrono::milliseconds delay)>;
  // Serves `request` on a worker; `answer` runs there. After stop(), runs
  // nothing.
  void serve(std::string request, std::string peer_ip, Answer answer);
  // Waits for the requests queued and in progress. Idempotent.
  void stop();

 private:
  class Router;
  std::unique_ptr<Router> router_;
  Mutex mu_;
  std::unique_ptr<httplib::ThreadPool> workers_ WHARF_GUARDED_BY(mu_);
};

// From a route handler: its answer leaves `delay` after it returns, held
// by the connection rather than by a worker (a failed login's delay).
void hold_answer_for(std::chrono::milliseconds delay);

}  // namespace wharf::http

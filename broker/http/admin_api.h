// The JSON admin API under /api/v1/ and the web console that uses it
// (docs/HTTP_API.md), mounted on the HTTP listener. Every call goes to the
// same engine operations as the native protocol, with the same ACL checks.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace httplib {
class Server;
}
namespace wharf::log {
class LogEngine;
}
namespace wharf::queue {
class QueueEngine;
}
namespace wharf::groups {
class GroupCoordinator;
}
namespace wharf::storage {
class Storage;
}
namespace wharf::auth {
class SecurityEngine;
}
namespace wharf::net {
class Server;
}

namespace wharf::http {

struct AdminSources {
  log::LogEngine& logs;
  queue::QueueEngine& queues;
  groups::GroupCoordinator& groups;
  auth::SecurityEngine& security;
  storage::Storage& storage;
  const net::Server* native = nullptr;  // null: not listening
  const net::Server* kafka = nullptr;
  std::string version;
  std::string durability;
  std::chrono::system_clock::time_point started;
  std::string http_host;  // the listener's address, a Host header the API accepts with auth off
};

struct ApiContext;

class AdminApi {
 public:
  explicit AdminApi(AdminSources sources, std::chrono::milliseconds rate_interval = std::chrono::seconds(5));
  ~AdminApi();
  AdminApi(const AdminApi&) = delete;
  AdminApi& operator=(const AdminApi&) = delete;

  // Adds the API's routes and the console's pages and files. `tls`: the
  // server speaks TLS (session cookies are then Secure).
  void install(httplib::Server& server, bool tls);

 private:
  std::unique_ptr<ApiContext> ctx_;
};

}  // namespace wharf::http

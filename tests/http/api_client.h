// A small client of the admin API for tests: real HTTP (cpp-httplib) to a
// real broker, keeping the session cookie and CSRF token as a browser would.
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <string>

#include "support/test_broker.h"

namespace wharf::test {

struct Answer {
  int status = 0;
  nlohmann::json body;
  httplib::Headers headers;
  std::string error_code() const {
    return body.is_object() && body.contains("error") ? body["error"]["code"].get<std::string>() : "";
  }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class ApiClient {
 public:
  explicit ApiClient(TestBroker& tb) : http_("127.0.0.1", tb.broker().http_port()) {
    http_.set_connection_timeout(5);
    http_.set_read_timeout(20);
  }

  Answer get(const std::string& path) { return answer(http_.Get(path, headers())); }
  Answer post(const std::string& path, const nlohmann::json& body = nlohmann::json::object()) {
    return answer(http_.Post(path, headers(), body.dump(), "application/json"));
  }
  Answer patch(const std::string& path, const nlohmann::json& body) {
    return answer(http_.Patch(path, headers(), body.dump(), "application/json"));
  }
  Answer del(const std::string& path) { return answer(http_.Delete(path, headers())); }
  Answer raw(const std::string& method, const std::string& path, const std::string& body) {
    if (method == "POST") return answer(http_.Post(path, headers(), body, "application/json"));
    return answer(http_.Get(path, headers()));
  }

  // Takes the CSRF token of the session (or of everyone, with auth off).
  void load_session() {
    auto s = get("/api/v1/session");
    if (s.status == 200) csrf = s.body["csrf_token"].get<std::string>();
  }
  // Logs in; keeps the cookie and token. Returns the answer.
  Answer login(const std::string& user, const std::string& password) {
    auto a = post("/api/v1/login", {{"user", user}, {"password", password}});
    const std::string set = a.header("Set-Cookie");
    if (a.status == 200) {
      cookie = set.substr(0, set.find(';'));
      csrf = a.body["csrf_token"].get<std::string>();
    }
    return a;
  }

  std::string cookie;  // "wharf_session=..." or empty
  std::string csrf;
  bool send_csrf = true;

 private:
  httplib::Headers headers() const {
    httplib::Headers h;
    if (!cookie.empty()) h.emplace("Cookie", cookie);
    if (send_csrf && !csrf.empty()) h.emplace("X-CSRF-Token", csrf);
    return h;
  }
  static Answer answer(const httplib::Result& r) {
    Answer a;
    if (!r) return a;
    a.status = r->status;
    a.headers = r->headers;
    a.body = nlohmann::json::parse(r->body, nullptr, false);
    if (a.body.is_discarded()) a.body = r->body;
    return a;
  }
  httplib::Client http_;
};

}  // namespace wharf::test

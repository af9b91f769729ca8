#include "broker/http/console_pages.h"

#include <httplib.h>

#include <fmt/format.h>

#include "broker/http/api_router.h"
#include "broker/http/console_assets.h"

namespace wharf::http {
namespace {

// Only the console's own files may run or style a page: a message that
// holds markup can do nothing even if it were ever inserted as HTML.
constexpr const char* kPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const char* content_type(std::string_view name) {
  auto ends = [&](std::string_view ext) {
    return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

const ConsoleAsset* find_asset(std::string_view name) {
  for (const auto& a : console_assets())
    if (a.name == name) return &a;
  return nullptr;
}

void secure_headers(httplib::Response& res) {
  res.set_header("Content-Security-Policy", kPolicy);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "same-origin");
  res.set_header("Cache-Control", "no-cache");
}

// A strong validator of a file's bytes (FNV-1a), so a browser revalidates
// the console's files with a 304 instead of fetching them again.
std::string etag_of(std::string_view data) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ull;
  return fmt::format("\"{:016x}\"", h);
}

// Serves a file, or 304 when the browser's copy is current.
void serve_asset(const httplib::Request& req, httplib::Response& res, const ConsoleAsset& a) {
  const std::string etag = etag_of(a.data);
  res.set_header("ETag", etag);
  if (req.get_header_value("If-None-Match") == etag) {
    res.status = 304;
    return;
  }
  res.set_content(a.data.data(), a.data.size(), content_type(a.name));
}

}  // namespace

void add_console_pages(httplib::Server& server, ApiContext& ctx) {
  auto page = [&ctx](const httplib::Request& req, httplib::Response& res) {
    secure_headers(res);
    if (req.path != "/login" && !ctx.caller(req)) {
      res.set_redirect("/login?next=" + httplib::detail::encode_query_param(req.target));
      return;
    }
    const ConsoleAsset* index = find_asset("index.html");
    if (index == nullptr) {
      res.status = 500;
      res.set_content("the console was not built into this binary\n", "text/plain");
      return;
    }
    serve_asset(req, res, *index);
  };
  for (const char* pattern : {"/", "/login", "/topics", "/topics/[^/]+", "/groups", "/groups/[^/]+", "/queues",
                              "/queues/[^/]+", "/queues/[^/]+/messages/[^/]+"})
    server.Get(pattern, page);
  server.Get("/assets/([A-Za-z0-9_.-]+)", [](const httplib::Request& req, httplib::Response& res) {
    secure_headers(res);
    const ConsoleAsset* a = find_asset(std::string(req.matches[1]));
    if (a == nullptr) {
      res.status = 404;
      res.set_content("no such file\n", "text/plain");
      return;
    }
    serve_asset(req, res, *a);
  });
}

}  // namespace wharf::http

// The console's pages and files. Every page address serves the same
// index.html (the script draws the page from the address); with auth on,
// a page asked for without a session redirects to /login?next=PAGE.
#pragma once

namespace httplib {
class Server;
}

namespace wharf::http {

struct ApiContext;

void add_console_pages(httplib::Server& server, ApiContext& ctx);

}  // namespace wharf::http

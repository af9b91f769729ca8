#include "broker/http/http_session.h"

#include <fmt/format.h>

#include "broker/http/http_listener.h"
#include "broker/net/server.h"

namespace wharf::http {
namespace {

std::string_view reason_phrase(int http_status) {
  switch (http_status) {
    case 400: return "Bad Request";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

}  // namespace

HttpSession::HttpSession(net::Server& server, Socket socket, std::uint64_t id, HttpService& service)
    : net::Session(server, std::move(socket), id), service_(service) {}

void HttpSession::refuse(const status& why) { answer_error(503, why.message()); }

net::Session::Cut HttpSession::cut_frame(std::span<const std::uint8_t> buffered) {
  const RequestCut c = cut_request(buffered, RequestLimits{});
  Cut cut;
  switch (c.state) {
    case RequestCut::complete:
      cut.state = Cut::complete;
      cut.size = c.size;
      cut.payload = buffered.first(c.size);
      break;
    case RequestCut::need_more:
      cut.wanted = c.wanted;
      break;
    case RequestCut::bad:
      cut.state = Cut::bad;
      cut.error = status(errc::invalid_argument, c.reason);
      refused_ = c;
      break;
  }
  return cut;
}

void HttpSession::on_frame(std::span<const std::uint8_t> payload) {
  ++requests_;
  // One at a time: the next request is read once this one is answered.
  hold_frames();
  begin_async(payload.size());
  std::string peer = peer_address();
  if (!peer.empty() && peer.front() == '/') peer.erase(0, 1);
  auto self = std::static_pointer_cast<HttpSession>(shared_from_this());
  const std::size_t bytes = payload.size();
  service_.serve(std::string(reinterpret_cast<const char*>(payload.data()), payload.size()), std::move(peer),
                 [self, bytes](std::string response, bool close, std::chrono::milliseconds delay) {
                   net::post_to(self, [response = std::move(response), close, bytes, delay](HttpSession& s) mutable {
                     if (delay.count() <= 0) {
                       s.end_async(bytes);
                       return s.answered(std::move(response), close);
                     }
                     // Held on a timer, not a thread; a close cuts it short.
                     auto timer = std::make_shared<asio::steady_timer>(s.executor(), delay);
                     s.track_timer(timer);
                     timer->async_wait([weak = s.weak_from_this(), timer, response = std::move(response), close,
                                        bytes](asio::error_code) mutable {
                       auto held = std::static_pointer_cast<HttpSession>(weak.lock());
                       if (!held) return;
                       held->end_async(bytes);
                       held->answered(std::move(response), close);
                     });
                   });
                 });
}

void HttpSession::answered(std::string response, bool close) {
  if (closed()) return;
  output().insert(output().end(), response.begin(), response.end());
  output_added();
  if (close || closing()) {
    close_after_flush();
    return;
  }
  resume_frames();
  watch_idle();
}

void HttpSession::on_bad_frame(const status&) { answer_error(refused_.http_status, refused_.reason); }

void HttpSession::answer_error(int http_status, std::string_view reason) {
  const std::string body = fmt::format("{}\n", reason);
  const std::string head =
      fmt::format("HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                  http_status, reason_phrase(http_status), body.size());
  output().insert(output().end(), head.begin(), head.end());
  output().insert(output().end(), body.begin(), body.end());
  output_added();
  close_after_flush();
}

void HttpSession::watch_idle() {
  if (!idle_) {
    idle_ = std::make_shared<asio::steady_timer>(executor());
    track_timer(idle_);
  }
  idle_->expires_after(kIdleTimeout);
  const std::uint64_t seen = requests_;
  idle_->async_wait([weak = weak_from_this(), seen](asio::error_code ec) {
    if (ec) return;
    auto s = std::static_pointer_cast<HttpSession>(weak.lock());
    if (s && !s->closed() && s->requests_ == seen && s->in_flight() == 0) s->close();
  });
}

}  // namespace wharf::http

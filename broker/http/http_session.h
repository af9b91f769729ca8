// One HTTP connection on the broker's transport: the read loop cuts whole
// requests (request_framing.h), each goes to the HttpService and its
// response comes back in order, one request at a time (later pipelined
// ones wait, unread). A request over the limits is answered 400/413/431/
// 501 at once and the connection closes. The first request must be whole
// within the handshake deadline; kIdleTimeout with no request closes a
// kept-alive connection.
#pragma once

#include <asio/steady_timer.hpp>

#include <memory>

#include "broker/http/http_service.h"
#include "broker/http/request_framing.h"
#include "broker/net/session.h"

namespace wharf::http {

class HttpSession final : public net::Session {
 public:
  HttpSession(net::Server& server, Socket socket, std::uint64_t id, HttpService& service);

  // At the connection limit: 503, then close.
  void refuse(const status& why) override;

 private:
  Cut cut_frame(std::span<const std::uint8_t> buffered) override;
  void on_frame(std::span<const std::uint8_t> payload) override;
  void on_bad_frame(const status& why) override;
  bool awaiting_handshake() const override { return requests_ == 0; }
  // A response is ready (session thread).
  void answered(std::string response, bool close);
  void answer_error(int http_status, std::string_view reason);
  void watch_idle();

  HttpService& service_;
  RequestCut refused_;  // why the last cut was bad
  std::uint64_t requests_ = 0;
  std::shared_ptr<asio::steady_timer> idle_;
};

}  // namespace wharf::http

#include "client/connection.h"

#include <asio/co_spawn.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/ssl.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "protocol/frame.h"
#include "protocol/varint.h"
#include "wharf_generated.h"
#include "protocol/frame_builder.h"
#include "protocol/sasl/scram.h"

namespace wharf::client {

struct ClientTls {
  ClientTls(asio::generic::stream_protocol::socket& socket, asio::ssl::context& context) : stream(socket, context) {}
  asio::ssl::stream<asio::generic::stream_protocol::socket&> stream;
};

namespace {

result<std::shared_ptr<asio::ssl::context>> make_client_tls_context(const TlsClientOptions& o) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  asio::error_code ec;
  if (o.ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(o.ca_file, ec);
  }
  if (ec) return status(errc::invalid_argument, fmt::format("TLS CA file {}: {}", o.ca_file, ec.message()));
  if (!o.cert_file.empty()) {
    ctx->use_certificate_chain_file(o.cert_file, ec);
    if (ec) return status(errc::invalid_argument, fmt::format("TLS certificate {}: {}", o.cert_file, ec.message()));
    ctx->use_private_key_file(o.key_file, asio::ssl::context::pem, ec);
    if (ec) return status(errc::invalid_argument, fmt::format("TLS key {}: {}", o.key_file, ec.message()));
  }
  ctx->set_verify_mode(o.verify ? asio::ssl::verify_peer : asio::ssl::verify_none);
  return ctx;
}


constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
using Clock = std::chrono::steady_clock;

bool split_address(const std::string& s, std::string* host, std::string* port) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return false;
  *host = s.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  *port = s.substr(colon + 1);
  return true;
}

}  // namespace

Connection::Connection(ClientOptions options)
    : options_(std::move(options)),
      io_(1),
      work_(io_.get_executor()),
      socket_(io_),
      timeout_timer_(io_) {
  io_thread_ = std::thread([this] { io_.run(); });
  asio::post(io_, [this] { arm_timeout_timer(); });
}

Connection::~Connection() {
  if (on_io_thread()) {
    // Destroyed from its own completion: the thread cannot join itself.
    std::fprintf(stderr, "wharf: a Client was destroyed from its own I/O thread; this is not supported\n");
    std::abort();
  }
  std::promise<void> done;
  asio::post(io_, [this, &done] {
    closing_ = true;
    drop(status(errc::disconnected, "the client was closed"));
    timeout_timer_.cancel();
    done.set_value();
  });
  done.get_future().wait();
  work_.reset();
  io_.stop();
  io_thread_.join();
}

status Connection::connect() {
  if (on_io_thread()) return {errc::internal, "connect() called from the client's I/O thread"};
  std::promise<status> p;
  auto f = p.get_future();
  asio::post(io_, [this, p = std::move(p)]() mutable {
    if (connected_.load(std::memory_order_relaxed)) {
      p.set_value(status());
      return;
    }
    connect_waiters_.push_back(std::move(p));
    if (state_ == State::idle) start_connect();
  });
  if (f.wait_for(options_.connect_timeout * 2 + std::chrono::seconds(1)) != std::future_status::ready)
    return {errc::timeout, "connecting to the broker timed out"};
  return f.get();
}

void Connection::disconnect() {
  if (on_io_thread()) {
    // From a completion: no waiting on ourselves.
    drop(status(errc::disconnected, "the client disconnected"));
    return;
  }
  std::promise<void> done;
  asio::post(io_, [this, &done] {
    drop(status(errc::disconnected, "the client disconnected"));
    done.set_value();
  });
  done.get_future().wait();
}

void Connection::send(std::uint64_t corr, const flatbuffers::FlatBufferBuilder& fbb, Handler handler,
                      std::chrono::milliseconds extra) {
  const std::uint32_t limit = broker_max_frame_.load(std::memory_order_relaxed);
  const std::size_t payload = protocol::framed_size(fbb.GetSize()) - protocol::kFrameHeaderSize;
  if (limit != 0 && payload > limit) {
    // The broker would close the connection on it; fail just this request.
    asio::post(io_, [h = std::move(handler), payload, limit] {
      h(status(errc::frame_too_large,
               fmt::format("request of {} bytes exceeds the broker's frame limit of {}", payload, limit)),
        nullptr);
    });
    return;
  }
  const auto deadline = Clock::now() + options_.request_timeout + extra;
  if (on_io_thread() && state_ == State::connected && !closing_) {
    // The common case (a producer's batches): straight into the write buffer.
    pending_.emplace(corr, Pending{std::move(handler), deadline});
    protocol::append_frame(out_, fbb);
    flush();
    return;
  }
  Queued q{corr, {}, std::move(handler), extra, deadline};
  protocol::append_frame(q.bytes, fbb);
  if (on_io_thread()) {
    submit(std::move(q));
    return;
  }
  asio::post(io_, [this, q = std::move(q)]() mutable { submit(std::move(q)); });
}

std::pair<std::string, std::string> Connection::broker_identity() const {
  MutexLock lock(identity_mu_);
  return {broker_version_, broker_durability_};
}

void Connection::submit(Queued q) {
  if (closing_) {
    q.handler(status(errc::disconnected, "the client was closed"), nullptr);
    return;
  }
  switch (state_) {
    case State::connected:
      pending_.emplace(q.corr, Pending{std::move(q.handler), Clock::now() + options_.request_timeout + q.extra});
      out_.insert(out_.end(), q.bytes.begin(), q.bytes.end());
      flush();
      return;
    case State::connecting:
    case State::authenticating:
      waiting_.push_back(std::move(q));
      return;
    case State::idle:
      if (!options_.auto_reconnect && generation_ > 0) {
        q.handler(status(errc::disconnected, "not connected (auto_reconnect is off)"), nullptr);
        return;
      }
      waiting_.push_back(std::move(q));
      start_connect();
      return;
  }
}

void Connection::start_connect() {
  state_ = State::connecting;
  last_error_ = status();
  const std::uint64_t gen = ++generation_;
  asio::co_spawn(io_, run_connect(gen), asio::detached);
}

asio::awaitable<status> Connection::open_socket(std::uint64_t gen) {
  if (options_.dial) {
    auto fd = options_.dial();
    if (!fd) co_return status(errc::connection_failed, std::string(fd.error().message()));
    socket_ = asio::generic::stream_protocol::socket(io_);
    asio::error_code ec;
    socket_.assign(asio::generic::stream_protocol(AF_UNIX, 0), *fd, ec);
    if (ec) {
      ::close(*fd);
      co_return status(errc::connection_failed, fmt::format("cannot use the dialed socket: {}", ec.message()));
    }
    co_return status();
  }
  std::string host;
  std::string port;
  if (!split_address(options_.broker, &host, &port))
    co_return status(errc::invalid_argument, fmt::format("broker address '{}' is not HOST:PORT", options_.broker));
  asio::ip::tcp::resolver resolver(io_);
  auto [rec, endpoints] = co_await resolver.async_resolve(host, port, use_nothrow);
  if (gen != generation_) co_return status(errc::disconnected, "superseded");
  if (rec)
    co_return status(errc::connection_failed, fmt::format("cannot resolve {}: {}", options_.broker, rec.message()));
  auto tcp = std::make_shared<asio::ip::tcp::socket>(io_);
  asio::steady_timer limit(io_);
  limit.expires_after(options_.connect_timeout);
  limit.async_wait([this, gen, tcp](asio::error_code ec) {
    if (!ec && gen == generation_ && state_ == State::connecting) {
      asio::error_code ignore;
      tcp->close(ignore);
    }
  });
  auto [cec, ep] = co_await asio::async_connect(*tcp, endpoints, use_nothrow);
  limit.cancel();
  if (gen != generation_) co_return status(errc::disconnected, "superseded");
  if (cec)
    co_return status(errc::connection_failed, fmt::format("cannot connect to {}: {}", options_.broker, cec.message()));
  asio::error_code ignore;
  tcp->set_option(asio::ip::tcp::no_delay(true), ignore);
  socket_ = asio::generic::stream_protocol::socket(std::move(*tcp));
  tls_.reset();
  if (options_.tls.enabled) co_return co_await start_tls(gen, host);
  co_return status();
}

asio::awaitable<status> Connection::start_tls(std::uint64_t gen, const std::string& host) {
  if (!tls_context_) {
    auto ctx = make_client_tls_context(options_.tls);
    if (!ctx) co_return ctx.error();
    tls_context_ = std::move(*ctx);
  }
  auto tls = std::make_shared<ClientTls>(socket_, *tls_context_);
  const std::string& name = options_.tls.server_name.empty() ? host : options_.tls.server_name;
  SSL_set_tlsext_host_name(tls->stream.native_handle(), name.c_str());
  if (options_.tls.verify) tls->stream.set_verify_callback(asio::ssl::host_name_verification(name));
  asio::steady_timer limit(io_);
  limit.expires_after(options_.connect_timeout);
  limit.async_wait([this, gen](asio::error_code ec) {
    if (!ec && gen == generation_ && state_ == State::connecting) {
      asio::error_code ignore;
      socket_.close(ignore);
    }
  });
  auto [ec] = co_await tls->stream.async_handshake(asio::ssl::stream_base::client, use_nothrow);
  limit.cancel();
  if (gen != generation_) co_return status(errc::disconnected, "superseded");
  if (ec) {
    asio::error_code ignore;
    socket_.close(ignore);
    co_return status(errc::connection_failed,
                     fmt::format("TLS handshake with {} failed: {}", options_.broker, ec.message()));
  }
  tls_ = std::move(tls);
  co_return status();
}

asio::awaitable<void> Connection::run_connect(std::uint64_t gen) {
  status opened = co_await open_socket(gen);
  if (gen != generation_) co_return;
  if (!opened.ok()) {
    state_ = State::idle;
    fail_all(opened);
    co_return;
  }
  state_ = State::connected;
  out_.clear();

  // Hello goes first; without SASL, queued requests are pipelined right
  // behind it; with SASL they wait for the exchange to succeed.
  flatbuffers::FlatBufferBuilder fbb(256);
  auto client_id = fbb.CreateString(options_.client_id);
  flatbuffers::Offset<flatbuffers::String> mechanism;
  flatbuffers::Offset<flatbuffers::Vector<std::uint8_t>> first;
  scram_.reset();
  if (!options_.user.empty()) {
    const auto m = sasl::parse_scram_mechanism(options_.sasl_mechanism);
    if (!m) {
      state_ = State::idle;
      fail_all(status(errc::invalid_argument,
                      fmt::format("SASL mechanism '{}' is not SCRAM-SHA-256 or SCRAM-SHA-512", options_.sasl_mechanism)));
      co_return;
    }
    scram_ = std::make_unique<sasl::ScramClient>(*m, options_.user, options_.password);
    const std::string message = scram_->first_message();
    mechanism = fbb.CreateString(options_.sasl_mechanism);
    first = fbb.CreateVector(reinterpret_cast<const std::uint8_t*>(message.data()), message.size());
    state_ = State::authenticating;
  }
  wire::HelloBuilder hello(fbb);
  hello.add_protocol_version(protocol::kProtocolVersion);
  hello.add_client_id(client_id);
  if (scram_) {
    hello.add_sasl_mechanism(mechanism);
    hello.add_sasl_data(first);
  }
  const auto body = hello.Finish();
  hello_corr_ = next_correlation_id();
  protocol::finish_frame(fbb, hello_corr_, body);
  send_handshake(fbb);
  if (state_ == State::connected) {
    std::vector<Queued> waiting;
    waiting.swap(waiting_);
    for (auto& q : waiting) submit(std::move(q));
  }
  flush();
  asio::co_spawn(io_, read_loop(gen), asio::detached);
}

void Connection::send_handshake(flatbuffers::FlatBufferBuilder& fbb) {
  protocol::append_frame(out_, fbb);
  pending_.emplace(hello_corr_, Pending{[this](const status& st, const wire::Frame* f) { on_hello_reply(st, f); },
                                        Clock::now() + options_.connect_timeout});
}

void Connection::on_hello_reply(const status& st, const wire::Frame* f) {
  if (!st.ok()) {
    drop(st);
    return;
  }
  if (const auto* challenge = f->body_as_SaslChallenge(); challenge != nullptr && scram_) {
    const auto* data = challenge->data();
    const std::string_view server_first =
        data ? std::string_view(reinterpret_cast<const char*>(data->data()), data->size()) : std::string_view();
    std::string error;
    const auto final_message = scram_->final_message(server_first, &error);
    if (!final_message) {
      drop(status(errc::authentication_failed, error));
      return;
    }
    flatbuffers::FlatBufferBuilder fbb(256);
    auto bytes = fbb.CreateVector(reinterpret_cast<const std::uint8_t*>(final_message->data()), final_message->size());
    hello_corr_ = next_correlation_id();
    protocol::finish_frame(fbb, hello_corr_, wire::CreateSaslResponse(fbb, bytes));
    send_handshake(fbb);
    flush();
    return;
  }
  if (f->body_type() != wire::Body::HelloOk) {
    drop(status(errc::bad_frame, "the broker answered the handshake with something else"));
    return;
  }
  if (scram_) {
    // The broker proves it holds the user's key, too.
    const auto* data = f->body_as_HelloOk()->sasl_data();
    const std::string_view server_final =
        data ? std::string_view(reinterpret_cast<const char*>(data->data()), data->size()) : std::string_view();
    std::string error;
    if (!scram_->verify_server_final(server_final, &error)) {
      drop(status(errc::authentication_failed, "the broker's SCRAM signature is wrong: " + error));
      return;
    }
    scram_.reset();
  }
  on_handshaken(*f);
}

void Connection::on_handshaken(const wire::Frame& f) {
  if (const auto* ok = f.body_as_HelloOk(); ok != nullptr) {
    broker_max_frame_.store(ok->max_frame_bytes(), std::memory_order_relaxed);
    MutexLock lock(identity_mu_);
    broker_version_ = ok->broker_version() ? ok->broker_version()->str() : "";
    broker_durability_ = ok->durability() ? ok->durability()->str() : "";
  }
  if (state_ == State::authenticating) {
    state_ = State::connected;
    std::vector<Queued> waiting;
    waiting.swap(waiting_);
    for (auto& q : waiting) submit(std::move(q));
  }
  connected_.store(true, std::memory_order_release);
  for (auto& w : connect_waiters_) w.set_value(status());
  connect_waiters_.clear();
}

void Connection::flush() {
  if (writing_ || out_.empty() || (state_ != State::connected && state_ != State::authenticating)) return;
  writing_ = true;
  sending_.swap(out_);
  out_.clear();
  const std::uint64_t gen = generation_;
  auto on_written = [this, gen, tls = tls_](asio::error_code ec, std::size_t) {
    writing_ = false;
    sending_.clear();
    if (gen != generation_) {
      flush();
      return;
    }
    if (ec) {
      drop(status(errc::disconnected, fmt::format("write to broker failed: {}", ec.message())));
      return;
    }
    flush();
  };
  if (tls_) {
    asio::async_write(tls_->stream, asio::buffer(sending_), std::move(on_written));
  } else {
    asio::async_write(socket_, asio::buffer(sending_), std::move(on_written));
  }
}

asio::awaitable<void> Connection::read_loop(std::uint64_t gen) {
  const std::shared_ptr<ClientTls> tls = tls_;
  std::vector<std::uint8_t> in(256u << 10);
  std::size_t begin = 0;
  std::size_t end = 0;
  for (;;) {
    if (end == in.size()) {
      const std::size_t need = protocol::kFrameHeaderSize + protocol::load_le<std::uint32_t>(in.data());
      in.resize(std::max(need, in.size() * 2));
    }
    const auto room = asio::buffer(in.data() + end, in.size() - end);
    // Not a conditional expression: GCC 12 miscompiles co_await inside one.
    asio::error_code ec;
    std::size_t n = 0;
    if (tls) {
      std::tie(ec, n) = co_await tls->stream.async_read_some(room, use_nothrow);
    } else {
      std::tie(ec, n) = co_await socket_.async_read_some(room, use_nothrow);
    }
    if (gen != generation_) co_return;
    if (ec) {
      drop(last_error_.ok() ? status(errc::disconnected, fmt::format("connection to the broker lost: {}", ec.message()))
                            : last_error_);
      co_return;
    }
    end += n;
    while (gen == generation_) {
      auto d = protocol::decode_frame({in.data() + begin, end - begin}, options_.max_frame_bytes);
      if (d.state == protocol::DecodeState::need_more) break;
      if (d.state == protocol::DecodeState::bad) {
        drop(status(d.error.code(), fmt::format("broker sent a bad frame: {}", d.error.message())));
        co_return;
      }
      on_frame(d.payload);
      begin += protocol::kFrameHeaderSize + d.payload.size();
    }
    if (gen != generation_) co_return;
    if (begin == end) {
      begin = end = 0;
    } else if (begin > 0) {
      std::memmove(in.data(), in.data() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
  }
}

void Connection::on_frame(std::span<const std::uint8_t> payload) {
  const wire::Frame* frame = protocol::verify_frame(payload);
  if (frame == nullptr) {
    drop(status(errc::bad_frame, "broker sent a frame that fails verification"));
    return;
  }
  status st;
  if (frame->body_type() == wire::Body::Error) {
    const auto* e = frame->body_as_Error();
    st = e == nullptr ? status(errc::internal)
                      : status(errc_from_wire(e->code()),
                               e->message() ? e->message()->str() : std::string());
    if (frame->correlation_id() == 0) {
      // Connection-level: the broker says why it is about to close.
      last_error_ = st;
      return;
    }
  } else if (frame->correlation_id() == 0) {
    if (push_handler_) push_handler_(*frame, payload);
    return;
  }
  auto it = pending_.find(frame->correlation_id());
  if (it == pending_.end()) return;  // timed out earlier
  Handler h = std::move(it->second.handler);
  pending_.erase(it);
  h(st, frame);
}

void Connection::fail_all(const status& why) {
  auto pending = std::move(pending_);
  pending_.clear();
  auto waiting = std::move(waiting_);
  waiting_.clear();
  auto waiters = std::move(connect_waiters_);
  connect_waiters_.clear();
  for (auto& [corr, p] : pending) p.handler(why, nullptr);
  for (auto& q : waiting) q.handler(why, nullptr);
  for (auto& w : waiters) w.set_value(why);
}

void Connection::drop(const status& why) {
  asio::error_code ignore;
  const bool was_open = socket_.is_open();
  socket_.close(ignore);
  if (was_open && drop_handler_) drop_handler_(why);
  connected_.store(false, std::memory_order_release);
  state_ = State::idle;
  ++generation_;
  out_.clear();
  fail_all(why);
}

void Connection::arm_timeout_timer() {
  const auto tick = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(options_.request_timeout / 8),
                               std::chrono::milliseconds(5), std::chrono::milliseconds(500));
  timeout_timer_.expires_after(tick);
  timeout_timer_.async_wait([this](asio::error_code ec) {
    if (ec) return;
    check_timeouts();
    arm_timeout_timer();
  });
}

void Connection::check_timeouts() {
  const auto now = Clock::now();
  std::vector<Handler> expired;
  // Requests still waiting for the connection time out too.
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->deadline <= now) {
      expired.push_back(std::move(it->handler));
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
  bool hello_expired = false;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline <= now) {
      if (it->first == hello_corr_) hello_expired = true;
      expired.push_back(std::move(it->second.handler));
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  const status why(errc::timeout, "no reply from the broker in time");
  for (auto& h : expired) h(why, nullptr);
  if (hello_expired) drop(status(errc::timeout, "the broker did not answer the handshake"));
}

}  // namespace wharf::client

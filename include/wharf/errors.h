// wharf/errors.h — the one list of error codes, plus `status` and `result<T>`.
//
// Every failure in Wharf, local or sent over the wire, is an `errc`. The
// numbers are stable: they are the wire codes (docs/PROTOCOL.md) and never
// change meaning once released. `status` is an errc plus a human message;
// `result<T>` is a T or a non-ok status. Both are cheap values, safe to copy
// and to use from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>

namespace wharf {

// X(name, number, retryable, message). Retryable means the same request may
// succeed later without change (after a wait, a reconnect, or freed space).
#define WHARF_ERRC_LIST(X)                                                         \
  X(ok, 0, false, "success")                                                       \
  X(internal, 1, false, "internal error")                                          \
  X(bad_frame, 2, false, "malformed frame")                                        \
  X(frame_too_large, 3, false, "frame exceeds the size limit")                     \
  X(unsupported_version, 4, false, "unsupported protocol version")                 \
  X(unsupported_request, 5, false, "request type not supported here")              \
  X(handshake_required, 6, false, "handshake required before any other request")   \
  X(invalid_argument, 7, false, "invalid argument")                                \
  X(invalid_name, 8, false, "invalid name")                                        \
  X(topic_exists, 9, false, "topic already exists")                                \
  X(unknown_topic, 10, false, "unknown topic")                                     \
  X(unknown_partition, 11, false, "unknown partition")                             \
  X(offset_out_of_range, 12, false, "offset out of range")                         \
  X(corrupt_batch, 13, false, "record batch is malformed or fails its checksum")   \
  X(storage_full, 14, true, "storage is full")                                     \
  X(storage_failed, 15, false, "storage failed; the broker needs a restart")       \
  X(timeout, 16, true, "timed out")                                                \
  X(disconnected, 17, true, "connection lost before the reply")                    \
  X(connection_failed, 18, true, "could not connect to the broker")                \
  X(too_many_requests, 19, true, "too many requests in flight")                    \
  X(too_many_connections, 20, true, "too many connections")                        \
  X(shutting_down, 21, true, "broker is shutting down")                            \
  X(data_dir_locked, 22, false, "data directory is in use by another broker")      \
  X(io_error, 23, false, "I/O error")                                              \
  X(storage_corrupt, 24, false, "stored data failed a consistency check")              \
  X(unknown_queue, 25, false, "unknown queue")                                     \
  X(queue_exists, 26, false, "queue already exists")                               \
  X(unknown_message, 27, false, "no such message in the queue")                    \
  X(lease_expired, 28, false, "the delivery's lease expired or it was redelivered") \
  X(queue_full, 29, true, "queue is at its maximum length")                        \
  X(not_subscribed, 30, false, "no such subscription on this connection")          \
  X(closed, 31, false, "the consumer was closed")                                  \
  X(unknown_group, 32, false, "unknown consumer group")                            \
  X(unknown_member, 33, false, "not a member of the group (rejoin)")               \
  X(illegal_generation, 34, false, "not the group's current generation (rejoin)")  \
  X(rebalance_in_progress, 35, true, "the group is rebalancing (rejoin)")          \
  X(group_not_empty, 36, false, "the group has active members")                    \
  X(inconsistent_group_protocol, 37, false, "the member's protocols do not match the group's") \
  X(fenced_instance, 38, false, "another member joined with this group instance id") \
  X(out_of_order_sequence, 39, false, "producer sequence number out of order")      \
  X(invalid_producer_epoch, 40, false, "producer epoch is older than the current one") \
  X(unknown_producer, 41, false, "unknown producer id")                             \
  X(authentication_failed, 42, false, "authentication failed")                     \
  X(not_authorized, 43, false, "not authorized")                                   \
  X(user_exists, 44, false, "user already exists")                                 \
  X(unknown_user, 45, false, "unknown user")                                       \
  X(unknown_acl, 46, false, "no such ACL entry")                                   \
  X(batch_too_large, 47, false, "record batch is larger than the broker accepts")  \
  X(unsupported_compression, 48, false, "compression codec not allowed in this message format")

enum class errc : std::uint16_t {
#define WHARF_ERRC_ENUM(name, number, retryable, message) name = number,
  WHARF_ERRC_LIST(WHARF_ERRC_ENUM)
#undef WHARF_ERRC_ENUM
};

// "unknown_topic" for errc::unknown_topic; "unknown" for a number not in the list.
std::string_view errc_name(errc code) noexcept;
// A short English sentence fragment; never empty.
std::string_view errc_message(errc code) noexcept;
// True if retrying the same request later may succeed.
bool errc_retryable(errc code) noexcept;
// Maps a wire number to an errc; numbers not in the list map to errc::internal.
errc errc_from_wire(std::uint16_t number) noexcept;

const std::error_category& wharf_category() noexcept;
std::error_code make_error_code(errc code) noexcept;

// An error code and a message. A default-constructed status is ok and holds
// no allocation.
class status {
 public:
  status() = default;
  status(errc code) : code_(code) {}  // NOLINT: implicit on purpose
  status(errc code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const noexcept { return code_ == errc::ok; }
  explicit operator bool() const noexcept { return ok(); }
  errc code() const noexcept { return code_; }
  // The detail message, or the code's generic message if none was given.
  std::string_view message() const noexcept {
    return message_.empty() ? errc_message(code_) : std::string_view(message_);
  }
  // "unknown_topic: no topic named 'x'"
  std::string to_string() const;

 private:
  errc code_ = errc::ok;
  std::string message_;
};

// Either a value or a non-ok status.
template <typename T>
class result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  result(status st) : v_(std::in_place_index<1>, std::move(st)) {}   // NOLINT
  result(errc code) : v_(std::in_place_index<1>, status(code)) {}     // NOLINT
  result(errc code, std::string message)
      : v_(std::in_place_index<1>, status(code, std::move(message))) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  // Only on ok(); reading the value of an error is a programming error.
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  // ok status when a value is held.
  status error() const { return ok() ? status() : std::get<1>(v_); }
  errc code() const noexcept { return ok() ? errc::ok : std::get<1>(v_).code(); }

 private:
  std::variant<T, status> v_;
};

}  // namespace wharf

namespace std {
template <>
struct is_error_code_enum<wharf::errc> : true_type {};
}  // namespace std

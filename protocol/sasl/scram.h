// SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka's
// SASL/SCRAM uses them: no channel binding (the gs2 header is "n,," or
// "n,a=<the user>,"), no SASLprep (names and passwords are used as bytes),
// user names escaped as saslname ("=2C" is ',' and "=3D" is '=').
//
// A whole exchange, with a user "user" (the server's credential holds a
// salt, an iteration count, StoredKey and ServerKey, never the password):
//   client-first  n,,n=user,r=<client nonce>
//   server-first  r=<client nonce><server nonce>,s=<base64 salt>,i=4096
//   client-final  c=biws,r=<client nonce><server nonce>,p=<base64 ClientProof>
//   server-final  v=<base64 ServerSignature>
//
// Pure logic: no I/O. ScramServer and ScramClient each run one exchange and
// are used by one thread at a time; the free functions may be called from
// any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/sasl/crypto.h"

namespace wharf::sasl {

enum class ScramMechanism { sha256, sha512 };

// Callers creating credentials (admin requests, tools) keep iteration counts
// within [kMinScramIterations, kMaxScramIterations]. The minimum is RFC 7677's;
// the maximum is Kafka's own limit for stored credentials, and ScramClient
// refuses more so that a hostile server cannot make it spin.
inline constexpr std::uint32_t kMinScramIterations = 4096;
inline constexpr std::uint32_t kDefaultScramIterations = 8192;
inline constexpr std::uint32_t kMaxScramIterations = 16384;
// Size of the random salt make_scram_credential() picks, and of the salts
// the server invents for unknown users (so the two look alike).
inline constexpr std::size_t kScramSaltSize = 24;

// "SCRAM-SHA-256" or "SCRAM-SHA-512" (case-sensitive, as in Kafka); nullopt
// for anything else.
std::optional<ScramMechanism> parse_scram_mechanism(std::string_view name);
std::string_view scram_mechanism_name(ScramMechanism mechanism);
HashFunction scram_hash_function(ScramMechanism mechanism);

// What the server stores for one user and mechanism. All fields are raw
// bytes; stored_key and server_key are digest_size() long.
struct ScramCredential {
  ScramMechanism mechanism = ScramMechanism::sha256;
  std::string salt;
  std::uint32_t iterations = 0;
  std::string stored_key;
  std::string server_key;

  bool operator==(const ScramCredential&) const = default;
};

// Derives a credential from a password. An empty `salt` means a fresh
// random one of kScramSaltSize bytes. Precondition: iterations >= 1 (see
// crypto.h pbkdf2_hi); callers enforce kMinScramIterations..kMaxScramIterations.
ScramCredential make_scram_credential(ScramMechanism mechanism, std::string_view password, std::uint32_t iterations,
                                      std::string_view salt = {});

// The stored form of a credential, version 1 (integers big-endian):
//   u8  version            1
//   u8  mechanism          1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512
//   u32 iterations         >= 1
//   u32 length + bytes     salt, not empty
//   u32 length + bytes     StoredKey, digest size of the mechanism
//   u32 length + bytes     ServerKey, likewise
// Nothing may follow. To change the format: write a version 2 decoder next
// to version 1's, keep decoding both, and only start writing version 2 once
// every broker that reads the database has the new decoder.
inline constexpr std::uint8_t kScramCredentialFormatVersion = 1;
std::string encode_credential(const ScramCredential& credential);
// nullopt for an unknown version or mechanism, a truncated or over-long
// input, an empty salt, zero iterations, or keys of the wrong size.
std::optional<ScramCredential> decode_credential(std::string_view encoded);

// The broker's side of one exchange.
//
// An unknown user gets an exchange against a fake credential derived from
// the name and a per-process random secret: the same salt every time, the
// default iteration count, the same work, and the same failure at the
// proof as a wrong password. Real credentials made with kScramSaltSize and
// kDefaultScramIterations are therefore indistinguishable from absent
// ones. A lookup returning a credential for another mechanism, or one whose
// fields decode_credential() would reject, is treated as no credential.
class ScramServer {
 public:
  // Called once per exchange, during the first step(), with the decoded
  // user name.
  using CredentialLookup = std::function<std::optional<ScramCredential>(std::string_view user)>;

  struct Step {
    enum Outcome { continue_, succeeded, failed };
    Outcome outcome = failed;
    // continue_: server-first-message; succeeded: server-final-message
    // ("v=..."); failed: empty (the front end reports `error` its own way,
    // e.g. Kafka's SaslAuthenticate error message).
    std::string reply;
    // failed only: why, fit to send to the client. Wrong password and
    // unknown user give the same text.
    std::string error;
  };

  // `server_nonce` fixes the server's part of the nonce (tests only; it must
  // be printable ASCII without ','); empty means 24 random bytes in base64.
  ScramServer(ScramMechanism mechanism, CredentialLookup lookup, std::string server_nonce = {});

  // First call: client-first-message in, server-first-message out
  // (continue_). Second call: client-final-message in, server-final-message
  // out (succeeded). Any malformed message, failed check, or call after the
  // exchange ended gives failed, and every later call fails too.
  Step step(std::string_view client_message);

  // The authenticated user name; empty until step() returned succeeded.
  const std::string& user() const { return user_; }
  // The name the client-first-message gave (whether or not it exists);
  // empty before it. For counting failed logins per user.
  const std::string& claimed_user() const { return candidate_user_; }

 private:
  enum class State { expect_client_first, expect_client_final, finished };

  Step on_client_first(std::string_view message);
  Step on_client_final(std::string_view message);
  Step fail(std::string error);

  ScramMechanism mechanism_;
  CredentialLookup lookup_;
  std::string server_nonce_;
  State state_ = State::expect_client_first;
  std::string gs2_header_;           // as received, for the c= check
  std::string nonce_;                // client nonce + server nonce
  std::string auth_message_prefix_;  // client-first-bare "," server-first
  std::string candidate_user_;       // named in client-first
  ScramCredential credential_;       // real or fake
  bool credential_is_real_ = false;
  std::string user_;
};

// The client's side of one exchange (used by the C++ client library).
class ScramClient {
 public:
  // `nonce` fixes the client nonce (tests only; printable ASCII without
  // ','); empty means 24 random bytes in base64.
  ScramClient(ScramMechanism mechanism, std::string user, std::string password, std::string nonce = {});

  // client-first-message, "n,,n=<escaped user>,r=<nonce>".
  std::string first_message();

  // client-final-message for the server's reply, or nullopt with `*error`
  // set (if error is not null) when: first_message() was not called yet; the
  // reply is malformed or demands an extension ("m="); the server nonce
  // does not extend the client nonce; or the iteration count is outside
  // [kMinScramIterations, kMaxScramIterations]. Any of these means the
  // server is broken or not trusted: give up on this connection.
  std::optional<std::string> final_message(std::string_view server_first, std::string* error);

  // True when the server proved it knows the credential. False with
  // `*error` set when the message is malformed, is "e=<reason>" (the
  // server's error), or carries a wrong signature (the server is an
  // impostor: do not use the connection).
  bool verify_server_final(std::string_view server_final, std::string* error);

 private:
  enum class State { initial, sent_first, sent_final, finished };

  ScramMechanism mechanism_;
  std::string user_;
  std::string password_;
  std::string nonce_;
  State state_ = State::initial;
  std::string first_message_bare_;
  std::string server_signature_;
};

}  // namespace wharf::sasl

#include "protocol/sasl/scram.h"

#include <algorithm>
#include <charconv>
#include <utility>
#include <vector>

#include "base/field_codec.h"

namespace wharf::sasl {
namespace {

constexpr std::size_t kRandomNonceBytes = 24;
constexpr std::string_view kBadCredentials = "SCRAM authentication failed: invalid user name or password";

// --- Message syntax (RFC 5802 section 7) -----------------------------------

struct Attribute {
  std::string_view name;
  std::string_view value;
};

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// "n=user,r=abc" -> {n, user}, {r, abc}. Names are letters (Kafka allows
// whole words for extensions, e.g. "tokenauth"); values are non-empty and
// may hold '=' (base64 padding) but not ',' or NUL. nullopt otherwise.
std::optional<std::vector<Attribute>> split_attributes(std::string_view text) {
  std::vector<Attribute> attributes;
  while (true) {
    const std::size_t end = std::min(text.find(','), text.size());
    const std::string_view part = text.substr(0, end);
    const std::size_t equals = part.find('=');
    if (equals == 0 || equals == std::string_view::npos || equals + 1 == part.size()) return std::nullopt;
    for (std::size_t i = 0; i < equals; ++i) {
      if (!is_alpha(part[i])) return std::nullopt;
    }
    if (part.find('\0') != std::string_view::npos) return std::nullopt;
    attributes.push_back({part.substr(0, equals), part.substr(equals + 1)});
    if (end == text.size()) return attributes;
    text.remove_prefix(end + 1);
  }
}

// The one-letter names RFC 5802 gives meaning to. One of these where an
// extension may stand means the message repeats or reorders attributes.
bool is_scram_attribute(std::string_view name) {
  return name.size() == 1 && std::string_view("acimnprsv").find(name[0]) != std::string_view::npos;
}

// saslname: ',' is sent as "=2C" and '=' as "=3D"; any other '=' is invalid.
std::optional<std::string> decode_saslname(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::string name;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      name += text[i];
      continue;
    }
    const std::string_view escape = text.substr(i + 1, 2);
    if (escape == "2C") {
      name += ',';
    } else if (escape == "3D") {
      name += '=';
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return name;
}

std::string encode_saslname(std::string_view name) {
  std::string text;
  for (const char c : name) {
    if (c == ',') {
      text += "=2C";
    } else if (c == '=') {
      text += "=3D";
    } else {
      text += c;
    }
  }
  return text;
}

// RFC 5802 "printable": %x21-2B / %x2D-7E, that is visible ASCII but ','.
bool is_printable_nonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (const char c : nonce) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

std::optional<std::uint32_t> parse_iterations(std::string_view text) {
  std::uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() || text[0] == '0') return std::nullopt;
  return value;
}

std::string random_nonce() { return base64_encode(random_bytes(kRandomNonceBytes)); }

// --- Keys (RFC 5802 section 3) ---------------------------------------------

struct DerivedKeys {
  std::string client_key;
  std::string stored_key;
  std::string server_key;
};

DerivedKeys derive_keys(HashFunction h, std::string_view password, std::string_view salt, std::uint32_t iterations) {
  const std::string salted_password = pbkdf2_hi(h, password, salt, iterations);
  DerivedKeys keys;
  keys.client_key = hmac(h, salted_password, "Client Key");
  keys.stored_key = digest(h, keys.client_key);
  keys.server_key = hmac(h, salted_password, "Server Key");
  return keys;
}

bool is_usable(const ScramCredential& credential, ScramMechanism mechanism) {
  const std::size_t size = digest_size(scram_hash_function(mechanism));
  return credential.mechanism == mechanism && !credential.salt.empty() && credential.iterations >= 1 &&
         credential.stored_key.size() == size && credential.server_key.size() == size;
}

// Made once per process, never changed: fake credentials stay the same for
// the life of the broker, so asking twice about a name reveals nothing.
const std::string& fake_credential_secret() {
  static const std::string secret = random_bytes(32);
  return secret;
}

ScramCredential fake_credential(ScramMechanism mechanism, std::string_view user) {
  const HashFunction h = scram_hash_function(mechanism);
  const std::string& secret = fake_credential_secret();
  // The labels have fixed prefixes without ':' in the mechanism name, so the
  // user name is recovered unambiguously from each input.
  const std::string name = std::string(scram_mechanism_name(mechanism)) + ":" + std::string(user);
  ScramCredential credential;
  credential.mechanism = mechanism;
  credential.salt = hmac(HashFunction::sha512, secret, "salt:" + name).substr(0, kScramSaltSize);
  credential.iterations = kDefaultScramIterations;
  credential.stored_key = hmac(h, secret, "stored-key:" + name);
  credential.server_key = hmac(h, secret, "server-key:" + name);
  return credential;
}

// --- Stored credential encoding ----------------------------------------------

bool set_error(std::string* error, std::string text) {
  if (error != nullptr) *error = std::move(text);
  return false;
}

}  // namespace

std::optional<ScramMechanism> parse_scram_mechanism(std::string_view name) {
  if (name == "SCRAM-SHA-256") return ScramMechanism::sha256;
  if (name == "SCRAM-SHA-512") return ScramMechanism::sha512;
  return std::nullopt;
}

std::string_view scram_mechanism_name(ScramMechanism mechanism) {
  return mechanism == ScramMechanism::sha512 ? "SCRAM-SHA-512" : "SCRAM-SHA-256";
}

HashFunction scram_hash_function(ScramMechanism mechanism) {
  return mechanism == ScramMechanism::sha512 ? HashFunction::sha512 : HashFunction::sha256;
}

ScramCredential make_scram_credential(ScramMechanism mechanism, std::string_view password, std::uint32_t iterations,
                                      std::string_view salt) {
  ScramCredential credential;
  credential.mechanism = mechanism;
  credential.salt = salt.empty() ? random_bytes(kScramSaltSize) : std::string(salt);
  credential.iterations = iterations;
  DerivedKeys keys = derive_keys(scram_hash_function(mechanism), password, credential.salt, iterations);
  credential.stored_key = std::move(keys.stored_key);
  credential.server_key = std::move(keys.server_key);
  return credential;
}

std::string encode_credential(const ScramCredential& credential) {
  std::string out;
  out += static_cast<char>(kScramCredentialFormatVersion);
  out += static_cast<char>(credential.mechanism == ScramMechanism::sha512 ? 2 : 1);
  put_u32(out, credential.iterations);
  put_field(out, credential.salt);
  put_field(out, credential.stored_key);
  put_field(out, credential.server_key);
  return out;
}

std::optional<ScramCredential> decode_credential(std::string_view encoded) {
  FieldReader reader(encoded);
  const auto version = reader.u8();
  const auto mechanism = reader.u8();
  if (version != kScramCredentialFormatVersion || !mechanism || (*mechanism != 1 && *mechanism != 2)) {
    return std::nullopt;
  }
  ScramCredential credential;
  credential.mechanism = *mechanism == 2 ? ScramMechanism::sha512 : ScramMechanism::sha256;
  const auto iterations = reader.u32();
  auto salt = reader.field();
  auto stored_key = reader.field();
  auto server_key = reader.field();
  if (!iterations || !salt || !stored_key || !server_key || !reader.at_end()) return std::nullopt;
  credential.iterations = *iterations;
  credential.salt = std::move(*salt);
  credential.stored_key = std::move(*stored_key);
  credential.server_key = std::move(*server_key);
  if (!is_usable(credential, credential.mechanism)) return std::nullopt;
  return credential;
}

// --- ScramServer ---------------------------------------------------------------

ScramServer::ScramServer(ScramMechanism mechanism, CredentialLookup lookup, std::string server_nonce)
    : mechanism_(mechanism),
      lookup_(std::move(lookup)),
      server_nonce_(server_nonce.empty() ? random_nonce() : std::move(server_nonce)) {}

ScramServer::Step ScramServer::step(std::string_view client_message) {
  switch (state_) {
    case State::expect_client_first:
      return on_client_first(client_message);
    case State::expect_client_final:
      return on_client_final(client_message);
    case State::finished:
      break;
  }
  return fail("SCRAM exchange already finished: start a new one");
}

ScramServer::Step ScramServer::fail(std::string error) {
  state_ = State::finished;
  return Step{Step::failed, {}, std::move(error)};
}

ScramServer::Step ScramServer::on_client_first(std::string_view message) {
  // gs2-header = ("n" / "y" / "p=" cb-name) "," [ "a=" saslname ] ","
  if (message.starts_with("p=")) {
    return fail("SCRAM channel binding (\"p=\") is not supported: send the gs2 header \"n,,\"");
  }
  if (message.starts_with("y,")) {
    return fail("SCRAM channel binding flag \"y\" is not accepted: send the gs2 header \"n,,\"");
  }
  const std::size_t header_end = message.starts_with("n,") ? message.find(',', 2) : std::string_view::npos;
  if (header_end == std::string_view::npos) {
    return fail("malformed SCRAM client-first-message: it must start with the gs2 header \"n,,\"");
  }
  const std::string_view authzid_field = message.substr(2, header_end - 2);
  std::optional<std::string> authzid;
  if (!authzid_field.empty()) {
    if (!authzid_field.starts_with("a=")) {
      return fail("malformed SCRAM client-first-message: the gs2 header holds something other than \"a=<authzid>\"");
    }
    authzid = decode_saslname(authzid_field.substr(2));
    if (!authzid) return fail("malformed SCRAM client-first-message: invalid authzid encoding");
  }
  gs2_header_ = message.substr(0, header_end + 1);

  const std::string_view bare = message.substr(header_end + 1);
  const auto attributes = split_attributes(bare);
  if (!attributes)
    return fail("malformed SCRAM client-first-message: expected name=value attributes after the gs2 header");
  if ((*attributes)[0].name == "m") return fail("SCRAM mandatory extension (\"m=\") is not supported");
  if (attributes->size() < 2 || (*attributes)[0].name != "n" || (*attributes)[1].name != "r") {
    return fail("malformed SCRAM client-first-message: expected \"n=<user>,r=<nonce>\" after the gs2 header");
  }
  auto user = decode_saslname((*attributes)[0].value);
  if (!user) return fail("malformed SCRAM user name: '=' may only start \"=2C\" or \"=3D\"");
  const std::string_view client_nonce = (*attributes)[1].value;
  if (!is_printable_nonce(client_nonce))
    return fail("malformed SCRAM client nonce: it must be printable ASCII without ','");
  for (std::size_t i = 2; i < attributes->size(); ++i) {
    const std::string_view name = (*attributes)[i].name;
    // Kafka clients send this to log in with a delegation token.
    if (name == "tokenauth") return fail("SCRAM delegation-token authentication (tokenauth) is not supported");
    if (is_scram_attribute(name)) {
      return fail("malformed SCRAM client-first-message: attribute \"" + std::string(name) +
                  "=\" repeated or out of order");
    }
    // Any other extension is optional by definition: ignored.
  }
  if (authzid && *authzid != *user) {
    return fail("SCRAM authorization identity (\"a=\") must be empty or equal the user name");
  }

  // The fake is made either way, so known and unknown names cost the same.
  ScramCredential fake = fake_credential(mechanism_, *user);
  std::optional<ScramCredential> found = lookup_ ? lookup_(*user) : std::nullopt;
  credential_is_real_ = found && is_usable(*found, mechanism_);
  credential_ = credential_is_real_ ? std::move(*found) : std::move(fake);
  candidate_user_ = std::move(*user);
  nonce_ = std::string(client_nonce) + server_nonce_;

  std::string server_first =
      "r=" + nonce_ + ",s=" + base64_encode(credential_.salt) + ",i=" + std::to_string(credential_.iterations);
  auth_message_prefix_ = std::string(bare) + "," + server_first;
  state_ = State::expect_client_final;
  return Step{Step::continue_, std::move(server_first), {}};
}

ScramServer::Step ScramServer::on_client_final(std::string_view message) {
  // client-final = "c=" base64 "," "r=" nonce ["," extensions] "," "p=" base64
  const auto attributes = split_attributes(message);
  if (!attributes || attributes->size() < 3 || (*attributes)[0].name != "c" || (*attributes)[1].name != "r" ||
      attributes->back().name != "p") {
    return fail("malformed SCRAM client-final-message: expected \"c=<binding>,r=<nonce>,p=<proof>\"");
  }
  const auto binding = base64_decode((*attributes)[0].value);
  if (!binding) return fail("malformed SCRAM client-final-message: the channel binding is not base64");
  if (*binding != gs2_header_) {
    return fail("SCRAM channel binding mismatch: expected \"c=" + base64_encode(gs2_header_) + "\"");
  }
  // RFC 5802 repeats the combined nonce. librdkafka sends its client nonce
  // in front of it again, which Kafka accepts (it checks the ending): the
  // fresh server nonce must be there either way, so a replay still fails.
  if (!(*attributes)[1].value.ends_with(nonce_)) return fail("SCRAM client-final-message: nonce mismatch");
  for (std::size_t i = 2; i + 1 < attributes->size(); ++i) {
    if (is_scram_attribute((*attributes)[i].name)) {
      return fail("malformed SCRAM client-final-message: attribute \"" + std::string((*attributes)[i].name) +
                  "=\" repeated or out of order");
    }
  }
  const HashFunction h = scram_hash_function(mechanism_);
  const auto proof = base64_decode(attributes->back().value);
  if (!proof || proof->size() != digest_size(h)) {
    return fail("malformed SCRAM client-final-message: the proof is not base64 of the right size");
  }

  // Everything before ",p=" (the proof is the last attribute).
  const auto proof_start = static_cast<std::size_t>(attributes->back().name.data() - message.data());
  const std::string_view without_proof = message.substr(0, proof_start - 1);
  const std::string auth_message = auth_message_prefix_ + "," + std::string(without_proof);

  const std::string client_signature = hmac(h, credential_.stored_key, auth_message);
  const std::string client_key = xor_bytes(*proof, client_signature);
  const bool proof_matches = constant_time_equal(digest(h, client_key), credential_.stored_key);
  if (!proof_matches || !credential_is_real_) return fail(std::string(kBadCredentials));

  user_ = std::move(candidate_user_);
  state_ = State::finished;
  return Step{Step::succeeded, "v=" + base64_encode(hmac(h, credential_.server_key, auth_message)), {}};
}

// --- ScramClient ---------------------------------------------------------------

ScramClient::ScramClient(ScramMechanism mechanism, std::string user, std::string password, std::string nonce)
    : mechanism_(mechanism),
      user_(std::move(user)),
      password_(std::move(password)),
      nonce_(nonce.empty() ? random_nonce() : std::move(nonce)) {}

std::string ScramClient::first_message() {
  if (state_ == State::initial) {
    first_message_bare_ = "n=" + encode_saslname(user_) + ",r=" + nonce_;
    state_ = State::sent_first;
  }
  return "n,," + first_message_bare_;
}

std::optional<std::string> ScramClient::final_message(std::string_view server_first, std::string* error) {
  if (state_ != State::sent_first) {
    set_error(error, state_ == State::initial ? "SCRAM client: first_message() must come before final_message()"
                                              : "SCRAM client: final_message() was already called");
    return std::nullopt;
  }
  state_ = State::finished;  // until it succeeds below: a failed exchange is not resumed
  const auto attributes = split_attributes(server_first);
  if (attributes && (*attributes)[0].name == "e") {
    set_error(error, "SCRAM server error: " + std::string((*attributes)[0].value));
    return std::nullopt;
  }
  if (attributes && (*attributes)[0].name == "m") {
    set_error(error, "SCRAM server demands an unsupported mandatory extension (\"m=\")");
    return std::nullopt;
  }
  if (!attributes || attributes->size() < 3 || (*attributes)[0].name != "r" || (*attributes)[1].name != "s" ||
      (*attributes)[2].name != "i") {
    set_error(error, "malformed SCRAM server-first-message: expected \"r=<nonce>,s=<salt>,i=<iterations>\"");
    return std::nullopt;
  }
  for (std::size_t i = 3; i < attributes->size(); ++i) {
    if (is_scram_attribute((*attributes)[i].name)) {
      set_error(error, "malformed SCRAM server-first-message: attribute \"" + std::string((*attributes)[i].name) +
                           "=\" repeated or out of order");
      return std::nullopt;
    }
  }
  const std::string_view nonce = (*attributes)[0].value;
  if (!nonce.starts_with(nonce_) || nonce.size() == nonce_.size() || !is_printable_nonce(nonce)) {
    set_error(error, "SCRAM server nonce does not extend the client nonce");
    return std::nullopt;
  }
  const auto salt = base64_decode((*attributes)[1].value);
  if (!salt || salt->empty()) {
    set_error(error, "malformed SCRAM server-first-message: the salt is not base64");
    return std::nullopt;
  }
  const auto iterations = parse_iterations((*attributes)[2].value);
  if (!iterations) {
    set_error(error, "malformed SCRAM server-first-message: the iteration count is not a number");
    return std::nullopt;
  }
  if (*iterations < kMinScramIterations || *iterations > kMaxScramIterations) {
    set_error(error, "SCRAM server asks for " + std::to_string(*iterations) + " iterations; allowed are " +
                         std::to_string(kMinScramIterations) + " to " + std::to_string(kMaxScramIterations));
    return std::nullopt;
  }

  const HashFunction h = scram_hash_function(mechanism_);
  const DerivedKeys keys = derive_keys(h, password_, *salt, *iterations);
  const std::string without_proof = "c=biws,r=" + std::string(nonce);  // biws = base64("n,,")
  const std::string auth_message = first_message_bare_ + "," + std::string(server_first) + "," + without_proof;
  const std::string proof = xor_bytes(keys.client_key, hmac(h, keys.stored_key, auth_message));
  server_signature_ = hmac(h, keys.server_key, auth_message);
  state_ = State::sent_final;
  return without_proof + ",p=" + base64_encode(proof);
}

bool ScramClient::verify_server_final(std::string_view server_final, std::string* error) {
  if (state_ != State::sent_final) {
    return set_error(error, "SCRAM client: verify_server_final() needs a successful final_message() first");
  }
  state_ = State::finished;
  const auto attributes = split_attributes(server_final);
  if (attributes && (*attributes)[0].name == "e") {
    return set_error(error, "SCRAM server error: " + std::string((*attributes)[0].value));
  }
  if (!attributes || (*attributes)[0].name != "v") {
    return set_error(error, "malformed SCRAM server-final-message: expected \"v=<signature>\" or \"e=<error>\"");
  }
  const auto signature = base64_decode((*attributes)[0].value);
  if (!signature) return set_error(error, "malformed SCRAM server-final-message: the signature is not base64");
  if (!constant_time_equal(*signature, server_signature_)) {
    return set_error(error, "SCRAM server signature mismatch: the server does not know this user's credential");
  }
  return true;
}

}  // namespace wharf::sasl

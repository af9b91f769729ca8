#include "broker/config/wharfd_config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <optional>

#include "broker/config/config_values.h"
#include "protocol/names.h"

namespace wharf::config {
namespace {

enum class Kind {
  text,
  optional_text,
  choice,
  boolean,
  count,
  bytes,
  duration,
  address,
  address_or_off,
  optional_address,
};

// A value checked against its key's kind and range.
struct Value {
  std::string text;
  bool flag = false;
  std::uint64_t number = 0;
  std::chrono::milliseconds duration{0};
  HostPort address;
  bool off = false;
};

struct Key {
  std::string_view name;
  Kind kind;
  std::string_view default_text;
  std::string_view help;
  std::vector<std::string_view> choices = {};  // Kind::choice
  std::uint64_t min = 0;                       // count, bytes, duration (ms)
  std::uint64_t max = UINT64_MAX;
  std::function<void(WharfdConfig&, const Value&)> apply = {};
};

using ms = std::chrono::milliseconds;

const std::vector<Key>& keys() {
  static const std::vector<Key> table = {
      {"listen", Kind::address, "127.0.0.1:7420", "native protocol listener, HOST:PORT", {}, 0, 0,
       [](WharfdConfig& c, const Value& v) {
         c.broker.host = v.address.host;
         c.broker.port = v.address.port;
       }},
      {"data-dir", Kind::text, "wharf-data", "data directory (created if missing)", {}, 0, 0,
       [](WharfdConfig& c, const Value& v) { c.broker.data_dir = v.text; }},
      {"durability", Kind::choice, "sync",
       "sync: confirm after a synced commit; relaxed: one flush per commit, a power loss may undo the last commits",
       {"sync", "relaxed"}, 0, 0,
       [](WharfdConfig& c, const Value& v) {
         c.broker.durability = v.text == "sync" ? Durability::sync : Durability::relaxed;
       }},
      {"map-size", Kind::bytes, "8GiB", "largest size the data file may reach", {}, 1u << 20, 1ull << 46,
       [](WharfdConfig& c, const Value& v) { c.broker.map_size = v.number; }},
      {"io-threads", Kind::count, "0", "network threads; 0 = one per core", {}, 0, 256,
       [](WharfdConfig& c, const Value& v) { c.broker.io_threads = static_cast<unsigned>(v.number); }},
      {"retention-check-interval", Kind::duration, "5s", "how often retention runs", {}, 10, 3'600'000,
       [](WharfdConfig& c, const Value& v) { c.broker.retention_interval = v.duration; }},
      {"producer-state-ttl", Kind::duration, "24h", "an idempotent producer idle this long is forgotten", {},
       1000, 30ull * 24 * 3'600'000,
       [](WharfdConfig& c, const Value& v) { c.broker.producer_state_ttl = v.duration; }},
      {"kafka-listen", Kind::address_or_off, "127.0.0.1:9092", "Kafka protocol listener, HOST:PORT, or off", {}, 0,
       0,
       [](WharfdConfig& c, const Value& v) {
         c.broker.kafka.listen = !v.off;
         c.broker.kafka.host = v.address.host;
         c.broker.kafka.port = v.address.port;
       }},
      {"kafka-advertise", Kind::optional_address, "",
       "HOST:PORT Kafka clients are told to connect to (empty: the listener's)", {}, 0, 0,
       [](WharfdConfig& c, const Value& v) {
         c.broker.kafka.advertised_host = v.address.host;
         c.broker.kafka.advertised_port = v.address.port;
       }},
      {"http-listen", Kind::address_or_off, "127.0.0.1:7421",
       "HTTP listener for the web console, its /api/v1 and /livez, /readyz, /metrics, HOST:PORT, or off", {}, 0, 0,
       [](WharfdConfig& c, const Value& v) {
         c.broker.http.listen = !v.off;
         c.broker.http.host = v.address.host;
         c.broker.http.port = v.address.port;
       }},
      {"http-token-file", Kind::optional_text, "", "file whose first line is a bearer token for /metrics (auth on)",
       {}, 0, 0, [](WharfdConfig& c, const Value& v) { c.http_token_file = v.text; }},
      {"kafka-auto-create-topics", Kind::boolean, "true", "create unknown topics that Kafka clients name", {}, 0, 0,
       [](WharfdConfig& c, const Value& v) { c.broker.kafka.auto_create_topics = v.flag; }},
      {"kafka-default-partitions", Kind::count, "1", "partitions of topics Kafka clients create", {}, 1,
       protocol::kMaxPartitions,
       [](WharfdConfig& c, const Value& v) {
         c.broker.kafka.default_partitions = static_cast<std::uint32_t>(v.number);
       }},
      {"group-initial-rebalance-delay", Kind::duration, "3s",
       "a new group waits this long for more members before its first assignment", {}, 0, 300'000,
       [](WharfdConfig& c, const Value& v) { c.broker.groups.initial_rebalance_delay = v.duration; }},
      {"group-min-session-timeout", Kind::duration, "6s", "shortest session timeout a group member may ask for", {},
       1, 3'600'000, [](WharfdConfig& c, const Value& v) { c.broker.groups.min_session_timeout = v.duration; }},
      {"group-max-session-timeout", Kind::duration, "30m", "longest session timeout a group member may ask for", {},
       1, 24 * 3'600'000,
       [](WharfdConfig& c, const Value& v) { c.broker.groups.max_session_timeout = v.duration; }},
      {"max-connections", Kind::count, "10000", "connections served at once per listener", {}, 1,
       1'000'000, [](WharfdConfig& c, const Value& v) { c.broker.max_connections = v.number; }},
      {"max-connections-per-peer", Kind::count, "0", "connections from one IP address per listener; 0: no limit",
       {}, 0, 1'000'000, [](WharfdConfig& c, const Value& v) { c.broker.max_connections_per_peer = v.number; }},
      {"produce-quota", Kind::bytes, "0",
       "bytes per second one user may produce (over it, clients are throttled); 0: unlimited", {}, 0, 1ull << 40,
       [](WharfdConfig& c, const Value& v) { c.broker.produce_quota_bytes_per_second = v.number; }},
      {"fetch-quota", Kind::bytes, "0", "bytes per second one user may fetch; 0: unlimited", {}, 0, 1ull << 40,
       [](WharfdConfig& c, const Value& v) { c.broker.fetch_quota_bytes_per_second = v.number; }},
      {"max-in-flight-requests", Kind::count, "4096", "requests one connection may have waiting on storage", {}, 1,
       1'000'000, [](WharfdConfig& c, const Value& v) { c.broker.max_in_flight_per_connection = v.number; }},
      {"max-frame-bytes", Kind::bytes, "8MiB", "largest request or frame accepted", {}, 1u << 10, 1u << 30,
       [](WharfdConfig& c, const Value& v) { c.broker.max_frame_bytes = static_cast<std::uint32_t>(v.number); }},
      {"compact-on-start", Kind::boolean, "false",
       "rewrite the data file compacted before serving, returning the space of deleted data", {}, 0, 0,
       [](WharfdConfig& c, const Value& v) { c.broker.compact_on_start = v.flag; }},
      {"max-batch-bytes", Kind::bytes, "8MiB", "largest record batch, as sent and once decompressed", {}, 1u << 16,
       1u << 28, [](WharfdConfig& c, const Value& v) { c.broker.max_batch_bytes = static_cast<std::uint32_t>(v.number); }},
      {"max-pending-output-bytes", Kind::bytes, "64MiB",
       "unsent replies of one connection before it is no longer read from", {}, 1u << 16, 1ull << 34,
       [](WharfdConfig& c, const Value& v) { c.broker.max_pending_output_bytes = v.number; }},
      {"handshake-timeout", Kind::duration, "10s", "a connection that has not said hello by then is closed", {},
       100, 3'600'000, [](WharfdConfig& c, const Value& v) { c.broker.handshake_timeout = v.duration; }},
      {"frame-timeout", Kind::duration, "30s", "a request started but not finished by then closes its connection",
       {}, 100, 3'600'000, [](WharfdConfig& c, const Value& v) { c.broker.frame_timeout = v.duration; }},
      {"write-timeout", Kind::duration, "30s", "a client that reads nothing for this long is cut off", {}, 100,
       3'600'000, [](WharfdConfig& c, const Value& v) { c.broker.write_timeout = v.duration; }},
      {"max-fetch-wait", Kind::duration, "60s", "the longest a fetch waits for records", {}, 0, 3'600'000,
       [](WharfdConfig& c, const Value& v) { c.broker.max_fetch_wait = v.duration; }},
      {"tls-cert", Kind::optional_text, "", "PEM certificate chain: every listener speaks TLS 1.2+", {}, 0, 0,
       [](WharfdConfig& c, const Value& v) { c.broker.tls.cert_file = v.text; }},
      {"tls-key", Kind::optional_text, "", "PEM private key of tls-cert", {}, 0, 0,
       [](WharfdConfig& c, const Value& v) { c.broker.tls.key_file = v.text; }},
      {"tls-client-ca", Kind::optional_text, "", "PEM CA: clients must present a certificate it signed (mTLS)", {},
       0, 0, [](WharfdConfig& c, const Value& v) { c.broker.tls.client_ca_file = v.text; }},
      {"tls-ciphers", Kind::optional_text, "", "TLS 1.2 cipher suites (OpenSSL syntax); empty: ECDHE with AEAD only",
       {}, 0, 0, [](WharfdConfig& c, const Value& v) { c.broker.tls.ciphers = v.text; }},
      {"auth", Kind::choice, "off",
       "required: clients authenticate (SCRAM; Kafka: SASL) and need ACLs; off: anyone may do anything",
       {"required", "off"}, 0, 0,
       [](WharfdConfig& c, const Value& v) { c.broker.auth.required = v.text == "required"; }},
      {"allow-anonymous", Kind::boolean, "false", "allow auth off on a listener that is not loopback-only", {}, 0, 0,
       [](WharfdConfig& c, const Value& v) { c.broker.auth.allow_anonymous = v.flag; }},
      {"login-failures-per-user", Kind::count, "10",
       "failed logins of one user name (from anywhere) within login-failure-window before it is locked out", {}, 1,
       1'000'000, [](WharfdConfig& c, const Value& v) {
         c.broker.auth.login_failures_per_user = static_cast<std::uint32_t>(v.number);
       }},
      {"login-failures-per-address", Kind::count, "30",
       "failed logins from one IP address within login-failure-window before it is locked out", {}, 1, 1'000'000,
       [](WharfdConfig& c, const Value& v) {
         c.broker.auth.login_failures_per_address = static_cast<std::uint32_t>(v.number);
       }},
      {"login-failure-window", Kind::duration, "60s", "how long a failed login counts against its user and address",
       {}, 1000, 86'400'000, [](WharfdConfig& c, const Value& v) { c.broker.auth.login_failure_window = v.duration; }},
      {"admin-user", Kind::text, "admin", "the first admin, created at first start", {}, 0, 0,
       [](WharfdConfig& c, const Value& v) { c.broker.auth.admin_user = v.text; }},
      {"admin-password-file", Kind::optional_text, "",
       "file whose first line is the first admin's password (or WHARF_ADMIN_PASSWORD)", {}, 0, 0,
       [](WharfdConfig& c, const Value& v) { c.admin_password_file = v.text; }},
      {"log-level", Kind::choice, "info", "least severe log level written",
       {"trace", "debug", "info", "warn", "error", "off"}, 0, 0,
       [](WharfdConfig& c, const Value& v) { c.log_level = v.text; }},
      {"log-format", Kind::choice, "text", "log lines as text or as one JSON object each", {"text", "json"}, 0, 0,
       [](WharfdConfig& c, const Value& v) { c.log_format = v.text; }},
  };
  return table;
}

const Key* find_key(std::string_view name) {
  for (const Key& k : keys())
    if (k.name == name) return &k;
  return nullptr;
}

std::string env_name(std::string_view key) {
  std::string out = "WHARF_";
  for (char c : key) out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Environment variables of the CLI and its --exec workers, not settings.
bool is_other_wharf_variable(std::string_view name) {
  static constexpr std::string_view kOthers[] = {
      "WHARF_CONFIG",   "WHARF_BROKER",   "WHARF_USER", "WHARF_PASSWORD", "WHARF_ADMIN_PASSWORD",
      "WHARF_QUEUE",    "WHARF_ATTEMPT",  "WHARF_MESSAGE_ID", "WHARF_TLS_CA", "WHARF_REQUIRE_MOUNT"};
  return std::find(std::begin(kOthers), std::end(kOthers), name) != std::end(kOthers);
}

std::string kind_description(const Key& k) {
  switch (k.kind) {
    case Kind::text: return "a string";
    case Kind::optional_text: return "a string (empty: none)";
    case Kind::choice: {
      std::string s = "one of";
      for (std::size_t i = 0; i < k.choices.size(); ++i) s += (i ? ", " : " ") + std::string(k.choices[i]);
      return s;
    }
    case Kind::boolean: return "true or false";
    case Kind::count: return "a whole number";
    case Kind::bytes: return "a size (bytes, or a string such as \"64MiB\")";
    case Kind::duration: return "a duration (milliseconds, or a string such as \"30s\")";
    case Kind::address: return "HOST:PORT";
    case Kind::address_or_off: return "HOST:PORT or off";
    case Kind::optional_address: return "HOST:PORT or empty";
  }
  return "a value";
}

// Checks `text` against the key; the error says what is wrong with it.
std::variant<Value, std::string> check(const Key& k, const std::string& text) {
  Value v;
  v.text = text;
  auto in_range = [&](std::uint64_t n, const char* unit) -> std::optional<std::string> {
    if (n < k.min || n > k.max) return fmt::format("{} is out of range ({}-{}{})", text, k.min, k.max, unit);
    return std::nullopt;
  };
  switch (k.kind) {
    case Kind::text:
      if (text.empty()) return std::string("must not be empty");
      return v;
    case Kind::optional_text:
      return v;
    case Kind::choice:
      if (std::find(k.choices.begin(), k.choices.end(), text) == k.choices.end())
        return fmt::format("'{}' is not {}", text, kind_description(k));
      return v;
    case Kind::boolean: {
      auto b = parse_bool(text);
      if (auto* e = std::get_if<std::string>(&b)) return fmt::format("'{}' {}", text, *e);
      v.flag = std::get<bool>(b);
      return v;
    }
    case Kind::count:
    case Kind::bytes: {
      auto n = k.kind == Kind::count ? parse_uint(text) : parse_bytes(text);
      if (auto* e = std::get_if<std::string>(&n)) return fmt::format("'{}' {}", text, *e);
      v.number = std::get<std::uint64_t>(n);
      if (auto e = in_range(v.number, k.kind == Kind::bytes ? " bytes" : "")) return *e;
      return v;
    }
    case Kind::duration: {
      auto d = parse_duration(text);
      if (auto* e = std::get_if<std::string>(&d)) return fmt::format("'{}' {}", text, *e);
      v.duration = std::get<ms>(d);
      if (auto e = in_range(static_cast<std::uint64_t>(v.duration.count()), " ms")) return *e;
      return v;
    }
    case Kind::address_or_off:
      if (text == "off") {
        v.off = true;
        return v;
      }
      [[fallthrough]];
    case Kind::optional_address:
      if (text.empty() && k.kind == Kind::optional_address) return v;
      [[fallthrough]];
    case Kind::address: {
      auto a = parse_host_port(text);
      if (auto* e = std::get_if<std::string>(&a))
        return fmt::format("'{}' {}", text, k.kind == Kind::address ? *e : "wants " + kind_description(k));
      v.address = std::get<HostPort>(a);
      return v;
    }
  }
  return std::string("unknown kind");
}

std::string_view toml_type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    default: return "date or time";
  }
}

// A TOML value as text for check(), or why its type is wrong for the key.
std::variant<std::string, std::string> toml_text(const Key& k, const toml::node& node) {
  using R = std::variant<std::string, std::string>;
  const bool numeric = k.kind == Kind::count || k.kind == Kind::bytes || k.kind == Kind::duration;
  if (auto s = node.as_string(); s && k.kind != Kind::count && k.kind != Kind::boolean)
    return R(std::in_place_index<0>, s->get());
  if (auto i = node.as_integer(); i && numeric) {
    if (i->get() < 0) return R(std::in_place_index<1>, fmt::format("{} must not be negative", i->get()));
    return R(std::in_place_index<0>, std::to_string(i->get()));
  }
  if (auto b = node.as_boolean(); b && k.kind == Kind::boolean)
    return R(std::in_place_index<0>, b->get() ? "true" : "false");
  return R(std::in_place_index<1>,
           fmt::format("wants {}, got a TOML {}", kind_description(k), toml_type_name(node.type())));
}

std::string toml_quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

struct Setting {
  std::string text;
  std::string source;
};

using Settings = std::map<std::string_view, Setting>;

std::optional<std::string> set(Settings& settings, const Key& k, std::string text, std::string source) {
  auto v = check(k, text);
  if (auto* e = std::get_if<std::string>(&v)) return fmt::format("{}: {} (from {})", k.name, *e, source);
  settings[k.name] = Setting{std::move(text), std::move(source)};
  return std::nullopt;
}

std::optional<std::string> read_file(const std::string& path, Settings& settings) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return fmt::format("config file {}:{}: {}", path, e.source().begin.line, e.description());
  } catch (const std::exception& e) {
    return fmt::format("config file {}: {}", path, e.what());
  }
  for (auto&& [name, node] : table) {
    const std::string where = fmt::format("config file {}:{}", path, node.source().begin.line);
    const Key* k = find_key(name.str());
    if (!k) return fmt::format("unknown key '{}' (from {})", name.str(), where);
    auto text = toml_text(*k, node);
    if (text.index() == 1) return fmt::format("{}: {} (from {})", k->name, std::get<1>(text), where);
    if (auto e = set(settings, *k, std::get<0>(text), where)) return e;
  }
  return std::nullopt;
}

std::optional<std::string> read_environment(const char* const* envp, Settings& settings,
                                            std::vector<std::string>* warnings) {
  for (const char* const* e = envp; e && *e; ++e) {
    const std::string_view entry(*e);
    if (entry.rfind("WHARF_", 0) != 0) continue;
    const auto eq = entry.find('=');
    const std::string_view name = entry.substr(0, eq);
    const std::string value(eq == std::string_view::npos ? std::string_view() : entry.substr(eq + 1));
    const Key* key = nullptr;
    for (const Key& k : keys())
      if (env_name(k.name) == name) key = &k;
    if (!key) {
      if (!is_other_wharf_variable(name))
        warnings->push_back(fmt::format("environment {} is not a setting; ignored", name));
      continue;
    }
    if (auto err = set(settings, *key, value, "environment " + std::string(name))) return err;
  }
  return std::nullopt;
}

const char* find_env(const char* const* envp, std::string_view name) {
  for (const char* const* e = envp; e && *e; ++e) {
    const std::string_view entry(*e);
    if (entry.size() > name.size() && entry.substr(0, name.size()) == name && entry[name.size()] == '=')
      return *e + name.size() + 1;
  }
  return nullptr;
}

}  // namespace

std::variant<LoadedConfig, std::string> load_config(int argc, const char* const* argv, const char* const* envp) {
  LoadedConfig loaded;
  Settings flags;
  std::string config_path;
  if (const char* p = find_env(envp, "WHARF_CONFIG")) config_path = p;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "-h" || arg == "--help") {
      loaded.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) return fmt::format("unexpected argument '{}' (settings are --key value)", arg);
    const auto eq = arg.find('=');
    const std::string name(arg.substr(2, eq == std::string_view::npos ? std::string_view::npos : eq - 2));
    std::optional<std::string> inline_value;
    if (eq != std::string_view::npos) inline_value = std::string(arg.substr(eq + 1));
    if (name == "version" || name == "print-config") {
      (name == "version" ? loaded.version : loaded.print_config) = true;
      continue;
    }
    const Key* k = find_key(name);
    if (!k && name != "config") return fmt::format("unknown key '{}' (from flag --{}; see wharfd --help)", name, name);
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (k && k->kind == Kind::boolean) {
      // `--flag` alone means true; `--flag false` is taken too.
      value = "true";
      if (i + 1 < argc && std::holds_alternative<bool>(parse_bool(argv[i + 1]))) value = argv[++i];
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return fmt::format("{}: needs a value (from flag --{})", name, name);
    }
    if (name == "config") {
      config_path = value;
      continue;
    }
    if (auto e = set(flags, *k, value, "flag --" + name)) return *e;
  }
  if (loaded.help || loaded.version) return loaded;

  Settings settings;
  for (const Key& k : keys()) settings[k.name] = Setting{std::string(k.default_text), "default"};
  if (!config_path.empty())
    if (auto e = read_file(config_path, settings)) return *e;
  if (auto e = read_environment(envp, settings, &loaded.warnings)) return *e;
  for (auto& [name, s] : flags) settings[name] = s;

  for (const Key& k : keys()) {
    const Setting& s = settings[k.name];
    auto v = check(k, s.text);
    if (auto* e = std::get_if<std::string>(&v)) return fmt::format("{}: {} (from {})", k.name, *e, s.source);
    k.apply(loaded.config, std::get<Value>(v));
    const bool bare = k.kind == Kind::boolean || k.kind == Kind::count ||
                      ((k.kind == Kind::bytes || k.kind == Kind::duration) &&
                       std::holds_alternative<std::uint64_t>(parse_uint(s.text)));
    loaded.effective.push_back({std::string(k.name), bare ? s.text : toml_quoted(s.text), s.source});
  }
  const auto& tls = loaded.config.broker.tls;
  if (tls.cert_file.empty() != tls.key_file.empty())
    return fmt::format("tls-cert and tls-key go together (from {} and {})", settings["tls-cert"].source,
                       settings["tls-key"].source);
  if (!tls.client_ca_file.empty() && tls.cert_file.empty())
    return fmt::format("tls-client-ca needs tls-cert and tls-key (from {})", settings["tls-client-ca"].source);
  const auto& groups = loaded.config.broker.groups;
  if (groups.min_session_timeout > groups.max_session_timeout)
    return fmt::format("group-min-session-timeout: longer than group-max-session-timeout (from {})",
                       settings["group-min-session-timeout"].source);
  return loaded;
}

std::string format_effective(const std::vector<EffectiveValue>& effective) {
  std::string out = "# wharfd's effective configuration; each value's source in its comment\n";
  for (const auto& e : effective) out += fmt::format("{} = {}  # {}\n", e.key, e.toml_value, e.source);
  return out;
}

std::string help_text() {
  std::string out =
      "wharfd - the Wharf message broker\n\n"
      "Usage: wharfd [--config FILE] [--KEY VALUE ...] [--print-config] [--version] [--help]\n\n"
      "Every KEY can also be set in the TOML file (KEY = VALUE) or in the environment\n"
      "(WHARF_KEY, dashes as underscores). Precedence: flag > environment > file > default.\n"
      "--config FILE (or WHARF_CONFIG) names the file; --print-config prints the effective\n"
      "settings with their sources and exits.\n\n";
  for (const Key& k : keys()) {
    out += fmt::format("  --{} ({})\n      {}; default {}; env {}\n", k.name, kind_description(k), k.help,
                       k.default_text.empty() ? "none" : k.default_text, env_name(k.name));
  }
  return out;
}

}  // namespace wharf::config

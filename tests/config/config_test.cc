// wharfd's settings: precedence, sources, and a typed error for every kind
// of mistake (unknown key, wrong type, out of range) naming where it was.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "broker/config/wharfd_config.h"
#include "support/temp_dir.h"

namespace wharf::config {
namespace {

struct Invocation {
  std::vector<std::string> args{"wharfd"};
  std::vector<std::string> env;

  std::variant<LoadedConfig, std::string> load() const {
    std::vector<const char*> argv, envp;
    for (const auto& a : args) argv.push_back(a.c_str());
    for (const auto& e : env) envp.push_back(e.c_str());
    envp.push_back(nullptr);
    return load_config(static_cast<int>(argv.size()), argv.data(), envp.data());
  }
  LoadedConfig ok() const {
    auto r = load();
    if (auto* e = std::get_if<std::string>(&r)) ADD_FAILURE() << *e;
    return std::get<LoadedConfig>(std::move(r));
  }
  std::string error() const {
    auto r = load();
    if (!std::holds_alternative<std::string>(r)) {
      ADD_FAILURE() << "loaded without an error";
      return {};
    }
    return std::get<std::string>(r);
  }
};

const EffectiveValue& effective(const LoadedConfig& c, const std::string& key) {
  for (const auto& e : c.effective)
    if (e.key == key) return e;
  throw std::runtime_error("no key " + key);
}

std::string write_file(const test::TempDir& dir, const std::string& text) {
  const auto path = (dir.path() / "wharf.toml").string();
  std::ofstream(path) << text;
  return path;
}

TEST(WharfdConfig, DefaultsApplyAndSaySo) {
  const auto c = Invocation{}.ok();
  EXPECT_EQ(c.config.broker.host, "127.0.0.1");
  EXPECT_EQ(c.config.broker.port, 7420);
  EXPECT_EQ(c.config.broker.map_size, 8ull << 30);
  EXPECT_TRUE(c.config.broker.kafka.listen);
  for (const auto& e : c.effective) EXPECT_EQ(e.source, "default") << e.key;
}

TEST(WharfdConfig, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  test::TempDir dir;
  const auto path = write_file(dir, "# settings\nlisten = \"10.0.0.1:1\"\nio-threads = 3\n");
  Invocation run;
  run.args = {"wharfd", "--config", path, "--listen", "10.0.0.3:3"};
  run.env = {"WHARF_LISTEN=10.0.0.2:2", "WHARF_DURABILITY=relaxed", "PATH=/bin"};
  auto c = run.ok();
  EXPECT_EQ(c.config.broker.host, "10.0.0.3");
  EXPECT_EQ(effective(c, "listen").source, "flag --listen");
  EXPECT_EQ(effective(c, "durability").source, "environment WHARF_DURABILITY");
  EXPECT_EQ(c.config.broker.durability, Durability::relaxed);
  EXPECT_EQ(effective(c, "io-threads").source, "config file " + path + ":3");
  EXPECT_EQ(c.config.broker.io_threads, 3u);

  run.args = {"wharfd", "--config=" + path};
  c = run.ok();
  EXPECT_EQ(c.config.broker.port, 2);
  EXPECT_EQ(effective(c, "listen").source, "environment WHARF_LISTEN");
  run.env.clear();
  c = run.ok();
  EXPECT_EQ(c.config.broker.port, 1);
  EXPECT_EQ(effective(c, "listen").source, "config file " + path + ":2");
  // WHARF_CONFIG names the file as --config does.
  run.args = {"wharfd"};
  run.env = {"WHARF_CONFIG=" + path};
  EXPECT_EQ(run.ok().config.broker.port, 1);
}

TEST(WharfdConfig, UnitsAndBooleanFlags) {
  Invocation run;
  run.args = {"wharfd", "--map-size", "2GiB", "--max-frame-bytes=65536", "--write-timeout", "2m",
              "--kafka-auto-create-topics", "--kafka-listen", "off", "--handshake-timeout", "1500"};
  auto c = run.ok();
  EXPECT_EQ(c.config.broker.map_size, 2ull << 30);
  EXPECT_EQ(c.config.broker.max_frame_bytes, 65536u);
  EXPECT_EQ(c.config.broker.write_timeout, std::chrono::minutes(2));
  EXPECT_EQ(c.config.broker.handshake_timeout, std::chrono::milliseconds(1500));
  EXPECT_TRUE(c.config.broker.kafka.auto_create_topics);
  EXPECT_FALSE(c.config.broker.kafka.listen);
  run.args = {"wharfd", "--kafka-auto-create-topics", "false"};
  EXPECT_FALSE(run.ok().config.broker.kafka.auto_create_topics);
}

TEST(WharfdConfig, EveryKindOfMistakeNamesTheKeyAndItsSource) {
  test::TempDir dir;
  struct Case {
    std::string file;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::vector<std::string> expect;  // substrings of the error
  };
  const std::vector<Case> cases = {
      {"listn = \"x:1\"\n", {}, {}, {"unknown key 'listn'", ":1"}},
      {"\n\nio-threads = \"4\"\n", {}, {}, {"io-threads", "whole number", "string", ":3"}},
      {"listen = 7420\n", {}, {}, {"listen", "HOST:PORT", "integer"}},
      {"kafka-auto-create-topics = \"maybe\"\n", {}, {}, {"kafka-auto-create-topics", "true or false"}},
      {"[kafka]\nlisten = \"x:1\"\n", {}, {}, {"unknown key 'kafka'"}},
      {"map-size = -1\n", {}, {}, {"map-size", "negative"}},
      {"map-size = \"12XB\"\n", {}, {}, {"map-size", "unknown unit"}},
      {"durability = \"sometimes\"\n", {}, {}, {"durability", "one of sync, relaxed"}},
      {"listen = \n", {}, {}, {"config file", ":1"}},  // not TOML
      {"", {"--io-threads", "999"}, {}, {"io-threads", "out of range", "flag --io-threads"}},
      {"", {"--max-frame-bytes", "1GiB1"}, {}, {"max-frame-bytes", "flag --max-frame-bytes"}},
      {"", {}, {"WHARF_MAX_CONNECTIONS=0"}, {"max-connections", "out of range", "environment WHARF_MAX_CONNECTIONS"}},
      {"", {}, {"WHARF_WRITE_TIMEOUT=soon"}, {"write-timeout", "duration", "environment WHARF_WRITE_TIMEOUT"}},
      {"", {"--colour", "blue"}, {}, {"unknown key 'colour'", "flag --colour"}},
      {"", {"--listen"}, {}, {"listen", "needs a value"}},
      {"", {"stray"}, {}, {"unexpected argument 'stray'"}},
      {"", {"--group-min-session-timeout", "50m"}, {}, {"group-min-session-timeout", "longer than"}},
  };
  for (const auto& tc : cases) {
    Invocation run;
    if (!tc.file.empty()) run.args = {"wharfd", "--config", write_file(dir, tc.file)};
    run.args.insert(run.args.end(), tc.args.begin(), tc.args.end());
    run.env = tc.env;
    const std::string error = run.error();
    for (const auto& want : tc.expect)
      EXPECT_NE(error.find(want), std::string::npos) << "error: " << error << "\nwanted: " << want;
  }
  // A missing file is an error too, not an empty configuration.
  Invocation missing;
  missing.args = {"wharfd", "--config", (dir.path() / "nope.toml").string()};
  EXPECT_NE(missing.error().find("nope.toml"), std::string::npos);
}

TEST(WharfdConfig, PrintedConfigReadsBackAsTheSameSettings) {
  test::TempDir dir;
  Invocation run;
  run.args = {"wharfd", "--listen", "[::1]:7000", "--map-size", "1GiB", "--io-threads", "2", "--log-format", "json",
              "--kafka-advertise", "kafka.example:9093", "--retention-check-interval", "750"};
  const auto first = run.ok();
  const std::string printed = format_effective(first.effective);
  EXPECT_NE(printed.find("io-threads = 2  # flag --io-threads"), std::string::npos) << printed;
  const auto path = write_file(dir, printed);
  Invocation again;
  again.args = {"wharfd", "--config", path};
  const auto second = again.ok();
  ASSERT_EQ(first.effective.size(), second.effective.size());
  for (std::size_t i = 0; i < first.effective.size(); ++i) {
    EXPECT_EQ(first.effective[i].key, second.effective[i].key);
    EXPECT_EQ(first.effective[i].toml_value, second.effective[i].toml_value) << first.effective[i].key;
  }
  EXPECT_EQ(second.config.broker.host, "::1");
  EXPECT_EQ(second.config.broker.kafka.advertised_port, 9093);
  EXPECT_EQ(second.config.log_format, "json");
}

TEST(WharfdConfig, HelpListsEveryKeyWithItsEnvironmentVariable) {
  const std::string help = help_text();
  for (const auto& e : Invocation{}.ok().effective) {
    EXPECT_NE(help.find("--" + e.key + " "), std::string::npos) << e.key;
  }
  EXPECT_NE(help.find("WHARF_MAX_FRAME_BYTES"), std::string::npos);
}

}  // namespace
}  // namespace wharf::config

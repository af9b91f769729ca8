// wharfd: the broker as a program. Settings from flags, the environment
// and a TOML file (broker/config), logs through spdlog, one startup line,
// clean stop on SIGINT/SIGTERM. Exit status 2 means a configuration error.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "broker/config/log_setup.h"
#include "broker/config/wharfd_config.h"
#include "wharf/broker.h"

extern char** environ;

int main(int argc, char** argv) {
  auto loaded = wharf::config::load_config(argc, argv, environ);
  if (auto* error = std::get_if<std::string>(&loaded)) {
    std::fprintf(stderr, "wharfd: %s\n", error->c_str());
    return 2;
  }
  auto& l = std::get<wharf::config::LoadedConfig>(loaded);
  if (l.help) {
    std::fputs(wharf::config::help_text().c_str(), stdout);
    return 0;
  }
  if (l.version) {
    std::printf("wharfd %s\n", std::string(wharf::Broker::version()).c_str());
    return 0;
  }
  if (l.print_config) {
    std::fputs(wharf::config::format_effective(l.effective).c_str(), stdout);
    return 0;
  }
  wharf::config::setup_logging(l.config.log_level, l.config.log_format);
  for (const auto& w : l.warnings) spdlog::warn("{}", w);
  wharf::BrokerOptions& options = l.config.broker;
  if (!l.config.http_token_file.empty()) {
    std::ifstream in(l.config.http_token_file);
    if (!in || !std::getline(in, options.http.token) || options.http.token.empty()) {
      std::fprintf(stderr, "wharfd: http-token-file: cannot read a token from %s\n", l.config.http_token_file.c_str());
      return 2;
    }
  }
  // The first admin's password: from the environment or a file, never a
  // flag (it would show in the process list).
  if (const char* pw = std::getenv("WHARF_ADMIN_PASSWORD"); pw != nullptr && *pw != '\0') {
    options.auth.admin_password = pw;
  } else if (!l.config.admin_password_file.empty()) {
    std::ifstream in(l.config.admin_password_file);
    if (!in || !std::getline(in, options.auth.admin_password) || options.auth.admin_password.empty()) {
      std::fprintf(stderr, "wharfd: admin-password-file: cannot read a password from %s\n",
                   l.config.admin_password_file.c_str());
      return 2;
    }
  }

  // Signals are taken synchronously by this thread, never by a handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto broker = wharf::Broker::start(options);
  if (!broker) {
    spdlog::error("cannot start: {}", broker.error().to_string());
    return broker.error().code() == wharf::errc::invalid_argument ? 2 : 1;
  }
  const std::string kafka = options.kafka.listen
                                ? fmt::format("{}:{}", options.kafka.host, (*broker)->kafka_port())
                                : std::string("off");
  const std::string http = options.http.listen
                               ? fmt::format("{}:{}", options.http.host, (*broker)->http_port())
                               : std::string("off");
  const std::string durability = options.durability == wharf::Durability::sync ? "sync" : "relaxed";
  std::printf("wharfd %s listening on %s, kafka %s, http %s, data dir %s, durability %s\n",
              std::string(wharf::Broker::version()).c_str(), (*broker)->address().c_str(), kafka.c_str(),
              http.c_str(), options.data_dir.c_str(), durability.c_str());
  std::fflush(stdout);
  spdlog::info("started: native {}, kafka {}, http {}, data dir {}, durability {}", (*broker)->address(), kafka,
               http, options.data_dir.string(), durability);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("{} received, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
  (*broker)->stop();
  spdlog::info("stopped");
  return 0;
}

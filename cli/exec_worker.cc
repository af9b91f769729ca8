#include "cli/exec_worker.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

extern char** environ;

namespace wharf::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The inherited environment plus the delivery's variables.
std::vector<std::string> environment(const std::string& queue, const Delivery& d) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::strncmp(*e, "WHARF_QUEUE=", 12) != 0 && std::strncmp(*e, "WHARF_MESSAGE_ID=", 17) != 0 &&
        std::strncmp(*e, "WHARF_ATTEMPT=", 14) != 0)
      env.emplace_back(*e);
  env.push_back("WHARF_QUEUE=" + queue);
  env.push_back("WHARF_MESSAGE_ID=" + std::to_string(d.id()));
  env.push_back("WHARF_ATTEMPT=" + std::to_string(d.attempt()));
  return env;
}

}  // namespace

ExecResult run_for_delivery(const std::string& command, const std::string& queue, const Delivery& d,
                            std::chrono::milliseconds ack_deadline, std::optional<std::chrono::milliseconds> limit) {
  ExecResult r;
  int in[2];
  if (::pipe2(in, O_CLOEXEC) != 0) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  std::vector<std::string> env = environment(queue, d);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string sh = "sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  if (rc != 0) {
    ::close(in[1]);
    r.error = std::string("cannot run /bin/sh: ") + std::strerror(rc);
    return r;
  }
  r.ran = true;
  ::fcntl(in[1], F_SETFL, O_NONBLOCK);
  int writer = in[1];
  std::string_view left = d.payload();
  if (left.empty()) {
    ::close(writer);
    writer = -1;
  }

  const auto started = Clock::now();
  // Renew the lease once less than half of the ack deadline is left.
  const std::int64_t margin = std::max<std::int64_t>(ack_deadline.count() / 2, 50);
  std::int64_t lease_end = d.deadline_ms();
  bool terminated = false;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
      break;
    }
    if (writer >= 0) {
      pollfd p{writer, POLLOUT, 0};
      ::poll(&p, 1, 20);
      const ssize_t n = ::write(writer, left.data(), left.size());
      if (n > 0) left.remove_prefix(static_cast<std::size_t>(n));
      // Written, or the command closed its input without reading it all.
      if (left.empty() || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        ::close(writer);
        writer = -1;
      }
    } else {
      ::poll(nullptr, 0, 20);
    }
    if (now_ms() >= lease_end - margin) {
      d.extend(std::chrono::milliseconds(-1));
      lease_end = now_ms() + ack_deadline.count();
    }
    if (limit && Clock::now() - started >= *limit) {
      // SIGTERM first; SIGKILL if it is still there two seconds later.
      const bool late = Clock::now() - started >= *limit + std::chrono::seconds(2);
      if (!terminated || late) ::kill(pid, late ? SIGKILL : SIGTERM);
      terminated = true;
      r.timed_out = true;
    }
  }
  if (writer >= 0) ::close(writer);
  return r;
}

}  // namespace wharf::cli

// `wharf queue consume --exec CMD`: runs CMD through /bin/sh once per
// delivery with the payload on its standard input and WHARF_QUEUE,
// WHARF_MESSAGE_ID and WHARF_ATTEMPT in its environment. While it runs,
// the delivery's lease is extended before it ends; with a time limit, the
// command is stopped (SIGTERM, then SIGKILL) once the limit passes.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "wharf/queue.h"

namespace wharf::cli {

struct ExecResult {
  bool ran = false;        // false: it could not start (`error` says why)
  int exit_code = -1;      // -1 when killed by a signal
  bool timed_out = false;  // stopped at the time limit
  std::string error;
};

ExecResult run_for_delivery(const std::string& command, const std::string& queue, const Delivery& d,
                            std::chrono::milliseconds ack_deadline, std::optional<std::chrono::milliseconds> limit);

}  // namespace wharf::cli

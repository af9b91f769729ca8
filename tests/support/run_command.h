// Runs a program through /bin/sh with given standard input and captures
// its exit code, standard output and standard error.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "support/temp_dir.h"

namespace wharf::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline CommandResult run_command(const std::string& command, const std::string& input = "") {
  TempDir dir;
  {
    std::ofstream in(dir.path() / "in", std::ios::binary);
    in << input;
  }
  const std::string full = command + " < '" + (dir.path() / "in").string() + "' > '" + (dir.path() / "out").string() +
                           "' 2> '" + (dir.path() / "err").string() + "'";
  const int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(dir.path() / "out");
  r.err = slurp(dir.path() / "err");
  return r;
}

}  // namespace wharf::test

// A throwaway PKI made with openssl at test time (make_test_certs.sh):
// nothing private is ever committed.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "support/run_command.h"
#include "support/temp_dir.h"

namespace wharf::test {

class TestCerts {
 public:
  TestCerts() {
    const auto r = run_command("sh " WHARF_TEST_SUPPORT_DIR "/make_test_certs.sh " + dir_.path().string());
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  std::string path(const std::string& name) const { return (dir_.path() / name).string(); }

 private:
  TempDir dir_;
};

}  // namespace wharf::test

// The coordinator over a real log engine: its callbacks never run under
// its lock, so a callback may call back into it.
#include "broker/groups/group_coordinator.h"

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "broker/storage/storage.h"
#include "support/temp_dir.h"

namespace wharf::groups {
namespace {

using namespace std::chrono_literals;

class CoordinatorTest : public ::testing::Test {
 protected:
  CoordinatorTest() {
    storage::StorageOptions o;
    o.dir = dir_.path();
    o.map_size = 64u << 20;
    auto s = storage::Storage::open(o);
    EXPECT_TRUE(s.ok()) << s.error().to_string();
    storage_ = std::move(*s);
    auto e = log::LogEngine::open(*storage_);
    EXPECT_TRUE(e.ok()) << e.error().to_string();
    logs_ = std::move(*e);
    storage_->writer().start();
    GroupOptions go;
    go.initial_rebalance_delay = 0ms;
    go.min_session_timeout = 10ms;
    coordinator_ = std::make_unique<GroupCoordinator>(*logs_, go);
  }
  ~CoordinatorTest() override {
    for (auto& t : visitors_) t.join();
    coordinator_.reset();
    storage_->writer().stop();
  }

  JoinResult join(const std::string& group) {
    JoinRequest r;
    r.group = group;
    r.client_id = "c";
    r.protocol_type = "consumer";
    r.protocols.push_back({"range", {}});
    std::promise<JoinResult> p;
    coordinator_->join(std::move(r), [&](JoinResult res) { p.set_value(std::move(res)); });
    auto f = p.get_future();
    EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
    return f.get();
  }

  // Whether, from inside a callback, another thread can enter the
  // coordinator (it could not if the callback ran under its lock; that
  // thread is joined once the callback has returned).
  bool coordinator_free() {
    auto entered = std::make_shared<std::promise<bool>>();
    auto f = entered->get_future();
    visitors_.emplace_back([c = coordinator_.get(), entered] { entered->set_value(c->list().ok()); });
    return f.wait_for(5s) == std::future_status::ready && f.get();
  }

  test::TempDir dir_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<log::LogEngine> logs_;
  std::unique_ptr<GroupCoordinator> coordinator_;
  std::vector<std::thread> visitors_;
};

TEST_F(CoordinatorTest, DeleteGroupAnswersOutsideItsLockWhateverTheOutcome) {
  ASSERT_TRUE(join("busy").error.ok());
  for (const std::string group : {"busy", "never-seen", "bad name!"}) {
    std::promise<std::pair<status, bool>> p;
    coordinator_->delete_group(group, [&](status st) { p.set_value({st, coordinator_free()}); });
    auto f = p.get_future();
    ASSERT_EQ(f.wait_for(20s), std::future_status::ready) << group;
    const auto [st, free] = f.get();
    EXPECT_FALSE(st.ok()) << group;
    EXPECT_TRUE(free) << group << ": " << st.to_string();
  }
}

}  // namespace
}  // namespace wharf::groups

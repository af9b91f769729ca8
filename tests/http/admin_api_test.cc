// The admin API against a real broker: every endpoint, its answers and its
// typed errors, and that what it changes is what the native client sees.
#include <gtest/gtest.h>

#include <filesystem>

#include <fmt/format.h>

#include <future>
#include <thread>

#include "api_client.h"
#include "support/temp_dir.h"
#include "broker/http/console_assets.h"
#include "wharf/producer.h"
#include "wharf/queue.h"

namespace wharf {
namespace {

using namespace std::chrono_literals;
using test::Answer;

BrokerOptions with_http() {
  BrokerOptions o;
  o.http.listen = true;
  return o;
}

class AdminApi : public ::testing::Test {
 protected:
  AdminApi() : tb_(with_http()), api_(tb_) { api_.load_session(); }
  test::TestBroker tb_;
  test::ApiClient api_;
};

TEST_F(AdminApi, TopicLifecycleAndErrors) {
  auto created = api_.post("/api/v1/topics", {{"name", "orders"}, {"partitions", 2}, {"retention_ms", 60000}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.body["partitions"], 2);
  EXPECT_EQ(created.body["retention_ms"], 60000);
  EXPECT_EQ(created.body["partition_info"].size(), 2u);

  auto dup = api_.post("/api/v1/topics", {{"name", "orders"}});
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(dup.error_code(), "topic_exists");
  auto bad_name = api_.post("/api/v1/topics", {{"name", "no spaces allowed"}});
  EXPECT_EQ(bad_name.status, 400);
  EXPECT_EQ(bad_name.error_code(), "invalid_name");
  auto bad_type = api_.post("/api/v1/topics", {{"name", "t"}, {"partitions", "two"}});
  EXPECT_EQ(bad_type.status, 400);
  EXPECT_EQ(bad_type.error_code(), "invalid_argument");
  auto bad_json = api_.raw("POST", "/api/v1/topics", "{not json");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(bad_json.error_code(), "invalid_argument");

  // The native client sees what the API made.
  auto client = tb_.client();
  auto info = client->describe_topic("orders");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->partitions, 2u);

  auto altered = api_.patch("/api/v1/topics/orders", {{"partitions", 3}, {"retention_bytes", 1 << 20}});
  ASSERT_EQ(altered.status, 200) << altered.body;
  EXPECT_EQ(altered.body["partitions"], 3);
  EXPECT_EQ(altered.body["retention_bytes"], 1 << 20);
  EXPECT_EQ(altered.body["retention_ms"], 60000);
  EXPECT_EQ(api_.patch("/api/v1/topics/orders", {{"partitions", 1}}).error_code(), "invalid_argument");
  EXPECT_EQ(api_.patch("/api/v1/topics/orders", nlohmann::json::object()).status, 400);

  EXPECT_EQ(api_.get("/api/v1/topics/orders").body["partitions"], 3);
  EXPECT_EQ(api_.del("/api/v1/topics/orders").status, 204);
  auto gone = api_.get("/api/v1/topics/orders");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.error_code(), "unknown_topic");
  EXPECT_EQ(api_.del("/api/v1/topics/orders").status, 404);
  EXPECT_EQ(api_.get("/api/v1/nothing").error_code(), "not_found");
}

// Issue 21: an online backup through the admin API.
TEST_F(AdminApi, BackupWritesACopyAndItsManifest) {
  ASSERT_EQ(api_.post("/api/v1/topics", {{"name", "saved"}, {"partitions", 1}}).status, 201);
  test::TempDir dir;
  const auto target = dir.path() / "copy";
  auto a = api_.post("/api/v1/backup", {{"dir", target.string()}});
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(a.body["partitions"][0]["topic"], "saved");
  EXPECT_TRUE(std::filesystem::exists(target / "data.mdb"));
  EXPECT_TRUE(std::filesystem::exists(target / "backup.json"));
  EXPECT_EQ(api_.post("/api/v1/backup", {{"dir", target.string()}}).error_code(), "invalid_argument")
      << "not into a directory that is not empty";
  EXPECT_TRUE(std::filesystem::exists(target / "data.mdb")) << "and a refused backup touches nothing there";
  EXPECT_EQ(api_.post("/api/v1/backup", nlohmann::json::object()).status, 400);
}

TEST_F(AdminApi, TopicListPaginatesAndFilters) {
  auto client = tb_.client();
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(client->create_topic({fmt::format("t{:02}", i), 1}).ok());
  ASSERT_TRUE(client->create_topic({"other", 1}).ok());
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    auto a = api_.get("/api/v1/topics?prefix=t&limit=10" + (after.empty() ? "" : "&after=" + after));
    ASSERT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(a.body["total"], 25);
    for (const auto& t : a.body["topics"]) seen.push_back(t["name"]);
    if (!a.body.contains("next")) break;
    after = a.body["next"];
  }
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(seen.front(), "t00");
  EXPECT_EQ(seen.back(), "t24");
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(api_.get("/api/v1/topics").body["total"], 26);
  EXPECT_EQ(api_.get("/api/v1/topics?limit=x").status, 400);
  EXPECT_EQ(api_.get("/api/v1/topics?limit=5000").status, 400);
}

TEST_F(AdminApi, RecordsShowTextJsonHexAndHeaders) {
  auto client = tb_.client();
  ASSERT_TRUE(client->create_topic({"events", 1}).ok());
  Producer producer(*client);
  const std::string binary("\x00\xff\x10", 3);
  const Header headers[] = {{"trace", "abc"}, {"raw", binary}};
  for (int i = 0; i < 20; ++i) {
    ProducerRecord r;
    const std::string key = "k" + std::to_string(i);
    const std::string value = i == 0 ? std::string("<script>alert(1)</script>")
                              : i == 1 ? std::string(R"({"total":12,"items":[1,2]})")
                              : i == 2 ? binary
                                       : "plain " + std::to_string(i);
    r.key = key;
    r.value = value;
    if (i == 0) r.headers = headers;
    ASSERT_TRUE(producer.send_and_wait("events", 0, r).ok());
  }

  auto latest = api_.get("/api/v1/topics/events/partitions/0/records?limit=5");
  ASSERT_EQ(latest.status, 200) << latest.body;
  ASSERT_EQ(latest.body["records"].size(), 5u);
  EXPECT_EQ(latest.body["records"][0]["offset"], 15);
  EXPECT_EQ(latest.body["records"][4]["offset"], 19);
  EXPECT_EQ(latest.body["high_watermark"], 20);
  EXPECT_EQ(latest.body["next_offset"], 20);

  auto first = api_.get("/api/v1/topics/events/partitions/0/records?from=offset&offset=0&limit=3");
  ASSERT_EQ(first.status, 200) << first.body;
  const auto& recs = first.body["records"];
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0]["value"]["format"], "text");
  EXPECT_EQ(recs[0]["value"]["text"], "<script>alert(1)</script>");
  EXPECT_EQ(recs[0]["key"]["text"], "k0");
  ASSERT_EQ(recs[0]["headers"].size(), 2u);
  EXPECT_EQ(recs[0]["headers"][0]["key"], "trace");
  EXPECT_EQ(recs[0]["headers"][0]["value"]["text"], "abc");
  EXPECT_EQ(recs[0]["headers"][1]["value"]["format"], "hex");
  EXPECT_EQ(recs[0]["headers"][1]["value"]["text"], "00ff10");
  EXPECT_EQ(recs[1]["value"]["format"], "json");
  EXPECT_NE(recs[1]["value"]["text"].get<std::string>().find("\n  \"items\""), std::string::npos);
  EXPECT_EQ(recs[2]["value"]["format"], "hex");
  EXPECT_EQ(recs[2]["value"]["size"], 3);
  EXPECT_EQ(first.body["next_offset"], 3);

  // From a time: every record is at or after the first's timestamp.
  const std::int64_t t0 = recs[0]["timestamp_ms"];
  auto timed = api_.get("/api/v1/topics/events/partitions/0/records?from=time&limit=2&time_ms=" + std::to_string(t0));
  ASSERT_EQ(timed.status, 200) << timed.body;
  EXPECT_EQ(timed.body["records"][0]["offset"], 0);
  auto future = api_.get("/api/v1/topics/events/partitions/0/records?from=time&time_ms=" +
                         std::to_string(t0 + 3600'000));
  EXPECT_EQ(future.body["records"].size(), 0u);

  EXPECT_EQ(api_.get("/api/v1/topics/events/partitions/0/records?from=offset&offset=99").status, 416);
  EXPECT_EQ(api_.get("/api/v1/topics/events/partitions/7/records").error_code(), "unknown_partition");
  EXPECT_EQ(api_.get("/api/v1/topics/events/partitions/x/records").status, 400);
  EXPECT_EQ(api_.get("/api/v1/topics/events/partitions/0/records?from=yesterday").status, 400);
  EXPECT_EQ(api_.get("/api/v1/topics/nope/partitions/0/records").error_code(), "unknown_topic");
}

TEST_F(AdminApi, GroupsShowLagAndResetOffsets) {
  auto client = tb_.client();
  ASSERT_TRUE(client->create_topic({"clicks", 2}).ok());
  Producer producer(*client);
  for (int i = 0; i < 10; ++i) {
    ProducerRecord r;
    r.value = "c";
    ASSERT_TRUE(producer.send_and_wait("clicks", static_cast<std::uint32_t>(i % 2), r).ok());
  }
  ASSERT_TRUE(client->commit_offsets("readers", "clicks", {{0, 2}, {1, 5}}).ok());

  auto list = api_.get("/api/v1/groups");
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.body["groups"].size(), 1u);
  EXPECT_EQ(list.body["groups"][0]["group"], "readers");
  EXPECT_EQ(list.body["groups"][0]["lag"], 3);

  auto g = api_.get("/api/v1/groups/readers");
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(g.body["state"], "Empty");
  ASSERT_EQ(g.body["partitions"].size(), 2u);
  EXPECT_EQ(g.body["partitions"][0]["committed"], 2);
  EXPECT_EQ(g.body["partitions"][0]["log_end"], 5);
  EXPECT_EQ(g.body["partitions"][0]["lag"], 3);
  EXPECT_EQ(g.body["partitions"][1]["lag"], 0);

  auto reset = api_.post("/api/v1/groups/readers/reset-offsets", {{"topic", "clicks"}, {"to", "earliest"}});
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(reset.body["offsets"].size(), 2u);
  auto committed = client->committed_offsets("readers", "clicks");
  ASSERT_TRUE(committed.ok());
  for (const auto& c : *committed) EXPECT_EQ(c.offset, 0);
  EXPECT_EQ(api_.get("/api/v1/groups/readers").body["lag"], 10);

  auto one = api_.post("/api/v1/groups/readers/reset-offsets",
                       {{"topic", "clicks"}, {"partition", 1}, {"to", "offset"}, {"offset", 4}});
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(api_.get("/api/v1/groups/readers").body["partitions"][1]["committed"], 4);
  EXPECT_EQ(api_.post("/api/v1/groups/readers/reset-offsets", {{"topic", "clicks"}, {"to", "offset"}, {"offset", 99}})
                .error_code(),
            "offset_out_of_range");
  EXPECT_EQ(api_.post("/api/v1/groups/readers/reset-offsets", {{"topic", "clicks"}, {"to", "sideways"}}).status, 400);
  EXPECT_EQ(api_.post("/api/v1/groups/readers/reset-offsets", {{"topic", "nope"}, {"to", "latest"}}).error_code(),
            "unknown_topic");

  EXPECT_EQ(api_.del("/api/v1/groups/readers").status, 204);
  EXPECT_EQ(api_.get("/api/v1/groups/readers").error_code(), "unknown_group");
}

TEST_F(AdminApi, QueueLifecycleOptionsAndPeek) {
  auto created = api_.post("/api/v1/queues", {{"name", "jobs"}, {"options", {{"max_deliveries", 3}, {"priorities", 2}}}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.body["options"]["max_deliveries"], 3);
  EXPECT_EQ(created.body["options"]["dlq"], "jobs.dlq");
  EXPECT_EQ(api_.post("/api/v1/queues", {{"name", "jobs"}}).error_code(), "queue_exists");
  EXPECT_EQ(api_.post("/api/v1/queues", {{"name", "q2"}, {"options", {{"bogus", 1}}}}).status, 400);
  EXPECT_EQ(api_.post("/api/v1/queues", {{"name", "q2"}, {"options", {{"dlq_mode", "named"}}}}).status, 400);
  EXPECT_EQ(api_.get("/api/v1/queues/jobs.dlq").body["dead_letter_for"], nlohmann::json::array({"jobs"}));

  auto altered = api_.patch("/api/v1/queues/jobs", {{"options", {{"ack_deadline_ms", 5000}}}});
  ASSERT_EQ(altered.status, 200) << altered.body;
  EXPECT_EQ(altered.body["options"]["ack_deadline_ms"], 5000);
  EXPECT_EQ(altered.body["options"]["max_deliveries"], 3);  // unchanged
  EXPECT_EQ(api_.patch("/api/v1/queues/jobs", {{"options", {{"priorities", 5}}}}).error_code(), "invalid_argument");

  auto client = tb_.client();
  Publisher pub(*client);
  for (int i = 0; i < 5; ++i) {
    OutgoingMessage m;
    const std::string payload = "job " + std::to_string(i);
    m.payload = payload;
    m.priority = i == 3 ? 1 : 0;
    ASSERT_TRUE(pub.publish_and_wait("jobs", m).ok());
  }
  auto q = api_.get("/api/v1/queues/jobs");
  EXPECT_EQ(q.body["ready"], 5);
  auto peek = api_.get("/api/v1/queues/jobs/peek?count=2");
  ASSERT_EQ(peek.status, 200) << peek.body;
  ASSERT_EQ(peek.body["messages"].size(), 2u);
  EXPECT_EQ(peek.body["messages"][0]["payload"]["text"], "job 3");  // higher priority first
  EXPECT_EQ(peek.body["messages"][1]["payload"]["text"], "job 0");
  EXPECT_EQ(api_.get("/api/v1/queues/jobs").body["ready"], 5);  // peek leaves them

  auto list = api_.get("/api/v1/queues?prefix=jobs");
  EXPECT_EQ(list.body["total"], 2);
  auto purged = api_.post("/api/v1/queues/jobs/purge");
  ASSERT_EQ(purged.status, 200) << purged.body;
  EXPECT_EQ(purged.body["purged"], 5);
  EXPECT_EQ(api_.del("/api/v1/queues/jobs").status, 204);
  EXPECT_EQ(api_.get("/api/v1/queues/jobs").error_code(), "unknown_queue");
  EXPECT_EQ(api_.get("/api/v1/queues/jobs.dlq").error_code(), "unknown_queue");  // went with it
  EXPECT_EQ(api_.get("/api/v1/queues/nope/peek").error_code(), "unknown_queue");
}

TEST_F(AdminApi, DeadLettersBrowseLookupAndRedrive) {
  auto client = tb_.client();
  QueueOptions options;
  options.max_deliveries = 1;
  ASSERT_TRUE(client->create_queue("work", options).ok());
  Publisher pub(*client);
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 7; ++i) {
    OutgoingMessage m;
    const std::string payload = "<b>poison " + std::to_string(i) + "</b>";
    m.payload = payload;
    auto id = pub.publish_and_wait("work", m);
    ASSERT_TRUE(id.ok());
    ids.push_back(*id);
  }
  {
    auto consumer = QueueConsumer::subscribe(*client, "work");
    ASSERT_TRUE(consumer.ok());
    for (int i = 0; i < 7; ++i) {
      auto d = (*consumer)->receive(5s);
      ASSERT_TRUE(d.ok());
      std::promise<status> settled;
      d->reject("cannot parse", [&](status st) { settled.set_value(st); });
      ASSERT_TRUE(settled.get_future().get().ok());
    }
  }
  // Pages of 3 through the dead-letter queue, in id order.
  std::vector<std::uint64_t> seen;
  std::string after;
  for (int page = 0; page < 5; ++page) {
    auto a = api_.get("/api/v1/queues/work.dlq/messages?limit=3" + (after.empty() ? "" : "&after=" + after));
    ASSERT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(a.body["total"], 7);
    for (const auto& m : a.body["messages"]) {
      seen.push_back(m["id"]);
      EXPECT_EQ(m["state"], "dead_lettered");
      EXPECT_EQ(m["origin_queue"], "work");
      ASSERT_EQ(m["history"].size(), 1u);
      EXPECT_EQ(m["history"][0]["outcome"], "reject");
      EXPECT_EQ(m["history"][0]["reason"], "cannot parse");
    }
    if (!a.body.contains("next")) break;
    after = std::to_string(a.body["next"].get<std::uint64_t>());
  }
  EXPECT_EQ(seen, ids);

  // A dead letter is found through its queue and through the original one.
  auto m = api_.get("/api/v1/queues/work/messages/" + std::to_string(ids[0]));
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_EQ(m.body["queue"], "work.dlq");
  EXPECT_EQ(m.body["payload"]["text"], "<b>poison 0</b>");
  ASSERT_EQ(m.body["history"].size(), 1u);
  EXPECT_EQ(m.body["history"][0]["outcome"], "reject");
  EXPECT_EQ(api_.get("/api/v1/queues/work/messages/999999").error_code(), "unknown_message");
  EXPECT_EQ(api_.get("/api/v1/queues/work/messages/abc").status, 400);

  auto two = api_.post("/api/v1/queues/work.dlq/redrive", {{"ids", {ids[0], ids[1]}}});
  ASSERT_EQ(two.status, 200) << two.body;
  EXPECT_EQ(two.body["moved"], 2);
  auto back = api_.get("/api/v1/queues/work/messages/" + std::to_string(ids[0]));
  EXPECT_EQ(back.body["queue"], "work");
  EXPECT_EQ(back.body["state"], "ready");
  EXPECT_EQ(back.body["history"].back()["outcome"], "redriven");
  EXPECT_EQ(api_.get("/api/v1/queues/work").body["ready"], 2);

  EXPECT_EQ(api_.post("/api/v1/queues/work.dlq/redrive", {{"ids", {ids[0]}}}).error_code(), "unknown_message");
  EXPECT_EQ(api_.post("/api/v1/queues/work.dlq/redrive", {{"all", true}, {"count", 1}}).status, 400);
  EXPECT_EQ(api_.post("/api/v1/queues/work.dlq/redrive", {{"all", true}, {"to", "nope"}}).error_code(),
            "unknown_queue");
  auto rest = api_.post("/api/v1/queues/work.dlq/redrive", {{"all", true}});
  ASSERT_EQ(rest.status, 200) << rest.body;
  EXPECT_EQ(rest.body["moved"], 5);
  EXPECT_EQ(api_.get("/api/v1/queues/work").body["ready"], 7);
  EXPECT_EQ(api_.get("/api/v1/queues/work.dlq/messages").body["total"], 0);
}

TEST_F(AdminApi, OverviewCountsAndRates) {
  auto client = tb_.client();
  ASSERT_TRUE(client->create_topic({"a", 1}).ok());
  ASSERT_TRUE(client->create_queue("b").ok());
  auto o = api_.get("/api/v1/overview");
  ASSERT_EQ(o.status, 200) << o.body;
  EXPECT_EQ(o.body["topics"], 1);
  EXPECT_EQ(o.body["queues"], 2);  // b and b.dlq
  EXPECT_EQ(o.body["durability"], "sync");
  EXPECT_TRUE(o.body["storage"]["healthy"]);
  EXPECT_GT(o.body["storage"]["used_bytes"].get<std::uint64_t>(), 0u);
  EXPECT_GE(o.body["connections"]["native"].get<int>(), 1);
  EXPECT_TRUE(o.body["rates"]["samples"].is_array());
}

TEST_F(AdminApi, ChangesNeedTheCsrfToken) {
  api_.send_csrf = false;
  auto a = api_.post("/api/v1/topics", {{"name", "sneaky"}});
  EXPECT_EQ(a.status, 403);
  EXPECT_EQ(a.error_code(), "csrf_failed");
  api_.send_csrf = true;
  const std::string real = api_.csrf;
  api_.csrf = std::string(real.size(), '0');
  EXPECT_EQ(api_.del("/api/v1/topics/sneaky").error_code(), "csrf_failed");
  api_.csrf = real;
  EXPECT_FALSE(tb_.client()->describe_topic("sneaky").ok());
}

TEST_F(AdminApi, WithAuthOffOnlyIpOrLocalHostNamesAreAnswered) {
  httplib::Client http("127.0.0.1", tb_.broker().http_port());
  auto rebound = http.Get("/api/v1/session", {{"Host", "attacker.example:7421"}});
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, 403);
  EXPECT_NE(rebound->body.find("host_not_allowed"), std::string::npos);
  for (const char* host : {"localhost:7421", "LOCALHOST", "127.0.0.1:7421", "[::1]:7421", "10.1.2.3"}) {
    auto r = http.Get("/api/v1/session", {{"Host", host}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << host;
  }
}

TEST_F(AdminApi, ConsolePagesAndFilesAreServedWithAPolicy) {
  httplib::Client http("127.0.0.1", tb_.broker().http_port());
  for (const char* page : {"/", "/topics", "/topics/x", "/groups/g", "/queues/q", "/queues/q/messages/7", "/login"}) {
    auto r = http.Get(page);
    ASSERT_TRUE(r) << page;
    EXPECT_EQ(r->status, 200) << page;
    EXPECT_NE(r->body.find("/assets/app.js"), std::string::npos) << page;
    EXPECT_NE(r->get_header_value("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  }
  auto js = http.Get("/assets/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->get_header_value("Content-Type").rfind("text/javascript", 0), 0u);
  EXPECT_EQ(http.Get("/assets/none.js")->status, 404);
  EXPECT_EQ(http.Get("/elsewhere")->status, 404);

  // A current copy is revalidated, not sent again.
  const std::string etag = js->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  auto again = http.Get("/assets/app.js", {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  // Compressed with gzip, not the far slower Brotli, when both are offered.
  auto packed = http.Get("/assets/app.js", {{"Accept-Encoding", "br, gzip"}});
  ASSERT_TRUE(packed);
  EXPECT_EQ(packed->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(packed->body, js->body);  // the client inflated it

  // Every module is preloaded by the page, so none waits for the import that names it.
  const std::string index = http.Get("/")->body;
  for (const auto& asset : http::console_assets()) {
    const std::string name(asset.name);
    if (name.size() > 3 && name.substr(name.size() - 3) == ".js" && name != "app.js") {
      EXPECT_NE(index.find("<link rel=\"modulepreload\" href=\"/assets/" + name + "\">"), std::string::npos) << name;
    }
  }
}

}  // namespace
}  // namespace wharf

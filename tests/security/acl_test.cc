// Permissions: every request type of both protocols, sent by a user who
// lacks the permission it needs, gets its typed refusal (not_authorized;
// Kafka's TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED) and changes nothing.
// Then grants, prefixes, deny-wins and the CLI's acl commands.
#include <gtest/gtest.h>

#include "protocol/kafka/codec.h"
#include "protocol/sasl/scram.h"
#include "support/kafka_wire.h"
#include "support/run_command.h"
#include "support/test_broker.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"
#include "wharf/queue.h"

namespace wharf {
namespace {

using namespace std::chrono_literals;
namespace pk = protocol::kafka;

constexpr const char* kAdminPassword = "admin-password-for-acl-tests";

class AclTest : public ::testing::Test {
 protected:
  AclTest() : tb_(options()) {
    admin_ = connect("admin", kAdminPassword);
    // What the refused requests must leave alone.
    EXPECT_TRUE(admin_->create_topic({"t", 1}).ok());
    Producer producer(*admin_);
    ProducerRecord r;
    r.value = value_;
    for (int i = 0; i < 3; ++i) producer.send("t", 0, r, [](result<RecordMetadata> m) { EXPECT_TRUE(m.ok()); });
    producer.flush();
    EXPECT_TRUE(admin_->commit_offsets("g", "t", {{0, 2}}).ok());
    EXPECT_TRUE(admin_->create_queue("q").ok());
    OutgoingMessage m;
    m.payload = "job";
    auto id = Publisher(*admin_).publish_and_wait("q", m);
    EXPECT_TRUE(id.ok());
    message_id_ = id.ok() ? *id : 0;
    EXPECT_TRUE(admin_->create_user("bob", "bobs-password").ok());
    bob_ = connect("bob", "bobs-password");
  }

  static BrokerOptions options() {
    BrokerOptions o;
    o.auth.required = true;
    o.auth.admin_password = kAdminPassword;
    o.kafka.listen = true;
    return o;
  }

  std::unique_ptr<Client> connect(const std::string& user, const std::string& password) {
    ClientOptions o;
    o.broker = tb_.address();
    o.user = user;
    o.password = password;
    auto c = Client::connect(o);
    EXPECT_TRUE(c.ok()) << c.error().to_string();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // The state the refused requests must not change.
  void expect_unchanged() {
    auto topics = admin_->list_topics();
    ASSERT_TRUE(topics.ok());
    ASSERT_EQ(topics->size(), 1u);
    EXPECT_EQ((*topics)[0].name, "t");
    EXPECT_EQ((*topics)[0].partitions, 1u);
    EXPECT_EQ(*admin_->earliest_offset("t", 0), 0);
    EXPECT_EQ(*admin_->latest_offset("t", 0), 3);
    auto offsets = admin_->committed_offsets("g");
    ASSERT_TRUE(offsets.ok());
    ASSERT_EQ(offsets->size(), 1u);
    EXPECT_EQ((*offsets)[0].offset, 2);
    auto queues = admin_->list_queues();
    ASSERT_TRUE(queues.ok());
    std::vector<std::string> names;
    for (const auto& q : *queues) names.push_back(q.name);
    EXPECT_EQ(names, (std::vector<std::string>{"q", "q.dlq"}));
    auto q = admin_->describe_queue("q");
    ASSERT_TRUE(q.ok());
    EXPECT_EQ(q->ready, 1u);
    auto users = admin_->list_users();
    ASSERT_TRUE(users.ok());
    EXPECT_EQ(users->size(), 2u);
    auto acls = admin_->list_acls();
    ASSERT_TRUE(acls.ok());
    EXPECT_EQ(acls->size(), acl_count_);
  }

  test::TestBroker tb_;
  const std::string value_ = "record";
  std::unique_ptr<Client> admin_;
  std::unique_ptr<Client> bob_;
  std::uint64_t message_id_ = 0;
  std::size_t acl_count_ = 0;
};

TEST_F(AclTest, EveryNativeRequestWithoutPermissionIsRefusedAndChangesNothing) {
  ASSERT_TRUE(bob_);
  Client& c = *bob_;
  const auto refused = [](const status& st) { return st.code() == errc::not_authorized; };
  struct Case {
    const char* request;
    std::function<status()> send;
  };
  const std::vector<Case> cases = {
      {"CreateTopic", [&] { return c.create_topic({"new", 1}); }},
      {"DeleteTopic", [&] { return c.delete_topic("t"); }},
      {"AlterTopic", [&] { return c.alter_topic("t", TopicChanges{3, std::nullopt, std::nullopt}); }},
      {"DeleteRecords", [&] { return c.delete_records("t", 0, 2).error(); }},
      {"DescribeTopic", [&] { return c.describe_topic("t").error(); }},
      {"ListOffsets", [&] { return c.earliest_offset("t", 0).error(); }},
      {"Produce", [&] {
         ProducerOptions po;
         po.idempotent = false;
         Producer p(c, po);
         ProducerRecord r;
         r.value = value_;
         auto sent = p.send_and_wait("t", 0, r);
         return sent.ok() ? status() : sent.error();
       }},
      {"InitProducer", [&] {
         Producer p(c);  // idempotent: asks for a producer id first
         ProducerRecord r;
         r.value = value_;
         auto sent = p.send_and_wait("t", 0, r);
         return sent.ok() ? status() : sent.error();
       }},
      {"Fetch", [&] {
         ConsumerOptions co;
         co.start = StartFrom::earliest;
         Consumer consumer(c, co);
         if (status st = consumer.assign({{"t", 0}}); !st.ok()) return st;
         auto polled = consumer.poll(2s);
         return polled.ok() ? status() : polled.error();
       }},
      {"CommitOffsets", [&] { return c.commit_offsets("g", "t", {{0, 3}}); }},
      {"FetchOffsets", [&] { return c.committed_offsets("g").error(); }},
      {"JoinGroup", [&] {
         ConsumerOptions co;
         co.group = "g";
         Consumer consumer(c, co);
         if (status st = consumer.subscribe({"t"}); !st.ok()) return st;
         auto polled = consumer.poll(3s);  // the join runs in the background
         return polled.ok() ? status() : polled.error();
       }},
      {"DescribeGroup", [&] { return c.describe_group("g").error(); }},
      {"DeleteGroup", [&] { return c.delete_group("g"); }},
      {"CreateQueue", [&] { return c.create_queue("new-queue"); }},
      {"AlterQueue", [&] { return c.alter_queue("q", QueueOptions{}); }},
      {"DeleteQueue", [&] { return c.delete_queue("q"); }},
      {"PurgeQueue", [&] { return c.purge_queue("q").error(); }},
      {"DescribeQueue", [&] { return c.describe_queue("q").error(); }},
      {"Publish", [&] {
         OutgoingMessage m;
         m.payload = "x";
         return Publisher(c).publish_and_wait("q", m).error();
       }},
      {"Subscribe", [&] { return QueueConsumer::subscribe(c, "q", {1}).error(); }},
      {"PeekQueue", [&] { return c.peek("q").error(); }},
      {"GetMessage", [&] { return c.get_message("q", message_id_).error(); }},
      {"Redrive", [&] {
         RedriveOptions ro;
         ro.all = true;
         return c.redrive("q.dlq", ro).error();
       }},
      {"AckPublish", [&] {
         AckPublish ap;
         ap.publishes.push_back({"q", {"x"}});
         ap.appends.push_back({"t", 0, {"y"}});
         return c.ack_and_publish(ap).error();
       }},
      {"CreateUser", [&] { return c.create_user("mallory", "mallorys-password"); }},
      {"SetUserCredentials", [&] { return c.set_password("admin", "taken-over"); }},
      {"DeleteUser", [&] { return c.delete_user("admin"); }},
      {"ListUsers", [&] { return c.list_users().error(); }},
      {"AddAcl", [&] { return c.add_acl({"bob", "topic", "*", "literal", "write", "allow"}); }},
      {"RemoveAcl", [&] { return c.remove_acl({"bob", "topic", "*", "literal", "write", "allow"}); }},
      {"ListAcls", [&] { return c.list_acls().error(); }},
  };
  for (const auto& tc : cases) {
    const status st = tc.send();
    EXPECT_TRUE(refused(st)) << tc.request << ": " << st.to_string();
  }
  // Listings are not refused: they show nothing bob may not describe.
  auto topics = c.list_topics();
  ASSERT_TRUE(topics.ok());
  EXPECT_TRUE(topics->empty());
  auto queues = c.list_queues();
  ASSERT_TRUE(queues.ok());
  EXPECT_TRUE(queues->empty());
  auto groups = c.list_groups();
  ASSERT_TRUE(groups.ok());
  EXPECT_TRUE(groups->empty());
  expect_unchanged();
}

// A Kafka connection logged in with SASL/SCRAM-SHA-256.
class KafkaLogin {
 public:
  KafkaLogin(std::uint16_t port, const std::string& user, const std::string& password) : wire_(port) {
    wire_.send(17, 1, next(), [](pk::Writer& w) { w.string("SCRAM-SHA-256"); });
    auto hs = wire_.read();
    if (!hs || hs->reader().i16() != 0) return;
    sasl::ScramClient scram(sasl::ScramMechanism::sha256, user, password);
    const std::string first = scram.first_message();
    auto server_first = authenticate(first);
    if (!server_first) return;
    std::string error;
    auto final_message = scram.final_message(*server_first, &error);
    if (!final_message) return;
    auto server_final = authenticate(*final_message);
    logged_in_ = server_final && scram.verify_server_final(*server_final, &error);
  }
  bool logged_in() const { return logged_in_; }
  test::KafkaWire& wire() { return wire_; }
  std::int32_t next() { return ++correlation_; }

  // Sends a request and returns its response body's reader.
  template <typename Body>
  std::optional<test::KafkaResponse> call(std::int16_t key, std::int16_t version, Body&& body) {
    if (!wire_.send(key, version, next(), std::forward<Body>(body))) return std::nullopt;
    return wire_.read();
  }

 private:
  std::optional<std::string> authenticate(const std::string& token) {
    auto r = call(36, 1, [&](pk::Writer& w) {
      w.bytes({reinterpret_cast<const std::uint8_t*>(token.data()), token.size()});
    });
    if (!r) return std::nullopt;
    auto rd = r->reader();
    if (rd.i16() != 0) return std::nullopt;
    rd.nullable_string();
    auto bytes = rd.bytes();
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }

  test::KafkaWire wire_;
  std::int32_t correlation_ = 0;
  bool logged_in_ = false;
};

void skip_brokers(pk::Reader& rd) {
  const std::size_t n = rd.array(0);
  for (std::size_t i = 0; i < n; ++i) {
    rd.i32();
    rd.string();
    rd.i32();
    rd.nullable_string();
  }
}

TEST_F(AclTest, EveryKafkaRequestWithoutPermissionGetsKafkasAuthorizationError) {
  KafkaLogin k(tb_.kafka_port(), "bob", "bobs-password");
  ASSERT_TRUE(k.logged_in());
  constexpr std::int16_t kTopicDenied = 29;
  constexpr std::int16_t kGroupDenied = 30;
  constexpr std::int16_t kClusterDenied = 31;
  const std::vector<std::uint8_t> batch = [] {
    // A batch made by Wharf's own producer path is not needed: the refusal
    // comes before the records are looked at.
    return std::vector<std::uint8_t>(70, 0);
  }();
  struct Case {
    const char* api;
    std::int16_t key;
    std::int16_t version;
    std::function<void(pk::Writer&)> body;
    std::function<std::int16_t(pk::Reader&)> error;  // the code the response carries
    std::int16_t expected;
  };
  const std::vector<Case> cases = {
      {"Metadata", 3, 1, [](pk::Writer& w) { w.array(1); w.string("t"); },
       [](pk::Reader& rd) { skip_brokers(rd); rd.i32(); rd.array(0); return rd.i16(); }, kTopicDenied},
      {"Produce", 0, 3,
       [&](pk::Writer& w) {
         w.nullable_string(std::nullopt); w.i16(-1); w.i32(1000); w.array(1); w.string("t"); w.array(1); w.i32(0);
         w.bytes(batch);
       },
       [](pk::Reader& rd) { rd.array(0); rd.string(); rd.array(0); rd.i32(); return rd.i16(); }, kTopicDenied},
      {"Fetch", 1, 4,
       [](pk::Writer& w) {
         w.i32(-1); w.i32(10); w.i32(1); w.i32(1 << 20); w.i8(0); w.array(1); w.string("t"); w.array(1); w.i32(0);
         w.i64(0); w.i32(1 << 20);
       },
       [](pk::Reader& rd) { rd.i32(); rd.array(0); rd.string(); rd.array(0); rd.i32(); return rd.i16(); }, kTopicDenied},
      {"ListOffsets", 2, 1,
       [](pk::Writer& w) { w.i32(-1); w.array(1); w.string("t"); w.array(1); w.i32(0); w.i64(-2); },
       [](pk::Reader& rd) { rd.array(0); rd.string(); rd.array(0); rd.i32(); return rd.i16(); }, kTopicDenied},
      {"CreateTopics", 19, 0,
       [](pk::Writer& w) { w.array(1); w.string("made"); w.i32(1); w.i16(1); w.array(0); w.array(0); w.i32(1000); },
       [](pk::Reader& rd) { rd.array(0); rd.string(); return rd.i16(); }, kTopicDenied},
      {"DeleteTopics", 20, 0, [](pk::Writer& w) { w.array(1); w.string("t"); w.i32(1000); },
       [](pk::Reader& rd) { rd.array(0); rd.string(); return rd.i16(); }, kTopicDenied},
      {"DeleteRecords", 21, 0,
       [](pk::Writer& w) { w.array(1); w.string("t"); w.array(1); w.i32(0); w.i64(2); w.i32(1000); },
       [](pk::Reader& rd) { rd.i32(); rd.array(0); rd.string(); rd.array(0); rd.i32(); rd.i64(); return rd.i16(); },
       kTopicDenied},
      {"FindCoordinator", 10, 0, [](pk::Writer& w) { w.string("g"); }, [](pk::Reader& rd) { return rd.i16(); },
       kGroupDenied},
      {"JoinGroup", 11, 0,
       [](pk::Writer& w) {
         w.string("g"); w.i32(6000); w.string(""); w.string("consumer"); w.array(1); w.string("range");
         w.bytes(std::vector<std::uint8_t>{0, 0, 0, 0, 0, 1, 0, 1, 't', 0xff, 0xff, 0xff, 0xff});
       },
       [](pk::Reader& rd) { return rd.i16(); }, kGroupDenied},
      {"SyncGroup", 14, 0, [](pk::Writer& w) { w.string("g"); w.i32(1); w.string("m"); w.array(0); },
       [](pk::Reader& rd) { return rd.i16(); }, kGroupDenied},
      {"Heartbeat", 12, 0, [](pk::Writer& w) { w.string("g"); w.i32(1); w.string("m"); },
       [](pk::Reader& rd) { return rd.i16(); }, kGroupDenied},
      {"LeaveGroup", 13, 0, [](pk::Writer& w) { w.string("g"); w.string("m"); },
       [](pk::Reader& rd) { return rd.i16(); }, kGroupDenied},
      {"OffsetCommit", 8, 2,
       [](pk::Writer& w) {
         w.string("g"); w.i32(-1); w.string(""); w.i64(-1); w.array(1); w.string("t"); w.array(1); w.i32(0);
         w.i64(3); w.nullable_string("");
       },
       [](pk::Reader& rd) { rd.array(0); rd.string(); rd.array(0); rd.i32(); return rd.i16(); }, kGroupDenied},
      {"OffsetFetch", 9, 1, [](pk::Writer& w) { w.string("g"); w.array(1); w.string("t"); w.array(1); w.i32(0); },
       [](pk::Reader& rd) {
         rd.array(0); rd.string(); rd.array(0); rd.i32(); rd.i64(); rd.nullable_string(); return rd.i16();
       },
       kGroupDenied},
      {"DescribeGroups", 15, 0, [](pk::Writer& w) { w.array(1); w.string("g"); },
       [](pk::Reader& rd) { rd.array(0); return rd.i16(); }, kGroupDenied},
      {"DeleteGroups", 42, 0, [](pk::Writer& w) { w.array(1); w.string("g"); },
       [](pk::Reader& rd) { rd.i32(); rd.array(0); rd.string(); return rd.i16(); }, kGroupDenied},
      {"InitProducerId", 22, 0, [](pk::Writer& w) { w.nullable_string(std::nullopt); w.i32(1000); },
       [](pk::Reader& rd) { rd.i32(); return rd.i16(); }, kClusterDenied},
  };
  for (const auto& tc : cases) {
    auto r = k.call(tc.key, tc.version, tc.body);
    ASSERT_TRUE(r) << tc.api << ": no response";
    auto rd = r->reader();
    EXPECT_EQ(tc.error(rd), tc.expected) << tc.api;
    EXPECT_TRUE(rd.ok()) << tc.api << ": response shorter than expected";
  }
  // ListGroups and Metadata for all topics list nothing bob may not describe.
  auto groups = k.call(16, 0, [](pk::Writer&) {});
  ASSERT_TRUE(groups);
  auto rd = groups->reader();
  EXPECT_EQ(rd.i16(), 0);
  EXPECT_EQ(rd.array(0), 0u);
  auto all = k.call(3, 1, [](pk::Writer& w) { w.i32(-1); });
  ASSERT_TRUE(all);
  rd = all->reader();
  skip_brokers(rd);
  rd.i32();
  EXPECT_EQ(rd.array(0), 0u);
  expect_unchanged();
}

TEST_F(AclTest, KafkaRequestsBeforeLoginCloseTheConnection) {
  test::KafkaWire wire(tb_.kafka_port());
  ASSERT_TRUE(wire.send(3, 1, 1, [](pk::Writer& w) { w.i32(-1); }));
  EXPECT_FALSE(wire.read(5s).has_value());
  KafkaLogin wrong(tb_.kafka_port(), "bob", "not-bobs-password");
  EXPECT_FALSE(wrong.logged_in());
}

TEST_F(AclTest, GrantsPrefixesAndDenyWinning) {
  auto grant = [&](AclRule r) {
    ASSERT_TRUE(admin_->add_acl(r).ok());
    ++acl_count_;
  };
  grant({"bob", "topic", "t", "literal", "read", "allow"});
  grant({"bob", "group", "g", "literal", "read", "allow"});
  // Read implies describe: bob sees t now, and reads it.
  auto topics = bob_->list_topics();
  ASSERT_TRUE(topics.ok());
  ASSERT_EQ(topics->size(), 1u);
  EXPECT_TRUE(bob_->earliest_offset("t", 0).ok());
  EXPECT_TRUE(bob_->commit_offsets("g", "t", {{0, 2}}).ok());
  EXPECT_EQ(bob_->create_topic({"bob-1", 1}).code(), errc::not_authorized);
  // A prefix grant covers every name under it...
  grant({"bob", "topic", "bob-", "prefix", "create", "allow"});
  EXPECT_TRUE(bob_->create_topic({"bob-1", 1}).ok());
  EXPECT_TRUE(bob_->create_topic({"bob-2", 1}).ok());
  EXPECT_EQ(bob_->create_topic({"alice-1", 1}).code(), errc::not_authorized);
  // ...and a deny for everyone wins over bob's allow.
  grant({"*", "topic", "bob-2", "literal", "create", "deny"});
  EXPECT_TRUE(admin_->delete_topic("bob-2").ok());
  EXPECT_EQ(bob_->create_topic({"bob-2", 1}).code(), errc::not_authorized);
  // The admin is not bound by denies.
  EXPECT_TRUE(admin_->create_topic({"bob-2", 1}).ok());
  // Removing the allow takes it back; removing what is not there is typed.
  ASSERT_TRUE(admin_->remove_acl({"bob", "topic", "bob-", "prefix", "create", "allow"}).ok());
  EXPECT_EQ(bob_->create_topic({"bob-3", 1}).code(), errc::not_authorized);
  EXPECT_EQ(admin_->remove_acl({"bob", "topic", "bob-", "prefix", "create", "allow"}).code(), errc::unknown_acl);
  EXPECT_EQ(admin_->add_acl({"bob", "topik", "t", "literal", "read", "allow"}).code(), errc::invalid_argument);
  // Permissions survive a restart.
  tb_.restart();
  auto again = connect("bob", "bobs-password");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->earliest_offset("t", 0).ok());
  EXPECT_EQ(again->create_topic({"bob-4", 1}).code(), errc::not_authorized);
}

TEST_F(AclTest, CliAddsListsAndRemovesEntries) {
  const std::string cli = "WHARF_PASSWORD='" + std::string(kAdminPassword) + "' " + std::string(WHARF_CLI_PATH) +
                          " --broker " + tb_.address() + " --user admin ";
  auto r = test::run_command(cli + "acl add --principal bob --resource-type queue --resource q --operation write");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_command(cli + "acl add --principal '*' --resource-type topic --resource tmp- --prefix "
                              "--operation delete --deny");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_command(cli + "acl list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("bob\tallow\twrite\tqueue:q\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("*\tdeny\tdelete\ttopic:tmp-*\n"), std::string::npos) << r.out;
  OutgoingMessage m;
  m.payload = "from bob";
  EXPECT_TRUE(Publisher(*bob_).publish_and_wait("q", m).ok());
  r = test::run_command(cli + "acl remove --principal bob --resource-type queue --resource q --operation write");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Publisher(*bob_).publish_and_wait("q", m).error().code(), errc::not_authorized);
  r = test::run_command(cli + "acl add --principal bob --resource-type queue --resource q --operation fly");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("invalid_argument"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace wharf

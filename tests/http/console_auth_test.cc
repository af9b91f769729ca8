// The console with authentication on: login against the broker's users,
// the session cookie's flags, redirects to the login page, logout, and the
// user's ACLs enforced by the API (a refused change is not performed).
#include <gtest/gtest.h>

#include "api_client.h"

namespace wharf {
namespace {

constexpr const char* kAdminPassword = "admin-s3cret-passphrase";

class ConsoleAuth : public ::testing::Test {
 protected:
  static BrokerOptions secured() {
    BrokerOptions o;
    o.http.listen = true;
    o.auth.required = true;
    o.auth.admin_password = kAdminPassword;
    return o;
  }
  ConsoleAuth() : tb_(secured()) {
    ClientOptions o;
    o.broker = tb_.address();
    o.user = "admin";
    o.password = kAdminPassword;
    auto c = Client::connect(o);
    EXPECT_TRUE(c.ok());
    admin_ = std::move(*c);
  }
  test::TestBroker tb_;
  std::unique_ptr<Client> admin_;
};

TEST_F(ConsoleAuth, WithoutASessionPagesRedirectAndTheApiRefuses) {
  test::ApiClient anon(tb_);
  for (const char* path : {"/api/v1/topics", "/api/v1/overview", "/api/v1/queues/q/messages", "/api/v1/session"}) {
    auto a = anon.get(path);
    EXPECT_EQ(a.status, 401) << path;
    EXPECT_EQ(a.error_code(), "authentication_required") << path;
  }
  httplib::Client http("127.0.0.1", tb_.broker().http_port());
  for (const char* page : {"/", "/topics", "/topics/orders", "/groups/g", "/queues", "/queues/q/messages/3"}) {
    auto r = http.Get(page);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 302) << page;
    const std::string location = r->get_header_value("Location");
    ASSERT_EQ(location.rfind("/login?next=", 0), 0u) << location;
    EXPECT_EQ(httplib::detail::decode_url(location.substr(12), false), page);
  }
  EXPECT_EQ(http.Get("/login")->status, 200);
  EXPECT_EQ(http.Get("/assets/app.js")->status, 200);
}

TEST_F(ConsoleAuth, LoginSetsAStrictHttpOnlyCookieAndLogoutEndsIt) {
  test::ApiClient web(tb_);
  auto wrong = web.login("admin", "guess");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.error_code(), "authentication_failed");
  EXPECT_EQ(web.login("nobody", "guess").status, 401);

  auto ok = web.login("admin", kAdminPassword);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body["user"], "admin");
  EXPECT_TRUE(ok.body["admin"]);
  const std::string cookie = ok.header("Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("Path=/"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "plain HTTP: a Secure cookie would never come back";

  auto session = web.get("/api/v1/session");
  ASSERT_EQ(session.status, 200);
  EXPECT_EQ(session.body["csrf_token"], web.csrf);
  EXPECT_EQ(web.post("/api/v1/topics", {{"name", "made-by-admin"}}).status, 201);

  httplib::Client http("127.0.0.1", tb_.broker().http_port());
  auto page = http.Get("/topics", {{"Cookie", web.cookie}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);

  EXPECT_EQ(web.post("/api/v1/logout").status, 204);
  EXPECT_EQ(web.get("/api/v1/topics").status, 401);
  EXPECT_EQ(http.Get("/topics", {{"Cookie", web.cookie}})->status, 302);
  // A made-up cookie is no session either.
  web.cookie = "wharf_session=" + std::string(64, 'a');
  EXPECT_EQ(web.get("/api/v1/topics").status, 401);
}

TEST_F(ConsoleAuth, TheUsersAclsAreEnforced) {
  ASSERT_TRUE(admin_->create_topic({"visible", 1}).ok());
  ASSERT_TRUE(admin_->create_topic({"hidden", 1}).ok());
  ASSERT_TRUE(admin_->create_queue("jobs").ok());
  ASSERT_TRUE(admin_->create_user("bob", "bobs-password").ok());
  ASSERT_TRUE(admin_->add_acl({"bob", "topic", "visible", "literal", "read"}).ok());
  ASSERT_TRUE(admin_->add_acl({"bob", "queue", "jobs", "literal", "describe"}).ok());

  test::ApiClient bob(tb_);
  ASSERT_EQ(bob.login("bob", "bobs-password").status, 200);
  auto topics = bob.get("/api/v1/topics");
  ASSERT_EQ(topics.status, 200);
  ASSERT_EQ(topics.body["topics"].size(), 1u);
  EXPECT_EQ(topics.body["topics"][0]["name"], "visible");
  EXPECT_EQ(topics.body["total"], 1);
  EXPECT_EQ(bob.get("/api/v1/topics/visible").status, 200);
  EXPECT_EQ(bob.get("/api/v1/topics/visible/partitions/0/records").status, 200);
  EXPECT_EQ(bob.get("/api/v1/topics/hidden").error_code(), "not_authorized");

  auto refused = bob.del("/api/v1/topics/visible");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.error_code(), "not_authorized");
  EXPECT_EQ(refused.body["error"]["message"], "user 'bob' may not delete topic 'visible'");
  EXPECT_TRUE(admin_->describe_topic("visible").ok()) << "a refused delete must not be performed";
  EXPECT_EQ(bob.post("/api/v1/topics", {{"name", "mine"}}).error_code(), "not_authorized");
  EXPECT_FALSE(admin_->describe_topic("mine").ok());

  EXPECT_EQ(bob.get("/api/v1/queues/jobs").status, 200);
  EXPECT_EQ(bob.get("/api/v1/queues/jobs/peek").error_code(), "not_authorized");
  EXPECT_EQ(bob.post("/api/v1/queues/jobs/purge").error_code(), "not_authorized");
  EXPECT_EQ(bob.post("/api/v1/queues/jobs.dlq/redrive", {{"all", true}}).error_code(), "not_authorized");
  EXPECT_EQ(bob.get("/api/v1/overview").error_code(), "not_authorized");
  auto queues = bob.get("/api/v1/queues");
  ASSERT_EQ(queues.body["queues"].size(), 1u);  // not jobs.dlq
  EXPECT_EQ(queues.body["queues"][0]["name"], "jobs");

  // A deleted user's session ends with them.
  ASSERT_TRUE(admin_->delete_user("bob").ok());
  EXPECT_EQ(bob.get("/api/v1/topics").status, 401);
}

// Issue 21: a login posted by another site's page (login CSRF) is
// refused; the console's own request and a JSON client without an Origin
// log in.
TEST_F(ConsoleAuth, ALoginFromAnotherSiteIsRefused) {
  httplib::Client http("127.0.0.1", tb_.broker().http_port());
  const std::string host = "127.0.0.1:" + std::to_string(tb_.broker().http_port());
  const std::string body = std::string(R"({"user":"admin","password":")") + kAdminPassword + R"("})";
  const auto login = [&](httplib::Headers headers, const char* type) {
    auto r = http.Post("/api/v1/login", headers, body, type);
    EXPECT_TRUE(r);
    return r ? r->status : 0;
  };
  // A cross-site form can send text/plain without a preflight.
  EXPECT_EQ(login({}, "text/plain"), 403);
  EXPECT_EQ(login({{"Origin", "http://evil.example"}}, "application/json"), 403);
  EXPECT_EQ(login({{"Sec-Fetch-Site", "cross-site"}}, "application/json"), 403);
  EXPECT_EQ(login({{"Origin", "http://" + host}, {"Sec-Fetch-Site", "same-origin"}}, "application/json"), 200);
  EXPECT_EQ(login({}, "application/json"), 200);
  auto refused = http.Post("/api/v1/login", {{"Origin", "null"}}, body, "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_TRUE(refused->get_header_value("Set-Cookie").empty());
  EXPECT_NE(refused->body.find("cross_origin"), std::string::npos) << refused->body;
}

}  // namespace
}  // namespace wharf

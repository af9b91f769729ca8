// TLS on every listener: the native protocol (C++ client and CLI), Kafka
// (kcat with security.protocol=SSL) and HTTP; wrong CA, expired
// certificate, plaintext client and mutual TLS.
#include <gtest/gtest.h>

#include <mutex>

#include "support/run_command.h"
#include "support/test_broker.h"
#include "support/test_certs.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"

namespace wharf {
namespace {

using namespace std::chrono_literals;

struct LogLines {
  std::mutex mu;
  std::vector<std::string> lines;
  bool contains(std::string_view what) {
    std::lock_guard lock(mu);
    for (const auto& l : lines)
      if (l.find(what) != std::string::npos) return true;
    return false;
  }
};

class TlsTest : public ::testing::Test {
 protected:
  BrokerOptions tls_options(const std::string& cert = "server") {
    BrokerOptions o;
    o.tls.cert_file = certs_.path(cert + ".pem");
    o.tls.key_file = certs_.path(cert + ".key");
    o.log = [this](LogLevel, std::string_view line) {
      std::lock_guard lock(log_.mu);
      log_.lines.emplace_back(line);
    };
    return o;
  }
  ClientOptions client_options(const test::TestBroker& tb, const std::string& ca = "ca.pem") {
    ClientOptions o;
    o.broker = tb.address();
    o.connect_timeout = 5s;
    o.auto_reconnect = false;
    o.tls.enabled = true;
    o.tls.ca_file = certs_.path(ca);
    return o;
  }

  test::TestCerts certs_;
  LogLines log_;
};

TEST_F(TlsTest, NativeClientProducesAndConsumesOverTls) {
  test::TestBroker tb(tls_options());
  auto client = Client::connect(client_options(tb));
  ASSERT_TRUE(client.ok()) << client.error().to_string();
  ASSERT_TRUE((*client)->create_topic({"secure", 1}).ok());
  Producer producer(**client);
  std::vector<std::string> values;
  for (int i = 0; i < 100; ++i) values.push_back("secret-" + std::to_string(i));
  for (int i = 0; i < 100; ++i) {
    ProducerRecord r;
    r.value = values[i];
    producer.send("secure", 0, r, [](result<RecordMetadata> m) { EXPECT_TRUE(m.ok()); });
  }
  producer.flush();
  ConsumerOptions co;
  co.start = StartFrom::earliest;
  Consumer consumer(**client, co);
  ASSERT_TRUE(consumer.assign({{"secure", 0}}).ok());
  std::size_t got = 0;
  while (got < 100) {
    auto records = consumer.poll(5s);
    ASSERT_TRUE(records.ok() && !records->empty());
    for (const auto& r : *records) EXPECT_EQ(r.value, "secret-" + std::to_string(got++));
  }
}

TEST_F(TlsTest, ClientTrustingAnotherCaRefusesTheBroker) {
  test::TestBroker tb(tls_options());
  auto client = Client::connect(client_options(tb, "other-ca.pem"));
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().code(), errc::connection_failed);
  EXPECT_NE(client.error().to_string().find("certificate verify failed"), std::string::npos)
      << client.error().to_string();
  EXPECT_TRUE(test::wait_for([&] { return log_.contains("TLS handshake with /127.0.0.1 failed"); }));
}

TEST_F(TlsTest, ExpiredBrokerCertificateIsRefused) {
  test::TestBroker tb(tls_options("expired"));
  auto client = Client::connect(client_options(tb));
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().code(), errc::connection_failed);
  EXPECT_NE(client.error().to_string().find("certificate verify failed"), std::string::npos)
      << client.error().to_string();
  EXPECT_TRUE(test::wait_for([&] { return log_.contains("certificate expired"); }));
}

TEST_F(TlsTest, PlaintextClientOnATlsPortIsCutOffAndOthersCarryOn) {
  test::TestBroker tb(tls_options());
  ClientOptions plain = client_options(tb);
  plain.tls.enabled = false;
  auto client = Client::connect(plain);
  ASSERT_FALSE(client.ok());
  EXPECT_TRUE(test::wait_for([&] { return log_.contains("TLS handshake with /127.0.0.1 failed"); }));
  auto good = Client::connect(client_options(tb));
  ASSERT_TRUE(good.ok()) << good.error().to_string();
  EXPECT_TRUE((*good)->list_topics().ok());
}

TEST_F(TlsTest, MutualTlsRequiresAClientCertificateFromTheClientCa) {
  BrokerOptions o = tls_options();
  o.tls.client_ca_file = certs_.path("ca.pem");
  test::TestBroker tb(o);
  auto anonymous = Client::connect(client_options(tb));
  ASSERT_FALSE(anonymous.ok());
  EXPECT_TRUE(test::wait_for([&] { return log_.contains("peer did not return a certificate"); }));
  ClientOptions with_cert = client_options(tb);
  with_cert.tls.cert_file = certs_.path("client.pem");
  with_cert.tls.key_file = certs_.path("client.key");
  auto client = Client::connect(with_cert);
  ASSERT_TRUE(client.ok()) << client.error().to_string();
  EXPECT_TRUE((*client)->list_topics().ok());
}

TEST_F(TlsTest, BadCertificateFilesStopTheBrokerFromStarting) {
  BrokerOptions o = tls_options();
  o.tls.key_file = certs_.path("client.key");  // not the certificate's key
  o.port = 0;
  o.data_dir = certs_.path("data");
  auto b = Broker::start(o);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code(), errc::invalid_argument);
  EXPECT_NE(b.error().to_string().find("client.key"), std::string::npos) << b.error().to_string();
  o.tls.cert_file = certs_.path("missing.pem");
  b = Broker::start(o);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().to_string().find("missing.pem"), std::string::npos) << b.error().to_string();
}

TEST_F(TlsTest, CliConnectsWithTlsCa) {
  test::TestBroker tb(tls_options());
  const std::string cli = std::string(WHARF_CLI_PATH) + " --broker " + tb.address();
  auto r = test::run_command(cli + " --tls-ca " + certs_.path("ca.pem") + " topic create viacli");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = test::run_command(cli + " --tls-ca " + certs_.path("ca.pem") + " topic list");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("viacli"), std::string::npos) << r.out;
  r = test::run_command(cli + " --tls-ca " + certs_.path("other-ca.pem") + " topic list");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("certificate verify failed"), std::string::npos) << r.err;
}

TEST_F(TlsTest, KcatProducesAndConsumesWithSsl) {
  BrokerOptions o = tls_options();
  o.kafka.listen = true;
  test::TestBroker tb(o);
  const std::string ssl = " -X security.protocol=SSL -X ssl.ca.location=" + certs_.path("ca.pem");
  auto r = test::run_command("timeout 60 kcat -P -b " + tb.kafka_address() + ssl + " -t tls-topic",
                             "one\ntwo\nthree\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_command("timeout 60 kcat -C -e -q -b " + tb.kafka_address() + ssl + " -t tls-topic -o beginning");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "one\ntwo\nthree\n");
  // Without SSL, kcat cannot talk to the listener.
  r = test::run_command("timeout 60 kcat -L -m 3 -b " + tb.kafka_address() + " -t tls-topic");
  EXPECT_NE(r.exit_code, 0);
}

TEST_F(TlsTest, HttpListenerServesMetricsOverTls) {
  BrokerOptions o = tls_options();
  o.http.listen = true;
  test::TestBroker tb(o);
  const std::string url = "https://127.0.0.1:" + std::to_string(tb.broker().http_port());
  const std::string get = "/usr/bin/python3 -c 'import ssl, sys, urllib.request\n"
                          "ctx = ssl.create_default_context(cafile=sys.argv[2])\n"
                          "print(urllib.request.urlopen(sys.argv[1], context=ctx, timeout=10).status)' ";
  auto r = test::run_command(get + url + "/readyz " + certs_.path("ca.pem"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "200\n");
  r = test::run_command(get + url + "/metrics " + certs_.path("other-ca.pem"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("CERTIFICATE_VERIFY_FAILED"), std::string::npos) << r.err;
}

// Issue 21: TLS 1.2 offers forward-secret AEAD suites only, on every
// listener, and the list can be set. An RSA certificate, since static-RSA
// key exchange needs one.
TEST_F(TlsTest, OnlyForwardSecretAeadSuitesAreOffered) {
  BrokerOptions o = tls_options("rsa-server");
  o.kafka.listen = true;
  o.http.listen = true;
  test::TestBroker tb(o);
  // Whether a TLS 1.2 handshake offering only `cipher` succeeds.
  const auto accepts = [&](std::uint16_t port, const std::string& cipher) {
    auto r = test::run_command("timeout 20 openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                               " -tls1_2 -cipher " + cipher + " -CAfile " + certs_.path("ca.pem"),
                               "");
    return r.exit_code == 0 && r.out.find("Cipher is " + cipher) != std::string::npos;
  };
  for (std::uint16_t port : {tb.broker().port(), tb.broker().kafka_port(), tb.broker().http_port()}) {
    SCOPED_TRACE(port);
    EXPECT_TRUE(accepts(port, "ECDHE-RSA-AES128-GCM-SHA256"));
    EXPECT_TRUE(accepts(port, "ECDHE-RSA-AES256-GCM-SHA384"));
    EXPECT_TRUE(accepts(port, "ECDHE-RSA-CHACHA20-POLY1305"));
    for (const char* weak : {"AES128-SHA", "AES256-GCM-SHA384", "AES128-SHA256", "ECDHE-RSA-AES128-SHA",
                             "ECDHE-RSA-AES256-SHA384", "DHE-RSA-AES128-GCM-SHA256"})
      EXPECT_FALSE(accepts(port, weak)) << weak;
  }
  // A list of one's own.
  tb.stop();
  BrokerOptions narrow = tls_options("rsa-server");
  narrow.tls.ciphers = "ECDHE-RSA-AES256-GCM-SHA384";
  test::TestBroker one(narrow);
  EXPECT_TRUE(accepts(one.broker().port(), "ECDHE-RSA-AES256-GCM-SHA384"));
  EXPECT_FALSE(accepts(one.broker().port(), "ECDHE-RSA-AES128-GCM-SHA256"));
  // One OpenSSL does not know stops the broker from starting.
  BrokerOptions bad = tls_options("rsa-server");
  bad.tls.ciphers = "NO-SUCH-CIPHER";
  bad.data_dir = certs_.path("bad-data");
  auto refused = Broker::start(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("NO-SUCH-CIPHER"), std::string::npos) << refused.error().to_string();
}

}  // namespace
}  // namespace wharf

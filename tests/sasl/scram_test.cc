// SCRAM exchanges between ScramClient and ScramServer, the RFC 7677 test
// vector, malformed input at every step, and the primitives under them
// (crypto.h).
#include "protocol/sasl/scram.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "protocol/sasl/crypto.h"

namespace wharf::sasl {
namespace {

// RFC 7677 section 3.
constexpr std::string_view kClientNonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view kClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view kClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view kServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

using Users = std::map<std::string, ScramCredential, std::less<>>;

ScramServer::CredentialLookup lookup_in(Users users) {
  return [users = std::move(users)](std::string_view user) -> std::optional<ScramCredential> {
    const auto found = users.find(user);
    if (found == users.end()) return std::nullopt;
    return found->second;
  };
}

ScramCredential rfc7677_credential() {
  return make_scram_credential(ScramMechanism::sha256, "pencil", 4096, *base64_decode("W22ZaJ0SNY7soEsUEjb6gQ=="));
}

ScramServer rfc7677_server() {
  return ScramServer(ScramMechanism::sha256, lookup_in({{"user", rfc7677_credential()}}), std::string(kServerNonce));
}

// Runs a whole exchange; returns the server's last step.
ScramServer::Step run_exchange(ScramServer& server, ScramClient& client) {
  ScramServer::Step first = server.step(client.first_message());
  if (first.outcome != ScramServer::Step::continue_) return first;
  std::string error;
  const auto final = client.final_message(first.reply, &error);
  if (!final) return ScramServer::Step{ScramServer::Step::failed, {}, "client: " + error};
  return server.step(*final);
}

// A client-final-message built by hand, for gs2 headers ScramClient never
// sends. `bare` is the client-first-message without its gs2 header.
std::string hand_made_final(const ScramCredential& credential, std::string_view password, std::string_view gs2_header,
                            std::string_view bare, std::string_view server_first) {
  const HashFunction h = scram_hash_function(credential.mechanism);
  const std::string salted = pbkdf2_hi(h, password, credential.salt, credential.iterations);
  const std::string client_key = hmac(h, salted, "Client Key");
  const std::string nonce(server_first.substr(2, server_first.find(',') - 2));
  const std::string without_proof = "c=" + base64_encode(gs2_header) + ",r=" + nonce;
  const std::string auth_message = std::string(bare) + "," + std::string(server_first) + "," + without_proof;
  return without_proof + ",p=" + base64_encode(xor_bytes(client_key, hmac(h, digest(h, client_key), auth_message)));
}

TEST(AuthScram, Rfc7677VectorClientSide) {
  ScramClient client(ScramMechanism::sha256, "user", "pencil", std::string(kClientNonce));
  EXPECT_EQ(client.first_message(), kClientFirst);
  std::string error;
  const auto final = client.final_message(kServerFirst, &error);
  ASSERT_TRUE(final) << error;
  EXPECT_EQ(*final, kClientFinal);
  EXPECT_TRUE(client.verify_server_final(kServerFinal, &error)) << error;
}

TEST(AuthScram, Rfc7677VectorServerSide) {
  ScramServer server = rfc7677_server();
  const ScramServer::Step first = server.step(kClientFirst);
  ASSERT_EQ(first.outcome, ScramServer::Step::continue_) << first.error;
  EXPECT_EQ(first.reply, kServerFirst);
  EXPECT_TRUE(server.user().empty());
  const ScramServer::Step final = server.step(kClientFinal);
  ASSERT_EQ(final.outcome, ScramServer::Step::succeeded) << final.error;
  EXPECT_EQ(final.reply, kServerFinal);
  EXPECT_EQ(server.user(), "user");
}

TEST(AuthScram, Rfc7677VectorClientAgainstServer) {
  ScramServer server = rfc7677_server();
  ScramClient client(ScramMechanism::sha256, "user", "pencil", std::string(kClientNonce));
  const ScramServer::Step final = run_exchange(server, client);
  ASSERT_EQ(final.outcome, ScramServer::Step::succeeded) << final.error;
  std::string error;
  EXPECT_TRUE(client.verify_server_final(final.reply, &error)) << error;
}

TEST(AuthScram, Sha512RoundTripWithRandomNonces) {
  const ScramCredential credential = make_scram_credential(ScramMechanism::sha512, "s3cret", kDefaultScramIterations);
  EXPECT_EQ(credential.salt.size(), kScramSaltSize);
  EXPECT_EQ(credential.stored_key.size(), 64u);
  ScramServer server(ScramMechanism::sha512, lookup_in({{"alice", credential}}));
  ScramClient client(ScramMechanism::sha512, "alice", "s3cret");
  const ScramServer::Step final = run_exchange(server, client);
  ASSERT_EQ(final.outcome, ScramServer::Step::succeeded) << final.error;
  std::string error;
  EXPECT_TRUE(client.verify_server_final(final.reply, &error)) << error;
  EXPECT_EQ(server.user(), "alice");
}

TEST(AuthScram, WrongPasswordAndUnknownUserFailAlike) {
  const ScramCredential credential = make_scram_credential(ScramMechanism::sha512, "right", kDefaultScramIterations);
  const auto lookup = lookup_in({{"alice", credential}});

  ScramServer wrong_password_server(ScramMechanism::sha512, lookup);
  ScramClient wrong_password(ScramMechanism::sha512, "alice", "wrong");
  const ScramServer::Step wrong = run_exchange(wrong_password_server, wrong_password);

  ScramServer unknown_user_server(ScramMechanism::sha512, lookup);
  ScramClient unknown_user(ScramMechanism::sha512, "mallory", "right");
  const ScramServer::Step unknown = run_exchange(unknown_user_server, unknown_user);

  EXPECT_EQ(wrong.outcome, ScramServer::Step::failed);
  EXPECT_EQ(unknown.outcome, ScramServer::Step::failed);
  EXPECT_FALSE(wrong.error.empty());
  EXPECT_EQ(wrong.error, unknown.error);
  EXPECT_EQ(wrong.reply, unknown.reply);
  EXPECT_TRUE(wrong_password_server.user().empty());
  EXPECT_TRUE(unknown_user_server.user().empty());
}

// Salt and iterations of a server-first-message.
std::pair<std::string, std::string> salt_and_iterations(std::string_view server_first) {
  const std::size_t s = server_first.find(",s=");
  const std::size_t i = server_first.find(",i=");
  return {std::string(server_first.substr(s + 3, i - s - 3)), std::string(server_first.substr(i + 3))};
}

TEST(AuthScram, UnknownUserGetsANormalLookingServerFirst) {
  const ScramCredential credential = make_scram_credential(ScramMechanism::sha256, "pw", kDefaultScramIterations);
  const auto lookup = lookup_in({{"alice", credential}});
  const auto server_first_for = [&](std::string_view user) {
    ScramServer server(ScramMechanism::sha256, lookup);
    ScramClient client(ScramMechanism::sha256, std::string(user), "pw", "fixednonce");
    const ScramServer::Step step = server.step(client.first_message());
    EXPECT_EQ(step.outcome, ScramServer::Step::continue_) << step.error;
    std::string error;
    EXPECT_TRUE(client.final_message(step.reply, &error)) << error;  // a client cannot tell
    return step.reply;
  };
  const std::string known = server_first_for("alice");
  const std::string unknown = server_first_for("mallory");
  ASSERT_TRUE(unknown.starts_with("r=fixednonce")) << unknown;
  const auto [known_salt, known_iterations] = salt_and_iterations(known);
  const auto [unknown_salt, unknown_iterations] = salt_and_iterations(unknown);
  EXPECT_EQ(unknown_iterations, known_iterations);
  EXPECT_EQ(base64_decode(unknown_salt)->size(), base64_decode(known_salt)->size());
  EXPECT_NE(unknown_salt, known_salt);
  // Asking again gives the same salt, as it would for a real user.
  EXPECT_EQ(salt_and_iterations(server_first_for("mallory")).first, unknown_salt);
  EXPECT_NE(salt_and_iterations(server_first_for("mallet")).first, unknown_salt);
}

TEST(AuthScram, CredentialForAnotherMechanismCountsAsUnknown) {
  const ScramCredential sha512 = make_scram_credential(ScramMechanism::sha512, "pw", kMinScramIterations);
  ScramServer server(ScramMechanism::sha256, lookup_in({{"alice", sha512}}));
  ScramClient client(ScramMechanism::sha256, "alice", "pw");
  EXPECT_EQ(run_exchange(server, client).outcome, ScramServer::Step::failed);
}

TEST(AuthScram, ReplayedClientFinalFailsAgainstANewServerNonce) {
  const ScramCredential credential = make_scram_credential(ScramMechanism::sha256, "pw", kMinScramIterations);
  const auto lookup = lookup_in({{"alice", credential}});
  ScramClient client(ScramMechanism::sha256, "alice", "pw");
  const std::string client_first = client.first_message();
  ScramServer first_server(ScramMechanism::sha256, lookup);
  std::string error;
  const auto captured = client.final_message(first_server.step(client_first).reply, &error);
  ASSERT_TRUE(captured) << error;
  ASSERT_EQ(first_server.step(*captured).outcome, ScramServer::Step::succeeded);

  ScramServer second_server(ScramMechanism::sha256, lookup);
  ASSERT_EQ(second_server.step(client_first).outcome, ScramServer::Step::continue_);
  const ScramServer::Step replayed = second_server.step(*captured);
  EXPECT_EQ(replayed.outcome, ScramServer::Step::failed);
  EXPECT_NE(replayed.error.find("nonce mismatch"), std::string::npos) << replayed.error;
  EXPECT_TRUE(second_server.user().empty());
}

TEST(AuthScram, StepAfterCompletionFails) {
  ScramServer server = rfc7677_server();
  ASSERT_EQ(server.step(kClientFirst).outcome, ScramServer::Step::continue_);
  ASSERT_EQ(server.step(kClientFinal).outcome, ScramServer::Step::succeeded);
  for (const std::string_view again : {kClientFinal, kClientFirst}) {
    const ScramServer::Step step = server.step(again);
    EXPECT_EQ(step.outcome, ScramServer::Step::failed);
    EXPECT_NE(step.error.find("already finished"), std::string::npos) << step.error;
    EXPECT_EQ(server.user(), "user");
  }
}

TEST(AuthScram, StepAfterFailureFails) {
  ScramServer server = rfc7677_server();
  ASSERT_EQ(server.step("garbage").outcome, ScramServer::Step::failed);
  EXPECT_EQ(server.step(kClientFirst).outcome, ScramServer::Step::failed);
}

TEST(AuthScram, EveryTruncatedClientFirstFailsOrIsAShorterValidMessage) {
  const std::size_t nonce_start = kClientFirst.find("r=") + 2;
  for (std::size_t size = 0; size < kClientFirst.size(); ++size) {
    ScramServer server = rfc7677_server();
    const ScramServer::Step step = server.step(kClientFirst.substr(0, size));
    // Cutting inside the nonce leaves a valid, shorter nonce.
    const auto expected = size > nonce_start ? ScramServer::Step::continue_ : ScramServer::Step::failed;
    EXPECT_EQ(step.outcome, expected) << "size " << size;
    if (step.outcome == ScramServer::Step::failed) {
      EXPECT_FALSE(step.error.empty());
    }
  }
}

TEST(AuthScram, EveryTruncatedClientFinalFails) {
  for (std::size_t size = 0; size < kClientFinal.size(); ++size) {
    ScramServer server = rfc7677_server();
    ASSERT_EQ(server.step(kClientFirst).outcome, ScramServer::Step::continue_);
    const ScramServer::Step step = server.step(kClientFinal.substr(0, size));
    EXPECT_EQ(step.outcome, ScramServer::Step::failed) << "size " << size;
    EXPECT_FALSE(step.error.empty()) << "size " << size;
  }
}

struct BadMessage {
  std::string message;
  std::string error_part;
};

TEST(AuthScram, MalformedClientFirstFailsWithAClearError) {
  const std::vector<BadMessage> cases = {
      {"", "gs2 header"},
      {std::string("\0\0\0", 3), "gs2 header"},
      {"garbage", "gs2 header"},
      {"n,,", "attributes"},
      {"n,,n=user", "n=<user>,r=<nonce>"},
      {"n,,r=abc,n=user", "n=<user>,r=<nonce>"},
      {"n,,n=user,r=", "attributes"},
      {"n,,n=,r=abc", "attributes"},
      {"n,,n=user,,r=abc", "attributes"},
      {"n,,n=user,r=abc,", "attributes"},
      {std::string("n,,n=us\0er,r=abc", 16), "attributes"},
      {"n,,n=user,r=abc,n=user", "repeated or out of order"},
      {"n,,n=us=2Der,r=abc", "user name"},
      {"n,,n=user=,r=abc", "user name"},
      {"n,,n=user=2,r=abc", "user name"},
      {"n,,n=user,r=ab\x7f", "nonce"},
      {"y,,n=user,r=abc", "\"y\""},
      {"p=tls-server-end-point,,n=user,r=abc", "channel binding"},
      {"n,a=other,n=user,r=abc", "authorization identity"},
      {"n,x=user,n=user,r=abc", "gs2 header"},
      {"n,a=us=er,n=user,r=abc", "authzid"},
      {"n,,m=required,n=user,r=abc", "mandatory extension"},
      {"n,,n=user,r=abc,tokenauth=true", "tokenauth"},
  };
  for (const BadMessage& bad : cases) {
    ScramServer server = rfc7677_server();
    const ScramServer::Step step = server.step(bad.message);
    EXPECT_EQ(step.outcome, ScramServer::Step::failed) << bad.message;
    EXPECT_NE(step.error.find(bad.error_part), std::string::npos) << bad.message << " -> " << step.error;
    EXPECT_TRUE(step.reply.empty());
  }
}

TEST(AuthScram, UnknownOptionalExtensionsAreIgnored) {
  ScramServer server = rfc7677_server();
  const ScramServer::Step first = server.step(std::string(kClientFirst) + ",x=1,custom=yes");
  EXPECT_EQ(first.outcome, ScramServer::Step::continue_) << first.error;
  EXPECT_EQ(first.reply, kServerFirst);
}

TEST(AuthScram, MalformedClientFinalFailsWithAClearError) {
  const std::string nonce = std::string(kClientNonce) + std::string(kServerNonce);
  const std::string proof = "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
  const std::vector<BadMessage> cases = {
      {"", "expected"},
      {"garbage", "expected"},
      {"c=biws", "expected"},
      {"c=biws,r=" + nonce, "expected"},
      {"r=" + nonce + ",c=biws," + proof, "expected"},
      {"c=biws," + proof + ",r=" + nonce, "expected"},
      {"c=b!ws,r=" + nonce + "," + proof, "not base64"},
      {"c=eSws,r=" + nonce + "," + proof, "channel binding mismatch"},  // "y,,"
      {"c=biws,r=" + nonce + "x," + proof, "nonce mismatch"},
      {"c=biws,r=" + std::string(kClientNonce) + "," + proof, "nonce mismatch"},
      {"c=biws,r=" + nonce + ",p=dHzb", "proof"},
      {"c=biws,r=" + nonce + ",p=not-base64", "proof"},
      {"c=biws,r=" + nonce + ",r=" + nonce + "," + proof, "repeated or out of order"},
  };
  for (const BadMessage& bad : cases) {
    ScramServer server = rfc7677_server();
    ASSERT_EQ(server.step(kClientFirst).outcome, ScramServer::Step::continue_);
    const ScramServer::Step step = server.step(bad.message);
    EXPECT_EQ(step.outcome, ScramServer::Step::failed) << bad.message;
    EXPECT_NE(step.error.find(bad.error_part), std::string::npos) << bad.message << " -> " << step.error;
    EXPECT_TRUE(server.user().empty());
  }
}

TEST(AuthScram, TamperedProofFails) {
  ScramServer server = rfc7677_server();
  ASSERT_EQ(server.step(kClientFirst).outcome, ScramServer::Step::continue_);
  std::string tampered(kClientFinal);
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  const ScramServer::Step step = server.step(tampered);
  EXPECT_EQ(step.outcome, ScramServer::Step::failed);
  EXPECT_NE(step.error.find("invalid user name or password"), std::string::npos) << step.error;
}

TEST(AuthScram, AuthzidEqualToUserIsAcceptedAndBoundIntoTheChannelBinding) {
  const ScramCredential credential = rfc7677_credential();
  const std::string gs2 = "n,a=user,";
  const std::string bare = "n=user,r=abc";
  {
    ScramServer server = rfc7677_server();
    const ScramServer::Step first = server.step(gs2 + bare);
    ASSERT_EQ(first.outcome, ScramServer::Step::continue_) << first.error;
    const ScramServer::Step final = server.step(hand_made_final(credential, "pencil", gs2, bare, first.reply));
    EXPECT_EQ(final.outcome, ScramServer::Step::succeeded) << final.error;
    EXPECT_EQ(server.user(), "user");
  }
  {
    // The same exchange claiming "n,," in c= does not match the header sent.
    ScramServer server = rfc7677_server();
    const ScramServer::Step first = server.step(gs2 + bare);
    ASSERT_EQ(first.outcome, ScramServer::Step::continue_);
    const ScramServer::Step final = server.step(hand_made_final(credential, "pencil", "n,,", bare, first.reply));
    EXPECT_EQ(final.outcome, ScramServer::Step::failed);
    EXPECT_NE(final.error.find("channel binding mismatch"), std::string::npos) << final.error;
  }
}

TEST(AuthScram, UserNamesDecodeCommaAndEqualsEscapes) {
  const ScramCredential credential = make_scram_credential(ScramMechanism::sha256, "pw", kMinScramIterations);
  std::string looked_up;
  ScramServer server(ScramMechanism::sha256, [&](std::string_view user) -> std::optional<ScramCredential> {
    looked_up = user;
    return credential;
  });
  ScramClient client(ScramMechanism::sha256, "a,b=c", "pw", "nonce");
  EXPECT_EQ(client.first_message(), "n,,n=a=2Cb=3Dc,r=nonce");
  const ScramServer::Step final = run_exchange(server, client);
  ASSERT_EQ(final.outcome, ScramServer::Step::succeeded) << final.error;
  EXPECT_EQ(looked_up, "a,b=c");
  EXPECT_EQ(server.user(), "a,b=c");
}

TEST(AuthScram, ClientRejectsABadServerFirst) {
  const std::vector<BadMessage> cases = {
      {"", "malformed"},
      {"r=rOprNGfwEbeRWgbNEkqO", "malformed"},
      {"s=W22ZaJ0SNY7soEsUEjb6gQ==,r=rOprNGfwEbeRWgbNEkqOxyz,i=4096", "malformed"},
      {"r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "does not extend"},
      {"r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "does not extend"},
      {"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ=,i=4096", "salt"},
      {"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096x", "iteration"},
      {"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-4096", "iteration"},
      {"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999", "iteration"},
      {"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095", "4095 iterations"},
      {"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=16385", "16385 iterations"},
      {"m=x,r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "mandatory extension"},
      {"e=unknown-user", "unknown-user"},
  };
  for (const BadMessage& bad : cases) {
    ScramClient client(ScramMechanism::sha256, "user", "pencil", std::string(kClientNonce));
    client.first_message();
    std::string error;
    EXPECT_FALSE(client.final_message(bad.message, &error)) << bad.message;
    EXPECT_NE(error.find(bad.error_part), std::string::npos) << bad.message << " -> " << error;
  }
}

TEST(AuthScram, ClientChecksTheServerFinal) {
  const auto after_final = [] {
    auto client = std::make_unique<ScramClient>(ScramMechanism::sha256, "user", "pencil", std::string(kClientNonce));
    client->first_message();
    EXPECT_TRUE(client->final_message(kServerFirst, nullptr));
    return client;
  };
  std::string error;
  EXPECT_FALSE(after_final()->verify_server_final("v=AAAAZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", &error));
  EXPECT_NE(error.find("signature mismatch"), std::string::npos) << error;
  EXPECT_FALSE(after_final()->verify_server_final("e=invalid-proof", &error));
  EXPECT_NE(error.find("invalid-proof"), std::string::npos) << error;
  EXPECT_FALSE(after_final()->verify_server_final("v=!!", &error));
  EXPECT_NE(error.find("base64"), std::string::npos) << error;
  EXPECT_FALSE(after_final()->verify_server_final("", &error));
  EXPECT_NE(error.find("malformed"), std::string::npos) << error;
  EXPECT_TRUE(after_final()->verify_server_final(kServerFinal, nullptr));
}

TEST(AuthScram, ClientCallsOutOfOrderFail) {
  ScramClient client(ScramMechanism::sha256, "user", "pencil", std::string(kClientNonce));
  std::string error;
  EXPECT_FALSE(client.verify_server_final(kServerFinal, &error));
  EXPECT_FALSE(client.final_message(kServerFirst, &error));
  EXPECT_NE(error.find("first_message()"), std::string::npos) << error;
  client.first_message();
  EXPECT_TRUE(client.final_message(kServerFirst, &error)) << error;
  EXPECT_FALSE(client.final_message(kServerFirst, &error));
  EXPECT_TRUE(client.verify_server_final(kServerFinal, &error)) << error;
  EXPECT_FALSE(client.verify_server_final(kServerFinal, &error));
}

TEST(AuthScram, MechanismNames) {
  EXPECT_EQ(parse_scram_mechanism("SCRAM-SHA-256"), ScramMechanism::sha256);
  EXPECT_EQ(parse_scram_mechanism("SCRAM-SHA-512"), ScramMechanism::sha512);
  EXPECT_EQ(parse_scram_mechanism("scram-sha-256"), std::nullopt);
  EXPECT_EQ(parse_scram_mechanism("PLAIN"), std::nullopt);
  EXPECT_EQ(scram_mechanism_name(ScramMechanism::sha256), "SCRAM-SHA-256");
  EXPECT_EQ(scram_mechanism_name(ScramMechanism::sha512), "SCRAM-SHA-512");
}

TEST(AuthScram, CredentialEncodingRoundTrips) {
  for (const ScramMechanism mechanism : {ScramMechanism::sha256, ScramMechanism::sha512}) {
    const ScramCredential credential = make_scram_credential(mechanism, "pw", kMinScramIterations);
    const std::string encoded = encode_credential(credential);
    EXPECT_EQ(static_cast<std::uint8_t>(encoded[0]), kScramCredentialFormatVersion);
    EXPECT_EQ(decode_credential(encoded), credential);
  }
}

TEST(AuthScram, CredentialDecodingRejectsMalformedInput) {
  const std::string good = encode_credential(rfc7677_credential());
  ASSERT_TRUE(decode_credential(good));
  for (std::size_t size = 0; size < good.size(); ++size) {
    EXPECT_EQ(decode_credential(good.substr(0, size)), std::nullopt) << "size " << size;
  }
  EXPECT_EQ(decode_credential(good + '\0'), std::nullopt);
  const auto with_byte = [&](std::size_t at, char value) {
    std::string bad = good;
    bad[at] = value;
    return bad;
  };
  EXPECT_EQ(decode_credential(with_byte(0, 2)), std::nullopt);  // unknown version
  EXPECT_EQ(decode_credential(with_byte(1, 3)), std::nullopt);  // unknown mechanism
  EXPECT_EQ(decode_credential(with_byte(1, 2)), std::nullopt);  // SHA-512 with 32-byte keys
  std::string no_iterations = good;
  no_iterations.replace(2, 4, std::string(4, '\0'));
  EXPECT_EQ(decode_credential(no_iterations), std::nullopt);
  ScramCredential short_key = rfc7677_credential();
  short_key.stored_key.pop_back();
  EXPECT_EQ(decode_credential(encode_credential(short_key)), std::nullopt);
  ScramCredential no_salt = rfc7677_credential();
  no_salt.salt.clear();
  EXPECT_EQ(decode_credential(encode_credential(no_salt)), std::nullopt);
  EXPECT_EQ(decode_credential(std::string(100, '\xff')), std::nullopt);
}

TEST(AuthScram, SaltsAreRandomUnlessGiven) {
  const ScramCredential a = make_scram_credential(ScramMechanism::sha256, "pw", kMinScramIterations);
  const ScramCredential b = make_scram_credential(ScramMechanism::sha256, "pw", kMinScramIterations);
  EXPECT_NE(a.salt, b.salt);
  EXPECT_NE(a.stored_key, b.stored_key);
  EXPECT_EQ(make_scram_credential(ScramMechanism::sha256, "pw", kMinScramIterations, a.salt), a);
}

// The primitives (crypto.h), against published vectors.
TEST(AuthScramPrimitives, Base64MatchesRfc4648) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {"n,,", "biws"},
  };
  for (const auto& [bytes, text] : vectors) {
    EXPECT_EQ(base64_encode(bytes), text);
    EXPECT_EQ(base64_decode(text), bytes);
  }
  const std::string all_bytes = [] {
    std::string s;
    for (int i = 0; i < 256; ++i) s += static_cast<char>(i);
    return s;
  }();
  EXPECT_EQ(base64_decode(base64_encode(all_bytes)), all_bytes);
}

TEST(AuthScramPrimitives, Base64DecodeIsStrict) {
  for (const std::string_view bad :
       {"Zg=", "Zg", "Zh==", "Zm9=", "Z===", "====", "=Zm9", "Zm=v", "Zm9v!A==", "Zm9v\n", "Zg==Zg=="}) {
    EXPECT_EQ(base64_decode(bad), std::nullopt) << bad;
  }
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    out += kDigits[static_cast<unsigned char>(c) >> 4];
    out += kDigits[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

TEST(AuthScramPrimitives, HmacAndDigestMatchPublishedVectors) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hex(hmac(HashFunction::sha256, "Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(
      hex(hmac(HashFunction::sha512, "Jefe", "what do ya want for nothing?")),
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b"
      "636e070a38bce737");
  // FIPS 180-2 "abc".
  EXPECT_EQ(hex(digest(HashFunction::sha256, "abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(digest(HashFunction::sha512, "abc")),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d442364"
            "3ce80e2a"
            "9ac94fa54ca49f");
}

TEST(AuthScramPrimitives, XorAndConstantTimeEqual) {
  EXPECT_EQ(xor_bytes("\x0f\xf0", "\xff\xff"), "\xf0\x0f");
  EXPECT_EQ(xor_bytes("ab", "abc"), "");
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "secrets"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_EQ(random_bytes(24).size(), 24u);
  EXPECT_NE(random_bytes(24), random_bytes(24));
}

}  // namespace
}  // namespace wharf::sasl

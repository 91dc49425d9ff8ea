// 12 CLI clients: mosquitto_pub and mosquitto_sub, unmodified, talk to the broker in both protocol
// versions, with retained messages, and over TLS with a client certificate.
#include <gtest/gtest.h>

#include "tests/support/broker_test.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_pki.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

class CliClients : public BrokerTest {
 protected:
  std::vector<std::string> target(bool tls) const {
    std::vector<std::string> args{"-h", "127.0.0.1", "-p",
                                  std::to_string(tls ? broker().tls_port() : broker().port())};
    if (tls) {
      args.insert(args.end(), {"--cafile", pki_->ca(), "--cert", pki_->client().cert, "--key",
                               pki_->client().key});
    }
    return args;
  }

  // Starts mosquitto_sub for one message and waits until its SUBACK (-d prints it), so the
  // publish that follows cannot race the subscription.
  std::unique_ptr<ChildProcess> start_sub(const std::string& version, const std::string& topic,
                                          bool tls = false) {
    // stdbuf: mosquitto_sub's stdio is block-buffered on a pipe, which would hide the SUBACK line.
    std::vector<std::string> argv{"stdbuf", "-oL", "mosquitto_sub", "-d", "-V", version, "-q", "1", "-t", topic,
                                  "-C", "1", "-W", "10", "-i", unique_client_id("cli-sub")};
    const auto more = target(tls);
    argv.insert(argv.end(), more.begin(), more.end());
    auto sub = std::make_unique<ChildProcess>(argv, "");
    const auto suback = sub->read_line_until(
        [](const std::string& line) { return line.find("SUBACK") != std::string::npos; },
        Deadline(10s));
    EXPECT_TRUE(suback) << "mosquitto_sub never subscribed:\n" << sub->output();
    return sub;
  }

  CommandResult pub(const std::string& version, const std::string& topic,
                    const std::string& message, std::vector<std::string> extra = {},
                    bool tls = false) {
    std::vector<std::string> argv{"mosquitto_pub", "-V", version, "-q", "1", "-t", topic, "-m",
                                  message, "-i", unique_client_id("cli-pub")};
    const auto more = target(tls);
    argv.insert(argv.end(), more.begin(), more.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv, 10s);
  }

  // Waits for mosquitto_sub to exit and returns its output.
  static std::string finish(ChildProcess& sub) {
    sub.read_to_eof(Deadline(10s));
    const auto status = sub.wait(Deadline(5s));
    EXPECT_TRUE(status && status->exited && status->code == 0)
        << "mosquitto_sub: " << (status ? to_string(*status) : "still running") << "\n"
        << sub.output();
    return sub.output();
  }

  // A fresh PKI and a broker whose TLS listener requires a client certificate from it.
  void start_tls_broker() {
    pki_ = std::make_unique<TestPki>();
    start_broker(client_cert_tls(*pki_));
  }

  std::unique_ptr<TestPki> pki_;
};

class CliRoundTrip : public CliClients, public ::testing::WithParamInterface<std::string> {};

TEST_P(CliRoundTrip, PubToSubRoundTrip) {
  start_broker();
  auto sub = start_sub(GetParam(), "cli/t");
  const auto published = pub(GetParam(), "cli/t", "hello-from-cli");
  ASSERT_TRUE(published.ok()) << published.output;
  EXPECT_NE(finish(*sub).find("hello-from-cli"), std::string::npos);
}

TEST_P(CliRoundTrip, RetainedMessageReachesALaterSubscriber) {
  start_broker();
  ASSERT_TRUE(pub(GetParam(), "cli/retained", "kept", {"-r"}).ok());
  auto sub = start_sub(GetParam(), "cli/retained");
  EXPECT_NE(finish(*sub).find("kept"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Versions, CliRoundTrip, ::testing::Values("mqttv311", "mqttv5"),
                         [](const auto& param_info) { return param_info.param; });

TEST_F(CliClients, V5UserPropertyReachesAPahoSubscriber) {
  start_broker();
  auto paho = connected(5, "paho");
  paho->subscribe("cli/props", 1);
  ASSERT_TRUE(pub("mqttv5", "cli/props", "with-props", {"-D", "publish", "user-property", "origin", "cli"}).ok());
  ASSERT_TRUE(paho->messages().wait_for(1, 5s));
  const auto& props = paho->messages().messages()[0]->get_properties();
  ASSERT_EQ(props.count(mqtt::property::USER_PROPERTY), 1u);
  const auto pair = mqtt::get<mqtt::string_pair>(props, mqtt::property::USER_PROPERTY);
  EXPECT_EQ(std::get<0>(pair), "origin");
  EXPECT_EQ(std::get<1>(pair), "cli");
}

TEST_F(CliClients, TlsWithClientCertificateRoundTrip) {
  start_tls_broker();
  auto sub = start_sub("mqttv5", "cli/tls", true);
  const auto published = pub("mqttv311", "cli/tls", "secret", {}, true);
  ASSERT_TRUE(published.ok()) << published.output;
  EXPECT_NE(finish(*sub).find("secret"), std::string::npos);
}

TEST_F(CliClients, TlsWithoutClientCertificateFails) {
  start_tls_broker();
  const auto result = run_command({"mosquitto_pub", "-h", "127.0.0.1", "-p",
                                   std::to_string(broker().tls_port()), "--cafile", pki_->ca(),
                                   "-t", "cli/tls", "-m", "x", "-q", "1"},
                                  10s);
  EXPECT_FALSE(result.ok()) << result.output;
}

}  // namespace
}  // namespace arkmq::test

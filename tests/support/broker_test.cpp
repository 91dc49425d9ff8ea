// BrokerTest: the skip when arkmq-broker is not built, and broker start-up.
#include "tests/support/broker_test.hpp"

namespace arkmq::test {

void BrokerTest::SetUp() {
  if (broker_kind_from_env() == BrokerKind::arkmq && arkmq_broker_path().empty()) {
    GTEST_SKIP() << "arkmq-broker is not built yet (set ARKMQ_TEST_BROKER=mosquitto to run "
                    "against the reference broker)";
  }
}

BrokerProcess& BrokerTest::start_broker(BrokerOptions options) {
  broker_ = std::make_unique<BrokerProcess>(std::move(options));
  return *broker_;
}

std::unique_ptr<PahoClient> BrokerTest::connected(int version, const std::string& stem) {
  return connected(version, stem, version == 5 ? v5_options() : v311_options());
}

std::unique_ptr<PahoClient> BrokerTest::connected(int version, const std::string& stem,
                                                  const mqtt::connect_options& options) {
  auto client = std::make_unique<PahoClient>(uri(), unique_client_id(stem), version);
  client->connect(options);
  return client;
}

std::unique_ptr<RawSession> BrokerTest::raw_session(int version, const std::string& stem) {
  return std::make_unique<RawSession>(broker_->port(), version, unique_client_id(stem));
}

}  // namespace arkmq::test

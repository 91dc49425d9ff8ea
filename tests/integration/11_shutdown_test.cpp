// 11 shutdown: SIGTERM stops the broker gracefully: MQTT 5 clients get DISCONNECT 0x8B,
// every connection closes, and the process exits with status 0.
#include <gtest/gtest.h>

#include "tests/support/broker_test.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

class Shutdown : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    if (IsSkipped()) return;
    start_broker();
  }
};

TEST_F(Shutdown, SigtermSendsServerShuttingDownToV5ClientsAndExitsZero) {
  RawClient v5(broker().port());
  ASSERT_TRUE(v5.connect(wire::connect_spec(5, unique_client_id("v5")), Deadline(5s)));
  const auto status = broker().stop(10s);
  ASSERT_TRUE(status) << "broker still running 10 s after SIGTERM";
  EXPECT_EQ(*status, (ExitStatus{true, 0, 0})) << to_string(*status);
  if (is_reference()) {  // mosquitto 2.0.11 just closes (0x8B is a MAY in spec 3.14)
    EXPECT_TRUE(v5.expect_closed(Deadline(2s)));
    return;
  }
  auto disconnect = v5.receive_type(14, Deadline(2s));
  ASSERT_TRUE(disconnect) << "no DISCONNECT before the connection closed";
  EXPECT_EQ(wire::disconnect_reason(*disconnect), 0x8B);
  EXPECT_TRUE(v5.expect_closed(Deadline(2s)));
}

TEST_F(Shutdown, SigtermClosesV311ClientsAndPahoSeesTheServerDisconnect) {
  RawClient v311(broker().port());
  ASSERT_TRUE(v311.connect(wire::connect_spec(4, unique_client_id("v311")), Deadline(5s)));
  auto paho = connected(5, "paho");
  const auto status = broker().stop(10s);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, (ExitStatus{true, 0, 0})) << to_string(*status);
  EXPECT_TRUE(v311.expect_closed(Deadline(2s)));
  if (is_reference()) {
    EXPECT_TRUE(paho->wait_for_connection_lost(5s));
  } else {
    EXPECT_EQ(paho->wait_for_server_disconnect(5s), std::optional<int>(0x8B));
  }
}

TEST_F(Shutdown, SigtermWithNoClientsExitsZero) {
  const auto status = broker().stop(10s);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, (ExitStatus{true, 0, 0})) << to_string(*status);
}

}  // namespace
}  // namespace arkmq::test

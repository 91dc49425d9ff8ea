// 16 hostile peers: garbage before CONNECT, a slowloris CONNECT, a 256 MiB length, a subscriber
// that never reads. Each is cut (or contained) with a log line, and the broker keeps serving.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <random>

#include "tests/support/broker_test.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

class Hostile : public BrokerTest {
 protected:
  // The broker still answers a well-behaved client.
  void expect_still_serving() {
    RawClient probe(broker().port());
    EXPECT_TRUE(probe.connect(wire::connect_spec(5, unique_client_id("probe")), Deadline(5s)));
  }
};

TEST_F(Hostile, PublishHeaderBeforeConnectIsCutOnItsFirstByte) {
  ARKMQ_ONLY("mosquitto waits for the whole packet");
  start_broker();
  RawClient client(broker().port());
  // A PUBLISH announcing ~1 MiB that never comes: cut at once, not at the connect deadline.
  ASSERT_TRUE(client.send({0x30, 0xFF, 0xFF, 0x3F}));
  EXPECT_TRUE(client.expect_closed(Deadline(3s)));
  EXPECT_TRUE(broker().wait_for_log("is not CONNECT; closing", 5s));
  expect_still_serving();
}

TEST_F(Hostile, MaximumRemainingLengthIsRefusedBeforeAndAfterConnect) {
  ARKMQ_ONLY("mosquitto's default maximum packet size is the protocol's, 256 MiB");
  start_broker();
  RawClient before(broker().port());
  ASSERT_TRUE(before.send({0x10, 0xFF, 0xFF, 0xFF, 0x7F}));  // CONNECT of 256 MiB - 1
  EXPECT_TRUE(before.expect_closed(Deadline(3s)));

  RawClient after(broker().port());
  ASSERT_TRUE(after.connect(wire::connect_spec(5, unique_client_id("big")), Deadline(5s)));
  ASSERT_TRUE(after.send({0x30, 0xFF, 0xFF, 0xFF, 0x7F}));
  auto disconnect = after.receive_type(14, Deadline(3s));
  ASSERT_TRUE(disconnect);
  EXPECT_EQ(wire::disconnect_reason(*disconnect), 0x95);  // packet too large
  EXPECT_TRUE(after.expect_closed(Deadline(3s)));
  EXPECT_TRUE(broker().wait_for_log("packet too large", 5s));
  expect_still_serving();
}

TEST_F(Hostile, SlowlorisConnectIsCutAtTheConnectDeadline) {
  ARKMQ_ONLY("connect_timeout is an arkmq setting");
  BrokerOptions options;
  options.arkmq_config = "connect_timeout = 1\n";
  start_broker(options);
  RawClient client(broker().port());
  const wire::Bytes connect = wire::connect(wire::connect_spec(4, "slowloris-client-identifier"));
  // One byte per 300 ms would take ~10 s; the broker must cut it after ~1 s (+ its 1 s tick).
  const Deadline deadline(5s);
  bool cut = false;
  for (std::size_t i = 0; i + 1 < connect.size() && !deadline.expired(); ++i) {
    if (!client.send({connect[i]})) {
      cut = true;
      break;
    }
    if (client.expect_closed(Deadline(300ms))) {
      cut = true;
      break;
    }
  }
  EXPECT_TRUE(cut) << "the trickled CONNECT was not cut within 5 s";
  EXPECT_TRUE(broker().wait_for_log("no CONNECT from", 5s));
  expect_still_serving();
}

TEST_F(Hostile, RandomBytesNeverCrashTheBroker) {
  start_broker();
  std::mt19937 random(20261127U);
  for (int round = 0; round < 40; ++round) {
    RawClient client(broker().port());
    wire::Bytes junk(512 + static_cast<std::size_t>(round) * 37);
    for (auto& byte : junk) byte = static_cast<std::uint8_t>(random());
    if (round % 2 == 1) {  // half get past CONNECT, to reach the packet handlers
      ASSERT_TRUE(client.connect(wire::connect_spec(4, unique_client_id("junk")), Deadline(5s)));
    }
    client.send(junk);  // may fail once the broker has closed: that is fine
    client.abort();
  }
  expect_still_serving();  // BrokerProcess checks the clean exit (and sanitizer logs) at the end
}

TEST_F(Hostile, SubscriberThatNeverReadsGetsQoS0DroppedWithALogLine) {
  ARKMQ_ONLY("max_link_buffer_bytes and the slow-consumer log line are arkmq's");
  BrokerOptions options;
  options.arkmq_config = "max_link_buffer_bytes = 65536\n";
  options.log_level = "info";
  start_broker(options);
  RawSession lazy(broker().port(), 5, unique_client_id("lazy"));
  ASSERT_EQ(lazy.subscribe("flood/#", 0), (std::vector<std::uint8_t>{0}));
  RawSession flooder(broker().port(), 5, unique_client_id("flooder"));
  const std::string payload(16 * 1024, 'x');
  // Loopback socket buffers hold a few MiB; 64 MiB is well past them and the 64 KiB bound.
  const Deadline deadline(30s);
  bool logged = false;
  for (int i = 0; i < 4096 && !deadline.expired() && !logged; ++i) {
    ASSERT_TRUE(flooder.raw().send(wire::publish(5, "flood/x", payload, 0)));
    if (i % 256 == 255) logged = broker().wait_for_log("slow consumer", 0ms);
  }
  EXPECT_TRUE(logged || broker().wait_for_log("slow consumer", 5s));
  // The flooder itself is still served (0x10: no matching subscribers is a success).
  const auto puback = flooder.publish("other/t", "ping", 1);
  ASSERT_TRUE(puback) << "no PUBACK";
  EXPECT_LT(*puback, 0x80);
}

// The guard that makes sanitizer reports count: a broker that dies (ASan/UBSan exit 1, TSan 66, a
// signal) fails the test that owns it, even when the test itself saw nothing wrong.
TEST(BrokerProcessExit, BrokerThatDiesDuringATestFailsIt) {
  if (broker_kind_from_env() == BrokerKind::arkmq && arkmq_broker_path().empty()) {
    GTEST_SKIP() << "arkmq-broker was not built";
  }
  EXPECT_NONFATAL_FAILURE(
      {
        BrokerProcess broker(BrokerOptions{});
        ::kill(broker.pid(), SIGSEGV);
      },
      "did not exit cleanly");
}

}  // namespace
}  // namespace arkmq::test

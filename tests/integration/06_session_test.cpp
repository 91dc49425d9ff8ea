// 06 session: messages queued for an offline persistent session, Clean Start discarding it, and
// Session Expiry ending it.
#include <gtest/gtest.h>

#include "tests/support/broker_test.hpp"
#include "tests/support/pause.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

class Session : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    if (IsSkipped()) return;
    start_broker();
  }

  static wire::Bytes expiry(std::uint32_t seconds) {
    wire::PropertyWriter writer;
    writer.u32(0x11, seconds);
    return writer.bytes();
  }

  // Connects, subscribes `filter` at QoS 1 and disconnects normally, leaving the session behind.
  void leave_session(int version, const std::string& id, const std::string& filter,
                     std::uint32_t expiry_seconds = 300) {
    RawSession session(broker().port(), version, id, version == 5,
                       version == 5 ? expiry(expiry_seconds) : wire::Bytes{});
    ASSERT_EQ(session.subscribe(filter, 1).size(), 1u);
    session.disconnect();
    ASSERT_TRUE(session.raw().expect_closed(Deadline(5s)));
  }
};

TEST_F(Session, OfflineV5SessionReceivesQueuedMessagesInOrder) {
  const std::string id = unique_client_id("offline5");
  leave_session(5, id, "sess/q/#");
  auto pub = raw_session(5, "pub");
  for (const char* payload : {"one", "two", "three"}) ASSERT_TRUE(pub->publish("sess/q/t", payload, 1));
  RawSession back(broker().port(), 5, id, false, expiry(300));
  EXPECT_TRUE(back.connack().session_present);
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i) {
    auto message = back.next_publish(Deadline(5s));
    ASSERT_TRUE(message) << "queued message " << i << " missing";
    got.push_back(message->payload);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"one", "two", "three"}));
}

TEST_F(Session, OfflineV311SessionReceivesQueuedMessages) {
  const std::string id = unique_client_id("offline311");
  leave_session(4, id, "sess/q311");
  auto pub = raw_session(4, "pub");
  ASSERT_TRUE(pub->publish("sess/q311", "while-away", 1));
  auto sub = std::make_unique<PahoClient>(uri(), id, 4);
  const auto response = sub->connect(v311_options(false));
  EXPECT_TRUE(response.is_session_present());
  ASSERT_TRUE(sub->messages().wait_for(1, 5s));
  EXPECT_EQ(sub->messages().payloads(), (std::vector<std::string>{"while-away"}));
}

TEST_F(Session, CleanStartDiscardsTheStoredSession) {
  const std::string id = unique_client_id("clean");
  leave_session(5, id, "sess/clean");
  auto pub = raw_session(5, "pub");
  ASSERT_TRUE(pub->publish("sess/clean", "stale", 1));
  RawSession back(broker().port(), 5, id, true, expiry(300));
  EXPECT_FALSE(back.connack().session_present);  // [MQTT-3.1.2-4]
  EXPECT_FALSE(back.next_publish(Deadline(500ms))) << "message from a discarded session";
  ASSERT_TRUE(pub->publish("sess/clean", "new", 1));
  EXPECT_FALSE(back.next_publish(Deadline(500ms))) << "subscription survived Clean Start";
}

TEST_F(Session, ZeroSessionExpiryEndsTheSessionWithTheConnection) {
  const std::string id = unique_client_id("zero");
  leave_session(5, id, "sess/zero", 0);
  RawSession back(broker().port(), 5, id, false, expiry(0));
  EXPECT_FALSE(back.connack().session_present);  // [MQTT-3.1.2-23] with interval 0
}

TEST_F(Session, SessionEndsAfterItsExpiryInterval) {
  const std::string id = unique_client_id("expiring");
  leave_session(5, id, "sess/expire", 1);
  auto pub = raw_session(5, "pub");
  ASSERT_TRUE(pub->publish("sess/expire", "too-late", 1));
  let_time_pass(2500ms);  // the expiry interval itself is under test
  RawSession back(broker().port(), 5, id, false, expiry(300));
  EXPECT_FALSE(back.connack().session_present);
  EXPECT_FALSE(back.next_publish(Deadline(500ms)));
}

TEST_F(Session, SessionSurvivesWithinItsExpiryInterval) {
  const std::string id = unique_client_id("alive");
  leave_session(5, id, "sess/alive", 30);
  let_time_pass(1500ms);  // longer than a 1 s expiry would allow; well inside 30 s
  RawSession back(broker().port(), 5, id, false, expiry(30));
  EXPECT_TRUE(back.connack().session_present);
}

}  // namespace
}  // namespace arkmq::test

// Tests of the persistence wiring: the stored message format, and core reports converted to
// state.db rows and back to a RestoredState across a reopen. Owned by the durable-store engineer.
#include "broker/app/durable_store.hpp"

#include <gtest/gtest.h>

#include "broker/app/durable_store_codec.hpp"
#include "storage/test_files.hpp"

namespace arkmq::app {
namespace {

using namespace std::chrono_literals;

core::MessagePtr full_message(const ClockPair& clocks) {
  auto m = std::make_shared<core::Message>();
  m->topic = "plant/7/temp";
  m->payload = std::string("\x00\x01binary\xff", 9);
  m->qos = protocol::QoS::exactly_once;
  m->retain = true;
  m->properties.payload_format_indicator = 1;
  m->properties.content_type = "application/json";
  m->properties.response_topic = "reply/here";
  m->properties.correlation_data = std::string("\x01\x02", 2);
  m->properties.user_properties = {{"k", "v"}, {"k", "v2"}};
  m->origin_client_id = "publisher-1";
  m->expires_at = clocks.steady + 90s;
  return m;
}

TEST(DurableStoreCodec, EveryFieldOfAMessageRoundTrips) {
  const ClockPair clocks = ClockPair::now();
  const core::MessagePtr in = full_message(clocks);
  const auto blob = encode_stored_message(*in, clocks);
  auto out = decode_stored_message(blob, clocks);
  ASSERT_TRUE(out) << out.error();
  const core::Message& m = **out;
  EXPECT_EQ(m.topic, in->topic);
  EXPECT_EQ(m.payload, in->payload);
  EXPECT_EQ(m.qos, in->qos);
  EXPECT_EQ(m.retain, in->retain);
  EXPECT_EQ(m.properties, in->properties);
  EXPECT_EQ(m.origin_client_id, in->origin_client_id);
  ASSERT_TRUE(m.expires_at);
  // Wall-clock microseconds: equal to within the conversion's rounding.
  EXPECT_LT(std::chrono::abs(*m.expires_at - *in->expires_at), 1ms);
}

TEST(DurableStoreCodec, ExpiryIsKeptAsWallTimeAcrossARestart) {
  const ClockPair before = ClockPair::now();
  const auto blob = encode_stored_message(*full_message(before), before);
  // A new process: steady_clock starts elsewhere; 30 s of wall time have passed.
  const ClockPair after{before.wall + 30s, before.steady + 1000h};
  auto out = decode_stored_message(blob, after);
  ASSERT_TRUE(out) << out.error();
  EXPECT_LT(std::chrono::abs(*(*out)->expires_at - (after.steady + 60s)), 1ms);
}

TEST(DurableStoreCodec, AnUnknownFormatOrADamagedPublishIsAnError) {
  const ClockPair clocks = ClockPair::now();
  auto blob = encode_stored_message(*full_message(clocks), clocks);
  auto newer = blob;
  newer[0] = std::byte{9};
  EXPECT_FALSE(decode_stored_message(newer, clocks));
  auto cut = blob;
  cut.resize(cut.size() - 3);
  EXPECT_FALSE(decode_stored_message(cut, clocks));
  EXPECT_FALSE(decode_stored_message({}, clocks));
}

class DurableStoreTest : public ::testing::Test {
 protected:
  std::shared_ptr<DurableStore> open() {
    DurableStoreOptions options;
    options.data_dir = dir_.path();
    auto store = open_durable_store(options);
    if (!store) throw std::runtime_error(store.error());
    return *store;
  }
  storage::test::TempDir dir_;
};

TEST_F(DurableStoreTest, ReportsComeBackAsTheRestoredStateWithSharedMessages) {
  const ClockPair clocks = ClockPair::now();
  const core::MessagePtr fanned = full_message(clocks);
  {
    auto store = open();
    ASSERT_TRUE(store->restore());
    core::DurableSession session;
    session.client_id = "sub-a";
    session.principal = "alice";
    session.expiry_interval = 600;
    session.expires_at = clocks.steady + 300s;
    store->save_session(session);
    core::DurableSubscription sub;
    sub.client_id = "sub-a";
    sub.subscription.filter = "plant/+/temp";
    sub.subscription.share_group = "g";
    sub.subscription.subscription.options.max_qos = protocol::QoS::at_least_once;
    sub.subscription.subscription.options.no_local = true;
    sub.subscription.subscription.subscription_id = 12;
    store->save_subscription(sub);
    for (std::uint64_t id = 1; id <= 3; ++id) {
      core::DurableMessage m;
      m.client_id = "sub-" + std::string(1, static_cast<char>('a' + id - 1));
      m.id = id;
      m.outbound = {fanned, protocol::QoS::exactly_once, false, {12}};
      m.packet_id = id == 2 ? 77 : 0;
      m.stage = id == 2 ? core::InFlight::Stage::awaiting_pubcomp
                        : core::InFlight::Stage::awaiting_puback;
      store->save_message(m);
    }
    store->add_inbound_qos2("sub-a", 9);
    store->save_retained(fanned);
    const auto ticket = store->last_ticket();
    EXPECT_GE(ticket, 7U);
    bool committed = false;
    store->when_committed(ticket, [&] { committed = true; });
    ASSERT_TRUE(store->flush_and_close());
    EXPECT_TRUE(committed);
  }
  auto store = open();
  auto restored = store->restore();
  ASSERT_TRUE(restored) << restored.error();
  ASSERT_EQ(restored->sessions.size(), 1U);
  EXPECT_EQ(restored->sessions[0].principal, "alice");
  ASSERT_TRUE(restored->sessions[0].expires_at);
  ASSERT_EQ(restored->subscriptions.size(), 1U);
  EXPECT_EQ(restored->subscriptions[0].subscription.share_group, "g");
  EXPECT_TRUE(restored->subscriptions[0].subscription.subscription.options.no_local);
  EXPECT_EQ(restored->subscriptions[0].subscription.subscription.subscription_id, 12U);
  ASSERT_EQ(restored->messages.size(), 3U);
  EXPECT_EQ(restored->messages[0].outbound.message.get(),
            restored->messages[2].outbound.message.get());
  EXPECT_EQ(restored->messages[1].packet_id, 77);
  EXPECT_EQ(restored->messages[1].stage, core::InFlight::Stage::awaiting_pubcomp);
  EXPECT_EQ(restored->messages[0].outbound.subscription_ids, (std::vector<std::uint32_t>{12}));
  EXPECT_EQ(restored->messages[0].outbound.message->payload, fanned->payload);
  ASSERT_EQ(restored->inbound_qos2.size(), 1U);
  ASSERT_EQ(restored->retained.size(), 1U);
  EXPECT_EQ(restored->retained[0]->topic, "plant/7/temp");
  (void)store->flush_and_close();
}

TEST_F(DurableStoreTest, MessagesSavedAfterARestartNeverReuseAStoredBody) {
  auto message = [](const std::string& payload) {
    auto m = std::make_shared<core::Message>();
    m->topic = "t";
    m->payload = payload;
    m->qos = protocol::QoS::at_least_once;
    return core::MessagePtr(std::move(m));
  };
  auto owed = [](const std::string& client, std::uint64_t id, core::MessagePtr m) {
    core::DurableMessage out;
    out.client_id = client;
    out.id = id;
    out.outbound = {std::move(m), protocol::QoS::at_least_once, false, {}};
    return out;
  };
  for (int run = 0; run < 2; ++run) {
    auto store = open();  // restore() is not called on the first two opens
    store->save_message(owed("c" + std::to_string(run), static_cast<std::uint64_t>(run + 1),
                             message("payload-" + std::to_string(run))));
    ASSERT_TRUE(store->flush_and_close());
  }
  auto store = open();
  auto restored = store->restore();
  ASSERT_TRUE(restored) << restored.error();
  ASSERT_EQ(restored->messages.size(), 2U);
  EXPECT_EQ(restored->messages[0].outbound.message->payload, "payload-0");
  EXPECT_EQ(restored->messages[1].outbound.message->payload, "payload-1");
  (void)store->flush_and_close();
}

}  // namespace
}  // namespace arkmq::app

// Metrics: the event counters, per-listener slots, service call stats and their $SYS values.
#include "broker/app/metrics.hpp"

#include <thread>

#include <gtest/gtest.h>

#include "broker/app/metered_handler.hpp"
#include "broker/app/metrics_sys.hpp"

namespace arkmq::app {
namespace {

using protocol::ReasonCode;
using Values = std::vector<std::pair<std::string, std::string>>;

core::ConnectionInfo on(const std::string& listener) {
  core::ConnectionInfo info;
  info.listener = listener;
  info.peer = "127.0.0.1:5000";
  return info;
}

core::ServiceCallFacts call(std::string_view service, std::string_view status,
                            std::chrono::microseconds latency, std::string_view node = "n1") {
  core::ServiceCallFacts facts;
  facts.service = service;
  facts.method = "read";
  facts.status = status;
  facts.node = node;
  facts.latency = latency;
  return facts;
}

std::string value_of(const Values& values, const std::string& name) {
  for (const auto& [key, value] : values) {
    if (key == name) return value;
  }
  return "(missing)";
}

TEST(Metrics, CountsConnectionsLoginsAndMessagesPerListener) {
  Metrics metrics;
  const auto tcp = on("mqtt://127.0.0.1:1883");
  const auto tls = on("mqtts://127.0.0.1:8883");
  metrics.connection_accepted(tcp);
  metrics.connection_accepted(tcp);
  metrics.connection_accepted(tls);
  metrics.login({"a", "alice", &tcp}, "alice", ReasonCode::success, "");
  metrics.login({"b", "", &tcp}, std::nullopt, ReasonCode::not_authorized, "no");
  metrics.login({"c", "carol", &tls}, "carol", ReasonCode::success, "");
  const std::uint8_t payload[5] = {1, 2, 3, 4, 5};
  metrics.published({"a", "alice", &tcp}, {"t", 0, false, payload});
  metrics.published({"a", "alice", &tcp}, {"t", 1, false, payload});
  metrics.published({"gone", "x", nullptr}, {"will", 0, false, payload});  // no listener
  metrics.disconnected({"c", "carol", &tls}, ReasonCode::success,
                       core::DisconnectInitiator::client, "");

  const auto listeners = metrics.listeners();
  ASSERT_EQ(listeners.size(), 2U);
  EXPECT_EQ(listeners[0].listener, "mqtt://127.0.0.1:1883");
  EXPECT_EQ(listeners[0].accepted, 2U);
  EXPECT_EQ(listeners[0].connected, 1);
  EXPECT_EQ(listeners[0].messages_in, 2U);
  EXPECT_EQ(listeners[0].payload_bytes_in, 10U);
  EXPECT_EQ(listeners[1].listener, "mqtts://127.0.0.1:8883");
  EXPECT_EQ(listeners[1].accepted, 1U);
  EXPECT_EQ(listeners[1].connected, 0);
  EXPECT_EQ(metrics.logins(),
            (std::vector<std::pair<ReasonCode, std::uint64_t>>{{ReasonCode::success, 2},
                                                              {ReasonCode::not_authorized, 1}}));
  EXPECT_EQ(metrics.disconnects(core::DisconnectInitiator::client), 1U);
  EXPECT_EQ(metrics.disconnects(core::DisconnectInitiator::broker), 0U);
}

TEST(Metrics, CountsDenialsQuotaHitsAndServiceDropsByClass) {
  Metrics metrics;
  const auto tcp = on("mqtt://127.0.0.1:1883");
  const core::ClientIdentity who{"a", "alice", &tcp};
  metrics.denied(who, core::DeniedAction::subscribe, "secret/#", nullptr);
  metrics.denied(who, core::DeniedAction::subscribe, "secret/x", nullptr);
  metrics.denied(who, core::DeniedAction::publish, "x", nullptr);
  metrics.quota_hit(who, core::QuotaKind::message_rate, "publish refused 0x96");
  metrics.quota_hit(who, core::QuotaKind::connections, "ban");
  metrics.service_dropped(who, "$svc/reply/x", "late reply");
  metrics.service_dropped(who, "$svc/reply/x", "reply from the wrong node");
  metrics.service_dropped(who, "$svc/announce/x", "bad announcement: not $svc/announce/NODE/SERVICE");
  metrics.service_dropped(who, "$svc/call/x", "service calls need MQTT 5");
  EXPECT_EQ(metrics.denials(core::DeniedAction::subscribe), 2U);
  EXPECT_EQ(metrics.denials(core::DeniedAction::publish), 1U);
  EXPECT_EQ(metrics.denials(core::DeniedAction::will), 0U);
  EXPECT_EQ(metrics.denials_total(), 3U);
  EXPECT_EQ(metrics.quota_hits(core::QuotaKind::message_rate), 1U);
  EXPECT_EQ(metrics.quota_hits(core::QuotaKind::connections), 1U);
  EXPECT_EQ(metrics.quota_hits(core::QuotaKind::queue), 0U);
  EXPECT_EQ(metrics.service_drops(ServiceDropClass::late), 1U);
  EXPECT_EQ(metrics.service_drops(ServiceDropClass::misdirected), 1U);
  EXPECT_EQ(metrics.service_drops(ServiceDropClass::bad_announcement), 1U);
  EXPECT_EQ(metrics.service_drops(ServiceDropClass::bad_call), 1U);
}

TEST(ServiceDropClass, ClassifiesEveryReplyMismatchText) {
  EXPECT_EQ(classify_service_drop("late reply"), ServiceDropClass::late);
  EXPECT_EQ(classify_service_drop("duplicate reply"), ServiceDropClass::duplicate);
  EXPECT_EQ(classify_service_drop("unsolicited reply"), ServiceDropClass::unsolicited);
  EXPECT_EQ(classify_service_drop("not a reply topic"), ServiceDropClass::misdirected);
  EXPECT_EQ(classify_service_drop("reply with the wrong correlation data"),
            ServiceDropClass::misdirected);
  EXPECT_EQ(classify_service_drop(""), ServiceDropClass::bad_call);
}

TEST(Metrics, NamesReasonCodesAsLabelValues) {
  EXPECT_EQ(label_of(ReasonCode::success), "success");
  EXPECT_EQ(label_of(ReasonCode::bad_user_name_or_password), "bad_user_name_or_password");
  EXPECT_EQ(label_of(ReasonCode::re_authenticate), "re_authenticate");
}

TEST(ServiceCallStats, CountsByStatusAndBucketsLatencyOfCallsThatReachedANode) {
  ServiceCallStats stats;
  stats.record(call("plc", "ok", std::chrono::microseconds(800)));     // <= 0.001
  stats.record(call("plc", "ok", std::chrono::microseconds(1000)));    // <= 0.001 (inclusive)
  stats.record(call("plc", "timeout", std::chrono::seconds(2)));       // <= 2.5
  stats.record(call("plc", "no_node_available", {}, ""));              // no node: no latency
  stats.record(call("scale", "ok", std::chrono::seconds(100)));        // above every bound
  const auto values = stats.values();
  ASSERT_EQ(values.size(), 2U);
  const auto& plc = values[0];
  EXPECT_EQ(plc.service, "plc");
  EXPECT_EQ(plc.by_status.at("ok"), 2U);
  EXPECT_EQ(plc.by_status.at("timeout"), 1U);
  EXPECT_EQ(plc.by_status.at("no_node_available"), 1U);
  EXPECT_EQ(plc.total(), 4U);
  EXPECT_EQ(plc.latency_count, 3U);
  EXPECT_NEAR(plc.latency_sum_seconds, 2.0018, 1e-9);
  EXPECT_EQ(plc.buckets[1], 2U);   // le 0.001
  EXPECT_EQ(plc.buckets[11], 1U);  // le 2.5
  std::uint64_t in_buckets = 0;
  for (auto count : values[1].buckets) in_buckets += count;
  EXPECT_EQ(in_buckets, 0U);
  EXPECT_EQ(values[1].latency_count, 1U);  // only in +Inf
  EXPECT_EQ(stats.totals_by_status().at("ok"), 3U);
}

TEST(ServiceCallStats, CountsServicesPastTheLimitUnderOneLabel) {
  ServiceCallStats stats;
  for (std::size_t i = 0; i < ServiceCallStats::kMaxServices + 10; ++i) {
    const std::string name = "s" + std::to_string(i);
    stats.record(call(name, "no_such_service", {}, ""));
  }
  const auto values = stats.values();
  EXPECT_EQ(values.size(), ServiceCallStats::kMaxServices + 1);
  std::uint64_t other = 0;
  for (const auto& v : values) {
    if (v.service == ServiceCallStats::kOverflow) other = v.total();
  }
  EXPECT_EQ(other, 10U);
}

TEST(ListenerCounters, SharesOneSlotPastTheLimit) {
  ListenerCounters counters;
  for (std::size_t i = 0; i < ListenerCounters::kMaxListeners + 3; ++i) {
    counters.of("mqtt://127.0.0.1:" + std::to_string(1000 + i)).accepted += 1;
  }
  const auto values = counters.values();
  ASSERT_EQ(values.size(), ListenerCounters::kMaxListeners + 1);
  EXPECT_EQ(values.back().listener, "other");
  EXPECT_EQ(values.back().accepted, 3U);
}

TEST(ListenerCounters, CountsFromManyThreadsWithoutLosingAny) {
  ListenerCounters counters;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&counters, t] {
      for (int i = 0; i < 10000; ++i) {
        counters.of("l" + std::to_string((i + t) % 5)).messages_in.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::uint64_t total = 0;
  const auto values = counters.values();
  EXPECT_EQ(values.size(), 5U);
  for (const auto& v : values) total += v.messages_in;
  EXPECT_EQ(total, 40000U);
}

TEST(MetricsSys, PublishesDenialsCallsLagAndListenersAfterTheBase) {
  auto metrics = std::make_shared<Metrics>();
  const auto tcp = on("mqtt://127.0.0.1:1883");
  metrics->connection_accepted(tcp);
  metrics->login({"a", "alice", &tcp}, "alice", ReasonCode::success, "");
  metrics->denied({"a", "alice", &tcp}, core::DeniedAction::receive, "t", nullptr);
  metrics->service_call({"a", "alice", &tcp}, call("plc", "ok", std::chrono::milliseconds(3)));
  metrics->set_loop_lag_source([] {
    return std::vector<std::chrono::microseconds>{std::chrono::microseconds(120),
                                                  std::chrono::microseconds(4500)};
  });
  const core::SysExtra base = [] { return Values{{"audit/written", "5"}}; };
  const Values values = with_metrics_sys(base, metrics)();
  ASSERT_FALSE(values.empty());
  EXPECT_EQ(values.front(), (std::pair<std::string, std::string>{"audit/written", "5"}));
  EXPECT_EQ(value_of(values, "acl/denied/receive"), "1");
  EXPECT_EQ(value_of(values, "acl/denied/total"), "1");
  EXPECT_EQ(value_of(values, "quota/hits/message_rate"), "0");
  EXPECT_EQ(value_of(values, "services/calls/ok"), "1");
  EXPECT_EQ(value_of(values, "services/calls/total"), "1");
  EXPECT_EQ(value_of(values, "services/dropped/late"), "0");
  EXPECT_EQ(value_of(values, "workers/1/loop_lag_us"), "4500");
  EXPECT_EQ(value_of(values, "workers/loop_lag_us"), "4500");
  EXPECT_EQ(value_of(values, "listeners/mqtt/127.0.0.1:1883/connections/accepted"), "1");
  EXPECT_EQ(value_of(values, "listeners/mqtt/127.0.0.1:1883/clients/connected"), "1");
  EXPECT_EQ(value_of(values, "listeners/mqtt/127.0.0.1:1883/messages/received"), "0");
  EXPECT_EQ(with_metrics_sys(base, nullptr)(), base());
}

}  // namespace
}  // namespace arkmq::app

namespace arkmq::app {
namespace {

class RecordingHandler final : public net::ConnectionHandler {
 public:
  void on_bytes(std::span<const std::uint8_t> data, net::Clock::time_point) override {
    bytes += data.size();
  }
  void on_tick(net::Clock::time_point) override {}
  void on_transport_closed() override {}
  bool is_closing() const override { return false; }
  std::size_t bytes = 0;
};

class RecordingLink final : public core::ClientLink {
 public:
  void send(core::SharedBytes bytes) override { sent += bytes->size(); }
  std::size_t queued_bytes() const override { return 7; }
  void close() override {}
  std::size_t sent = 0;
};

TEST(MeteredHandler, CountsBytesInAndOutPerListenerAndPassesEverythingOn) {
  auto metrics = std::make_shared<Metrics>();
  RecordingHandler* handler = nullptr;
  std::shared_ptr<core::ClientLink> core_link;
  const net::HandlerFactory inner = [&](core::ConnectionInfo, std::shared_ptr<core::ClientLink> l) {
    core_link = std::move(l);
    auto made = std::make_unique<RecordingHandler>();
    handler = made.get();
    return made;
  };
  auto link = std::make_shared<RecordingLink>();
  core::ConnectionInfo info;
  info.listener = "mqtt://127.0.0.1:1883";
  auto metered_handler = metered(inner, metrics)(info, link);
  const std::uint8_t bytes[3] = {0x10, 0x01, 0x00};
  metered_handler->on_bytes(bytes, net::Clock::now());
  core_link->send(std::make_shared<const std::vector<std::uint8_t>>(5, 0));
  EXPECT_EQ(handler->bytes, 3U);
  EXPECT_EQ(link->sent, 5U);
  EXPECT_EQ(core_link->queued_bytes(), 7U);
  const auto listeners = metrics->listeners();
  ASSERT_EQ(listeners.size(), 1U);
  EXPECT_EQ(listeners[0].bytes_in, 3U);
  EXPECT_EQ(listeners[0].bytes_out, 5U);
}

}  // namespace
}  // namespace arkmq::app

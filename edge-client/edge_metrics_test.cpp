// EdgeMetrics: counters, their Prometheus rendering, the [metrics] config key and the endpoint.
#include "edge-client/edge_metrics.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "edge-client/edge_config.hpp"
#include "edge-client/outbox.hpp"
#include "storage/sqlite.hpp"
#include "tests/support/temp_dir.hpp"

namespace arkmq::edge {
namespace {

using namespace std::chrono_literals;

std::vector<ServiceConfig> two_services() {
  ServiceConfig plc;
  plc.name = "plc";
  plc.methods = {"read", "write"};
  ServiceConfig scale;
  scale.name = "scale";
  scale.methods = {"weigh"};
  return {plc, scale};
}

ScrapeState sample_state() {
  ScrapeState state;
  state.status.node = "edge-1";
  state.status.link = LinkState::up;
  state.status.reconnects = 3;
  state.status.local_up = true;
  state.status.services = {{"plc", "http", true}, {"scale", "tcp", false}};
  state.status.outbox = {7, 700, 2, 1};
  state.status.outbox_in_flight = 5;
  state.status.bridged_out = 40;
  state.status.bridged_in = 4;
  state.status.dropped_qos0 = 6;
  state.checks_failed = {0, 9};
  state.outbox_oldest_age = 2500ms;
  state.outbox_refused_by_cloud = 8;
  return state;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

TEST(EdgeMetrics, RendersLinkOutboxBridgeAndBackendStateFromTheScrape) {
  EdgeMetrics metrics(two_services());
  const std::string text = metrics.render(sample_state(), SteadyClock::now());
  for (const char* line : {
           "arkmq_edge_info{node=\"edge-1\"} 1",
           "arkmq_edge_cloud_link_up 1",
           "arkmq_edge_cloud_link_reconnects_total 3",
           "arkmq_edge_local_link_up 1",
           "arkmq_edge_outbox_messages 7",
           "arkmq_edge_outbox_bytes 700",
           "arkmq_edge_outbox_oldest_age_seconds 2.5",
           "arkmq_edge_outbox_in_flight_messages 5",
           "arkmq_edge_outbox_dropped_oldest_total 2",
           "arkmq_edge_outbox_refused_total{reason=\"too_large\"} 1",
           "arkmq_edge_outbox_refused_total{reason=\"cloud\"} 8",
           "arkmq_edge_bridge_messages_total{direction=\"out\"} 40",
           "arkmq_edge_bridge_messages_total{direction=\"in\"} 4",
           "arkmq_edge_bridge_qos0_dropped_total 6",
           "arkmq_edge_backend_up{service=\"plc\",backend=\"http\"} 1",
           "arkmq_edge_backend_up{service=\"scale\",backend=\"tcp\"} 0",
           "arkmq_edge_backend_checks_failed_total{service=\"scale\"} 9",
           "# TYPE arkmq_edge_calls_total counter",
           "# TYPE arkmq_edge_call_duration_seconds histogram",
       }) {
    EXPECT_TRUE(has_line(text, line)) << "missing: " << line << "\n" << text;
  }
  // Before the first connect there is no connect age to report.
  EXPECT_EQ(text.find("arkmq_edge_cloud_link_last_connect_age_seconds"), std::string::npos);
}

TEST(EdgeMetrics, LinkDownAndEmptyOutboxReadZero) {
  EdgeMetrics metrics(two_services());
  ScrapeState state = sample_state();
  state.status.link = LinkState::down;
  state.outbox_oldest_age.reset();
  const std::string text = metrics.render(state, SteadyClock::now());
  EXPECT_TRUE(has_line(text, "arkmq_edge_cloud_link_up 0")) << text;
  EXPECT_TRUE(has_line(text, "arkmq_edge_outbox_oldest_age_seconds 0")) << text;
}

TEST(EdgeMetrics, ConnectAgeIsTheTimeSinceTheLastConnect) {
  EdgeMetrics metrics(two_services());
  const auto connected = SteadyClock::now();
  metrics.link_connected(connected);
  const std::string text = metrics.render(sample_state(), connected + 90s);
  EXPECT_TRUE(has_line(text, "arkmq_edge_cloud_link_last_connect_age_seconds 90")) << text;
}

TEST(EdgeMetrics, CallsAreCountedPerServiceMethodAndStatusWithALatencyHistogram) {
  EdgeMetrics metrics(two_services());
  metrics.call_finished(0, "read", CallStatus::ok, 3ms);
  metrics.call_finished(0, "read", CallStatus::ok, 200ms);
  metrics.call_finished(0, "read", CallStatus::backend_error, 45s);  // above every bound
  metrics.call_finished(1, "weigh", CallStatus::ok, 10ms);            // exactly on a bound
  metrics.call_finished(0, "nope", CallStatus::ok, 1ms);              // not configured: ignored
  metrics.call_finished(7, "read", CallStatus::ok, 1ms);              // no such service: ignored
  const std::string text = metrics.render(sample_state(), SteadyClock::now());
  for (const char* line : {
           "arkmq_edge_calls_total{service=\"plc\",method=\"read\",status=\"ok\"} 2",
           "arkmq_edge_calls_total{service=\"plc\",method=\"read\",status=\"backend_error\"} 1",
           "arkmq_edge_calls_total{service=\"plc\",method=\"write\",status=\"ok\"} 0",
           "arkmq_edge_calls_total{service=\"scale\",method=\"weigh\",status=\"ok\"} 1",
           "arkmq_edge_call_duration_seconds_bucket{service=\"plc\",method=\"read\",le=\"0.001\"} 0",
           "arkmq_edge_call_duration_seconds_bucket{service=\"plc\",method=\"read\",le=\"0.005\"} 1",
           "arkmq_edge_call_duration_seconds_bucket{service=\"plc\",method=\"read\",le=\"0.25\"} 2",
           "arkmq_edge_call_duration_seconds_bucket{service=\"plc\",method=\"read\",le=\"30\"} 2",
           "arkmq_edge_call_duration_seconds_bucket{service=\"plc\",method=\"read\",le=\"+Inf\"} 3",
           "arkmq_edge_call_duration_seconds_count{service=\"plc\",method=\"read\"} 3",
           "arkmq_edge_call_duration_seconds_sum{service=\"plc\",method=\"read\"} 45.203",
           "arkmq_edge_call_duration_seconds_bucket{service=\"scale\",method=\"weigh\",le=\"0.005\"} 0",
           "arkmq_edge_call_duration_seconds_bucket{service=\"scale\",method=\"weigh\",le=\"0.01\"} 1",
           "arkmq_edge_call_duration_seconds_count{service=\"plc\",method=\"write\"} 0",
       }) {
    EXPECT_TRUE(has_line(text, line)) << "missing: " << line << "\n" << text;
  }
  EXPECT_EQ(text.find("method=\"nope\""), std::string::npos);
}

TEST(EdgeMetrics, RejectionsForwardsReplaysAndAnnouncementsAreCounted) {
  EdgeMetrics metrics(two_services());
  metrics.call_rejected(CallRejection::unknown_service);
  metrics.call_rejected(CallRejection::busy);
  metrics.call_rejected(CallRejection::busy);
  metrics.forwarded();
  metrics.forwarded();
  metrics.replayed();
  metrics.announcement_sent(1);
  metrics.announcement_sent(9);  // out of range: ignored
  const std::string text = metrics.render(sample_state(), SteadyClock::now());
  for (const char* line : {
           "arkmq_edge_calls_rejected_total{reason=\"unknown_service\"} 1",
           "arkmq_edge_calls_rejected_total{reason=\"unknown_method\"} 0",
           "arkmq_edge_calls_rejected_total{reason=\"busy\"} 2",
           "arkmq_edge_calls_rejected_total{reason=\"invalid\"} 0",
           "arkmq_edge_messages_forwarded_total 2",
           "arkmq_edge_messages_replayed_total 1",
           "arkmq_edge_announcements_sent_total{service=\"plc\"} 0",
           "arkmq_edge_announcements_sent_total{service=\"scale\"} 1",
       }) {
    EXPECT_TRUE(has_line(text, line)) << "missing: " << line << "\n" << text;
  }
}

TEST(EdgeMetrics, CountersAddUpUnderConcurrentUpdates) {
  EdgeMetrics metrics(two_services());
  constexpr int kThreads = 4;
  constexpr int kEach = 10'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        metrics.call_finished(0, "write", CallStatus::ok, 1ms);
        metrics.forwarded();
      }
    });
  }
  // A scrape in the middle must not disturb the counts.
  EXPECT_FALSE(metrics.render(sample_state(), SteadyClock::now()).empty());
  for (auto& thread : threads) thread.join();
  const std::string text = metrics.render(sample_state(), SteadyClock::now());
  const std::string total = std::to_string(kThreads * kEach);
  EXPECT_TRUE(has_line(text, "arkmq_edge_calls_total{service=\"plc\",method=\"write\",status=\"ok\"} " + total));
  EXPECT_TRUE(has_line(text, "arkmq_edge_call_duration_seconds_count{service=\"plc\",method=\"write\"} " + total));
  EXPECT_TRUE(has_line(text, "arkmq_edge_messages_forwarded_total " + total));
}

TEST(EdgeMetrics, EveryFamilyHasHelpAndTypeAndEveryNameIsPrefixed) {
  EdgeMetrics metrics(two_services());
  metrics.link_connected(SteadyClock::now());
  const std::string text = metrics.render(sample_state(), SteadyClock::now());
  std::size_t start = 0;
  std::string family;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    ASSERT_NE(end, std::string::npos) << "the text ends with a newline";
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.rfind("# HELP ", 0) == 0) {
      family = line.substr(7, line.find(' ', 7) - 7);
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      EXPECT_EQ(line.substr(7, family.size()), family) << line;
      continue;
    }
    EXPECT_EQ(line.rfind("arkmq_edge_", 0), 0U) << line;
    EXPECT_EQ(line.rfind(family, 0), 0U) << "sample outside its family: " << line;
  }
}

const std::string kMinimal = "[node]\nname = \"n\"\n[cloud]\nurl = \"mqtt://127.0.0.1:1\"\n";

TEST(EdgeMetricsConfig, OffByDefaultAndLoopbackOnlyUnlessAllowed) {
  auto plain = parse_config_text(kMinimal, "edge.toml");
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_TRUE(plain->metrics.listen.empty());

  auto on = parse_config_text(kMinimal + "[metrics]\nlisten = \"http://127.0.0.1:9101\"\n", "edge.toml");
  ASSERT_TRUE(on) << on.error();
  EXPECT_EQ(on->metrics.listen, "http://127.0.0.1:9101");

  auto wide = parse_config_text(kMinimal + "[metrics]\nlisten = \"http://0.0.0.0:9101\"\n", "edge.toml");
  ASSERT_FALSE(wide);
  EXPECT_EQ(wide.error().rfind("edge.toml:6:", 0), 0U) << wide.error();
  EXPECT_NE(wide.error().find("metrics.listen"), std::string::npos) << wide.error();

  auto allowed = parse_config_text(
      kMinimal + "[metrics]\nlisten = \"http://0.0.0.0:9101\"\nallow_non_loopback = true\n", "edge.toml");
  ASSERT_TRUE(allowed) << allowed.error();
  EXPECT_TRUE(allowed->metrics.allow_non_loopback);

  auto bad = parse_config_text(kMinimal + "[metrics]\nlisten = \"ftp://127.0.0.1:1\"\n", "edge.toml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().rfind("edge.toml:6:", 0), 0U) << bad.error();

  auto typo = parse_config_text(kMinimal + "[metrics]\nlisen = \"http://127.0.0.1:1\"\n", "edge.toml");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().find("unknown key metrics.lisen"), std::string::npos) << typo.error();
}

TEST(EdgeMetricsEndpoint, ServesTheRenderedTextOnMetrics) {
  auto endpoint = start_metrics_endpoint({"http://127.0.0.1:0", false}, [] { return std::string("x 1\n"); });
  ASSERT_TRUE(endpoint) << endpoint.error();
  const std::string url = (*endpoint)->bound_url();
  httplib::Client client(url);
  client.set_connection_timeout(5s);
  client.set_read_timeout(5s);
  const auto response = client.Get("/metrics");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "x 1\n");
  EXPECT_EQ(response->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0), 0U);
  const auto other = client.Get("/");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
}

TEST(EdgeMetricsEndpoint, APortInUseIsAnError) {
  auto first = start_metrics_endpoint({"http://127.0.0.1:0", false}, [] { return std::string(); });
  ASSERT_TRUE(first) << first.error();
  auto second = start_metrics_endpoint({(*first)->bound_url(), false}, [] { return std::string(); });
  EXPECT_FALSE(second);
}

TEST(OutboxAge, TheOldestRowsStoreTimeIsKnownAndEmptyHasNone) {
  arkmq::test::TempDir dir("arkmq-edge-age");
  auto outbox = Outbox::open(dir.file("outbox.db"), OutboxLimits{});
  ASSERT_TRUE(outbox) << outbox.error();
  EXPECT_FALSE((*outbox)->oldest_stored_at());
  const auto before = std::chrono::system_clock::now();
  EdgeMessage message;
  message.topic = "t";
  message.payload = "p";
  message.qos = 1;
  auto first = (*outbox)->store(message);
  ASSERT_TRUE(first);
  ASSERT_TRUE((*outbox)->store(message));
  const auto after = std::chrono::system_clock::now();
  const auto oldest = (*outbox)->oldest_stored_at();
  ASSERT_TRUE(oldest);
  EXPECT_GE(*oldest, std::chrono::time_point_cast<std::chrono::milliseconds>(before));
  EXPECT_LE(*oldest, after);
  ASSERT_TRUE((*outbox)->remove(*first));
  EXPECT_TRUE((*outbox)->oldest_stored_at());
}

TEST(OutboxAge, AFileFromBeforeStoreTimesGetsThemWhenOpened) {
  arkmq::test::TempDir dir("arkmq-edge-age");
  {
    auto db = storage::Database::open(dir.file("old.db"));
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL,"
                         " payload BLOB NOT NULL, qos INTEGER NOT NULL, retain INTEGER NOT NULL,"
                         " meta TEXT NOT NULL, bytes INTEGER NOT NULL);"
                         "INSERT INTO outbox(topic, payload, qos, retain, meta, bytes)"
                         " VALUES ('t', x'70', 1, 0, '{}', 4)"));
  }
  const auto before = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  auto outbox = Outbox::open(dir.file("old.db"), OutboxLimits{});
  ASSERT_TRUE(outbox) << outbox.error();
  EXPECT_EQ((*outbox)->stats().depth, 1);
  const auto oldest = (*outbox)->oldest_stored_at();
  ASSERT_TRUE(oldest);
  EXPECT_GE(*oldest, before);  // counted from the open: the best the file can tell
  auto rows = (*outbox)->read_after(0, 10);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1U);
  EXPECT_EQ(rows->front().message.payload, "p");
}

}  // namespace
}  // namespace arkmq::edge

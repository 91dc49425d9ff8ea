// arkmq-edge's /metrics end to end: the real arkmq-edge between two real mosquitto processes (the
// cloud stand-in, stopped and started again on its port, and the site broker), an in-process
// HTTP backend, and the endpoint scraped over HTTP until each expected value shows (deadlines).
#include <gtest/gtest.h>
#include <httplib.h>

#include <charconv>
#include <functional>
#include <optional>
#include <thread>

#include "edge-client/edge_fixture.hpp"
#include "edge-client/test_servers.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace arkmq::edge::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kNode = "edge-mx";
constexpr auto kPollInterval = 50ms;

std::string metrics_config(const Mosquitto& cloud, const Mosquitto& local, const std::string& outbox,
                           std::uint16_t backend_port, std::uint16_t metrics_port) {
  return "[node]\nname = \"" + std::string(kNode) + "\"\nheartbeat_s = 30\n"
         "[cloud]\nurl = \"" + cloud.mqtt_url() + "\"\nreconnect_min_ms = 100\nreconnect_max_ms = 500\n"
         "[local]\nurl = \"" + local.mqtt_url() + "\"\n"
         "[outbox]\npath = \"" + outbox + "\"\n"
         "[metrics]\nlisten = \"http://127.0.0.1:" + std::to_string(metrics_port) + "\"\n"
         "[[service]]\nname = \"plc\"\nmethods = [\"echo\", \"fail\"]\n"
         "backend = \"http://127.0.0.1:" + std::to_string(backend_port) + "/api\"\nhealth_path = \"/health\"\n"
         "[[bridge]]\ndirection = \"out\"\nlocal = \"sensors/#\"\ncloud = \"sites/mx/sensors/#\"\n";
}

// The value of the sample line that starts with `series` ("name" or "name{labels}").
std::optional<double> value_of(const std::string& text, const std::string& series) {
  const std::string needle = "\n" + series + " ";
  const auto at = text.find(needle);
  if (at == std::string::npos) return std::nullopt;
  const char* begin = text.data() + at + needle.size();
  const char* end = text.data() + text.find('\n', at + needle.size());
  double value = 0;
  if (std::from_chars(begin, end, value).ec != std::errc()) return std::nullopt;
  return value;
}

class MetricsScraper {
 public:
  explicit MetricsScraper(std::uint16_t port) : client_("127.0.0.1", port) {
    client_.set_connection_timeout(2s);
    client_.set_read_timeout(5s);
  }

  // The body of GET /metrics, or "" when the endpoint does not answer 200.
  std::string scrape() {
    const auto response = client_.Get("/metrics");
    if (!response || response->status != 200) return "";
    content_type_ = response->get_header_value("Content-Type");
    return response->body;
  }

  // Scrapes until `series` satisfies `ok` (true) or the deadline passes (false, with the last
  // text in last_).
  bool wait_for(const std::string& series, const std::function<bool(double)>& ok,
                std::chrono::milliseconds timeout = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      last_ = scrape();
      if (const auto value = value_of(last_, series); value && ok(*value)) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(kPollInterval);  // the poll's interval; the deadline bounds it
    }
  }
  bool wait_for_value(const std::string& series, double expected, std::chrono::milliseconds timeout = 15s) {
    return wait_for(series, [expected](double v) { return v == expected; }, timeout);
  }

  const std::string& last() const { return last_; }
  const std::string& content_type() const { return content_type_; }

 private:
  httplib::Client client_;
  std::string last_;
  std::string content_type_;
};

TEST(EdgeMetricsSystem, LinkStateOutboxDepthAndCallsShowOnTheEndpoint) {
  arkmq::test::TempDir dir("arkmq-edge-mx");
  Mosquitto cloud;
  Mosquitto local;
  HttpTestServer http;
  auto caller = connect_client(cloud.uri(), "cloud-broker");
  caller->subscribe(std::string("$svc/reply/") + kNode + "/#", 1);
  const auto metrics_port = arkmq::test::pick_free_port();
  EdgeProcess edge(metrics_config(cloud, local, dir.file("outbox.db"), http.port(), metrics_port));
  MetricsScraper metrics(metrics_port);

  // Connected: link up, the backend healthy and announced.
  ASSERT_TRUE(metrics.wait_for_value("arkmq_edge_cloud_link_up", 1)) << metrics.last();
  EXPECT_EQ(metrics.content_type().rfind("text/plain; version=0.0.4", 0), 0U) << metrics.content_type();
  EXPECT_TRUE(metrics.wait_for_value("arkmq_edge_backend_up{service=\"plc\",backend=\"http\"}", 1))
      << metrics.last();
  EXPECT_TRUE(metrics.wait_for("arkmq_edge_announcements_sent_total{service=\"plc\"}", [](double v) { return v >= 1; }))
      << metrics.last();
  EXPECT_TRUE(value_of(metrics.last(), "arkmq_edge_cloud_link_last_connect_age_seconds")) << metrics.last();
  EXPECT_EQ(value_of(metrics.last(), "arkmq_edge_cloud_link_reconnects_total"), 0.0) << metrics.last();
  // The backend's address never shows.
  EXPECT_EQ(metrics.last().find(std::to_string(http.port())), std::string::npos) << metrics.last();

  // A call increments its counter and its histogram; a failing one counts as backend_error.
  const auto reply = call_and_wait(*caller, kNode, "plc", "echo", "hi", "corr-mx1", 5000, 10s);
  ASSERT_NE(reply, nullptr);
  EXPECT_TRUE(metrics.wait_for_value("arkmq_edge_calls_total{service=\"plc\",method=\"echo\",status=\"ok\"}", 1))
      << metrics.last();
  EXPECT_EQ(value_of(metrics.last(), "arkmq_edge_call_duration_seconds_count{service=\"plc\",method=\"echo\"}"), 1.0);
  ASSERT_NE(call_and_wait(*caller, kNode, "plc", "fail", "x", "corr-mx2", 5000, 10s), nullptr);
  EXPECT_TRUE(metrics.wait_for_value(
      "arkmq_edge_calls_total{service=\"plc\",method=\"fail\",status=\"backend_error\"}", 1))
      << metrics.last();
  ASSERT_NE(call_and_wait(*caller, kNode, "nope", "x", "x", "corr-mx3", 5000, 10s), nullptr);
  EXPECT_TRUE(metrics.wait_for_value("arkmq_edge_calls_rejected_total{reason=\"unknown_service\"}", 1))
      << metrics.last();

  // The cloud goes away: the link reads 0 and the outbox grows with what the site publishes.
  cloud.stop();
  ASSERT_TRUE(metrics.wait_for_value("arkmq_edge_cloud_link_up", 0)) << metrics.last();
  auto sensor = connect_client(local.uri(), "sensor");
  constexpr int kOffline = 5;
  for (int i = 0; i < kOffline; ++i) {
    ASSERT_EQ(sensor->publish("sensors/t" + std::to_string(i), "offline-" + std::to_string(i), 1),
              mqtt::ReasonCode::SUCCESS);
  }
  ASSERT_TRUE(metrics.wait_for_value("arkmq_edge_outbox_messages", kOffline)) << metrics.last();
  EXPECT_GT(value_of(metrics.last(), "arkmq_edge_outbox_bytes").value_or(0), 0) << metrics.last();
  EXPECT_GE(value_of(metrics.last(), "arkmq_edge_outbox_oldest_age_seconds").value_or(-1), 0) << metrics.last();
  EXPECT_EQ(value_of(metrics.last(), "arkmq_edge_bridge_messages_total{direction=\"out\"}"), kOffline)
      << metrics.last();

  // Back: link up again, one reconnect, the outbox drained and its messages forwarded.
  cloud.start();
  ASSERT_TRUE(metrics.wait_for_value("arkmq_edge_cloud_link_up", 1)) << metrics.last();
  EXPECT_TRUE(metrics.wait_for_value("arkmq_edge_outbox_messages", 0)) << metrics.last();
  EXPECT_EQ(value_of(metrics.last(), "arkmq_edge_cloud_link_reconnects_total"), 1.0) << metrics.last();
  EXPECT_GE(value_of(metrics.last(), "arkmq_edge_messages_forwarded_total").value_or(0), kOffline)
      << metrics.last();
  EXPECT_EQ(value_of(metrics.last(), "arkmq_edge_outbox_oldest_age_seconds"), 0.0) << metrics.last();
}

TEST(EdgeMetricsSystem, MessagesLeftInTheOutboxByAnEarlierRunCountAsReplayed) {
  arkmq::test::TempDir dir("arkmq-edge-mx");
  Mosquitto cloud;
  Mosquitto local;
  HttpTestServer http;
  const auto metrics_port = arkmq::test::pick_free_port();
  const std::string config = metrics_config(cloud, local, dir.file("outbox.db"), http.port(), metrics_port);
  constexpr int kLeft = 3;
  {
    EdgeProcess first(config);
    MetricsScraper metrics(metrics_port);
    cloud.stop();
    ASSERT_TRUE(metrics.wait_for_value("arkmq_edge_cloud_link_up", 0)) << metrics.last();
    auto sensor = connect_client(local.uri(), "sensor");
    for (int i = 0; i < kLeft; ++i) {
      ASSERT_EQ(sensor->publish("sensors/r" + std::to_string(i), "left-" + std::to_string(i), 1),
                mqtt::ReasonCode::SUCCESS);
    }
    ASSERT_TRUE(metrics.wait_for_value("arkmq_edge_outbox_messages", kLeft)) << metrics.last();
  }
  // A new process finds the rows (maybe sent before, for all it knows): they go out as replays.
  cloud.start();
  EdgeProcess second(config);
  MetricsScraper metrics(metrics_port);
  ASSERT_TRUE(metrics.wait_for_value("arkmq_edge_outbox_messages", 0)) << metrics.last();
  EXPECT_EQ(value_of(metrics.last(), "arkmq_edge_messages_replayed_total"), kLeft) << metrics.last();
  EXPECT_EQ(value_of(metrics.last(), "arkmq_edge_messages_forwarded_total"), 0.0) << metrics.last();
}

TEST(EdgeMetricsSystem, AMetricsPortInUseStopsTheEdgeWithOneClearLine) {
  arkmq::test::TempDir dir("arkmq-edge-mx");
  Mosquitto cloud;
  Mosquitto local;
  HttpTestServer http;
  // Something already serves on the port.
  httplib::Server squatter;
  const int port = squatter.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { squatter.listen_after_bind(); });
  const std::string config_path = dir.file("edge.toml");
  arkmq::test::write_file(config_path, metrics_config(cloud, local, dir.file("outbox.db"), http.port(),
                                                      static_cast<std::uint16_t>(port)));
  const auto result = arkmq::test::run_command({edge_binary(), "--config", config_path}, 20s);
  squatter.stop();
  serving.join();
  EXPECT_FALSE(result.timed_out) << result.output;
  EXPECT_TRUE(result.status.exited);
  EXPECT_EQ(result.status.code, 1) << result.output;
  EXPECT_NE(result.output.find("arkmq-edge: metrics: "), std::string::npos) << result.output;
}

}  // namespace
}  // namespace arkmq::edge::test

// The status page's parts without a network: the recent-events rings, the rate history, the
// /api/status JSON and the routes (through a recording http::Endpoint).
#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "broker/app/status_assets.hpp"
#include "broker/app/status_events.hpp"
#include "broker/app/status_json.hpp"
#include "broker/app/status_page.hpp"
#include "broker/app/status_rates.hpp"
#include "broker/core/default_policy.hpp"

namespace arkmq::app {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

core::ClientIdentity who(std::string_view client_id, std::string_view principal) {
  return core::ClientIdentity{client_id, principal, nullptr};
}

TEST(StatusEvents, KeepsTheNewestDenialsFirstAndCountsEveryOne) {
  StatusEvents events(3);
  for (int i = 0; i < 5; ++i) {
    const std::string topic = "t/" + std::to_string(i);
    events.denied(who("c", "p"), core::DeniedAction::publish, topic, nullptr);
  }
  const StatusEventList list = events.denials();
  EXPECT_EQ(list.total, 5U);
  ASSERT_EQ(list.recent.size(), 3U);
  EXPECT_EQ(list.recent[0].subject, "t/4");
  EXPECT_EQ(list.recent[2].subject, "t/2");
  EXPECT_EQ(list.recent[0].what, "publish");
  EXPECT_TRUE(events.quota_hits().recent.empty());
}

TEST(StatusEvents, NeverKeepsThePayloadOfADeniedPublish) {
  StatusEvents events;
  const std::string payload = "secret-payload-bytes";
  core::PublishFacts facts{"a/b", 1, false,
                           {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()}};
  events.denied(who("c", ""), core::DeniedAction::publish, "a/b", &facts);
  const StatusEvent e = events.denials().recent.at(0);
  EXPECT_EQ(e.subject, "a/b");
  EXPECT_EQ(e.client_id.find("secret"), std::string::npos);
  EXPECT_EQ(e.subject.find("secret"), std::string::npos);
}

TEST(StatusEvents, CountsRepeatsOfARecentEventInOneEntry) {
  StatusEvents events;
  for (int i = 0; i < 1000; ++i) {
    events.quota_hit(who("flood", "p"), core::QuotaKind::message_rate, "publish dropped");
    if (i == 500) events.denied(who("other", ""), core::DeniedAction::publish, "x", nullptr);
  }
  events.quota_hit(who("flood", "p"), core::QuotaKind::bandwidth, "publish dropped");
  const StatusEventList hits = events.quota_hits();
  EXPECT_EQ(hits.total, 1001U);
  ASSERT_EQ(hits.recent.size(), 2U);
  EXPECT_EQ(hits.recent[0].what, "bandwidth");
  EXPECT_EQ(hits.recent[0].count, 1U);
  EXPECT_EQ(hits.recent[1].what, "message_rate");
  EXPECT_EQ(hits.recent[1].count, 1000U);
  EXPECT_EQ(events.denials().recent.at(0).count, 1U);
}

TEST(StatusEvents, MovesARepeatedEntryToTheFront) {
  StatusEvents events;
  events.denied(who("a", ""), core::DeniedAction::publish, "t/a", nullptr);
  events.denied(who("b", ""), core::DeniedAction::publish, "t/b", nullptr);
  events.denied(who("a", ""), core::DeniedAction::publish, "t/a", nullptr);
  events.denied(who("a", ""), core::DeniedAction::subscribe, "t/a", nullptr);  // other action
  const StatusEventList list = events.denials();
  ASSERT_EQ(list.recent.size(), 3U);
  EXPECT_EQ(list.recent[0].what, "subscribe");
  EXPECT_EQ(list.recent[1].client_id, "a");
  EXPECT_EQ(list.recent[1].count, 2U);
  EXPECT_EQ(list.recent[2].client_id, "b");
}

TEST(StatusEvents, CountsRepeatsOfLongTextsCutTheSameWay) {
  StatusEvents events;
  const std::string topic(1000, 't');
  events.denied(who("c", ""), core::DeniedAction::publish, topic, nullptr);
  events.denied(who("c", ""), core::DeniedAction::publish, topic, nullptr);
  events.denied(who("c", ""), core::DeniedAction::publish, topic + "x", nullptr);  // same cut
  const StatusEventList list = events.denials();
  ASSERT_EQ(list.recent.size(), 1U);
  EXPECT_EQ(list.recent[0].count, 3U);
}

TEST(StatusEvents, RecordsQuotaHitsWithTheirKindAndDetail) {
  StatusEvents events;
  events.quota_hit(who("c1", "alice"), core::QuotaKind::message_rate, "publish refused 0x96");
  const StatusEventList list = events.quota_hits();
  ASSERT_EQ(list.recent.size(), 1U);
  EXPECT_EQ(list.recent[0].what, "message_rate");
  EXPECT_EQ(list.recent[0].subject, "publish refused 0x96");
  EXPECT_EQ(list.recent[0].principal, "alice");
}

TEST(StatusEvents, CutsLongTextsOnACharacterBoundary) {
  StatusEvents events;
  std::string topic(StatusEvents::kMaxTextBytes - 1, 'a');
  topic += "\xC3\xA9\xC3\xA9";  // "éé": the cut falls inside the first one
  events.denied(who("c", ""), core::DeniedAction::subscribe, topic, nullptr);
  const std::string kept = events.denials().recent.at(0).subject;
  EXPECT_EQ(kept, std::string(StatusEvents::kMaxTextBytes - 1, 'a') + "\u2026");
}

TEST(RateHistory, TurnsCounterDeltasIntoRatesPerSecond) {
  RateHistory history;
  const core::Clock::time_point t{};
  const auto wall = std::chrono::system_clock::now();
  core::BrokerStats stats;
  history.sample(stats, t, wall);
  EXPECT_TRUE(history.samples(60s).empty());  // the first call is only the baseline

  stats.messages_received = 20;
  stats.messages_sent = 50;
  stats.clients_connected = 3;
  history.sample(stats, t + 2s, wall + 2s);
  const auto samples = history.samples(60s);
  ASSERT_EQ(samples.size(), 1U);
  EXPECT_DOUBLE_EQ(samples[0].messages_in_per_s, 10.0);
  EXPECT_DOUBLE_EQ(samples[0].messages_out_per_s, 25.0);
  EXPECT_EQ(samples[0].clients_connected, 3U);
}

TEST(RateHistory, KeepsOnlyTheNewestSamplesAndHonoursTheWindow) {
  RateHistory history(4);
  const core::Clock::time_point t{};
  const auto wall = std::chrono::system_clock::now();
  core::BrokerStats stats;
  for (int i = 0; i <= 10; ++i) {
    stats.messages_received = static_cast<std::uint64_t>(i * i);
    history.sample(stats, t + std::chrono::seconds(i), wall + std::chrono::seconds(i));
  }
  const auto all = history.samples(3600s);
  ASSERT_EQ(all.size(), 4U);
  EXPECT_DOUBLE_EQ(all.back().messages_in_per_s, 19.0);  // 100 - 81
  EXPECT_DOUBLE_EQ(all.front().messages_in_per_s, 13.0);  // 49 - 36
  ASSERT_EQ(history.samples(2s).size(), 2U);
  EXPECT_DOUBLE_EQ(history.samples(2s).front().messages_in_per_s, 17.0);
}

StatusInputs sample_inputs() {
  StatusInputs in;
  in.version = "arkmq test";
  in.uptime = 75s;
  in.client_limit = 500;
  in.snapshot.clients_connected = 2;
  core::ClientSnapshot client;
  client.client_id = "<img src=x onerror=alert(1)>";
  client.principal = "";
  client.listener = "mqtt://127.0.0.1:1883";
  client.protocol_version = 5;
  in.snapshot.clients.push_back(client);
  core::ServiceSnapshot plc{"plc", {{"edge-1", true, {"read"}, "1.0"},
                                    {"edge-2", false, {}, ""}}};
  core::ServiceSnapshot cam{"camera", {{"edge-1", false, {}, ""}}};
  in.snapshot.services = {cam, plc};
  in.snapshot.edge_nodes_online = 1;
  in.rates.push_back(RateSample{std::chrono::system_clock::time_point{} + 1s, 4, 8, 0, 0, 2});
  in.denials.total = 7;
  in.denials.recent.push_back(
      StatusEvent{std::chrono::system_clock::time_point{}, "c", "", "publish", "x/y", 1});
  return in;
}

TEST(StatusJson, DescribesClientsServicesRatesAndEvents) {
  const json body = json::parse(status_json(sample_inputs()));
  EXPECT_EQ(body["version"], "arkmq test");
  EXPECT_EQ(body["uptime_s"], 75);
  EXPECT_EQ(body["clients"]["connected"], 2);
  EXPECT_EQ(body["clients"]["limit"], 500);
  EXPECT_EQ(body["clients"]["listed"][0]["client_id"], "<img src=x onerror=alert(1)>");
  EXPECT_EQ(body["clients"]["listed"][0]["protocol_version"], 5);
  EXPECT_EQ(body["services"][1]["service"], "plc");
  EXPECT_EQ(body["services"][1]["available"], true);
  EXPECT_EQ(body["services"][0]["available"], false);
  EXPECT_EQ(body["services"][1]["nodes"][0]["methods"], json::array({"read"}));
  EXPECT_EQ(body["edge_nodes_online"], 1);
  ASSERT_EQ(body["edge_nodes"].size(), 2U);
  EXPECT_EQ(body["edge_nodes"][0]["node"], "edge-1");
  EXPECT_EQ(body["edge_nodes"][0]["available"], true);
  EXPECT_EQ(body["edge_nodes"][0]["services"].size(), 2U);
  EXPECT_EQ(body["edge_nodes"][1]["available"], false);
  EXPECT_EQ(body["rates"]["samples"][0]["t"], 1000);
  EXPECT_EQ(body["rates"]["samples"][0]["out"], 8.0);
  EXPECT_EQ(body["denials"]["total"], 7);
  EXPECT_EQ(body["denials"]["recent"][0]["action"], "publish");
  EXPECT_EQ(body["denials"]["recent"][0]["topic"], "x/y");
  EXPECT_EQ(body["denials"]["recent"][0]["count"], 1);
  EXPECT_EQ(body["quota_hits"]["total"], 0);
}

TEST(StatusJson, ReplacesInvalidUtf8InsteadOfFailing) {
  StatusInputs in = sample_inputs();
  in.denials.recent[0].subject = "bad\xFFtopic";
  const json body = json::parse(status_json(in));
  EXPECT_EQ(body["denials"]["recent"][0]["topic"], "bad\uFFFDtopic");
}

// An http::Endpoint that only records its routes.
class RecordingEndpoint final : public http::Endpoint {
 public:
  void add_route(const std::string& path, http::Handler handler) override {
    routes[path] = std::move(handler);
  }
  tl::expected<void, std::string> start() override { return {}; }
  std::string bound_url() const override { return "http://127.0.0.1:0"; }
  void stop() override {}

  std::map<std::string, http::Handler> routes;
};

class StatusPageTest : public ::testing::Test {
 protected:
  core::BrokerConfig config = [] {
    core::BrokerConfig c;
    c.version = "arkmq 9.9.9";
    c.sys_interval = 0s;
    return c;
  }();
  core::Broker broker{config, std::make_shared<core::DefaultAuthenticator>(true),
                      std::make_shared<core::DefaultAuthorizer>(core::AclDefault::allow)};
  StatusPage page{broker};
  RecordingEndpoint endpoint;

  void SetUp() override { page.add_routes(endpoint); }

  http::Response get(const std::string& path, const http::Query& query = {}) {
    const auto it = endpoint.routes.find(path);
    if (it == endpoint.routes.end()) {
      ADD_FAILURE() << "no route " << path;
      return {};
    }
    return it->second(query);
  }
};

TEST_F(StatusPageTest, ServesThePageItsScriptAndItsStylesheet) {
  const http::Response html = get("/");
  EXPECT_EQ(html.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(html.body, status_index_html());
  EXPECT_NE(html.body.find("<script src=\"status.js\""), std::string::npos);
  EXPECT_NE(html.body.find("Content-Security-Policy"), std::string::npos);
  const http::Response js = get("/status.js");
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(js.body.find("/api/status"), std::string::npos);
  for (const char* html_sink :
       {".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write"}) {
    EXPECT_EQ(js.body.find(html_sink), std::string::npos) << html_sink;  // textContent only
  }
  EXPECT_EQ(get("/status.css").content_type, "text/css; charset=utf-8");
  EXPECT_FALSE(get("/status.css").body.empty());
}

TEST_F(StatusPageTest, AnswersApiStatusWithTheBrokersState) {
  page.events()->denied(who("c", "p"), core::DeniedAction::subscribe, "secret/#", nullptr);
  const http::Response response = get("/api/status");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  const json body = json::parse(response.body);
  EXPECT_EQ(body["version"], "arkmq 9.9.9");
  EXPECT_EQ(body["clients"]["connected"], 0);
  EXPECT_EQ(body["clients"]["limit"], 500);
  EXPECT_EQ(body["denials"]["total"], 1);
  EXPECT_EQ(body["denials"]["recent"][0]["topic"], "secret/#");
}

TEST_F(StatusPageTest, LimitsTheRateSamplesToTheRequestedWindow) {
  const auto start = core::Clock::now();
  for (int i = 0; i < 5; ++i) page.sample(start + std::chrono::seconds(i));
  EXPECT_EQ(json::parse(get("/api/status").body)["rates"]["samples"].size(), 4U);
  EXPECT_EQ(json::parse(get("/api/status", {{"window", "2"}}).body)["rates"]["samples"].size(), 2U);
  EXPECT_EQ(json::parse(get("/api/status", {{"window", "x"}}).body)["rates"]["samples"].size(), 4U);
}

}  // namespace
}  // namespace arkmq::app

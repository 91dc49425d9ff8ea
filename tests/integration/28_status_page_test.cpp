// 28 status page: the real arkmq-broker with an [http] listener, real clients (one with a hostile
// client id), an edge node announcing a service and an ACL denial; then Debian's chromium loads
// the page headless and we check the DOM it rendered (clients, the service and its node, the
// denial, an SVG chart with data, the hostile id as text and never as markup) and take a
// screenshot. Skips without chromium (tools/setup.sh installs it).
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/arkmqctl.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/deadline.hpp"
#include "tests/support/temp_dir.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kHostileId = "<img src=x onerror=alert(1)>";
constexpr const char* kEdgePassword = "edge-1-pw-Qv83";
constexpr const char* kSensorPassword = "sensor-pw-Lm27";

std::string find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// GET `path` on the broker's HTTP listener; false (no response) when it does not answer in 5 s.
httplib::Result get(std::uint16_t port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5s);
  client.set_read_timeout(5s);
  return client.Get(path);
}

// Polls /api/status every 50 ms until `done(body)`, at most 15 s / 300 times; the last body.
template <typename Done>
json api_status_until(std::uint16_t port, Done done) {
  const Deadline deadline(15s);
  json last;
  for (int i = 0; i < 300 && !deadline.expired(); ++i) {
    if (auto result = get(port, "/api/status"); result && result->status == 200) {
      last = json::parse(result->body, nullptr, false);
      if (!last.is_discarded() && done(last)) return last;
    }
    std::this_thread::sleep_for(50ms);  // the poll interval of a condition with a deadline
  }
  return last;
}

bool has_available_node(const json& status, const std::string& service, const std::string& node) {
  for (const auto& s : status.value("services", json::array())) {
    if (s.value("service", "") != service) continue;
    for (const auto& n : s.value("nodes", json::array())) {
      if (n.value("node", "") == node && n.value("available", false)) return true;
    }
  }
  return false;
}

bool has_traffic(const json& status) {
  for (const auto& sample : status["rates"].value("samples", json::array())) {
    if (sample.value("in", 0.0) > 0 && sample.value("out", 0.0) > 0) return true;
  }
  return false;
}

// The element `<tag id="id" ...>...</tag>` of a serialised DOM (tables and SVGs do not nest
// in themselves here); "" when absent.
std::string element(const std::string& dom, const std::string& tag, const std::string& id) {
  const auto start = dom.find("<" + tag + " id=\"" + id + "\"");
  if (start == std::string::npos) return "";
  const auto end = dom.find("</" + tag + ">", start);
  return end == std::string::npos ? "" : dom.substr(start, end - start);
}

struct BrowserRun {
  std::optional<ExitStatus> status;
  std::string out;  // stdout (the DOM for --dump-dom)
  std::string log;  // stderr
};

// Runs headless chromium with `args` then `url`, with its own profile under `dir`; killed after
// 60 s (the page itself gets 8 s of virtual time).
BrowserRun run_chromium(const std::string& chromium, const std::string& dir,
                        std::vector<std::string> args, const std::string& url) {
  std::vector<std::string> argv{chromium,
                                "--headless=new",
                                "--no-sandbox",
                                "--disable-gpu",
                                "--no-first-run",
                                "--disable-dev-shm-usage",
                                "--user-data-dir=" + dir + "/chromium-profile",
                                "--virtual-time-budget=8000"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(url);
  const std::string log_path = dir + "/chromium.log";
  ChildProcess browser(argv, log_path);
  const Deadline deadline(60s);
  browser.read_to_eof(deadline);
  BrowserRun run;
  run.status = browser.wait(deadline);
  if (!run.status) browser.kill_and_reap();
  run.out = browser.output();
  run.log = read_file(log_path);
  return run;
}

class StatusPageTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped()) return;
    chromium_ = find_in_path("chromium");
    if (chromium_.empty()) GTEST_SKIP() << "chromium is not installed (tools/setup.sh installs it)";
  }

  static BrokerOptions http_options(const std::string& http_table) {
    BrokerOptions options = store_options();
    options.allow_anonymous = true;  // the hostile client and the viewer log in without a user
    options.log_level = "info";
    options.arkmq_config = http_table;
    return options;
  }

  std::string chromium_;
};

TEST_F(StatusPageTest, AHeadlessBrowserShowsClientsServicesDenialsAndRatesWithHostileTextEscaped) {
  PolicyAdmin& admin =
      start_store_broker(http_options("[http]\nlisten = \"http://127.0.0.1:0\"\n"));
  const std::uint16_t port = broker().http_port();
  ASSERT_NE(port, 0) << broker().log_text();
  admin.add_user("edge-1", kEdgePassword);
  admin.change({"service", "grant", "--node", "edge-1", "--service", "plc"});
  admin.add_user("sensor", kSensorPassword);
  admin.add_rule({"--allow", "--all", "--topic", "plant/#", "--user", "sensor"});

  // An edge node announcing plc, a sensor talking to itself, a hostile anonymous client denied
  // a publish, and a plain 3.1.1 viewer.
  auto edge = login(5, "edge-1", kEdgePassword, "edge-node");
  ASSERT_EQ(edge->publish("$svc/announce/edge-1/plc",
                          R"({"methods":["read","write"],"version":"1.4.0"})", 1),
            std::optional<std::uint8_t>(0x00));
  auto sensor = login(5, "sensor", kSensorPassword, "sensor");
  ASSERT_EQ(sensor->subscribe("plant/#", 0), std::vector<std::uint8_t>{0x00});
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(sensor->publish("plant/line-3/temp", std::to_string(20 + i), 1),
              std::optional<std::uint8_t>(0x00));
  }
  UserSession hostile(broker().port(), login_spec(5, kHostileId, std::nullopt, std::nullopt));
  ASSERT_EQ(hostile.publish("secret/plans", "payload-never-shown", 1),
            std::optional<std::uint8_t>(0x87));
  auto viewer = connected(4, "viewer");

  const json status = api_status_until(port, [](const json& s) {
    return s["clients"].value("connected", 0) >= 4 && has_available_node(s, "plc", "edge-1") &&
           s["denials"].value("total", 0) >= 1 && has_traffic(s) &&
           s["rates"]["samples"].size() >= 2;
  });
  ASSERT_GE(status["clients"].value("connected", 0), 4) << status.dump(2);
  ASSERT_TRUE(has_available_node(status, "plc", "edge-1")) << status.dump(2);
  ASSERT_TRUE(has_traffic(status)) << status.dump(2);
  EXPECT_EQ(status["edge_nodes_online"], 1);
  EXPECT_EQ(status.dump().find("payload-never-shown"), std::string::npos);

  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  const BrowserRun dump = run_chromium(chromium_, broker().dir(), {"--dump-dom"}, url);
  ASSERT_TRUE(dump.status && dump.status->exited && dump.status->code == 0)
      << (dump.status ? to_string(*dump.status) : "timed out") << "\n" << dump.log;
  const std::string& dom = dump.out;
  ASSERT_NE(dom.find("</html>"), std::string::npos) << dom;

  // Connected clients, with the hostile id as text.
  const std::string clients = element(dom, "table", "clients");
  EXPECT_NE(clients.find(">sensor-"), std::string::npos) << clients;
  EXPECT_NE(clients.find(">edge-node-"), std::string::npos) << clients;
  EXPECT_NE(clients.find(">viewer-"), std::string::npos) << clients;
  EXPECT_NE(clients.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos) << clients;
  EXPECT_NE(clients.find(">3.1.1<"), std::string::npos) << clients;

  // The service, its node and methods.
  const std::string services = element(dom, "table", "services");
  EXPECT_NE(services.find("<td>plc</td><td>edge-1</td><td class=\"ok\">yes</td>"),
            std::string::npos)
      << services;
  EXPECT_NE(services.find("read, write"), std::string::npos) << services;
  EXPECT_NE(services.find("1.4.0"), std::string::npos) << services;

  // The denial row: the hostile id, the action and the topic, never the payload.
  const std::string denials = element(dom, "table", "denials");
  EXPECT_NE(denials.find("&lt;img src=x onerror=alert(1)&gt;</td><td class=\"muted\">"
                         "(anonymous)</td><td>publish</td>"
                         "<td class=\"mono topic\">secret/plans</td>"),
            std::string::npos)
      << denials;
  EXPECT_EQ(dom.find("payload-never-shown"), std::string::npos);

  // No markup from a client ever became an element.
  EXPECT_EQ(dom.find("<img"), std::string::npos) << dom;
  EXPECT_EQ(dom.find("onerror=\""), std::string::npos);

  // The messages chart was drawn from samples, with traffic above the zero line.
  const std::string chart = element(dom, "svg", "chart-messages");
  std::smatch samples;
  ASSERT_TRUE(std::regex_search(chart, samples, std::regex(R"re(data-samples="([0-9]+)")re")))
      << chart;
  EXPECT_GE(std::stoi(samples[1].str()), 2);
  std::smatch in_line;
  ASSERT_TRUE(std::regex_search(
      chart, in_line, std::regex(R"re(<polyline points="([0-9., ]+)" class="series in")re")))
      << chart;
  std::istringstream points(in_line[1].str());
  double lowest_y = 1e9;
  for (std::string point; points >> point;) {
    lowest_y = std::min(lowest_y, std::stod(point.substr(point.find(',') + 1)));
  }
  EXPECT_LT(lowest_y, 174.0) << "every point of the 'in' line lies on zero: " << chart;
  EXPECT_NE(element(dom, "svg", "chart-clients").find("<polyline"), std::string::npos);
  EXPECT_NE(dom.find("id=\"edge-nodes-online\" class=\"value\">1<"), std::string::npos);

  // A screenshot of the same page.
  const std::string png = broker().dir() + "/status-page.png";
  const BrowserRun shot = run_chromium(
      chromium_, broker().dir(),
      {"--hide-scrollbars", "--window-size=1280,900", "--screenshot=" + png}, url);
  ASSERT_TRUE(shot.status && shot.status->exited && shot.status->code == 0) << shot.log;
  const std::string image = read_file(png);
  ASSERT_GT(image.size(), 10'000U);
  EXPECT_EQ(image.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // ARKMQ_STATUS_SCREENSHOT=PATH keeps a copy (how docs/images/status-page.png is made).
  if (const char* keep = std::getenv("ARKMQ_STATUS_SCREENSHOT"); keep && *keep) {
    std::filesystem::copy_file(png, keep, std::filesystem::copy_options::overwrite_existing);
  }
}

TEST_F(StatusPageTest, StatusPageOffLeavesOnlyMetrics) {
  start_store_broker(
      http_options("[http]\nlisten = \"http://127.0.0.1:0\"\nstatus_page = false\n"));
  const std::uint16_t port = broker().http_port();
  ASSERT_NE(port, 0) << broker().log_text();
  for (const char* path : {"/", "/api/status", "/status.js", "/status.css"}) {
    auto result = get(port, path);
    ASSERT_TRUE(result) << path;
    EXPECT_EQ(result->status, 404) << path;
  }
  auto metrics = get(port, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
}

TEST_F(StatusPageTest, ServesThePageFilesAndJsonWithTheirTypes) {
  start_store_broker(http_options("[http]\nlisten = \"http://127.0.0.1:0\"\n"));
  const std::uint16_t port = broker().http_port();
  ASSERT_NE(port, 0) << broker().log_text();
  const std::vector<std::pair<std::string, std::string>> expected{
      {"/", "text/html; charset=utf-8"},
      {"/status.js", "text/javascript; charset=utf-8"},
      {"/status.css", "text/css; charset=utf-8"},
      {"/api/status", "application/json"}};
  for (const auto& [path, type] : expected) {
    auto result = get(port, path);
    ASSERT_TRUE(result) << path;
    EXPECT_EQ(result->status, 200) << path;
    EXPECT_EQ(result->get_header_value("Content-Type"), type) << path;
  }
  auto page = get(port, "/");
  EXPECT_NE(page->body.find("Content-Security-Policy"), std::string::npos);
  auto body = json::parse(get(port, "/api/status")->body);
  EXPECT_EQ(body["clients"]["connected"], 0);
  EXPECT_TRUE(body["services"].empty());
}

}  // namespace
}  // namespace arkmq::test

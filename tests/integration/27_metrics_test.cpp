// 27 metrics: the [http] listener serves /metrics in the Prometheus text format; every line
// parses, and the counters move by exactly what clients did (publishes, a denied subscribe, a
// connection-rate ban). The same numbers appear under $SYS. Without [http] no HTTP port is open.
#include <dirent.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <httplib.h>

#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/broker_test.hpp"
#include "tests/support/raw_client.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

// name{label="value",...} value, label values with escapes; or a HELP / TYPE comment.
const std::regex kSampleLine(
    R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? )"
    R"((NaN|[+-]Inf|-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?)$)");
const std::regex kCommentLine(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$)");

// One scrape: series ("name{labels}") -> value; every line checked.
struct Scrape {
  int status = 0;
  std::string content_type;
  std::string text;
  std::map<std::string, double> series;
  std::vector<std::string> bad_lines;

  double at(const std::string& key) const {
    auto it = series.find(key);
    return it == series.end() ? std::nan("") : it->second;
  }
};

Scrape scrape(std::uint16_t port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5s);
  client.set_read_timeout(5s);
  Scrape out;
  auto response = client.Get("/metrics");
  if (!response) return out;
  out.status = response->status;
  out.content_type = response->get_header_value("Content-Type");
  out.text = response->body;
  std::istringstream lines(out.text);
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_match(line, kCommentLine)) continue;
    if (!std::regex_match(line, kSampleLine)) {
      out.bad_lines.push_back(line);
      continue;
    }
    const auto space = line.rfind(' ');
    out.series[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

// Scrapes every 20 ms until `done(scrape)`, at most 10 s / 500 times; returns the last scrape.
template <typename Done>
Scrape scrape_until(std::uint16_t port, Done done) {
  const Deadline deadline(10s);
  Scrape last = scrape(port);
  for (int i = 0; i < 500 && !done(last) && !deadline.expired(); ++i) {
    std::this_thread::sleep_for(20ms);  // the poll interval of a condition with a deadline
    last = scrape(port);
  }
  return last;
}

// Listening TCP ports of process `pid`: its socket inodes matched against /proc/net/tcp{,6}
// entries in state 0A (LISTEN).
std::set<std::uint16_t> listening_ports(pid_t pid) {
  std::set<std::string> inodes;
  const std::string fd_dir = "/proc/" + std::to_string(pid) + "/fd";
  if (DIR* dir = ::opendir(fd_dir.c_str())) {
    while (const dirent* entry = ::readdir(dir)) {
      char target[256] = {};
      const std::string path = fd_dir + "/" + entry->d_name;
      const ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
      const std::string link(target, n > 0 ? static_cast<std::size_t>(n) : 0);
      if (link.starts_with("socket:[")) inodes.insert(link.substr(8, link.size() - 9));
    }
    ::closedir(dir);
  }
  std::set<std::uint16_t> ports;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      if (state != "0A" || inodes.count(inode) == 0) continue;
      ports.insert(static_cast<std::uint16_t>(std::stoul(local.substr(local.rfind(':') + 1), nullptr, 16)));
    }
  }
  return ports;
}

std::string listener_label(const BrokerProcess& broker) {
  return "{listener=\"mqtt://127.0.0.1:" + std::to_string(broker.port()) + "\"}";
}

class Metrics : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    if (IsSkipped()) return;
    if (is_reference()) GTEST_SKIP() << "arkmq-only: [http] and /metrics";
  }
  // A broker with [http] on a free port; `top` are top-level keys before the table.
  std::uint16_t start_with_http(const std::string& top = "", const std::string& tables = "") {
    BrokerOptions options;
    options.log_level = "info";
    options.arkmq_config = top + "[http]\nlisten = \"http://127.0.0.1:0\"\n" + tables;
    start_broker(options);
    const std::uint16_t port = broker().http_port();
    EXPECT_NE(port, 0) << broker().log_text();
    return port;
  }
};

TEST_F(Metrics, EveryLineOfTheExpositionParses) {
  const std::uint16_t port = start_with_http();
  ASSERT_NE(port, 0);
  auto client = connected(5, "scraped");
  client->publish("m/warm", "x", 1);
  const Scrape page = scrape(port);
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_TRUE(page.bad_lines.empty()) << page.bad_lines.front();
  EXPECT_GT(page.series.size(), 40U);
  for (const char* family :
       {"arkmq_clients_connected", "arkmq_messages_received_total", "arkmq_sent_bytes_total",
        "arkmq_messages_dropped_total", "arkmq_edge_nodes_online", "arkmq_memory_held_bytes"}) {
    EXPECT_FALSE(std::isnan(page.at(family))) << family;
  }
  EXPECT_FALSE(std::isnan(page.at("arkmq_worker_loop_lag_seconds{worker=\"0\"}")));
  EXPECT_EQ(page.at("arkmq_listener_clients_connected" + listener_label(broker())), 1);
  // Read-only: anything but GET/HEAD is refused, unknown paths are 404.
  httplib::Client http("127.0.0.1", port);
  auto post = http.Post("/metrics", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  auto missing = http.Get("/nothing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(Metrics, CountersMoveByWhatClientsDid) {
  const std::uint16_t port = start_with_http();
  ASSERT_NE(port, 0);
  const Scrape before = scrape(port);
  ASSERT_EQ(before.status, 200);
  const std::string listener = listener_label(broker());

  auto subscriber = connected(5, "sub");
  ASSERT_EQ(subscriber->subscribe("m/#", 1).at(0), mqtt::ReasonCode::GRANTED_QOS_1);
  // `$`-topics are not subscribable without a rule naming them: one subscribe denial.
  EXPECT_EQ(subscriber->subscribe("$private/#", 1).at(0), mqtt::ReasonCode::NOT_AUTHORIZED);
  auto publisher = connected(5, "pub");
  constexpr int kMessages = 7;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(publisher->publish("m/" + std::to_string(i), "hello", 1), mqtt::ReasonCode::SUCCESS);
  }
  ASSERT_TRUE(subscriber->messages().wait_for(kMessages, 5s));

  const auto delta = [&before](const Scrape& now, const std::string& key) {
    const double was = before.series.count(key) ? before.at(key) : 0;
    return now.at(key) - was;
  };
  const Scrape after = scrape_until(port, [&](const Scrape& now) {
    return delta(now, "arkmq_messages_sent_total") >= kMessages;
  });
  EXPECT_TRUE(after.bad_lines.empty());
  EXPECT_EQ(delta(after, "arkmq_messages_received_total"), kMessages);
  EXPECT_EQ(delta(after, "arkmq_messages_sent_total"), kMessages);
  EXPECT_EQ(delta(after, "arkmq_listener_messages_received_total" + listener), kMessages);
  EXPECT_EQ(delta(after, "arkmq_listener_payload_received_bytes_total" + listener), 5 * kMessages);
  EXPECT_EQ(delta(after, "arkmq_listener_connections_accepted_total" + listener), 2);
  EXPECT_EQ(delta(after, "arkmq_listener_clients_connected" + listener), 2);
  EXPECT_EQ(delta(after, "arkmq_logins_total{result=\"success\"}"), 2);
  EXPECT_EQ(delta(after, "arkmq_acl_denials_total{action=\"subscribe\"}"), 1);
  EXPECT_EQ(delta(after, "arkmq_acl_denials_total{action=\"publish\"}"), 0);
  EXPECT_EQ(after.at("arkmq_clients_connected"), 2);
  EXPECT_EQ(after.at("arkmq_subscriptions"), 1);
  EXPECT_GT(delta(after, "arkmq_received_bytes_total"), 5 * kMessages);
  // One MQTT listener: its bytes are the broker's.
  EXPECT_EQ(delta(after, "arkmq_listener_received_bytes_total" + listener),
            delta(after, "arkmq_received_bytes_total"));
  EXPECT_EQ(delta(after, "arkmq_listener_sent_bytes_total" + listener),
            delta(after, "arkmq_sent_bytes_total"));

  publisher->disconnect();
  const Scrape left = scrape_until(port, [&](const Scrape& now) {
    return now.at("arkmq_listener_clients_connected" + listener) == 1;
  });
  EXPECT_EQ(left.at("arkmq_listener_clients_connected" + listener), 1);
  EXPECT_EQ(delta(left, "arkmq_disconnects_total{initiator=\"client\"}"), 1);
}

TEST_F(Metrics, ATakenOverSessionLeavesOneClientConnected) {
  const std::uint16_t port = start_with_http();
  ASSERT_NE(port, 0);
  const std::string listener = listener_label(broker());
  const std::string id = unique_client_id("twice");
  PahoClient first(uri(), id, 5);
  first.connect(v5_options());
  PahoClient second(uri(), id, 5);
  second.connect(v5_options());
  ASSERT_TRUE(first.wait_for_connection_lost(5s));
  const Scrape page = scrape_until(port, [&](const Scrape& now) {
    return now.at("arkmq_disconnects_total{initiator=\"broker\"}") == 1;
  });
  EXPECT_EQ(page.at("arkmq_disconnects_total{initiator=\"broker\"}"), 1);
  EXPECT_EQ(page.at("arkmq_listener_clients_connected" + listener), 1);
  EXPECT_EQ(page.at("arkmq_clients_connected"), 1);
  EXPECT_EQ(page.at("arkmq_logins_total{result=\"success\"}"), 2);
}

TEST_F(Metrics, AConnectionRateBanIsOneQuotaHit) {
  const std::uint16_t port = start_with_http(
      "", "[flow_control]\nmax_connections_per_window = 3\nconnection_window_seconds = 30\n"
          "ban_seconds = 60\n");
  ASSERT_NE(port, 0);
  for (int i = 0; i < 6; ++i) {
    RawClient client(broker().port());  // the 4th accept starts the ban: it and later ones closed
  }
  ASSERT_TRUE(broker().wait_for_log("banning 127.0.0.1", 5s));
  const Scrape page = scrape_until(port, [](const Scrape& now) {
    return now.at("arkmq_ban_refused_connections_total") >= 3;
  });
  EXPECT_EQ(page.at("arkmq_quota_hits_total{kind=\"connections\"}"), 1);
  EXPECT_EQ(page.at("arkmq_connection_bans_total"), 1);
  EXPECT_EQ(page.at("arkmq_banned_addresses"), 1);
  EXPECT_EQ(page.at("arkmq_ban_refused_connections_total"), 3);
  // The HTTP listener is not an MQTT listener: the ban does not reach it.
  EXPECT_EQ(page.status, 200);
}

TEST_F(Metrics, TheSameNumbersAreUnderSys) {
  const std::uint16_t port = start_with_http("sys_interval = 1\n");
  ASSERT_NE(port, 0);
  auto client = connected(5, "sys");
  EXPECT_EQ(client->subscribe("$private/x", 0).at(0), mqtt::ReasonCode::NOT_AUTHORIZED);
  client->subscribe("$SYS/broker/#", 0);
  const std::string accepted = "$SYS/broker/listeners/mqtt/127.0.0.1:" +
                               std::to_string(broker().port()) + "/connections/accepted";
  std::map<std::string, std::string> latest;
  const Deadline deadline(10s);
  while (!deadline.expired()) {
    for (const auto& message : client->messages().messages()) {
      latest[message->get_topic()] = message->get_payload_str();
    }
    if (latest["$SYS/broker/acl/denied/subscribe"] == "1" && latest.count(accepted) != 0 &&
        latest.count("$SYS/broker/workers/loop_lag_us") != 0) {
      break;
    }
    client->messages().wait_for(client->messages().size() + 1, 200ms);
  }
  EXPECT_EQ(latest["$SYS/broker/acl/denied/subscribe"], "1");
  EXPECT_EQ(latest["$SYS/broker/acl/denied/total"], "1");
  EXPECT_EQ(latest[accepted], "1");
  EXPECT_EQ(latest["$SYS/broker/services/calls/total"], "0");
  EXPECT_EQ(latest["$SYS/broker/quota/hits/connections"], "0");
  EXPECT_FALSE(latest["$SYS/broker/workers/loop_lag_us"].empty());
  const Scrape page = scrape(port);
  EXPECT_EQ(page.at("arkmq_acl_denials_total{action=\"subscribe\"}"), 1);
}

TEST_F(Metrics, OnlyTheConfiguredListenersAreOpen) {
  const std::uint16_t port = start_with_http();
  ASSERT_NE(port, 0);
  EXPECT_EQ(listening_ports(broker().pid()), (std::set<std::uint16_t>{broker().port(), port}));
}

TEST_F(Metrics, WithoutHttpNoHttpPortIsOpen) {
  BrokerOptions options;
  options.log_level = "info";
  start_broker(options);
  ASSERT_TRUE(broker().wait_for_log(" started: ", 5s));
  EXPECT_EQ(broker().log_text().find("listening on http"), std::string::npos);
  EXPECT_EQ(listening_ports(broker().pid()), (std::set<std::uint16_t>{broker().port()}));
}

}  // namespace
}  // namespace arkmq::test

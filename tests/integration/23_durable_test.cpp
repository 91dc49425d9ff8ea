// 23 durable state: with a data directory the broker keeps retained messages, persistent
// sessions, their subscriptions and the QoS 1/2 messages owed to them in <data dir>/state.db.
// They survive a graceful restart and a kill -9; an acknowledged QoS 1 message is never lost
// and a QoS 2 stream has no duplicates across a crash; a damaged or newer state.db is refused
// with exit code 2 and left as it was. arkmq only (the reference broker runs without
// persistence in these tests).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/support/broker_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/paho_helpers.hpp"
#include "tests/support/temp_dir.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kSessionExpiry = 3600;

class Durable : public ::testing::Test {
 protected:
  void SetUp() override {
    if (broker_kind_from_env() == BrokerKind::mosquitto) {
      GTEST_SKIP() << "arkmq-only: state.db persistence";
    }
    if (arkmq_broker_path().empty()) GTEST_SKIP() << "arkmq-broker was not built";
  }

  // Starts (or restarts: same data dir, same port) the broker.
  BrokerProcess& start() {
    BrokerOptions options;
    options.data_dir_path = data_dir_;
    options.tcp_port = port_;
    options.log_level = "info";  // sustained publishing at debug would mostly test logging
    options.arkmq_config = persistence_table_;
    broker_ = std::make_unique<BrokerProcess>(options);
    port_ = broker_->port();
    return *broker_;
  }
  void restart_gracefully() {
    broker_.reset();  // SIGTERM, exit 0 expected
    start();
  }
  void restart_after_kill() {
    broker_->kill();
    broker_.reset();
    start();
  }
  std::string uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

  // A v5 client with a persistent session (Clean Start false, expiry 1 h).
  std::unique_ptr<PahoClient> persistent(const std::string& id, bool expect_present) {
    auto client = std::make_unique<PahoClient>(uri(), id, 5);
    const auto response = client->connect(v5_options(false, kSessionExpiry));
    EXPECT_EQ(response.is_session_present(), expect_present) << id;
    return client;
  }

  TempDir root_{"arkmq-durable"};
  std::string data_dir_ = root_.file("data");
  std::uint16_t port_ = 0;
  std::string persistence_table_;  // a [persistence] table for the config file, or ""
  std::unique_ptr<BrokerProcess> broker_;

  void qos1_through_a_crash();
};

std::set<std::string> distinct_payloads(const PahoClient& client) {
  const auto payloads = const_cast<PahoClient&>(client).messages().payloads();
  return {payloads.begin(), payloads.end()};
}

// ---- (a) retained messages ----

void publish_retained(const std::string& uri) {
  PahoClient pub(uri, unique_client_id("ret-pub"), 5);
  pub.connect(v5_options());
  mqtt::properties props;
  props.add({mqtt::property::USER_PROPERTY, std::string("origin"), std::string("plant-7")});
  props.add({mqtt::property::CONTENT_TYPE, std::string("text/plain")});
  ASSERT_EQ(pub.publish("durable/ret/q1", "kept-q1", 1, true, props), mqtt::ReasonCode::SUCCESS);
  ASSERT_EQ(pub.publish("durable/ret/q0", "kept-q0", 0, true), mqtt::ReasonCode::SUCCESS);
  ASSERT_EQ(pub.publish("durable/ret/gone", "cleared", 1, true), mqtt::ReasonCode::SUCCESS);
  ASSERT_EQ(pub.publish("durable/ret/gone", "", 1, true), mqtt::ReasonCode::SUCCESS);  // clears
  // A QoS 1 round trip after the QoS 0 retain: the broker has handled everything before it.
  ASSERT_EQ(pub.publish("durable/ret/marker", "m", 1), mqtt::ReasonCode::SUCCESS);
}

void expect_retained(const std::string& uri) {
  PahoClient sub(uri, unique_client_id("ret-sub"), 5);
  sub.connect(v5_options());
  sub.subscribe("durable/ret/#", 1);
  ASSERT_TRUE(sub.messages().wait_for(2, 5s)) << "retained messages missing after the restart";
  EXPECT_FALSE(sub.messages().wait_for(3, 300ms)) << "a cleared retained message came back";
  std::map<std::string, mqtt::const_message_ptr> by_topic;
  for (const auto& m : sub.messages().messages()) by_topic[m->get_topic()] = m;
  ASSERT_TRUE(by_topic.count("durable/ret/q1"));
  ASSERT_TRUE(by_topic.count("durable/ret/q0"));
  const auto& q1 = by_topic["durable/ret/q1"];
  EXPECT_EQ(q1->get_payload_str(), "kept-q1");
  EXPECT_TRUE(q1->is_retained());
  const auto& props = q1->get_properties();
  ASSERT_TRUE(props.contains(mqtt::property::USER_PROPERTY));
  const auto user = mqtt::get<mqtt::string_pair>(props, mqtt::property::USER_PROPERTY);
  EXPECT_EQ(std::get<0>(user), "origin");
  EXPECT_EQ(std::get<1>(user), "plant-7");
  EXPECT_EQ(mqtt::get<std::string>(props, mqtt::property::CONTENT_TYPE), "text/plain");
  EXPECT_EQ(by_topic["durable/ret/q0"]->get_payload_str(), "kept-q0");
}

TEST_F(Durable, RetainedMessagesSurviveAGracefulRestart) {
  start();
  publish_retained(uri());
  restart_gracefully();
  EXPECT_TRUE(broker_->wait_for_log("persistence: restored", 5s));
  expect_retained(uri());
}

TEST_F(Durable, RetainedMessagesSurviveAKill9) {
  start();
  publish_retained(uri());  // acknowledged: committed before the PUBACK
  restart_after_kill();
  expect_retained(uri());
}

// ---- (b) persistent sessions ----

TEST_F(Durable, PersistentSessionKeepsItsSubscriptionsAndGetsWhatWasPublishedWhileOffline) {
  start();
  const std::string id = unique_client_id("offline");
  {
    auto sub = persistent(id, false);
    sub->subscribe("durable/sess/#", 1);
    sub->subscribe("durable/other", 2);
    sub->disconnect();
  }
  restart_after_kill();  // the session and its subscriptions come back from state.db
  {
    PahoClient pub(uri(), unique_client_id("offline-pub"), 5);
    pub.connect(v5_options());
    for (const char* payload : {"one", "two", "three"}) {
      ASSERT_EQ(pub.publish("durable/sess/t", payload, 1), mqtt::ReasonCode::SUCCESS);
    }
    ASSERT_EQ(pub.publish("durable/other", "four", 2), mqtt::ReasonCode::SUCCESS);
  }
  restart_gracefully();  // the queued messages come back too
  auto sub = persistent(id, true);
  ASSERT_TRUE(sub->messages().wait_for(4, 10s))
      << "got " << sub->messages().size() << " of 4 queued messages";
  const auto payloads = sub->messages().payloads();
  EXPECT_EQ(std::vector<std::string>(payloads.begin(), payloads.begin() + 3),
            (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(payloads[3], "four");
  EXPECT_FALSE(sub->messages().wait_for(5, 300ms)) << "a message was delivered twice";
}

// ---- (c), (d) publishing through a crash ----

// Publishes "<n>" on `topic` at `qos` as fast as the broker acknowledges (a window of
// outstanding publishes), recording every n whose acknowledgement arrived (PUBACK for QoS 1,
// PUBCOMP for QoS 2), until the connection is lost or `stop` is set.
class Streamer {
 public:
  Streamer(const std::string& uri, std::string topic, int qos)
      : client_(uri, unique_client_id("streamer"), 5), topic_(std::move(topic)), qos_(qos) {
    client_.connect(v5_options());
    thread_ = std::thread([this] { run(); });
  }
  ~Streamer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::size_t acked_count() const {
    std::lock_guard lock(mutex_);
    return acked_.size();
  }
  // True once `count` messages are acknowledged; false at the timeout or when publishing failed.
  bool wait_for_acked(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return acked_.size() >= count || failed_; }) &&
           acked_.size() >= count;
  }
  std::set<std::string> acked() const {
    std::lock_guard lock(mutex_);
    return acked_;
  }
  void join() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  void settle(std::deque<std::pair<std::string, mqtt::delivery_token_ptr>>& window) {
    auto [payload, token] = window.front();
    window.pop_front();
    try {
      // Paho keeps a publish of a lost connection pending (for a resend on reconnect): once
      // the connection is gone, only what already completed counts.
      bool complete = token->wait_for(failed_ ? 0ms : 100ms);
      for (int i = 0; i < 50 && !complete && !failed_ && client_.client().is_connected(); ++i) {
        complete = token->wait_for(100ms);
      }
      if (!complete) complete = token->wait_for(0ms);
      if (complete && static_cast<int>(token->get_reason_code()) < 0x80) {
        std::lock_guard lock(mutex_);
        acked_.insert(payload);
        changed_.notify_all();
        return;
      }
    } catch (const mqtt::exception&) {
    }
    std::lock_guard lock(mutex_);
    failed_ = true;  // lost with the connection: not acknowledged
    changed_.notify_all();
  }
  void run() {
    std::deque<std::pair<std::string, mqtt::delivery_token_ptr>> window;
    // Bounded: 200000 messages at most.
    for (int n = 1; n <= 200000 && !stop_ && !failed_; ++n) {
      const std::string payload = std::to_string(n);
      try {
        window.emplace_back(payload, client_.client().publish(
                                         mqtt::make_message(topic_, payload, qos_, false)));
      } catch (const mqtt::exception&) {
        break;
      }
      while (window.size() >= 32 && !failed_) settle(window);
    }
    while (!window.empty()) settle(window);
  }

  PahoClient client_;
  std::string topic_;
  int qos_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::set<std::string> acked_;
  std::thread thread_;
};

// Waits until every payload in `expected` has reached `client` (at least once), within
// `timeout`; returns the ones still missing.
std::set<std::string> missing_after(PahoClient& client, const std::set<std::string>& expected,
                                    std::chrono::milliseconds timeout) {
  const Deadline deadline(timeout);
  std::set<std::string> missing;
  for (const auto& payload : expected) {
    const auto left = std::chrono::milliseconds(deadline.remaining_ms());
    if (!client.messages().wait_for_payload(payload, left)) missing.insert(payload);
  }
  return missing;
}

void Durable::qos1_through_a_crash() {
  start();
  const std::string id = unique_client_id("q1-sub");
  auto sub = persistent(id, false);
  sub->subscribe("durable/q1", 1);

  std::set<std::string> acked;
  {
    Streamer streamer(uri(), "durable/q1", 1);
    ASSERT_TRUE(streamer.wait_for_acked(2000, 30s))
        << "only " << streamer.acked_count() << " QoS 1 messages acknowledged in 30 s";
    broker_->kill();  // while the streamer is still publishing
    streamer.join();
    acked = streamer.acked();
  }
  ASSERT_TRUE(sub->wait_for_connection_lost(5s));
  broker_.reset();
  start();
  const auto response = sub->connect(v5_options(false, kSessionExpiry));
  EXPECT_TRUE(response.is_session_present());

  const std::set<std::string> missing = missing_after(*sub, acked, 20s);
  EXPECT_TRUE(missing.empty()) << missing.size() << " of " << acked.size()
                   << " acknowledged QoS 1 messages lost, e.g. " << *missing.begin();
  std::printf("[durable] QoS 1: %zu acknowledged before kill -9, %zu deliveries, %zu distinct\n",
              acked.size(), sub->messages().size(), distinct_payloads(*sub).size());
}

TEST_F(Durable, Kill9DuringSustainedQos1PublishingLosesNoAcknowledgedMessage) {
  qos1_through_a_crash();
}

// synchronous = "normal" skips the fsync per commit: still safe against a process crash.
TEST_F(Durable, Kill9WithSynchronousNormalLosesNoAcknowledgedMessage) {
  persistence_table_ = "[persistence]\nsynchronous = \"normal\"\n";
  qos1_through_a_crash();
}

TEST_F(Durable, WithPersistenceOffNothingSurvivesARestart) {
  persistence_table_ = "[persistence]\nenabled = false\n";
  start();
  EXPECT_TRUE(broker_->wait_for_log("persistence off: [persistence] enabled = false", 5s));
  {
    PahoClient pub(uri(), unique_client_id("off-pub"), 5);
    pub.connect(v5_options());
    ASSERT_EQ(pub.publish("durable/off", "kept?", 1, true), mqtt::ReasonCode::SUCCESS);
  }
  restart_gracefully();
  EXPECT_FALSE(std::filesystem::exists(data_dir_ + "/state.db"));
  PahoClient sub(uri(), unique_client_id("off-sub"), 5);
  sub.connect(v5_options());
  sub.subscribe("durable/off", 1);
  // A retained message would arrive right after SUBACK; a marker published after the
  // subscription arrives after it, so its arrival alone proves there was none.
  {
    PahoClient marker(uri(), unique_client_id("off-marker"), 5);
    marker.connect(v5_options());
    ASSERT_EQ(marker.publish("durable/off", "marker", 1), mqtt::ReasonCode::SUCCESS);
  }
  ASSERT_TRUE(sub.messages().wait_for_payload("marker", 5s));
  EXPECT_EQ(sub.messages().payloads(), (std::vector<std::string>{"marker"}));
}

TEST_F(Durable, Qos2StreamThroughAKill9HasNoDuplicatesAndLosesNothingCompleted) {
  start();
  const std::string id = unique_client_id("q2-sub");
  auto sub = persistent(id, false);
  sub->subscribe("durable/q2", 2);

  std::set<std::string> completed;
  {
    Streamer streamer(uri(), "durable/q2", 2);
    ASSERT_TRUE(streamer.wait_for_acked(1000, 30s))
        << "only " << streamer.acked_count() << " QoS 2 messages completed in 30 s";
    broker_->kill();
    streamer.join();
    completed = streamer.acked();
  }
  ASSERT_TRUE(sub->wait_for_connection_lost(5s));
  broker_.reset();
  start();
  sub->connect(v5_options(false, kSessionExpiry));

  const std::set<std::string> missing = missing_after(*sub, completed, 20s);
  EXPECT_TRUE(missing.empty()) << missing.size() << " of " << completed.size()
                   << " completed QoS 2 messages lost, e.g. " << *missing.begin();
  // Let redeliveries (if any) arrive: a marker through the same session comes after them.
  {
    PahoClient marker(uri(), unique_client_id("q2-marker"), 5);
    marker.connect(v5_options());
    ASSERT_EQ(marker.publish("durable/q2", "marker", 2), mqtt::ReasonCode::SUCCESS);
  }
  ASSERT_TRUE(sub->messages().wait_for_payload("marker", 10s));
  std::map<std::string, int> seen;
  std::vector<std::string> duplicates;
  for (const auto& payload : sub->messages().payloads()) {
    if (++seen[payload] == 2) duplicates.push_back(payload);
  }
  EXPECT_TRUE(duplicates.empty()) << duplicates.size() << " QoS 2 messages delivered twice, e.g. "
                                  << duplicates.front();
  std::printf("[durable] QoS 2: %zu completed before kill -9, %zu deliveries, %zu distinct\n",
              completed.size(), sub->messages().size(), seen.size());
}

// ---- (e) refusal ----

struct Exit {
  ExitStatus status;
  std::string output;
};

// Runs the broker on `data_dir` until it exits (it must refuse to start); bounded.
Exit run_to_exit(const std::string& data_dir) {
  ChildProcess child({arkmq_broker_path(), "--data-dir", data_dir, "--listen",
                      "mqtt://127.0.0.1:0", "--log-level", "info"},
                     "");
  const Deadline deadline(10s);
  child.read_to_eof(deadline);
  auto status = child.wait(deadline);
  if (!status) {
    child.kill_and_reap();
    return {ExitStatus{}, child.output() + "\n(still running after 10 s: killed)"};
  }
  return {*status, child.output()};
}

class DurableRefusal : public Durable {
 protected:
  std::string state_db() const { return data_dir_ + "/state.db"; }
  // A real state.db with enough in it to span many pages; the broker stopped gracefully.
  void make_state() {
    start();
    PahoClient pub(uri(), unique_client_id("fill"), 5);
    pub.connect(v5_options());
    const std::string payload(2000, 'x');
    for (int i = 0; i < 150; ++i) {
      ASSERT_EQ(pub.publish("durable/fill/" + std::to_string(i), payload, 1, true),
                mqtt::ReasonCode::SUCCESS);
    }
    pub.disconnect();
    broker_.reset();
    ASSERT_FALSE(std::filesystem::exists(state_db() + "-wal") &&
                 std::filesystem::file_size(state_db() + "-wal") > 0)
        << "a graceful stop should leave everything in state.db";
  }
  void expect_refused(const std::string& words) {
    const std::string before = read_file(state_db());
    const Exit exit = run_to_exit(data_dir_);
    EXPECT_EQ(exit.status, (ExitStatus{true, 2, 0})) << to_string(exit.status) << "\n" << exit.output;
    EXPECT_NE(exit.output.find(state_db()), std::string::npos) << exit.output;
    EXPECT_NE(exit.output.find(words), std::string::npos) << exit.output;
    EXPECT_EQ(exit.output.find("listening on"), std::string::npos) << exit.output;
    EXPECT_TRUE(read_file(state_db()) == before) << "the refused state.db was modified";
  }
};

TEST_F(DurableRefusal, ATruncatedStateDbIsRefusedAndLeftUntouched) {
  make_state();
  const auto size = std::filesystem::file_size(state_db());
  ASSERT_GT(size, 200000U);
  std::filesystem::resize_file(state_db(), size / 2);
  expect_refused("persistence:");
}

TEST_F(DurableRefusal, AFileThatIsNotADatabaseIsRefusedAndLeftUntouched) {
  std::filesystem::create_directories(data_dir_);
  ::chmod(data_dir_.c_str(), 0700);
  std::string garbage;
  for (int i = 0; i < 1000; ++i) garbage += "not a database ";
  write_file(state_db(), garbage);
  expect_refused("not an SQLite database");
}

TEST_F(DurableRefusal, AStateDbFromANewerVersionIsRefusedAndLeftUntouched) {
  make_state();
  // PRAGMA user_version is the big-endian integer at offset 60 of the header: 999.
  std::string bytes = read_file(state_db());
  ASSERT_GT(bytes.size(), 100U);
  bytes[60] = 0;
  bytes[61] = 0;
  bytes[62] = 0x03;
  bytes[63] = static_cast<char>(0xe7);
  write_file(state_db(), bytes);
  expect_refused("newer");
}

}  // namespace
}  // namespace arkmq::test

// 22 flow control, end to end: per-principal publish rates set with arkmqctl (v5 reason codes,
// v3.1.1 slowed by TCP back-pressure, runtime changes), a subscriber that never reads (bounded
// broker memory, dropped counters), connection-rate bans per source address, and the global
// memory budget shedding its largest client. Counts and rates, never timing of single events.
#include <gtest/gtest.h>

#include <deque>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "tests/support/arkmqctl.hpp"
#include "tests/support/pause.hpp"
#include "tests/support/raw_session.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr int kPuback = 4, kDisconnect = 14;

// What a pipelined QoS 1 publisher saw.
struct PublishRun {
  std::map<std::uint8_t, int> reasons;  // PUBACK reason (v3.1.1: always 0) -> count
  int acked = 0;
  double seconds = 0;                       // from the first PUBLISH to the last PUBACK
  std::optional<std::uint8_t> disconnect;   // a DISCONNECT from the broker, if any
  bool closed = false;                      // the connection ended before every PUBACK came
  int count(std::uint8_t reason) const {
    const auto found = reasons.find(reason);
    return found == reasons.end() ? 0 : found->second;
  }
  // PUBACKs with a success code (0x00, or 0x10 No matching subscribers).
  int successes() const {
    int n = 0;
    for (const auto& [reason, count] : reasons) n += reason < 0x80 ? count : 0;
    return n;
  }
  std::string describe() const {
    std::ostringstream out;
    out << acked << " acked in " << seconds << " s;";
    for (const auto& [reason, n] : reasons) out << " 0x" << std::hex << int(reason) << std::dec << ": " << n;
    if (disconnect) out << "; DISCONNECT 0x" << std::hex << int(*disconnect);
    if (closed) out << "; closed";
    return out.str();
  }
};

// Publishes `count` QoS 1 messages as fast as the broker acknowledges them, keeping at most
// `window` unacknowledged (below the broker's Receive Maximum).
PublishRun publish_burst(std::uint16_t port, const wire::ConnectSpec& spec, int count,
                         int window, const std::string& topic) {
  PublishRun run;
  RawClient client(port);
  const auto connack = client.connect(spec, Deadline(5s));
  if (!connack) {
    run.closed = true;
    return run;
  }
  const auto view = wire::parse_connack(*connack, spec.version);
  if (!view || view->reason != 0) {
    run.closed = true;
    return run;
  }
  const Deadline deadline(40s);
  const auto start = SteadyClock::now();
  int sent = 0;
  while (run.acked < count && !deadline.expired()) {
    while (sent < count && sent - run.acked < window) {
      const auto id = static_cast<std::uint16_t>(sent % 60000 + 1);
      if (!client.send(wire::publish(spec.version, topic, "m" + std::to_string(sent), 1, id))) {
        run.closed = true;
        break;
      }
      ++sent;
    }
    const ReadResult read = client.receive(deadline);
    if (read.status != ReadStatus::frame) {
      run.closed = read.status == ReadStatus::closed;
      break;
    }
    if (read.frame.type() == kPuback) {
      ++run.reasons[spec.version == 5 ? wire::ack_reason(read.frame) : std::uint8_t{0}];
      ++run.acked;
    } else if (read.frame.type() == kDisconnect) {
      run.disconnect = wire::disconnect_reason(read.frame);
      break;
    }
  }
  run.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  return run;
}

// The same with a Paho async client (v5, user name and password): PUBLISHes are handed to Paho
// without waiting, up to 90 unfinished (Paho buffers at most 100 commands), and each delivery
// token gives its PUBACK's reason code.
PublishRun paho_burst(const std::string& uri, const std::string& user,
                      const std::string& password, int count, const std::string& topic) {
  PublishRun run;
  PahoClient client(uri, unique_client_id(user), 5);
  mqtt::connect_options options = v5_options();
  options.set_user_name(user);
  options.set_password(password);
  options.set_max_inflight(500);  // below the broker's Receive Maximum (1024)
  client.connect(options);
  const auto start = SteadyClock::now();
  std::deque<mqtt::delivery_token_ptr> pending;
  const auto finish_oldest = [&] {
    const mqtt::delivery_token_ptr token = pending.front();
    pending.pop_front();
    int reason = -1;
    try {
      if (!token->wait_for(30s)) {
        run.closed = true;
        return;
      }
      reason = static_cast<int>(token->get_reason_code());
    } catch (const mqtt::exception& error) {
      reason = error.get_reason_code();
    }
    ++run.reasons[static_cast<std::uint8_t>(reason)];
    ++run.acked;
  };
  try {
    for (int i = 0; i < count && !run.closed; ++i) {
      if (pending.size() >= 90) finish_oldest();
      pending.push_back(client.client().publish(topic, "m" + std::to_string(i), 1, false));
    }
    while (!pending.empty() && !run.closed) finish_oldest();
    client.disconnect();
  } catch (const mqtt::exception&) {
    run.closed = true;
  }
  run.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  return run;
}

// The broker's resident set in bytes (VmRSS of /proc/<pid>/status); 0 if unreadable.
std::size_t rss_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return static_cast<std::size_t>(std::stoull(line.substr(6))) * 1024;
    }
  }
  return 0;
}

// The latest value of a retained $SYS topic seen by `subscriber`, as a number (-1: none yet).
long long latest_number(RawSession& subscriber, const Deadline& deadline) {
  // The first value may take up to one sys_interval; later ones only drain what is queued.
  long long value = -1;
  for (int i = 0; i < 1000 && !deadline.expired(); ++i) {
    const auto message = subscriber.next_publish(i == 0 ? deadline : Deadline(300ms));
    if (!message) break;
    value = std::stoll(message->payload);
  }
  return value;
}

// Waits until the $SYS topic the subscriber follows reports a value above `floor`.
bool wait_for_sys_above(RawSession& subscriber, long long floor, std::chrono::seconds timeout) {
  const Deadline deadline(timeout);
  while (!deadline.expired()) {
    const auto message = subscriber.next_publish(deadline);
    if (!message) return false;
    if (std::stoll(message->payload) > floor) return true;
  }
  return false;
}

const std::string kLimitedPassword = "limited-pw-7Hs3";
const std::string kFreePassword = "free-pw-2Lq8";

// Rates per principal: needs the quota enforcement of the core (issue 5) and arkmqctl.
class FlowControlQuota : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped()) return;
    PolicyAdmin& admin = start_store_broker();
    for (const auto& [user, password] : {std::pair{std::string("limited"), kLimitedPassword},
                                         std::pair{std::string("free"), kFreePassword}}) {
      admin.add_user(user, password);
      admin.add_rule({"--allow", "--all", "--topic", "#", "--user", user});
    }
  }
  wire::ConnectSpec spec(int version, const std::string& user, const std::string& password) {
    return login_spec(version, unique_client_id(user), user, password);
  }
};

TEST_F(FlowControlQuota, V5PublisherOverItsRateGetsReasonCodesWhileAnUnlimitedOneIsServed) {
  admin().change({"quota", "set", "--user", "limited", "--msgs-per-s", "100", "--burst", "100"});
  constexpr int kMessages = 2000;
  PublishRun limited;
  PublishRun free;
  std::thread other([&] {
    free = publish_burst(broker().port(), spec(5, "free", kFreePassword), kMessages, 200, "free/t");
  });
  limited = publish_burst(broker().port(), spec(5, "limited", kLimitedPassword), kMessages, 200,
                          "limited/t");
  other.join();

  RecordProperty("limited", limited.describe());
  RecordProperty("unlimited", free.describe());
  EXPECT_EQ(free.successes(), kMessages) << "unlimited: " << free.describe();
  EXPECT_EQ(limited.acked, kMessages) << "limited: " << limited.describe();
  const int refused = limited.count(0x96) + limited.count(0x97);
  EXPECT_GT(refused, 0) << "limited: " << limited.describe();
  EXPECT_EQ(limited.successes() + refused, limited.acked) << limited.describe();
  // The bucket admits its burst plus the rate over the time the run took (generous margin).
  const double bound = 100 + 100 * limited.seconds * 1.5 + 20;
  EXPECT_LE(limited.successes(), bound) << limited.describe();
  EXPECT_GE(limited.successes(), 100) << "the burst was not admitted: " << limited.describe();
}

TEST_F(FlowControlQuota, V5PahoPublisherCountsRefusalsOnItsDeliveryTokens) {
  admin().change({"quota", "set", "--user", "limited", "--msgs-per-s", "100", "--burst", "100"});
  constexpr int kMessages = 2000;
  PublishRun free;
  std::thread other(
      [&] { free = paho_burst(uri(), "free", kFreePassword, kMessages, "free/paho"); });
  const PublishRun limited = paho_burst(uri(), "limited", kLimitedPassword, kMessages, "limited/paho");
  other.join();
  RecordProperty("limited", limited.describe());
  RecordProperty("unlimited", free.describe());

  EXPECT_EQ(free.successes(), kMessages) << "unlimited: " << free.describe();
  EXPECT_EQ(limited.acked, kMessages) << limited.describe();
  const int refused = limited.count(0x96) + limited.count(0x97);
  EXPECT_GT(refused, 0) << limited.describe();
  EXPECT_EQ(limited.successes() + refused, kMessages) << limited.describe();
  EXPECT_LE(limited.successes(), 100 + 100 * limited.seconds * 1.5 + 20) << limited.describe();
}

TEST_F(FlowControlQuota, V311PublisherOverItsRateIsSlowedNotRefused) {
  constexpr int kRate = 500, kBurst = 100, kMessages = 1500;
  admin().change({"quota", "set", "--user", "limited", "--msgs-per-s", std::to_string(kRate),
                  "--burst", std::to_string(kBurst)});
  const PublishRun run = publish_burst(broker().port(), spec(4, "limited", kLimitedPassword),
                                       kMessages, 100, "limited/t");
  RecordProperty("run", run.describe());
  EXPECT_EQ(run.successes(), kMessages) << run.describe();
  EXPECT_FALSE(run.closed) << run.describe();
  // A count/rate fact: past the burst, the bucket admits `kRate` per second.
  const double minimum = static_cast<double>(kMessages - kBurst) / kRate * 0.8;
  EXPECT_GE(run.seconds, minimum) << run.describe();
}

TEST_F(FlowControlQuota, RateSetAtRuntimeAppliesToAConnectedClient) {
  const auto id = unique_client_id("limited");
  UserSession limited(broker().port(), login_spec(5, id, "limited", kLimitedPassword));
  for (int i = 0; i < 50; ++i) {
    ASSERT_LT(limited.publish("limited/t", "before", 1).value_or(0xFF), 0x80) << i;
  }
  admin().change({"quota", "set", "--user", "limited", "--msgs-per-s", "1", "--burst", "1"});
  // The reload has happened (logged); the connected client's next burst must meet the rate.
  const Deadline deadline(5s);
  bool refused = false;
  for (int i = 0; i < 200 && !deadline.expired() && !refused; ++i) {
    const auto reason = limited.publish("limited/t", "after", 1);
    ASSERT_TRUE(reason) << "no PUBACK";
    refused = *reason == 0x96 || *reason == 0x97;
  }
  EXPECT_TRUE(refused) << "no 0x96/0x97 within 5 s of the quota change";
}

// Count of `needle` in `text`.
std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class FlowControlJournal : public StoreTest {};

TEST_F(FlowControlJournal, BanIsJournaledOnceAsAQuotaHit) {
  BrokerOptions options = store_options();
  options.arkmq_config =
      "[flow_control]\nmax_connections_per_window = 3\nconnection_window_seconds = 30\n"
      "ban_seconds = 60\n";
  start_store_broker(options);
  for (int i = 0; i < 10; ++i) {
    RawClient client(broker().port());  // anonymous: refused at CONNECT, banned at the 4th accept
    client.connect(wire::connect_spec(4, unique_client_id("loop")), Deadline(5s));
  }
  ASSERT_TRUE(broker().wait_for_log("banning 127.0.0.1 for 60 s: 4 connections in 30 s", 5s));
  // The journal's writer thread commits in batches: wait for the row (time is not under test).
  const Deadline deadline(10s);
  std::string rows;
  for (int i = 0; i < 100 && !deadline.expired(); ++i) {
    const auto result =
        run_arkmqctl(broker().data_dir(), {"audit", "query", "--type", "quota_hit", "--json"});
    ASSERT_TRUE(result.ok()) << result.describe();
    rows = result.out;
    if (rows.find("banning 127.0.0.1") != std::string::npos) break;
    let_time_pass(200ms);
  }
  EXPECT_EQ(occurrences(rows, "banning 127.0.0.1"), 1U) << rows;
  EXPECT_NE(rows.find("connections"), std::string::npos) << rows;
}

class FlowControl : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    if (IsSkipped()) return;
    if (is_reference()) GTEST_SKIP() << "arkmq-only: [flow_control] and $SYS/broker/memory";
  }
};

TEST_F(FlowControl, SubscriberThatNeverReadsKeepsBrokerMemoryBoundedAndCountsDrops) {
  BrokerOptions options;
  options.log_level = "info";
  options.arkmq_config =
      "sys_interval = 1\nmax_queued_messages = 100\nmax_queued_bytes = 1048576\n"
      "max_link_buffer_bytes = 262144\nv311_inflight_window = 32\n";
  start_broker(options);
  RawSession sys(broker().port(), 5, unique_client_id("sys"));
  ASSERT_EQ(sys.subscribe("$SYS/broker/messages/dropped", 1), (std::vector<std::uint8_t>{1}));
  const long long dropped_before = latest_number(sys, Deadline(3s));
  ASSERT_GE(dropped_before, 0) << "no $SYS/broker/messages/dropped";

  // Subscribes, then never reads again: 32 in flight, 100 queued, the rest must be dropped.
  RawSession lazy(broker().port(), 4, unique_client_id("lazy"));
  ASSERT_EQ(lazy.subscribe("slow/#", 1), (std::vector<std::uint8_t>{1}));
  const std::size_t rss_before = rss_bytes(broker().pid());
  ASSERT_GT(rss_before, 0U);

  constexpr int kMessages = 12000;  // 48 MiB of payload through a 1 MiB queue
  const std::string payload(4096, 'p');
  RawClient publisher(broker().port());
  ASSERT_TRUE(publisher.connect(wire::connect_spec(5, unique_client_id("pub")), Deadline(5s)));
  std::size_t rss_peak = rss_before;
  int acked = 0, sent = 0;
  const Deadline deadline(40s);
  while (acked < kMessages && !deadline.expired()) {
    while (sent < kMessages && sent - acked < 100) {
      ASSERT_TRUE(publisher.send(wire::publish(5, "slow/t", payload, 1,
                                               static_cast<std::uint16_t>(sent % 60000 + 1))));
      ++sent;
    }
    const auto frame = publisher.receive_type(kPuback, deadline);
    ASSERT_TRUE(frame) << "no PUBACK after " << acked;
    ++acked;
    if (acked % 1000 == 0) rss_peak = std::max(rss_peak, rss_bytes(broker().pid()));
  }
  ASSERT_EQ(acked, kMessages);
  rss_peak = std::max(rss_peak, rss_bytes(broker().pid()));
  RecordProperty("rss_before", std::to_string(rss_before));
  RecordProperty("rss_peak", std::to_string(rss_peak));
  // The queue (1 MiB), the in-flight window, link buffers and allocator slack: far below 48 MiB.
  EXPECT_LT(rss_peak - rss_before, 24U * 1024 * 1024)
      << "RSS grew from " << rss_before << " to " << rss_peak;
  EXPECT_TRUE(wait_for_sys_above(sys, dropped_before, 10s))
      << "$SYS/broker/messages/dropped did not rise";
}

TEST_F(FlowControl, AddressOpeningConnectionsInALoopIsBannedUntilTheBanExpires) {
  BrokerOptions options;
  options.log_level = "info";
  options.arkmq_config =
      "sys_interval = 1\n[flow_control]\nmax_connections_per_window = 5\n"
      "connection_window_seconds = 30\nban_seconds = 2\n";
  start_broker(options);
  // The $SYS reader is connection 1 of 5.
  RawSession sys(broker().port(), 5, unique_client_id("sys"));
  ASSERT_EQ(sys.subscribe("$SYS/broker/quota/bans", 1), (std::vector<std::uint8_t>{1}));
  int accepted = 0, refused = 0;
  for (int i = 0; i < 20; ++i) {
    RawClient client(broker().port());
    if (client.connect(wire::connect_spec(4, unique_client_id("loop")), Deadline(5s))) {
      ++accepted;
    } else {
      ++refused;
    }
  }
  EXPECT_EQ(accepted, 4) << "the 6th connection from the address should be the first refused";
  EXPECT_EQ(refused, 16);
  EXPECT_TRUE(broker().wait_for_log("banning 127.0.0.1 for 2 s: 6 connections in 30 s", 5s));
  EXPECT_EQ(occurrences(broker().log_text(), "banning 127.0.0.1"), 1U)
      << "logged once per ban, not per refused connection";
  EXPECT_TRUE(wait_for_sys_above(sys, 0, 10s)) << "$SYS/broker/quota/bans did not count the ban";

  // The ban ends after 2 s: a new connection is served again (time itself is under test).
  const Deadline expiry(10s);
  bool served = false;
  for (int i = 0; i < 100 && !expiry.expired() && !served; ++i) {
    RawClient client(broker().port());
    served = client.connect(wire::connect_spec(4, unique_client_id("after")), Deadline(5s))
                 .has_value();
    if (!served) let_time_pass(200ms);
  }
  EXPECT_TRUE(served) << "still refused 10 s after a 2 s ban";
}

TEST_F(FlowControl, MemoryBudgetDisconnectsTheLargestClientWith0x97AndKeepsServing) {
  BrokerOptions options;
  options.log_level = "info";
  options.arkmq_config = "[flow_control]\nmemory_budget_bytes = 262144\n";
  start_broker(options);
  // Receive Maximum 1 and no reading: everything after the first message waits in its queue.
  RawClient offender(broker().port());
  const auto receive_max_1 = wire::PropertyWriter().u16(0x21, 1).bytes();
  ASSERT_TRUE(offender.connect(
      wire::connect_spec(5, unique_client_id("offender"), true, 60, receive_max_1), Deadline(5s)));
  ASSERT_TRUE(offender.send(wire::subscribe(5, 1, "big/#", 1)));
  ASSERT_TRUE(offender.receive_type(9, Deadline(5s))) << "no SUBACK";

  RawSession bystander(broker().port(), 5, unique_client_id("bystander"));
  ASSERT_EQ(bystander.subscribe("small/#", 1), (std::vector<std::uint8_t>{1}));
  RawSession publisher(broker().port(), 5, unique_client_id("pub"));
  const std::string payload(4096, 'b');
  for (int i = 0; i < 200; ++i) {  // ~800 KiB queued for the offender, over the 256 KiB budget
    ASSERT_EQ(publisher.publish("big/t", payload, 1), std::optional<std::uint8_t>(0)) << i;
  }
  // The next tick (1 s) sheds it: its frames end with DISCONNECT 0x97, then the close.
  std::optional<std::uint8_t> disconnect;
  const Deadline deadline(10s);
  for (int i = 0; i < 1000 && !deadline.expired(); ++i) {
    const ReadResult read = offender.receive(deadline);
    if (read.status != ReadStatus::frame) break;
    if (read.frame.type() == kDisconnect) disconnect = wire::disconnect_reason(read.frame);
  }
  EXPECT_EQ(disconnect, std::optional<std::uint8_t>(0x97));
  EXPECT_TRUE(broker().wait_for_log("memory budget:", 5s));
  EXPECT_TRUE(broker().wait_for_log("disconnecting client 'offender", 5s));

  // Everyone else is still served.
  ASSERT_EQ(publisher.publish("small/t", "still-here", 1), std::optional<std::uint8_t>(0));
  const auto got = bystander.next_publish(Deadline(5s));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->payload, "still-here");
}

}  // namespace
}  // namespace arkmq::test

// 30 config check and logs (issue 8): --check-config reports every mistake of a file with its
// line and binds nothing; startup prints every error and exits 2; [log] format = "json" makes
// every stderr line a JSON object; [log.modules] sets a level per module; passwords never reach
// the log, payloads only with [log] payloads = true. arkmq only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/arkmqctl.hpp"
#include "tests/support/run_command.hpp"

namespace arkmq::test {
namespace {

using namespace std::chrono_literals;

// A listening loopback socket on a free port, held for the test's life.
class HeldPort {
 public:
  HeldPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(fd_, 1) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot hold a loopback port");
    }
    port_ = ntohs(address.sin_port);
  }
  ~HeldPort() { ::close(fd_); }
  HeldPort(const HeldPort&) = delete;
  HeldPort& operator=(const HeldPort&) = delete;
  std::uint16_t port() const { return port_; }
  // Still ours: a client connects to it and our socket accepts that connection.
  bool still_listening() const {
    const int client = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port_);
    const bool connected =
        ::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    bool accepted = false;
    if (connected) {
      const int peer = ::accept(fd_, nullptr, nullptr);
      accepted = peer >= 0;
      if (peer >= 0) ::close(peer);
    }
    ::close(client);
    return accepted;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// The broker's stderr lines (its stdout only says "listening on ...").
std::vector<std::string> log_lines(const BrokerProcess& broker) {
  std::vector<std::string> lines;
  std::istringstream in(broker.log_text());
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && !line.starts_with("listening on ")) lines.push_back(line);
  }
  return lines;
}

class ConfigAndLogs : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped()) return;
    dir_ = std::filesystem::temp_directory_path() /
           ("arkmq-it30-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    StoreTest::TearDown();
  }
  std::string write(const std::string& name, const std::string& text) const {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

// Four independent mistakes on lines 1, 2, 4 and 7 (and a listener URL only resolving finds).
const std::string kBadFile =
    "maximum_qos = 7\n"                          // 1: out of range
    "surprise = true\n"                          // 2: unknown key
    "[[listener]]\n"                             // 3
    "url = \"mqtt://127.0.0.1\"\n"               // 4: no port (checked when resolving)
    "[log]\n"                                    // 5
    "level = \"info\"\n"                         // 6
    "format = \"yaml\"\n"                        // 7: not text or json
    "[log.modules]\n"                            // 8
    "kernel = \"debug\"\n";                      // 9: no such module

TEST_F(ConfigAndLogs, CheckConfigReportsEveryMistakeWithItsLineAndExits1) {
  const std::string path = write("bad.toml", kBadFile);
  const auto result = run_command({arkmq_broker_path(), "--check-config", path}, 20s);
  ASSERT_FALSE(result.timed_out);
  EXPECT_TRUE(result.status.exited);
  EXPECT_EQ(result.status.code, 1) << result.output;
  for (const std::string& expected :
       {path + ":1:15: 'maximum_qos'", path + ":2:1: unknown key 'surprise'",
        path + ":3:1: invalid listener URL", path + ":7:10: 'format'",
        path + ":9:1: unknown module 'kernel'"}) {
    EXPECT_NE(result.output.find(expected), std::string::npos) << expected << "\n" << result.output;
  }
  EXPECT_EQ(result.output.find("configuration OK"), std::string::npos);
}

TEST_F(ConfigAndLogs, CheckConfigOfAGoodFileExits0WithoutBindingOrCreatingAnything) {
  // The ports are held by this test while the check runs: a broker that tried to bind them
  // would fail; the check must not even try.
  const HeldPort mqtt;
  const HeldPort http;
  const auto data_dir = dir_ / "data";
  const std::string path = write(
      "good.toml", "data_dir = \"" + data_dir.string() + "\"\nallow_anonymous = true\n" +
                       "[[listener]]\nurl = \"mqtt://127.0.0.1:" + std::to_string(mqtt.port()) +
                       "\"\n[http]\nlisten = \"http://127.0.0.1:" + std::to_string(http.port()) +
                       "\"\n[log]\nformat = \"json\"\n[log.modules]\nnet = \"debug\"\n");
  const auto result = run_command({arkmq_broker_path(), "--check-config", path}, 20s);
  ASSERT_FALSE(result.timed_out);
  EXPECT_TRUE(result.ok()) << to_string(result.status) << "\n" << result.output;
  EXPECT_EQ(result.output, path + ": configuration OK\n");
  EXPECT_TRUE(mqtt.still_listening()) << "the MQTT port is still ours";
  EXPECT_TRUE(http.still_listening()) << "the HTTP port is still ours";
  EXPECT_FALSE(std::filesystem::exists(data_dir)) << "the data_dir was not created";
}

TEST_F(ConfigAndLogs, StartupWithABadFilePrintsEveryErrorAndExits2) {
  const std::string path = write("bad.toml", kBadFile);
  const auto result = run_command({arkmq_broker_path(), "-c", path}, 20s);
  ASSERT_FALSE(result.timed_out);
  EXPECT_TRUE(result.status.exited);
  EXPECT_EQ(result.status.code, 2) << result.output;
  for (const std::string& expected :
       {path + ":1:15:", path + ":2:1:", path + ":3:1:", path + ":7:10:", path + ":9:1:"}) {
    EXPECT_NE(result.output.find("arkmq-broker: config error: " + expected), std::string::npos)
        << expected << "\n" << result.output;
  }
  EXPECT_EQ(result.output.find("listening on"), std::string::npos) << result.output;
}

TEST_F(ConfigAndLogs, JsonFormatMakesEveryStderrLineAJsonObjectWithTheFields) {
  BrokerOptions options;
  options.log_level = "debug";
  options.arkmq_config = "[log]\nformat = \"json\"\n";
  start_broker(options);
  {
    RawSession session(broker().port(), 5, "json-client");
    ASSERT_TRUE(session.publish("json/topic", "x", 1).has_value());  // PUBACK: no subscribers is fine
    session.disconnect();
  }
  ASSERT_TRUE(broker().wait_for_log("session of client json-client ended", 5s))
      << broker().log_text();
  ASSERT_TRUE(broker().stop().has_value());
  const auto lines = log_lines(broker());
  ASSERT_GE(lines.size(), 5U) << broker().log_text();
  const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  std::set<std::string> modules;
  for (const auto& line : lines) {
    nlohmann::json object;
    ASSERT_NO_THROW(object = nlohmann::json::parse(line)) << line;
    ASSERT_TRUE(object.is_object()) << line;
    EXPECT_EQ(object.size(), 4U) << line;
    ASSERT_TRUE(object.contains("time") && object["time"].is_string()) << line;
    EXPECT_TRUE(std::regex_match(object["time"].get<std::string>(), iso)) << line;
    ASSERT_TRUE(object.contains("level") && object["level"].is_string()) << line;
    ASSERT_TRUE(object.contains("module") && object["module"].is_string()) << line;
    ASSERT_TRUE(object.contains("msg") && object["msg"].is_string()) << line;
    modules.insert(object["module"].get<std::string>());
  }
  EXPECT_TRUE(modules.contains("broker")) << broker().log_text();
}

TEST_F(ConfigAndLogs, ModuleLevelShowsNetDebugLinesWhileOtherModulesStayAtInfo) {
  BrokerOptions options;
  options.log_level = "info";
  options.arkmq_config = "[log.modules]\nnet = \"debug\"\n";
  start_broker(options);
  {
    // A client that goes without DISCONNECT: the net layer logs the peer's close at debug; the
    // session's end is a broker (core) debug line, which must stay hidden.
    RawSession session(broker().port(), 5, "levels-client");
    ASSERT_TRUE(session.publish("levels/topic", "x", 1).has_value());  // PUBACK: no subscribers is fine
  }
  ASSERT_TRUE(broker().wait_for_log("closed by peer", 5s)) << broker().log_text();
  ASSERT_TRUE(broker().stop().has_value());
  std::size_t net_debug = 0;
  for (const auto& line : log_lines(broker())) {
    if (line.find("] [debug] ") == std::string::npos) continue;
    EXPECT_NE(line.find("] [net] [debug] "), std::string::npos) << "not net: " << line;
    ++net_debug;
  }
  EXPECT_GE(net_debug, 1U) << broker().log_text();
  EXPECT_EQ(broker().log_text().find("session of client levels-client ended"), std::string::npos)
      << "the broker module stayed at info";
  EXPECT_NE(broker().log_text().find("] [broker] [info] "), std::string::npos);
}

TEST_F(ConfigAndLogs, APasswordNeverAppearsInTheLogEvenAtTrace) {
  BrokerOptions options = store_options();
  options.log_level = "trace";
  const std::string password = "pw-Zk81-never-logged";
  const std::string wrong = "pw-Qv27-wrong-never-logged";
  start_store_broker(options).add_user("alice", password);
  {
    auto session = login(5, "alice", password);
    EXPECT_TRUE(session->publish("alice/topic", "x", 1).has_value());
    session->disconnect();
  }
  EXPECT_EQ(connack_reason(broker().port(), login_spec(5, "alice-2", "alice", wrong)),
            std::optional<std::uint8_t>(0x86));
  EXPECT_EQ(connack_reason(broker().port(), login_spec(4, "alice-3", "alice", wrong)),
            std::optional<std::uint8_t>(4));
  ASSERT_TRUE(broker().wait_for_log("login refused", 5s)) << broker().log_text();
  ASSERT_TRUE(broker().stop().has_value());
  const std::string text = broker().log_text();
  EXPECT_EQ(text.find(password), std::string::npos) << text;
  EXPECT_EQ(text.find(wrong), std::string::npos) << text;
}

TEST_F(ConfigAndLogs, APayloadAppearsOnlyWithPayloadsTrue) {
  const std::string hidden = "payload-Hx93-not-asked-for";
  {
    BrokerOptions options;
    options.log_level = "trace";
    start_broker(options);
    RawSession session(broker().port(), 5, "payload-client");
    ASSERT_TRUE(session.publish("payload/topic", hidden, 1).has_value());  // PUBACK: no subscribers is fine
    session.disconnect();
    ASSERT_TRUE(broker().stop().has_value());
    EXPECT_EQ(broker().log_text().find(hidden), std::string::npos) << broker().log_text();
  }
  const std::string shown = "payload-Jt55-asked-for";
  BrokerOptions options;
  options.log_level = "debug";
  options.arkmq_config = "[log]\npayloads = true\n";
  start_broker(options);
  RawSession session(broker().port(), 5, "payload-client");
  ASSERT_TRUE(session.publish("payload/topic", shown, 1).has_value());  // PUBACK: no subscribers is fine
  EXPECT_TRUE(broker().wait_for_log(shown, 5s)) << broker().log_text();
  session.disconnect();
}

}  // namespace
}  // namespace arkmq::test

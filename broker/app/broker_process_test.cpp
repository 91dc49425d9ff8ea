// The arkmq-broker executable as a process: the "listening on" lines, a real MQTT CONNECT, exit
// codes for config errors and for SIGTERM/SIGINT, and the data directory's mode. Every wait has
// a deadline (poll on the child's pipes).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/net/test_support.hpp"

extern char** environ;

namespace arkmq::app {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class BrokerProcess {
 public:
  explicit BrokerProcess(std::vector<std::string> args) {
    args.insert(args.begin(), ARKMQ_BROKER_BINARY);
    int out[2];
    int err[2];
    if (pipe(out) != 0 || pipe(err) != 0) {
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addclose(&actions, err[0]);
    std::vector<char*> argv;
    for (auto& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    close(err[1]);
    out_ = out[0];
    err_ = err[0];
  }
  ~BrokerProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(out_);
    close(err_);
  }
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  bool started() const { return pid_ > 0; }

  // The next stdout line, or "" at EOF/timeout.
  std::string read_line(std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (const auto newline = out_buffer_.find('\n'); newline != std::string::npos) {
        auto line = out_buffer_.substr(0, newline);
        out_buffer_.erase(0, newline + 1);
        return line;
      }
      if (!read_some(out_, out_buffer_, deadline)) {
        return "";
      }
    }
  }

  void signal(int number) { kill(pid_, number); }

  // Waits for the exit (stdout and stderr reach EOF first), returns the exit code or -1.
  int wait_exit(std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (read_some(out_, out_buffer_, deadline)) {
    }
    while (read_some(err_, err_text_, deadline)) {
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return -1;
    }
    int status = 0;
    waitpid(pid_, &status, 0);
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  const std::string& stderr_text() const { return err_text_; }

 private:
  // Appends what is readable before the deadline; false at EOF or timeout.
  static bool read_some(int fd, std::string& into, std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd entry{fd, POLLIN, 0};
    if (poll(&entry, 1, static_cast<int>(left.count())) <= 0) {
      return false;
    }
    char chunk[4096];
    const auto n = read(fd, chunk, sizeof chunk);
    if (n <= 0) {
      return false;
    }
    into.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  int err_ = -1;
  bool exited_ = false;
  std::string out_buffer_;
  std::string err_text_;
};

fs::path temp_dir() {
  std::random_device random;
  auto dir = fs::temp_directory_path() / ("arkmq-proc-" + std::to_string(random()));
  fs::create_directories(dir);
  return dir;
}

// MQTT 3.1.1 CONNECT, clean session, empty client id, keep alive 60.
const std::vector<std::uint8_t> kConnect{0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                         0x04, 0x02, 0x00, 0x3C, 0x00, 0x00};
const std::vector<std::uint8_t> kConnackAccepted{0x20, 0x02, 0x00, 0x00};

TEST(BrokerProcess, PrintsOneListeningLinePerListenerAndAnswersConnect) {
  BrokerProcess broker({"--allow-anonymous", "--listen", "mqtt://127.0.0.1:0", "--listen",
                        "mqtt://127.0.0.1:0", "--log-level", "warn", "--workers", "2"});
  ASSERT_TRUE(broker.started());
  const std::regex line_format(R"(listening on mqtt://127\.0\.0\.1:[1-9][0-9]*)");
  const auto first = broker.read_line();
  const auto second = broker.read_line();
  ASSERT_TRUE(std::regex_match(first, line_format)) << first;
  ASSERT_TRUE(std::regex_match(second, line_format)) << second;
  EXPECT_NE(first, second);

  net::testing::TcpClient client;
  ASSERT_TRUE(client.connect(net::testing::port_of(first)));
  ASSERT_TRUE(client.write(kConnect));
  EXPECT_EQ(client.read(4), kConnackAccepted);

  broker.signal(SIGTERM);
  EXPECT_EQ(broker.wait_exit(), 0) << broker.stderr_text();
}

TEST(BrokerProcess, SigintStopsGracefullyWithExitCode0) {
  BrokerProcess broker({"--listen", "mqtt://127.0.0.1:0"});
  ASSERT_TRUE(broker.read_line().starts_with("listening on mqtt://127.0.0.1:"));
  broker.signal(SIGINT);
  EXPECT_EQ(broker.wait_exit(), 0) << broker.stderr_text();
}

TEST(BrokerProcess, AnonymousClientIsRefusedByDefault) {
  BrokerProcess broker({"--listen", "mqtt://127.0.0.1:0"});
  const auto line = broker.read_line();
  net::testing::TcpClient client;
  ASSERT_TRUE(client.connect(net::testing::port_of(line)));
  ASSERT_TRUE(client.write(kConnect));
  const auto connack = client.read(4);
  ASSERT_EQ(connack.size(), 4U);
  EXPECT_EQ(connack[0], 0x20);
  EXPECT_NE(connack[3], 0x00) << "v3.1.1 return code must refuse";
}

TEST(BrokerProcess, ConfigErrorIsOneLineAndExitCode2) {
  const auto dir = temp_dir();
  std::ofstream(dir / "bad.toml") << "allow_anonymous = true\nbogus = 1\n";
  BrokerProcess broker({"-c", (dir / "bad.toml").string()});
  EXPECT_EQ(broker.wait_exit(), 2);
  const auto& text = broker.stderr_text();
  EXPECT_NE(text.find("bad.toml:2:1: unknown key 'bogus'"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  fs::remove_all(dir);
}

TEST(BrokerProcess, BadUrlAndMissingTlsFilesExitWithCode2) {
  BrokerProcess bad_url({"--listen", "mqtt://127.0.0.1"});
  EXPECT_EQ(bad_url.wait_exit(), 2);
  BrokerProcess missing({"--listen", "mqtts://127.0.0.1:0", "--tls-cert", "/nonexistent.pem",
                         "--tls-key", "/nonexistent.key"});
  EXPECT_EQ(missing.wait_exit(), 2);
  EXPECT_NE(missing.stderr_text().find("/nonexistent.pem"), std::string::npos);
}

TEST(BrokerProcess, DataDirIsCreatedWithMode0700) {
  const auto dir = temp_dir();
  const auto data = dir / "data" / "nested";
  BrokerProcess broker({"--listen", "mqtt://127.0.0.1:0", "--data-dir", data.string()});
  ASSERT_TRUE(broker.read_line().starts_with("listening on"));
  struct stat info {};
  ASSERT_EQ(stat(data.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700U);
  broker.signal(SIGTERM);
  EXPECT_EQ(broker.wait_exit(), 0);
  fs::remove_all(dir);
}

TEST(BrokerProcess, DataDirPolicyIsLoadedAtStartup) {
  const auto dir = temp_dir();
  BrokerProcess broker({"--listen", "mqtt://127.0.0.1:0", "--data-dir", (dir / "data").string()});
  ASSERT_TRUE(broker.read_line().starts_with("listening on"));
  EXPECT_TRUE(fs::exists(dir / "data" / "arkmq.db"));
  broker.signal(SIGTERM);
  EXPECT_EQ(broker.wait_exit(), 0);
  EXPECT_NE(broker.stderr_text().find("policy reloaded: generation 1, 0 rules, 0 users"),
            std::string::npos)
      << broker.stderr_text();
  fs::remove_all(dir);
}

TEST(BrokerProcess, ConfigDatabaseThatIsNotADatabaseIsAConfigError) {
  const auto dir = temp_dir();
  fs::create_directories(dir / "data");
  {
    std::ofstream garbage(dir / "data" / "arkmq.db", std::ios::binary);
    garbage << std::string(8192, 'x');
  }
  BrokerProcess broker({"--listen", "mqtt://127.0.0.1:0", "--data-dir", (dir / "data").string()});
  EXPECT_EQ(broker.wait_exit(), 2);
  EXPECT_NE(broker.stderr_text().find("arkmq-broker: config error: "), std::string::npos)
      << broker.stderr_text();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace arkmq::app

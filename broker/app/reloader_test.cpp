// The reloader's pure parts: which changes need a restart, the one-line error, reload.status
// written whole, and the pid file's life.
#include "broker/app/reloader.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/null_sink.h>

namespace arkmq::app {
namespace {

namespace fs = std::filesystem;

AppConfig base_config() {
  AppConfig config;
  config.listeners.push_back({"mqtt://127.0.0.1:1883", {}, {}});
  config.listeners.push_back({"mqtts://127.0.0.1:8883", {}, {}});
  config.data_dir = "/var/lib/arkmq";
  return config;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class TempDirectory {
 public:
  TempDirectory() {
    char name[] = "/tmp/arkmq-reloader-XXXXXX";
    path_ = ::mkdtemp(name);
  }
  ~TempDirectory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(Reloader, NoChangeNeedsNoRestart) {
  EXPECT_TRUE(restart_only_changes(base_config(), base_config()).empty());
}

TEST(Reloader, TlsFilesLogSettingsAndAnonymousLoginsChangeWithoutARestart) {
  AppConfig next = base_config();
  next.listeners[1].tls.cert_file = "/etc/arkmq/new.pem";
  next.listeners[1].tls.crl_file = "/etc/arkmq/crl.pem";
  next.listeners[0].policy.allow_anonymous = true;
  next.broker.allow_anonymous = true;
  next.log.level = "debug";
  next.log_level = "debug";
  EXPECT_TRUE(restart_only_changes(base_config(), next).empty());
  EXPECT_TRUE(same_listeners(base_config(), next));
}

TEST(Reloader, EveryRestartOnlyChangeIsNamed) {
  AppConfig next = base_config();
  next.listeners.pop_back();
  next.data_dir = "/srv/arkmq";
  next.workers = 4;
  next.broker.max_packet_size = 4096;
  next.audit.enabled = true;
  next.connection_rate.max_per_window = 5;
  next.http.listen = "http://127.0.0.1:9090";
  const auto changes = restart_only_changes(base_config(), next);
  const std::vector<std::string> expected = {
      "listeners (added, removed or moved)", "data_dir '/var/lib/arkmq' -> '/srv/arkmq'",
      "workers 0 -> 4", "max_packet_size 1048576 -> 4096", "[audit]",
      "[flow_control] connection rate", "[http]"};
  EXPECT_EQ(changes, expected);
  EXPECT_FALSE(same_listeners(base_config(), next));
}

TEST(Reloader, AMovedListenerIsNotTheSameListener) {
  AppConfig next = base_config();
  next.listeners[0].url = "mqtt://127.0.0.1:1884";
  EXPECT_FALSE(same_listeners(base_config(), next));
}

TEST(Reloader, OneLineJoinsEveryErrorLine) {
  EXPECT_EQ(one_line("a.toml:3:1: bad\na.toml:7:5: worse\n"), "a.toml:3:1: bad; a.toml:7:5: worse");
  EXPECT_EQ(one_line("single"), "single");
}

TEST(Reloader, StatusFileIsJsonWithGenerationVerdictAndPid) {
  TempDirectory dir;
  std::string error;
  ASSERT_TRUE(write_reload_status(dir.path(), {3, false, "reload refused: x"}, error)) << error;
  const auto status = nlohmann::json::parse(read_all(dir.path() / kReloadStatusFile));
  EXPECT_EQ(status.at("generation"), 3);
  EXPECT_EQ(status.at("ok"), false);
  EXPECT_EQ(status.at("message"), "reload refused: x");
  EXPECT_EQ(status.at("pid"), ::getpid());
  EXPECT_EQ(status.at("time").get<std::string>().size(), 20u);  // 2026-11-28T03:10:00Z
  EXPECT_FALSE(fs::exists(dir.path() / "reload.status.tmp"));
}

TEST(Reloader, StatusFileInAMissingDirectoryIsAnError) {
  std::string error;
  EXPECT_FALSE(write_reload_status("/nonexistent/arkmq", {1, true, "ok"}, error));
  EXPECT_NE(error.find("/nonexistent/arkmq"), std::string::npos) << error;
}

TEST(Reloader, PidFileHoldsThePidWhileItLives) {
  TempDirectory dir;
  spdlog::logger log("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  {
    PidFile pid(dir.path(), log);
    EXPECT_EQ(read_all(dir.path() / kPidFile), std::to_string(::getpid()) + "\n");
  }
  EXPECT_FALSE(fs::exists(dir.path() / kPidFile));
}

// A bound AF_UNIX datagram socket standing in for systemd's; NOTIFY_SOCKET points at it while
// it lives (the test process's environment: tests in this binary do not run in parallel).
class FakeSystemd {
 public:
  explicit FakeSystemd(const fs::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    bound_ = fd_ >= 0 &&
             ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  }
  ~FakeSystemd() {
    ::unsetenv("NOTIFY_SOCKET");
    if (fd_ >= 0) ::close(fd_);
  }
  FakeSystemd(const FakeSystemd&) = delete;
  FakeSystemd& operator=(const FakeSystemd&) = delete;

  bool bound() const { return bound_; }
  // The next datagram, or "" after 2 s.
  std::string next() {
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, 2000) != 1) return "";
    char buffer[1024];
    const auto size = ::recv(fd_, buffer, sizeof(buffer), 0);
    return size > 0 ? std::string(buffer, static_cast<std::size_t>(size)) : "";
  }

 private:
  fs::path path_;
  int fd_ = -1;
  bool bound_ = false;
};

// A reloader over a running net::Server (one plain listener) and a config file in a temp dir.
class ReloaderWithServer : public ::testing::Test {
 protected:
  void SetUp() override {
    config_file_ = dir_.path() / "arkmq.toml";
    write_config("workers = 1\n");
    flags_.config_file = config_file_.string();
    config_ = resolve_config(flags_, load_config_file(config_file_.string()));
    net::ServerOptions options;
    options.listeners.push_back({config_.listeners.at(0).url, {}, {}});
    options.workers = 1;
    options.log = log_;
    server_ = std::make_unique<net::Server>(
        options, [](core::ConnectionInfo, std::shared_ptr<core::ClientLink>) {
          return std::unique_ptr<net::ConnectionHandler>();
        });
    ASSERT_TRUE(server_->start());
    reloader_ = std::make_unique<Reloader>(Reloader::Params{
        flags_, config_, *server_, [this](const LogConfig& log) { applied_log_ = log.level; },
        log_});
  }

  void write_config(const std::string& extra) {
    std::ofstream(config_file_) << "data_dir = \"" << dir_.path().string() << "\"\n"
                                << extra << "[[listener]]\nurl = \"mqtt://127.0.0.1:0\"\n";
  }
  nlohmann::json status() const {
    return nlohmann::json::parse(read_all(dir_.path() / kReloadStatusFile));
  }

  TempDirectory dir_;
  fs::path config_file_;
  CommandLine flags_;
  AppConfig config_;
  std::shared_ptr<spdlog::logger> log_ =
      std::make_shared<spdlog::logger>("reload", std::make_shared<spdlog::sinks::null_sink_mt>());
  std::unique_ptr<net::Server> server_;
  std::unique_ptr<Reloader> reloader_;
  std::string applied_log_;
};

TEST_F(ReloaderWithServer, AppliesLogSettingsAndNamesWhatNeedsARestart) {
  reloader_->started();
  EXPECT_EQ(status().at("generation"), 0);
  write_config("workers = 2\nlog_level = \"debug\"\n");
  const ReloadOutcome outcome = reloader_->reload();
  EXPECT_TRUE(outcome.ok) << outcome.message;
  EXPECT_EQ(outcome.generation, 1u);
  EXPECT_EQ(applied_log_, "debug");
  EXPECT_EQ(reloader_->running().log_level, "debug");
  EXPECT_EQ(reloader_->running().workers, 1u) << "workers need a restart";
  EXPECT_NE(outcome.message.find("needs a restart (not applied): workers 1 -> 2"),
            std::string::npos)
      << outcome.message;
  EXPECT_EQ(status().at("generation"), 1);
  EXPECT_EQ(status().at("ok"), true);
}

TEST_F(ReloaderWithServer, ABrokenFileIsRefusedWithItsLineAndChangesNothing) {
  write_config("workers = 1\nlog_level = \"debug\"\nbogus_key = 1\n");
  const ReloadOutcome outcome = reloader_->reload();
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.message.rfind("reload refused: " + config_file_.string() + ":4", 0), 0u)
      << outcome.message;
  EXPECT_NE(outcome.message.find("; the running configuration stays"), std::string::npos);
  EXPECT_TRUE(applied_log_.empty()) << "a refused reload applied [log]";
  EXPECT_EQ(reloader_->running().log_level, "info");
  EXPECT_EQ(status().at("ok"), false);
  EXPECT_EQ(status().at("message"), outcome.message);
}

TEST_F(ReloaderWithServer, TellsSystemdReloadingThenReady) {
  FakeSystemd systemd(dir_.path() / "notify");
  ASSERT_TRUE(systemd.bound());
  reloader_->reload();
  EXPECT_EQ(systemd.next().rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u);
  const std::string ready = systemd.next();
  EXPECT_EQ(ready.rfind("READY=1\nSTATUS=", 0), 0u) << ready;
  EXPECT_NE(ready.find("reload applied"), std::string::npos)
      << "the success message replaces a refused reload's status: " << ready;
}

}  // namespace
}  // namespace arkmq::app

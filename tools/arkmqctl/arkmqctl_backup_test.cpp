// Process tests of `arkmqctl backup`: copies taken while a real arkmq-broker keeps writing all
// three databases (a publisher's retained QoS 1 messages go to state.db and audit.db) open,
// verify and hold the data; a second backup into the same directory is refused. Waits are
// bounded by deadlines; every arkmqctl run is killed after 30 s.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "storage/sqlite.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/deadline.hpp"
#include "tests/support/paho_helpers.hpp"
#include "tools/arkmqctl/ctl_runner.hpp"

namespace arkmq::ctl::test {
namespace {

using arkmq::test::Deadline;

int mode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
}

// Publishes retained QoS 1 messages on its own thread until stopped (or 60 s, or 100,000
// messages); counts the acknowledged ones.
class Publisher {
 public:
  explicit Publisher(const std::string& uri) : thread_([this, uri] { run(uri); }) {}
  ~Publisher() { stop(); }
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // True once `count` messages were acknowledged; false at the deadline or if publishing failed.
  bool wait_for(long count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return acked_ >= count || done_; }) &&
           acked_ >= count;
  }
  long acked() {
    std::lock_guard lock(mutex_);
    return acked_;
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  const std::string& error() const { return error_; }  // after stop()

 private:
  void run(const std::string& uri) {
    try {
      arkmq::test::PahoClient client(uri, "backup-writer", 5);
      auto options = arkmq::test::v5_options();
      options.set_user_name("writer");
      options.set_password("writer-pw");
      client.connect(options);
      const Deadline deadline(std::chrono::seconds(60));
      for (long i = 0; !stop_ && !deadline.expired() && i < 100000; ++i) {
        const auto reason = client.publish("load/" + std::to_string(i % 64),
                                           "payload " + std::to_string(i), 1, true);
        if (reason != mqtt::ReasonCode::SUCCESS) {
          error_ = "PUBACK reason " + std::to_string(static_cast<int>(reason));
          break;
        }
        std::lock_guard lock(mutex_);
        ++acked_;
        changed_.notify_all();
      }
      client.disconnect();
    } catch (const std::exception& e) {
      error_ = e.what();
    }
    std::lock_guard lock(mutex_);
    done_ = true;
    changed_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  long acked_ = 0;
  bool done_ = false;
  std::atomic<bool> stop_{false};
  std::string error_;
  std::thread thread_;  // last: started once everything above exists
};

class ArkmqctlBackup : public ::testing::Test, public CtlFixtureBase {
 protected:
  void SetUp() override {
    if (arkmq::test::arkmq_broker_path().empty()) GTEST_SKIP() << "arkmq-broker not built";
    add_user("writer", "writer-pw");
    const auto rule = ctl({"acl", "add", "--allow", "--all", "--topic", "load/#", "--user",
                           "writer"});
    ASSERT_EQ(rule.exit_code, 0) << rule.err;
    arkmq::test::BrokerOptions options;
    options.allow_anonymous = false;
    options.acl_default = "";  // deny, the broker's own default
    options.data_dir_path = data_dir();
    options.log_level = "info";
    broker_ = std::make_unique<arkmq::test::BrokerProcess>(options);
  }

  std::string backup_dir() const { return broker_->dir() + "/backup"; }
  // arkmqctl with another data dir (the fixture's ctl() passes the broker's).
  static CtlResult ctl_in(const std::string& dir, std::vector<std::string> args) {
    CtlRun run;
    run.args = {"--data-dir", dir};
    run.args.insert(run.args.end(), args.begin(), args.end());
    run.env["ARKMQ_DATA_DIR"] = std::nullopt;
    return run_ctl(run);
  }

  std::unique_ptr<arkmq::test::BrokerProcess> broker_;
};

TEST_F(ArkmqctlBackup, CopiesEveryDatabaseWhileTheBrokerKeepsWriting) {
  Publisher publisher(broker_->tcp_uri());
  ASSERT_TRUE(publisher.wait_for(100, std::chrono::seconds(20))) << "the broker took no load";

  const long before = publisher.acked();
  const auto result = ctl({"--json", "backup", "--to", backup_dir()});
  const long after = publisher.acked();
  // The broker acknowledged (so committed) messages while arkmqctl ran, and goes on doing so.
  ASSERT_TRUE(publisher.wait_for(after + 50, std::chrono::seconds(20)));
  publisher.stop();
  ASSERT_TRUE(publisher.error().empty()) << publisher.error();
  EXPECT_GT(after, before);

  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << result.out;
  ASSERT_EQ(json["files"].size(), 3U) << result.out;
  EXPECT_EQ(mode_of(backup_dir()), 0700);
  for (const char* name : {"arkmq.db", "audit.db", "state.db"}) {
    EXPECT_EQ(mode_of(backup_dir() + "/" + name), 0600) << name;
  }

  // The copies open and verify: the journal's hash chain, the user, the retained messages.
  const auto verify = ctl_in(backup_dir(), {"audit", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  const auto users = ctl_in(backup_dir(), {"user", "list"});
  EXPECT_EQ(users.exit_code, 0) << users.err;
  EXPECT_NE(users.out.find("writer"), std::string::npos) << users.out;
  storage::OpenOptions read_only;
  read_only.access = storage::OpenOptions::Access::read_only;
  auto state = storage::Database::open(backup_dir() + "/state.db", read_only);
  ASSERT_TRUE(state) << state.error().message;
  auto retained = state->query_int64("SELECT count(*) FROM retained");
  ASSERT_TRUE(retained) << retained.error().message;
  EXPECT_GT(*retained, 0);
  EXPECT_LE(*retained, 64);
}

TEST_F(ArkmqctlBackup, RefusesADirectoryThatHoldsABackupAlready) {
  ASSERT_EQ(ctl({"backup", "--to", backup_dir()}).exit_code, 0);
  const auto before = std::filesystem::last_write_time(backup_dir() + "/arkmq.db");

  const auto again = ctl({"backup", "--to", backup_dir()});

  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(is_one_error_line(again.err)) << again.err;
  EXPECT_NE(again.err.find("exists"), std::string::npos) << again.err;
  EXPECT_EQ(std::filesystem::last_write_time(backup_dir() + "/arkmq.db"), before);
}

TEST_F(ArkmqctlBackup, FailsOnAMissingDataDirectory) {
  const auto result = ctl_in(broker_->dir() + "/nowhere", {"backup", "--to", backup_dir()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(is_one_error_line(result.err)) << result.err;
  EXPECT_FALSE(std::filesystem::exists(backup_dir()));
}

}  // namespace
}  // namespace arkmq::ctl::test

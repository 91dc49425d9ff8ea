// systemd_notify: a real datagram socket stands in for systemd's notification socket, on a file
// path and in the abstract namespace; without NOTIFY_SOCKET nothing is sent.
#include "broker/app/systemd_notify.hpp"

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "broker/app/notify_socket_listener.hpp"

namespace arkmq::app {
namespace {

namespace fs = std::filesystem;

using NotifyListener = test::NotifySocketListener;

// Sets NOTIFY_SOCKET for one test and restores the previous value.
class SystemdNotify : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* previous = std::getenv("NOTIFY_SOCKET")) {
      previous_ = previous;
    }
    std::random_device random;
    suffix_ = std::to_string(random());
  }
  void TearDown() override {
    if (previous_) {
      ::setenv("NOTIFY_SOCKET", previous_->c_str(), 1);
    } else {
      ::unsetenv("NOTIFY_SOCKET");
    }
    std::error_code ignored;
    fs::remove(path_, ignored);
  }
  std::string socket_path() {
    path_ = fs::temp_directory_path() / ("arkmq-notify-" + suffix_ + ".sock");
    return path_.string();
  }

  std::string suffix_;
  fs::path path_;
  std::optional<std::string> previous_;
};

TEST_F(SystemdNotify, SendsReadyToThePathSocket) {
  const std::string path = socket_path();
  NotifyListener listener(path);
  ASSERT_TRUE(listener.bound());
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);

  EXPECT_TRUE(systemd_notify("READY=1\nSTATUS=listening"));
  EXPECT_EQ(listener.receive(), "READY=1\nSTATUS=listening");
}

TEST_F(SystemdNotify, SendsToAnAbstractSocketNamedWithAnAt) {
  const std::string name = "@arkmq-notify-test-" + suffix_;
  NotifyListener listener(name);
  ASSERT_TRUE(listener.bound());
  ::setenv("NOTIFY_SOCKET", name.c_str(), 1);

  EXPECT_TRUE(systemd_notify("STOPPING=1"));
  EXPECT_EQ(listener.receive(), "STOPPING=1");
}

TEST_F(SystemdNotify, DoesNothingAndSucceedsWithoutTheVariable) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(systemd_notify("READY=1"));
}

TEST_F(SystemdNotify, ReportsFailureWhenNobodyListens) {
  const std::string path = socket_path();  // never bound
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  EXPECT_FALSE(systemd_notify("READY=1"));
}

TEST_F(SystemdNotify, RejectsARelativeSocketName) {
  ::setenv("NOTIFY_SOCKET", "relative.sock", 1);
  EXPECT_FALSE(systemd_notify("READY=1"));
}

TEST(SystemdReadyMessage, NamesEveryBoundListenerInTheStatus) {
  EXPECT_EQ(ready_message({"mqtt://127.0.0.1:1883", "mqtts://127.0.0.1:8883"}),
            "READY=1\nSTATUS=listening on mqtt://127.0.0.1:1883, mqtts://127.0.0.1:8883");
}

}  // namespace
}  // namespace arkmq::app

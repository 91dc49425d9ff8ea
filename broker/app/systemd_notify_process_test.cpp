// The arkmq-broker process speaks sd_notify: with NOTIFY_SOCKET set it sends READY=1 (with the
// bound listeners as STATUS) once it serves, and STOPPING=1 on SIGTERM before it exits 0.
// Waits are bounded: the broker has 10 s to come up, each datagram 5 s.
#include <stdlib.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "broker/app/notify_socket_listener.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace arkmq::app {
namespace {

TEST(SystemdNotifyProcess, BrokerSignalsReadyAfterBindingAndStoppingOnSigterm) {
  if (arkmq::test::arkmq_broker_path().empty()) GTEST_SKIP() << "arkmq-broker not built";
  arkmq::test::TempDir dir("arkmq-notify");
  const std::string socket_path = dir.path() + "/notify.sock";
  test::NotifySocketListener systemd(socket_path);
  ASSERT_TRUE(systemd.bound());
  // The child inherits the variable; the test process itself sends nothing.
  ::setenv("NOTIFY_SOCKET", socket_path.c_str(), 1);
  arkmq::test::BrokerOptions options;
  options.log_level = "info";
  auto broker = std::make_unique<arkmq::test::BrokerProcess>(options);
  ::unsetenv("NOTIFY_SOCKET");

  const auto ready = systemd.receive();
  ASSERT_TRUE(ready) << "no READY=1 from the broker";
  EXPECT_EQ(*ready, "READY=1\nSTATUS=listening on mqtt://127.0.0.1:" +
                        std::to_string(broker->port()));

  const auto status = broker->stop();
  ASSERT_TRUE(status) << "the broker did not stop";
  const auto stopping = systemd.receive();
  ASSERT_TRUE(stopping) << "no STOPPING=1 from the broker";
  EXPECT_EQ(*stopping, "STOPPING=1");
}

}  // namespace
}  // namespace arkmq::app

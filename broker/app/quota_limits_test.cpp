// QuotaLimits: the policy's quotas resolved per principal for the core, its generation, and the
// store -> watcher -> QuotaLimits -> core path a `arkmqctl quota set` takes.
#include <cstdlib>
#include <filesystem>

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include "acl/password_hash.hpp"
#include "broker/app/acl_policy.hpp"
#include "broker/app/policy_watcher.hpp"
#include "broker/app/config_store_pair.hpp"
#include "broker/app/run_io_until.hpp"
#include "broker/app/quota_limits.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::app {
namespace {

using namespace std::chrono_literals;
using protocol::QoS;
using protocol::ReasonCode;

acl::QuotaSetting setting(acl::QuotaScope scope, std::string name, acl::QuotaLimits limits) {
  return acl::QuotaSetting{scope, std::move(name), std::move(limits)};
}

acl::PolicyData policy_with(std::vector<acl::QuotaSetting> quotas) {
  acl::PolicyData data;
  data.roles = {"sensors"};
  data.users.push_back(acl::UserRecord{"sensor-7", "", {"sensors"}, ""});
  data.quotas = std::move(quotas);
  return data;
}

TEST(QuotaLimits, ResolvesUserOverRoleOverDefaultPerField) {
  acl::QuotaLimits defaults;
  defaults.msgs_per_s = 10;
  defaults.max_connections = 2;
  acl::QuotaLimits role;
  role.msgs_per_s = 100;
  role.max_inflight = 70000;  // more than a Receive Maximum can say: capped
  acl::QuotaLimits own;
  own.max_subscriptions = 5;
  QuotaLimits limits;
  limits.update(policy_with({setting(acl::QuotaScope::default_scope, "", defaults),
                             setting(acl::QuotaScope::role, "sensors", role),
                             setting(acl::QuotaScope::user, "sensor-7", own)}));
  const core::ClientLimits sensor = limits.limits_for("sensor-7");
  EXPECT_EQ(sensor.publish.msgs_per_s, 100U);
  EXPECT_EQ(sensor.publish.msgs_burst, 100U);  // one second of the rate
  EXPECT_EQ(sensor.max_connections, 2U);
  EXPECT_EQ(sensor.max_subscriptions, 5U);
  EXPECT_EQ(sensor.receive_maximum, 65535U);
  const core::ClientLimits anonymous = limits.limits_for("");
  EXPECT_EQ(anonymous.publish.msgs_per_s, 10U);
  EXPECT_EQ(anonymous.max_subscriptions, 0U);
  // A certificate identity that is not a stored user gets the defaults.
  EXPECT_EQ(limits.limits_for("CN=device").publish.msgs_per_s, 10U);
}

TEST(QuotaLimits, TheGenerationMovesOnlyWhenLimitsOrRolesChange) {
  QuotaLimits limits;
  acl::QuotaLimits defaults;
  defaults.msgs_per_s = 10;
  acl::PolicyData data = policy_with({setting(acl::QuotaScope::default_scope, "", defaults)});
  limits.update(data);
  const std::uint64_t first = limits.generation();
  EXPECT_EQ(limits.limits_for("x").publish.msgs_per_s, 10U);
  data.rules.push_back(acl::Rule{});  // an ACL change only
  limits.update(data);
  EXPECT_EQ(limits.generation(), first);
  data.quotas[0].limits.msgs_per_s = 20;
  limits.update(data);
  EXPECT_GT(limits.generation(), first);
  EXPECT_EQ(limits.limits_for("x").publish.msgs_per_s, 20U);  // not the cached 10
  const std::uint64_t second = limits.generation();
  data.users[0].roles.clear();  // a role revoked
  limits.update(data);
  EXPECT_GT(limits.generation(), second);
}

// A config database, a second connection to it ("arkmqctl"), a watcher that reloads the
// limits on every change, and a broker enforcing them.
class QuotaLimitsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(stores.open("quota"), "");

    acl::AuthoritySettings settings;
    settings.default_effect = acl::Effect::allow;
    authority = std::make_shared<acl::Authority>(settings);
    auto policy = std::make_shared<AclPolicy>(authority);
    core::BrokerConfig config;
    config.sys_interval = 0s;
    config.allow_anonymous = true;
    broker = std::make_unique<core::Broker>(config, policy, policy);
    broker->set_limits_provider(limits);
    PolicyWatcher::Params params{context, *store, *authority, *broker, 10ms};
    params.on_change = [this] { limits->reload(*store); };
    watcher = std::make_unique<PolicyWatcher>(std::move(params));
    ASSERT_EQ(watcher->reload(), "");
    ASSERT_EQ(limits->reload(*store), "");
  }

  void TearDown() override {
    watcher.reset();
    stores.close();
  }

  // Runs the main loop until `done()` (at most 5 s); returns done().
  template <typename Condition>
  bool run_until(Condition done) {
    return test::run_io_until(context, done);
  }

  const storage::ChangeContext who{"test", "quota set"};
  asio::io_context context;
  test::ConfigStorePair stores;
  std::optional<storage::ConfigStore>& store = stores.store;
  std::optional<storage::ConfigStore>& admin = stores.admin;
  std::shared_ptr<acl::Authority> authority;
  std::shared_ptr<QuotaLimits> limits = std::make_shared<QuotaLimits>();
  std::unique_ptr<core::Broker> broker;
  std::unique_ptr<PolicyWatcher> watcher;
};

TEST_F(QuotaLimitsStoreTest, AQuotaSetAtRuntimeAppliesToAConnectedClient) {
  ASSERT_TRUE(admin->add_user(
      acl::UserRecord{"sensor-7", acl::hash_password("pw", acl::kMinIterations), {}, ""}, who));
  ASSERT_EQ(watcher->reload(), "");
  core::test::TestClient c(*broker, protocol::ProtocolVersion::v5);
  protocol::Connect connect;
  connect.client_id = "c";
  connect.username = "sensor-7";
  connect.password = "pw";
  ASSERT_EQ(c.connect(connect).reason, ReasonCode::success);
  c.publish("t", "m", QoS::at_least_once, false, 1);
  c.publish("t", "m", QoS::at_least_once, false, 2);
  const std::uint64_t before = limits->generation();
  watcher->start();
  acl::QuotaLimits defaults;
  defaults.msgs_per_s = 1;
  ASSERT_TRUE(admin->set_quota(setting(acl::QuotaScope::user, "sensor-7", defaults), who));
  ASSERT_TRUE(run_until([&] { return limits->generation() > before; }));
  c.publish("t", "m", QoS::at_least_once, false, 3);
  c.publish("t", "m", QoS::at_least_once, false, 4);
  const auto acks = c.received_of<protocol::Puback>();
  ASSERT_EQ(acks.size(), 4U);
  EXPECT_EQ(acks[1].reason, ReasonCode::no_matching_subscribers);
  EXPECT_EQ(acks[2].reason, ReasonCode::no_matching_subscribers);
  EXPECT_EQ(acks[3].reason, ReasonCode::quota_exceeded);
}

}  // namespace
}  // namespace arkmq::app

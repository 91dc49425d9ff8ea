// The services' wiring in main: the available-nodes gauge and its $SYS values, and who feeds it
// (the audit bridge with a journal, the broker's events without one).
#include "broker/app/service_wiring.hpp"

#include <gtest/gtest.h>

#include "broker/core/default_policy.hpp"
#include "storage/audit_recording_sink.hpp"

namespace arkmq::app {
namespace {

using Values = std::vector<std::pair<std::string, std::string>>;

TEST(ServiceNodesGauge, KeepsTheLatestCountPerServiceAsSysValues) {
  ServiceNodesGauge gauge;
  EXPECT_TRUE(gauge.sys_values().empty());
  gauge.service_registry_changed("plc", 2);
  gauge.service_registry_changed("scale", 1);
  gauge.service_registry_changed("plc", 0);  // its last node left: the service stays listed
  EXPECT_EQ(gauge.sys_values(),
            (Values{{"services/plc/nodes", "0"}, {"services/scale/nodes", "1"}}));
}

TEST(ServiceNodesGauge, ItsValuesFollowWhatMainContributedBefore) {
  auto gauge = std::make_shared<ServiceNodesGauge>();
  gauge->service_registry_changed("plc", 3);
  const core::SysExtra base = [] { return Values{{"audit/written", "5"}}; };
  EXPECT_EQ(with_service_nodes_sys(base, gauge)(),
            (Values{{"audit/written", "5"}, {"services/plc/nodes", "3"}}));
  EXPECT_EQ(with_service_nodes_sys(core::SysExtra{}, gauge)(),
            (Values{{"services/plc/nodes", "3"}}));
}

TEST(ServiceNodesGauge, TheAuditBridgePassesRegistryChangesOnWithoutARow) {
  storage::RecordingAuditSink sink;
  auto bridge = std::make_shared<AuditBridge>(sink, AuditBridgeOptions{});
  auto gauge = std::make_shared<ServiceNodesGauge>();
  bridge->set_service_nodes(gauge);
  bridge->service_registry_changed("plc", 1);
  EXPECT_TRUE(sink.events().empty());
  EXPECT_EQ(gauge->sys_values(), (Values{{"services/plc/nodes", "1"}}));
}

TEST(WireServices, SetsTheSettingsAndFeedsTheGaugeFromTheBridgeOrTheBroker) {
  core::BrokerConfig config;
  auto authenticator = std::make_shared<core::DefaultAuthenticator>(true);
  auto authorizer = std::make_shared<core::DefaultAuthorizer>(core::AclDefault::allow);
  ServicesConfig services;
  services.default_rates.per_caller_rate = 4;
  {
    core::Broker broker(config, authenticator, authorizer);
    storage::RecordingAuditSink sink;
    auto bridge = std::make_shared<AuditBridge>(sink, AuditBridgeOptions{});
    broker.set_events(bridge);
    const auto gauge = wire_services(broker, services, bridge, core::SysExtra{});
    ASSERT_TRUE(gauge);
    bridge->service_registry_changed("plc", 2);
    EXPECT_EQ(gauge->sys_values(), (Values{{"services/plc/nodes", "2"}}));
  }
  {
    core::Broker broker(config, authenticator, authorizer);
    const auto gauge = wire_services(broker, services, nullptr, core::SysExtra{});
    ASSERT_TRUE(gauge);  // the broker's events: fed by the core itself
    gauge->service_registry_changed("plc", 1);
    EXPECT_EQ(gauge->sys_values(), (Values{{"services/plc/nodes", "1"}}));
  }
}

}  // namespace
}  // namespace arkmq::app

// The services' wiring in main: the available-nodes gauge and its $SYS values, fed through the
// broker's event fan-out.
#include "broker/app/service_wiring.hpp"

#include "broker/app/audit_bridge.hpp"

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

TEST(WireServices, SetsTheSettingsAndFeedsTheGaugeThroughTheEventFanout) {
  core::BrokerConfig config;
  auto authenticator = std::make_shared<core::DefaultAuthenticator>(true);
  auto authorizer = std::make_shared<core::DefaultAuthorizer>(core::AclDefault::allow);
  ServicesConfig services;
  services.default_rates.per_caller_rate = 4;
  core::Broker broker(config, authenticator, authorizer);
  EventFanout events;
  ASSERT_TRUE(events.empty());
  const auto gauge = wire_services(broker, services, events, core::SysExtra{});
  ASSERT_TRUE(gauge);
  EXPECT_FALSE(events.empty()) << "the gauge joined the fan-out";
  events.service_registry_changed("plc", 2);
  EXPECT_EQ(gauge->sys_values(), (Values{{"services/plc/nodes", "2"}}));
}

}  // namespace
}  // namespace arkmq::app

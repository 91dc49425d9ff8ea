// One call end to end through every piece, in the order the broker core is to run them
// (docs/adr/0004-services.md, "Wiring"): announce, validate, quota, select, start, forward,
// match the node's reply, relay it. Also a worked example for the wiring.
#include <gtest/gtest.h>

#include "broker/services/announcement.hpp"
#include "broker/services/call_quota.hpp"
#include "broker/services/call_request.hpp"
#include "broker/services/call_table.hpp"
#include "broker/services/forwarding.hpp"
#include "broker/services/names.hpp"
#include "broker/services/registry.hpp"
#include "broker/services/replies.hpp"

namespace arkmq::services {
namespace {

using std::chrono::milliseconds;

TEST(ServiceFlow, ACallTravelsFromCallerToNodeAndBack) {
  const TimePoint t0{};
  ServiceRegistry registry;
  CallQuota quota;
  std::uint8_t counter = 0;
  CallTable table([&](std::span<std::uint8_t> out) {
    for (auto& b : out) b = counter++;
  });

  // The node announces.
  const auto topic = parse_announce_topic("$svc/announce/edge-1/plc");
  ASSERT_TRUE(topic);
  const auto announcement =
      parse_announcement(topic->service, R"({"methods": ["read"], "heartbeat_s": 5})");
  ASSERT_TRUE(announcement && *announcement);
  ASSERT_EQ(*registry.announce(topic->node, "edge-1-conn", **announcement, t0),
            ServiceRegistry::Changed{"plc"});

  // The caller calls.
  protocol::Publish call;
  call.topic = "$svc/call/plc/read";
  call.payload = "{}";
  call.properties.response_topic = "$svc/inbox/alice-1/r";
  call.properties.correlation_data = "c-1";
  call.properties.user_properties = {{"svc-timeout-ms", "2000"}};
  const auto request = validate_call(call, CallerView{protocol::ProtocolVersion::v5, "alice-1"});
  ASSERT_TRUE(request);
  ASSERT_EQ(quota.check(request->service, "alice", t0), ServiceStatus::ok);
  const auto node = registry.select_node(request->service, request->method, request->pinned_node);
  ASSERT_TRUE(node);
  CallStart start{"alice-1", "alice", request->service, request->method, (*node)->node,
                  request->response_topic, request->correlation, t0 + request->timeout,
                  call.payload.size(), (*node)->client_id};
  const auto started = table.start(std::move(start), t0);
  ASSERT_TRUE(started);
  const auto forwarded = forward_request(**started, call, t0);
  EXPECT_EQ(forwarded.topic, "$svc/node/edge-1/call/plc/read");

  // The node answers; the caller receives.
  protocol::Publish reply;
  reply.topic = *forwarded.properties.response_topic;
  reply.payload = "42";
  reply.properties.correlation_data = forwarded.properties.correlation_data;
  reply.properties.user_properties = {{"svc-status", "ok"}};
  const auto matched = table.match_reply("edge-1", reply.topic,
                                         *reply.properties.correlation_data, t0 + milliseconds(7));
  ASSERT_TRUE(matched);
  const auto out = relay_reply(*matched, reply, t0 + milliseconds(7));
  EXPECT_EQ(out.topic, "$svc/inbox/alice-1/r");
  EXPECT_EQ(out.properties.correlation_data, "c-1");
  EXPECT_EQ(out.payload, "42");
  EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace arkmq::services

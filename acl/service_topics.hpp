// The `$svc/` topic namespace (docs/protocol.md, "Services") and the compilation of service
// grants into topic rules of that namespace. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "acl/model.hpp"

namespace arkmq::acl {

// Topic scheme, reserved for the services work (issue 6):
//   $svc/call/S/M                  a caller's request for method M of service S (MQTT 5)
//   $svc/node/N/call/S/M           the broker forwards a request to node N
//   $svc/reply/N/...               node N's replies (the broker matches them to outstanding calls)
//   $svc/announce/N/S              node N announces service S (JSON)
//   $svc/registry/S                the broker publishes S's availability (retained JSON)
std::string call_topic(std::string_view service, std::string_view method);
std::string node_call_topic(std::string_view node, std::string_view service, std::string_view method);
std::string node_reply_prefix(std::string_view node);  // "$svc/reply/N/"
std::string announce_topic(std::string_view node, std::string_view service);
std::string registry_topic(std::string_view service);

// Priority of compiled service rules: above ordinary rules by default, so that a broad deny
// written for the plain topic space does not silently cancel a grant (explained by acl check).
inline constexpr std::int32_t kServiceRulePriority = 1'000'000;

// A call grant becomes: allow publish $svc/call/S/M (or S/+), allow subscribe+receive
// $svc/registry/S. A serve grant becomes: allow publish $svc/announce/N/S, allow
// subscribe+receive $svc/node/N/call/S/#, allow publish $svc/reply/N/#. Each compiled rule's
// origin names the grant ("call grant 3: role ops may call plc.read") and its id is the grant's.
std::vector<Rule> compile_service_grants(const std::vector<CallGrant>& calls,
                                         const std::vector<ServeGrant>& serves);

}  // namespace arkmq::acl

// Service, method and node names, and the `$svc/` topics this library reads and writes
// (docs/protocol.md, "The `$svc/` namespace"). Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace arkmq::services {

// The same rule as acl::is_valid_name (this library may not depend on acl): non-empty, at most
// 128 bytes, valid UTF-8, no control characters, none of `/ + # *`, not starting with `$` or `%`.
// A name that breaks it would act as a separator or wildcard inside a `$svc/` topic.
bool is_valid_name(std::string_view name);

// `$svc/inbox/C/`, or nullopt when client id C cannot be one literal topic level (empty, or
// containing `/ + #`): client "a" would otherwise own "$svc/inbox/a/b/..." = client "a/b"'s
// inbox. Such a client has no inbox and cannot make calls.
std::optional<std::string> inbox_prefix(std::string_view client_id);

std::string node_call_topic(std::string_view node, std::string_view service,
                            std::string_view method);  // $svc/node/N/call/S/M
std::string node_reply_topic(std::string_view node, std::string_view call_id);  // $svc/reply/N/ID
std::string registry_topic(std::string_view service);  // $svc/registry/S

struct ServiceMethod {
  std::string service;
  std::string method;
};
// `$svc/call/S/M` with valid names; nullopt otherwise.
std::optional<ServiceMethod> parse_call_topic(std::string_view topic);

struct NodeService {
  std::string node;
  std::string service;
};
// `$svc/announce/N/S` with valid names; nullopt otherwise.
std::optional<NodeService> parse_announce_topic(std::string_view topic);

struct NodeCall {
  std::string node;
  std::string call_id;
};
// `$svc/reply/N/ID` (exactly four levels, N a valid name, ID non-empty); nullopt otherwise.
std::optional<NodeCall> parse_reply_topic(std::string_view topic);

}  // namespace arkmq::services

// The core's built-in `$svc/` rules.
#include "broker/core/service_rules.hpp"

#include <optional>
#include <string>

#include "broker/services/names.hpp"

namespace arkmq::core {
namespace {

constexpr std::string_view kInboxRoot = "$svc/inbox";

// `$svc/inbox` itself or anything below it.
bool in_inbox_space(std::string_view name) {
  return name.substr(0, kInboxRoot.size()) == kInboxRoot &&
         (name.size() == kInboxRoot.size() || name[kInboxRoot.size()] == '/');
}

// Strictly inside `$svc/inbox/C/` (a client id that cannot be one level has no inbox at all).
BuiltinAccess own_inbox_or_deny(std::string_view client_id, std::string_view name) {
  const std::optional<std::string> prefix = services::inbox_prefix(client_id);
  if (prefix && name.size() > prefix->size() && name.substr(0, prefix->size()) == *prefix) {
    return BuiltinAccess::allow;
  }
  return BuiltinAccess::deny;
}

// `$svc/node/P/call/#` for the client's own principal (a valid node name).
bool is_own_node_calls(std::string_view principal, std::string_view filter) {
  if (!services::is_valid_name(principal)) return false;
  constexpr std::string_view kHead = "$svc/node/";
  constexpr std::string_view kTail = "/call/#";
  return filter.size() == kHead.size() + principal.size() + kTail.size() &&
         filter.substr(0, kHead.size()) == kHead &&
         filter.substr(kHead.size(), principal.size()) == principal &&
         filter.substr(kHead.size() + principal.size()) == kTail;
}

}  // namespace

BuiltinAccess builtin_subscribe_access(std::string_view client_id, std::string_view principal,
                                       std::string_view filter) {
  if (in_inbox_space(filter)) return own_inbox_or_deny(client_id, filter);
  if (filter == "$svc/registry/+" || filter == "$svc/registry/#") return BuiltinAccess::allow;
  if (is_own_node_calls(principal, filter)) return BuiltinAccess::allow;
  return BuiltinAccess::not_builtin;
}

BuiltinAccess builtin_receive_access(std::string_view client_id, std::string_view topic) {
  if (!in_inbox_space(topic)) return BuiltinAccess::not_builtin;
  return own_inbox_or_deny(client_id, topic);
}

}  // namespace arkmq::core

// The core's built-in rules for `$svc/` (docs/protocol.md, "The `$svc/` namespace"), decided
// before the Authorizer: the inbox (client C alone subscribes to and receives
// `$svc/inbox/C/...`) and the two subscriptions service clients make with filters wider than
// their grants (listing, serving), whose deliveries the receive check still filters.
// Pure functions; any thread.
#pragma once

#include <string_view>

namespace arkmq::core {

enum class BuiltinAccess {
  not_builtin,  // the Authorizer decides
  allow,        // allowed whatever the Authorizer says
  deny,         // refused whatever the Authorizer says
};

// `filter` is the plain filter (without `$share/GROUP/`).
// Allowed: filters strictly inside the client's own inbox `$svc/inbox/C/` (`$svc/inbox/C/#`);
// `$svc/registry/+` and `$svc/registry/#` (listing: each registry message still needs the
// receive grant of its service); `$svc/node/P/call/#` for the client's own principal P (a node
// subscribing to all its calls at once: each request still needs its serve grant to be received,
// and requests only go to nodes that could announce).
// Denied: every other filter whose first two levels are `$svc/inbox` (`$svc/inbox/#`, another
// client's inbox, an inbox for a client id that cannot have one). Filters with wildcards at those
// levels (`$svc/#`) are the Authorizer's: the receive rule keeps other inboxes from them.
BuiltinAccess builtin_subscribe_access(std::string_view client_id, std::string_view principal,
                                       std::string_view filter);

// A topic name about to be delivered to client `client_id`: inbox topics only to their owner.
BuiltinAccess builtin_receive_access(std::string_view client_id, std::string_view topic);

}  // namespace arkmq::core

// Client-id binding: whether a client id fits a pattern such as "%u-*" for a given principal.
// Private to acl/ (used by Authority::login). Pure functions; any thread.
#pragma once

#include <string_view>

namespace arkmq::acl {

// `*` matches any run of characters (also none), `%u` the principal's name taken literally;
// everything else matches itself. An empty pattern matches every client id. An anonymous client
// has no name, so a pattern containing `%u` never matches it.
bool client_id_matches(std::string_view pattern, std::string_view client_id,
                       std::string_view principal, bool anonymous);

}  // namespace arkmq::acl

// Client-id binding on top of the `client` rules' glob (acl/client_glob.hpp), so that a binding
// pattern and a client rule pattern mean exactly the same thing. Pure functions.
#include "acl/client_id_binding.hpp"

#include "acl/client_glob.hpp"

namespace arkmq::acl {

bool client_id_matches(std::string_view pattern, std::string_view client_id,
                       std::string_view principal, bool anonymous) {
  if (pattern.empty()) return true;
  if (anonymous && pattern.find("%u") != std::string_view::npos) return false;
  return detail::ClientGlob(pattern).matches(client_id, principal);
}

}  // namespace arkmq::acl

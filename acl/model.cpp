// Name validation for the permission model (users, roles, services, methods, nodes).
// Pure function; any thread.
#include "acl/model.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "broker/protocol/topic.hpp"

namespace arkmq::acl {

namespace {

constexpr std::size_t kMaxNameBytes = 128;

// C0 controls and DEL are single bytes; C1 controls (U+0080..U+009F) are encoded 0xC2 0x80..0x9F.
bool has_control_character(std::string_view name) {
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto byte = static_cast<std::uint8_t>(name[i]);
    if (byte < 0x20 || byte == 0x7F) return true;
    if (byte == 0xC2 && i + 1 < name.size()) {
      const auto next = static_cast<std::uint8_t>(name[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return true;
    }
  }
  return false;
}

}  // namespace

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  // `$` would make a substituted level look like a reserved topic, `%` like a placeholder.
  if (name.front() == '$' || name.front() == '%') return false;
  // A name substituted for %u/%c/%r must stay one literal level: no separator, no wildcard.
  if (name.find_first_of("/+#*") != std::string_view::npos) return false;
  if (!protocol::is_valid_utf8(name)) return false;  // also rejects U+0000
  return !has_control_character(name);
}

}  // namespace arkmq::acl

// EdgeMessage user-property helpers.
#include "edge-client/message.hpp"

#include <algorithm>

namespace arkmq::edge {

std::optional<std::string> EdgeMessage::user_property(std::string_view name) const {
  for (const auto& [key, value] : user_properties) {
    if (key == name) return value;
  }
  return std::nullopt;
}

void EdgeMessage::set_user_property(const std::string& name, const std::string& value) {
  std::erase_if(user_properties, [&](const auto& entry) { return entry.first == name; });
  user_properties.emplace_back(name, value);
}

}  // namespace arkmq::edge

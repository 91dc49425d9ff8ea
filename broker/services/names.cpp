// Name validation and `$svc/` topic builders/parsers. Pure functions; any thread.
#include "broker/services/names.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

#include "broker/protocol/topic.hpp"

namespace arkmq::services {

namespace {

constexpr std::size_t kMaxNameBytes = 128;  // as acl/model.cpp

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

// Splits at '/'; at most `max_levels + 1` pieces are kept, enough to tell "too many".
std::vector<std::string_view> levels(std::string_view topic, std::size_t max_levels) {
  std::vector<std::string_view> out;
  while (out.size() <= max_levels) {
    const auto slash = topic.find('/');
    if (slash == std::string_view::npos) {
      out.push_back(topic);
      break;
    }
    out.push_back(topic.substr(0, slash));
    topic.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  if (name.front() == '$' || name.front() == '%') return false;
  if (name.find_first_of("/+#*") != std::string_view::npos) return false;
  if (!protocol::is_valid_utf8(name)) return false;  // also rejects U+0000
  return !has_control_character(name);
}

std::optional<std::string> inbox_prefix(std::string_view client_id) {
  if (client_id.empty() || client_id.find_first_of("/+#") != std::string_view::npos) {
    return std::nullopt;
  }
  std::string prefix = "$svc/inbox/";
  prefix.append(client_id);
  prefix.push_back('/');
  return prefix;
}

std::string node_call_topic(std::string_view node, std::string_view service,
                            std::string_view method) {
  std::string topic = "$svc/node/";
  topic.append(node).append("/call/").append(service).append("/").append(method);
  return topic;
}

std::string node_reply_topic(std::string_view node, std::string_view call_id) {
  std::string topic = "$svc/reply/";
  topic.append(node).append("/").append(call_id);
  return topic;
}

std::string registry_topic(std::string_view service) {
  return std::string("$svc/registry/").append(service);
}

std::optional<ServiceMethod> parse_call_topic(std::string_view topic) {
  const auto parts = levels(topic, 4);
  if (parts.size() != 4 || parts[0] != "$svc" || parts[1] != "call") return std::nullopt;
  if (!is_valid_name(parts[2]) || !is_valid_name(parts[3])) return std::nullopt;
  return ServiceMethod{std::string(parts[2]), std::string(parts[3])};
}

std::optional<NodeService> parse_announce_topic(std::string_view topic) {
  const auto parts = levels(topic, 4);
  if (parts.size() != 4 || parts[0] != "$svc" || parts[1] != "announce") return std::nullopt;
  if (!is_valid_name(parts[2]) || !is_valid_name(parts[3])) return std::nullopt;
  return NodeService{std::string(parts[2]), std::string(parts[3])};
}

std::optional<NodeCall> parse_reply_topic(std::string_view topic) {
  const auto parts = levels(topic, 4);
  if (parts.size() != 4 || parts[0] != "$svc" || parts[1] != "reply") return std::nullopt;
  if (!is_valid_name(parts[2]) || parts[3].empty()) return std::nullopt;
  return NodeCall{std::string(parts[2]), std::string(parts[3])};
}

}  // namespace arkmq::services

// libFuzzer target: service announcements and call requests from arbitrary bytes. Any input
// either parses or yields an error value (no crash, no sanitizer report), and what parses
// respects the limits: a valid announcement has at most 64 valid, sorted methods and its
// registry JSON is well-formed; an accepted call replies only inside the caller's inbox.
// Input: byte 0 selects the mode; the rest is split at '\n' into fields.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "broker/services/announcement.hpp"
#include "broker/services/call_request.hpp"
#include "broker/services/names.hpp"
#include "broker/services/registry.hpp"

namespace {

using namespace arkmq::services;

std::vector<std::string_view> fields(std::string_view data, std::size_t count) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < count) {
    const auto end = data.find('\n');
    if (end == std::string_view::npos) break;
    out.push_back(data.substr(0, end));
    data.remove_prefix(end + 1);
  }
  out.push_back(data);
  out.resize(count);
  return out;
}

void check(bool condition) {
  if (!condition) __builtin_trap();
}

void fuzz_announcement(std::string_view text) {
  const auto parts = fields(text, 2);  // service, payload
  const auto result = parse_announcement(parts[0], parts[1]);
  if (!result) {
    check(!result.error().empty());
    return;
  }
  if (!*result) return;  // withdrawal
  const Announcement& a = **result;
  check(a.methods.size() <= kMaxMethods);
  for (std::size_t i = 0; i < a.methods.size(); ++i) {
    check(is_valid_name(a.methods[i]));
    if (i > 0) check(a.methods[i - 1] < a.methods[i]);
  }
  ServiceRegistry registry;
  check(registry.announce("node", "client", a, TimePoint{}).has_value());
  const auto json = registry.registry_json(a.service);
  check(json.has_value() && !json->empty());
}

void fuzz_call(std::uint8_t control, std::string_view text) {
  // topic, response topic, correlation, client id, user property name, value, (rest) payload
  const auto parts = fields(text, 7);
  arkmq::protocol::Publish publish;
  publish.topic = std::string(parts[0]);
  publish.retain = (control & 0x02) != 0;
  if ((control & 0x04) != 0) publish.properties.response_topic = std::string(parts[1]);
  if ((control & 0x08) != 0) publish.properties.correlation_data = std::string(parts[2]);
  if ((control & 0x10) != 0) publish.properties.message_expiry_interval = control >> 5;
  publish.properties.user_properties.push_back({std::string(parts[4]), std::string(parts[5])});
  publish.payload = std::string(parts[6]);
  const CallerView caller{(control & 0x01) != 0 ? arkmq::protocol::ProtocolVersion::v311
                                                : arkmq::protocol::ProtocolVersion::v5,
                          parts[3]};
  const auto result = validate_call(publish, caller);
  if (!result) {
    check(!result.error().reason.empty());
    return;
  }
  const auto inbox = inbox_prefix(caller.client_id);
  check(inbox.has_value());
  check(result->response_topic.rfind(*inbox, 0) == 0);
  check(!result->correlation.empty() && result->correlation.size() <= kMaxCorrelationBytes);
  check(result->timeout.count() > 0 && result->timeout <= kMaxCallTimeout);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = bytes[0];
  const std::string_view text(reinterpret_cast<const char*>(bytes + 1), size - 1);
  if ((control & 0x80) == 0) {
    fuzz_announcement(text);
  } else {
    fuzz_call(static_cast<std::uint8_t>(control & 0x7F), text);
  }
  return 0;
}

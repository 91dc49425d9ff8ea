// Announcement parsing with nlohmann::json in its non-throwing mode. Pure; any thread.
#include "broker/services/announcement.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

#include <nlohmann/json.hpp>

#include "broker/protocol/topic.hpp"
#include "broker/services/names.hpp"

namespace arkmq::services {

namespace {

using Json = nlohmann::json;
using Result = tl::expected<std::optional<Announcement>, std::string>;

tl::unexpected<std::string> fail(std::string message) {
  return tl::make_unexpected(std::move(message));
}

// Plain text: valid UTF-8 (checked for the whole payload already), no C0 controls except none.
bool is_plain_text(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<std::uint8_t>(c);
    return byte < 0x20 || byte == 0x7F;
  });
}

tl::expected<std::string, std::string> text_field(const Json& body, const char* key,
                                                  std::size_t max_bytes) {
  const auto it = body.find(key);
  if (it == body.end()) return std::string();
  if (!it->is_string()) return fail(std::string("\"") + key + "\" must be a string");
  const auto& text = it->get_ref<const std::string&>();
  if (text.size() > max_bytes) {
    return fail(std::string("\"") + key + "\" is longer than " + std::to_string(max_bytes) +
                " bytes");
  }
  if (!is_plain_text(text)) return fail(std::string("\"") + key + "\" has control characters");
  return text;
}

tl::expected<std::vector<std::string>, std::string> methods_field(const Json& body) {
  std::vector<std::string> methods;
  const auto it = body.find("methods");
  if (it == body.end()) return methods;
  if (!it->is_array()) return fail("\"methods\" must be an array of names");
  if (it->size() > kMaxMethods) {
    return fail("more than " + std::to_string(kMaxMethods) + " methods");
  }
  for (const auto& method : *it) {
    if (!method.is_string() || !is_valid_name(method.get_ref<const std::string&>())) {
      return fail("\"methods\" holds an invalid method name");
    }
    methods.push_back(method.get<std::string>());
  }
  std::sort(methods.begin(), methods.end());
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  return methods;
}

tl::expected<std::map<std::string, std::string>, std::string> labels_field(const Json& body) {
  std::map<std::string, std::string> labels;
  const auto it = body.find("labels");
  if (it == body.end()) return labels;
  if (!it->is_object()) return fail("\"labels\" must be an object of strings");
  if (it->size() > kMaxLabels) return fail("more than " + std::to_string(kMaxLabels) + " labels");
  for (const auto& [key, value] : it->items()) {
    if (!is_valid_name(key)) return fail("\"labels\" has an invalid key");
    if (!value.is_string()) return fail("label \"" + key + "\" must be a string");
    const auto& text = value.get_ref<const std::string&>();
    if (text.size() > kMaxLabelValueBytes || !is_plain_text(text)) {
      return fail("label \"" + key + "\" is too long or has control characters");
    }
    labels.emplace(key, text);
  }
  return labels;
}

tl::expected<std::chrono::seconds, std::string> heartbeat_field(const Json& body) {
  const auto it = body.find("heartbeat_s");
  if (it == body.end()) return kDefaultHeartbeat;
  // is_number_integer covers signed and unsigned; floats and booleans are refused.
  if (!it->is_number_integer()) return fail("\"heartbeat_s\" must be an integer");
  const auto seconds = it->is_number_unsigned() ? static_cast<std::int64_t>(std::min<std::uint64_t>(
                                                      it->get<std::uint64_t>(), 1'000'000))
                                                : it->get<std::int64_t>();
  if (seconds < 1 || seconds > kMaxHeartbeat.count()) {
    return fail("\"heartbeat_s\" must be between 1 and " + std::to_string(kMaxHeartbeat.count()));
  }
  return std::chrono::seconds(seconds);
}

}  // namespace

Result parse_announcement(std::string_view topic_service, std::string_view payload) {
  if (payload.empty()) return std::optional<Announcement>();  // withdrawal
  if (payload.size() > kMaxAnnouncementBytes) {
    return fail("announcement larger than " + std::to_string(kMaxAnnouncementBytes) + " bytes");
  }
  if (!is_valid_name(topic_service)) return fail("invalid service name in the topic");
  if (!protocol::is_valid_utf8(payload)) return fail("announcement is not valid UTF-8");
  // No exceptions on the data path: a parse error yields a discarded value.
  const Json body = Json::parse(payload.begin(), payload.end(), nullptr, false);
  if (body.is_discarded()) return fail("announcement is not valid JSON");
  if (!body.is_object()) return fail("announcement must be a JSON object");

  Announcement out;
  out.service = std::string(topic_service);
  if (const auto it = body.find("service"); it != body.end()) {
    if (!it->is_string() || it->get_ref<const std::string&>() != topic_service) {
      return fail("\"service\" does not match the topic's service");
    }
  }
  auto version = text_field(body, "version", kMaxVersionBytes);
  if (!version) return fail(std::move(version.error()));
  out.version = std::move(*version);
  auto description = text_field(body, "description", kMaxDescriptionBytes);
  if (!description) return fail(std::move(description.error()));
  out.description = std::move(*description);
  auto methods = methods_field(body);
  if (!methods) return fail(std::move(methods.error()));
  out.methods = std::move(*methods);
  auto labels = labels_field(body);
  if (!labels) return fail(std::move(labels.error()));
  out.labels = std::move(*labels);
  if (const auto it = body.find("available"); it != body.end()) {
    if (!it->is_boolean()) return fail("\"available\" must be true or false");
    out.available = it->get<bool>();
  }
  auto heartbeat = heartbeat_field(body);
  if (!heartbeat) return fail(std::move(heartbeat.error()));
  out.heartbeat = *heartbeat;
  return std::optional<Announcement>(std::move(out));
}

}  // namespace arkmq::services

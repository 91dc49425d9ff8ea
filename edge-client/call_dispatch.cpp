// Call topic parsing, request validation, deadlines and replies.
#include "edge-client/call_dispatch.hpp"

#include <algorithm>
#include <charconv>

namespace arkmq::edge {
namespace {

constexpr std::string_view kNodePrefix = "$svc/node/";
constexpr std::chrono::milliseconds kMaxBudget{60'000};  // the broker's own maximum

}  // namespace

std::optional<CallTopic> parse_call_topic(std::string_view topic) {
  if (topic.substr(0, kNodePrefix.size()) != kNodePrefix) return std::nullopt;
  topic.remove_prefix(kNodePrefix.size());
  std::vector<std::string_view> levels;
  while (true) {
    const auto slash = topic.find('/');
    levels.push_back(topic.substr(0, slash));
    if (slash == std::string_view::npos) break;
    topic.remove_prefix(slash + 1);
  }
  if (levels.size() != 4 || levels[1] != "call") return std::nullopt;
  for (const auto level : levels) {
    if (level.empty()) return std::nullopt;
  }
  return CallTopic{std::string(levels[0]), std::string(levels[2]), std::string(levels[3])};
}

std::string call_subscription(const std::string& node) { return "$svc/node/" + node + "/call/#"; }

std::string reply_prefix(const std::string& node) { return "$svc/reply/" + node + "/"; }

tl::expected<CallRequest, std::string> parse_call(const EdgeMessage& message,
                                                  const std::string& node,
                                                  std::chrono::milliseconds service_timeout) {
  auto target = parse_call_topic(message.topic);
  if (!target) return tl::make_unexpected("not a call topic: " + message.topic);
  if (target->node != node) return tl::make_unexpected("call for another node: " + target->node);
  const std::string prefix = reply_prefix(node);
  if (message.response_topic.size() <= prefix.size() ||
      message.response_topic.compare(0, prefix.size(), prefix) != 0) {
    return tl::make_unexpected("response topic outside " + prefix + ": '" + message.response_topic + "'");
  }
  if (message.response_topic.find_first_of("+#") != std::string::npos) {
    return tl::make_unexpected("response topic has wildcards");
  }
  if (message.correlation_data.empty()) return tl::make_unexpected("no correlation data");

  std::chrono::milliseconds budget = std::min(service_timeout, kMaxBudget);
  if (const auto deadline = message.user_property("svc-deadline-ms")) {
    std::int64_t ms = 0;
    const auto [ptr, ec] = std::from_chars(deadline->data(), deadline->data() + deadline->size(), ms);
    if (ec != std::errc() || ptr != deadline->data() + deadline->size() || ms < 0) {
      return tl::make_unexpected("bad svc-deadline-ms: '" + *deadline + "'");
    }
    budget = std::min(budget, std::chrono::milliseconds(ms));
  }
  if (message.message_expiry_s && *message.message_expiry_s > 0) {
    budget = std::min<std::chrono::milliseconds>(budget, std::chrono::seconds(*message.message_expiry_s));
  }
  CallRequest request{*target, message.payload, message.content_type, message.payload_format,
                      message.response_topic, message.correlation_data,
                      message.user_property("svc-caller").value_or(""), budget};
  return request;
}

std::string to_string(CallStatus status) {
  switch (status) {
    case CallStatus::ok:
      return "ok";
    case CallStatus::backend_error:
      return "backend_error";
  }
  return "backend_error";
}

EdgeMessage build_reply(const CallRequest& request, const BackendResult& result) {
  EdgeMessage reply;
  reply.topic = request.response_topic;
  reply.correlation_data = request.correlation_data;
  reply.qos = 1;
  reply.user_properties.emplace_back("svc-status", to_string(result.status));
  if (result.status == CallStatus::ok) {
    reply.payload = result.payload;
    reply.content_type = result.content_type;
  } else {
    reply.user_properties.emplace_back("svc-error", result.error);
  }
  for (const auto& detail : result.details) reply.user_properties.push_back(detail);
  return reply;
}

EdgeMessage build_error_reply(const CallRequest& request, std::string error) {
  return build_reply(request, BackendResult::failure(std::move(error)));
}

}  // namespace arkmq::edge

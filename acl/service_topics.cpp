// The `$svc/` topic builders and the compilation of service grants into topic rules.
// Pure functions; any thread.
#include "acl/service_topics.hpp"

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace arkmq::acl {

namespace {

std::string join(std::initializer_list<std::string_view> parts) {
  std::size_t size = 0;
  for (const auto part : parts) size += part.size();
  std::string out;
  out.reserve(size);
  for (const auto part : parts) out.append(part);
  return out;
}

std::string_view subject_word(Subject subject) {
  switch (subject) {
    case Subject::user: return "user";
    case Subject::role: return "role";
    case Subject::client: return "client";
    case Subject::anyone: return "anyone";
    case Subject::anonymous: return "anonymous";
  }
  return "?";
}

// A name that is not valid would turn into a separator or a wildcard inside the compiled filter
// and grant more than was written; such a grant compiles to nothing (fail closed). The store
// validates names with is_valid_name before they get here.
bool is_valid_call_grant(const CallGrant& grant) {
  if (grant.subject != Subject::user && grant.subject != Subject::role) return false;
  return is_valid_name(grant.subject_value) && is_valid_name(grant.service) &&
         (grant.method.empty() || is_valid_name(grant.method));
}

bool is_valid_serve_grant(const ServeGrant& grant) {
  return is_valid_name(grant.node) && is_valid_name(grant.service);
}

Rule service_rule(std::int64_t id, Subject subject, std::string_view subject_value,
                  ActionSet actions, std::string topic, const std::string& origin) {
  Rule rule;
  rule.id = id;
  rule.subject = subject;
  rule.subject_value = std::string(subject_value);
  rule.actions = actions;
  rule.topic = std::move(topic);
  rule.effect = Effect::allow;
  rule.priority = kServiceRulePriority;
  rule.origin = origin;
  return rule;
}

constexpr auto kPublish = static_cast<ActionSet>(Action::publish);
constexpr auto kSubscribeReceive = static_cast<ActionSet>(
    static_cast<ActionSet>(Action::subscribe) | static_cast<ActionSet>(Action::receive));

}  // namespace

std::string call_topic(std::string_view service, std::string_view method) {
  return join({"$svc/call/", service, "/", method});
}

std::string node_call_topic(std::string_view node, std::string_view service,
                            std::string_view method) {
  return join({"$svc/node/", node, "/call/", service, "/", method});
}

std::string node_reply_prefix(std::string_view node) {
  return join({"$svc/reply/", node, "/"});
}

std::string announce_topic(std::string_view node, std::string_view service) {
  return join({"$svc/announce/", node, "/", service});
}

std::string registry_topic(std::string_view service) {
  return join({"$svc/registry/", service});
}

std::vector<Rule> compile_service_grants(const std::vector<CallGrant>& calls,
                                         const std::vector<ServeGrant>& serves) {
  std::vector<Rule> rules;
  rules.reserve(calls.size() * 2 + serves.size() * 3);
  for (const auto& grant : calls) {
    if (!is_valid_call_grant(grant)) continue;
    const std::string method = grant.method.empty() ? std::string("*") : grant.method;
    const std::string origin =
        join({"call grant ", std::to_string(grant.id), ": ", subject_word(grant.subject), " ",
              grant.subject_value, " may call ", grant.service, ".", method});
    // Every method: `+` is one level, so S/+ covers S/M for any M and nothing deeper.
    const std::string_view topic_method =
        grant.method.empty() ? std::string_view("+") : std::string_view(grant.method);
    rules.push_back(service_rule(grant.id, grant.subject, grant.subject_value, kPublish,
                                 call_topic(grant.service, topic_method), origin));
    rules.push_back(service_rule(grant.id, grant.subject, grant.subject_value, kSubscribeReceive,
                                 registry_topic(grant.service), origin));
  }
  for (const auto& grant : serves) {
    if (!is_valid_serve_grant(grant)) continue;
    const std::string origin = join({"serve grant ", std::to_string(grant.id), ": node ",
                                     grant.node, " may serve ", grant.service});
    // The node is a principal: its certificate identity or user name.
    rules.push_back(service_rule(grant.id, Subject::user, grant.node, kPublish,
                                 announce_topic(grant.node, grant.service), origin));
    rules.push_back(service_rule(grant.id, Subject::user, grant.node, kSubscribeReceive,
                                 join({"$svc/node/", grant.node, "/call/", grant.service, "/#"}),
                                 origin));
    rules.push_back(service_rule(grant.id, Subject::user, grant.node, kPublish,
                                 node_reply_prefix(grant.node) + "#", origin));
  }
  return rules;
}

}  // namespace arkmq::acl

// `arkmqctl acl ...`: add, list, remove topic rules, and check: the broker's decision for one
// request, explained (deciding rule, its service grant, substituted filter, other matches).
#include <algorithm>
#include <cstdint>
#include <memory>

#include "acl/authority.hpp"
#include "tools/arkmqctl/checks.hpp"
#include "tools/arkmqctl/commands.hpp"
#include "tools/arkmqctl/context.hpp"
#include "tools/arkmqctl/output.hpp"

namespace arkmq::ctl {

namespace {

int count(const CLI::Option* option) { return option->count() > 0 ? 1 : 0; }

void add_acl_add(CLI::App* group, Context& ctx) {
  struct State {
    bool flag = false;  // target of every flag; presence is read from the options
    std::string topic;
    std::string user;
    std::string role;
    std::string client;
    std::int32_t priority = 0;
  };
  auto s = std::make_shared<State>();
  auto* command = group->add_subcommand(
      "add", "Add a topic rule; prints its id. One of --allow/--deny, at least one action, "
             "--topic, one subject");
  auto* allow = command->add_flag("--allow", s->flag, "The rule allows the request");
  auto* deny = command->add_flag("--deny", s->flag, "The rule denies the request");
  auto* publish = command->add_flag("--publish", s->flag, "Applies to publishing");
  auto* subscribe = command->add_flag("--subscribe", s->flag, "Applies to subscribing");
  auto* receive = command->add_flag("--receive", s->flag, "Applies to receiving (delivery)");
  auto* all = command->add_flag("--all", s->flag, "Applies to publish, subscribe and receive");
  command
      ->add_option("--topic", s->topic,
                   "Topic filter (+ and #; %u, %c, %r as whole levels: user, client id, role)")
      ->required();
  auto* user = command->add_option("--user", s->user, "Subject: this user");
  auto* role = command->add_option("--role", s->role, "Subject: users holding this role");
  auto* client = command->add_option(
      "--client", s->client, "Subject: client ids matching this glob (* any run, %u user name)");
  auto* anyone = command->add_flag("--anyone", s->flag, "Subject: every authenticated client");
  auto* anonymous = command->add_flag("--anonymous", s->flag, "Subject: anonymous clients");
  command->add_option("--priority", s->priority,
                      "Higher wins; at equal priority deny wins over allow (default 0)");
  ctx.on_run(command, [=, &ctx]() -> Outcome {
    if (count(allow) + count(deny) != 1) return usage_error("choose one of --allow, --deny");
    acl::ActionSet actions = 0;
    if (count(publish) != 0) actions |= static_cast<acl::ActionSet>(acl::Action::publish);
    if (count(subscribe) != 0) actions |= static_cast<acl::ActionSet>(acl::Action::subscribe);
    if (count(receive) != 0) actions |= static_cast<acl::ActionSet>(acl::Action::receive);
    if (count(all) != 0) actions = acl::kAllActions;
    if (actions == 0) {
      return usage_error("choose at least one of --publish, --subscribe, --receive, --all");
    }
    if (count(user) + count(role) + count(client) + count(anyone) + count(anonymous) != 1) {
      return usage_error("choose one of --user, --role, --client, --anyone, --anonymous");
    }
    acl::Rule rule;
    rule.effect = count(allow) != 0 ? acl::Effect::allow : acl::Effect::deny;
    rule.actions = actions;
    rule.topic = s->topic;
    rule.priority = s->priority;
    if (count(user) != 0) {
      rule.subject = acl::Subject::user;
      rule.subject_value = s->user;
      if (auto ok = check_name("user", s->user); !ok) return ok;
    } else if (count(role) != 0) {
      rule.subject = acl::Subject::role;
      rule.subject_value = s->role;
      if (auto ok = check_name("role", s->role); !ok) return ok;
    } else if (count(client) != 0) {
      rule.subject = acl::Subject::client;
      rule.subject_value = s->client;
      if (auto ok = check_pattern("client-id pattern", s->client); !ok) return ok;
    } else {
      rule.subject = count(anyone) != 0 ? acl::Subject::anyone : acl::Subject::anonymous;
    }
    if (auto ok = check_rule_filter(rule.topic); !ok) return ok;
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    auto id = (*store)->add_rule(rule, ctx.change("acl add"));
    if (!id) return store_error(id.error());
    rule.id = *id;
    ctx.emit(std::to_string(rule.id), rule_json(rule));
    return {};
  });
}

void add_acl_list(CLI::App* group, Context& ctx) {
  auto* command = group->add_subcommand(
      "list", "List the stored topic rules by id (compiled service rules: `service list`)");
  ctx.on_run(command, [&ctx]() -> Outcome {
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    auto data = (*store)->load();
    if (!data) return store_error(data.error());
    auto rules = data->rules;
    std::sort(rules.begin(), rules.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    nlohmann::json list = nlohmann::json::array();
    for (const auto& rule : rules) {
      list.push_back(rule_json(rule));
    }
    ctx.emit(rule_table(rules, false).str(), {{"rules", list}});
    return {};
  });
}

void add_acl_remove(CLI::App* group, Context& ctx) {
  auto id = std::make_shared<std::int64_t>(0);
  auto* command = group->add_subcommand("remove", "Remove the topic rule with this id");
  command->add_option("id", *id, "Rule id (see `acl list`)")->required();
  ctx.on_run(command, [&ctx, id]() -> Outcome {
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    if (auto removed = (*store)->remove_rule(*id, ctx.change("acl remove")); !removed) {
      return store_error(removed.error());
    }
    ctx.emit("rule " + std::to_string(*id) + " removed", {{"removed", "rule"}, {"id", *id}});
    return {};
  });
}

std::string explanation_text(const acl::Explanation& result) {
  std::string text;
  const auto line = [&text](const std::string& label, const std::string& value) {
    text += label;
    text.append(label.size() < 10 ? 10 - label.size() : 1, ' ');
    text += value + '\n';
  };
  line("decision:", std::string(effect_name(result.effect)));
  line("reason:", result.why);
  if (result.rule) {
    line("rule:", rule_line(*result.rule));
    line("origin:", result.rule->origin.empty() ? std::string("stored rule") : result.rule->origin);
    line("filter:", result.substituted_topic.empty() ? result.rule->topic
                                                     : result.substituted_topic);
  } else {
    line("rule:", "none (built-in or default decision)");
  }
  if (result.also_matched.empty()) {
    line("also:", "no other rule matched");
  } else {
    text += "also matched:\n" + rule_table(result.also_matched, true).str();
  }
  return text;
}

void add_acl_check(CLI::App* group, Context& ctx) {
  struct State {
    bool flag = false;
    std::string user;
    std::string client;
    std::string topic;
    std::string acl_default = "deny";
  };
  auto s = std::make_shared<State>();
  auto* command = group->add_subcommand(
      "check", "Explain the broker's decision for one request (exit 0 for allow and deny)");
  auto* user = command->add_option("--user", s->user, "The principal: a user or certificate name");
  auto* anonymous = command->add_flag("--anonymous", s->flag, "The principal: an anonymous client");
  auto* client = command->add_option("--client", s->client,
                                     "Client id of the request (default: the user name)");
  auto* publish = command->add_flag("--publish", s->flag, "Check publishing to TOPIC");
  auto* subscribe = command->add_flag("--subscribe", s->flag, "Check subscribing to filter TOPIC");
  auto* receive = command->add_flag("--receive", s->flag, "Check receiving a message on TOPIC");
  command->add_option("topic", s->topic, "Topic name (a filter with --subscribe)")->required();
  command
      ->add_option("--acl-default", s->acl_default,
                   "Decision when no rule matches; must match the broker's (default deny)")
      ->check(CLI::IsMember({"allow", "deny"}));
  ctx.on_run(command, [=, &ctx]() -> Outcome {
    if (count(user) + count(anonymous) != 1) return usage_error("choose one of --user, --anonymous");
    if (count(publish) + count(subscribe) + count(receive) != 1) {
      return usage_error("choose one of --publish, --subscribe, --receive");
    }
    const acl::Action action = count(publish) != 0     ? acl::Action::publish
                               : count(subscribe) != 0 ? acl::Action::subscribe
                                                       : acl::Action::receive;
    const bool is_anonymous = count(anonymous) != 0;
    if (!is_anonymous) {
      if (auto ok = check_pattern("user", s->user); !ok) return ok;
    }
    if (auto ok = check_request_topic(action, s->topic); !ok) return ok;
    const std::string client_id = count(client) != 0 ? s->client : s->user;
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    auto data = (*store)->load();
    if (!data) return store_error(data.error());
    acl::AuthoritySettings settings;
    settings.default_effect = s->acl_default == "allow" ? acl::Effect::allow : acl::Effect::deny;
    acl::Authority authority(settings);
    if (auto updated = authority.update(*data); !updated) {
      return operation_error("the stored rules do not compile: " + updated.error());
    }
    const bool known = std::any_of(data->users.begin(), data->users.end(),
                                   [&](const auto& record) { return record.name == s->user; });
    if (!is_anonymous && !known) {
      ctx.warn("no user '" + s->user + "' in the store; checked as a principal without roles");
    }
    const auto result = authority.explain(is_anonymous ? "" : s->user, is_anonymous, client_id,
                                          action, s->topic);
    nlohmann::json also = nlohmann::json::array();
    for (const auto& rule : result.also_matched) {
      also.push_back(rule_json(rule));
    }
    nlohmann::json json_value{
        {"decision", effect_name(result.effect)},
        {"reason", result.why},
        {"rule", result.rule ? rule_json(*result.rule) : nlohmann::json(nullptr)},
        {"origin", result.rule && !result.rule->origin.empty() ? nlohmann::json(result.rule->origin)
                                                               : nlohmann::json(nullptr)},
        {"substituted_topic", result.substituted_topic},
        {"also_matched", also},
        {"request",
         {{"user", is_anonymous ? nlohmann::json(nullptr) : nlohmann::json(s->user)},
          {"anonymous", is_anonymous},
          {"client_id", client_id},
          {"action", action_name(action)},
          {"topic", s->topic},
          {"acl_default", s->acl_default}}}};
    ctx.emit(explanation_text(result), json_value);
    return {};
  });
}

}  // namespace

void add_acl_commands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("acl", "Topic rules: add, list, remove, check");
  group->require_subcommand(1);
  add_acl_add(group, ctx);
  add_acl_list(group, ctx);
  add_acl_remove(group, ctx);
  add_acl_check(group, ctx);
}

}  // namespace arkmq::ctl

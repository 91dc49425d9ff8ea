// `arkmqctl quota ...`: set, unset, show, list. Flow-control limits as defaults, per role and per
// user (acl/quota.hpp); `show` resolves them as the broker does and names each value's source.
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>

#include "acl/quota.hpp"
#include "tools/arkmqctl/checks.hpp"
#include "tools/arkmqctl/commands.hpp"
#include "tools/arkmqctl/context.hpp"
#include "tools/arkmqctl/output.hpp"

namespace arkmq::ctl {

namespace {

// Which level a command is about: --default, --role R or --user U (exactly one).
struct ScopeOptions {
  bool is_default = false;
  std::string role;
  std::string user;
  CLI::Option* default_option = nullptr;
  CLI::Option* role_option = nullptr;
  CLI::Option* user_option = nullptr;
};

struct Scope {
  acl::QuotaScope scope = acl::QuotaScope::default_scope;
  std::string name;
};

void add_scope_options(CLI::App* command, ScopeOptions& o, std::string_view verb) {
  o.default_option = command->add_flag("--default", o.is_default,
                                       std::string(verb) + " the defaults (every principal)");
  o.role_option = command->add_option("--role", o.role, std::string(verb) + " a role's limits");
  o.user_option = command->add_option(
      "--user", o.user,
      std::string(verb) + " a user's limits (any principal name, e.g. a certificate identity)");
}

tl::expected<Scope, Failure> scope_of(const ScopeOptions& o) {
  const int chosen = static_cast<int>(o.default_option->count() > 0) +
                     static_cast<int>(o.role_option->count() > 0) +
                     static_cast<int>(o.user_option->count() > 0);
  if (chosen != 1) return usage_error("choose one of --default, --role, --user");
  if (o.role_option->count() > 0) {
    if (auto ok = check_name("role", o.role); !ok) return tl::unexpected(ok.error());
    return Scope{acl::QuotaScope::role, o.role};
  }
  if (o.user_option->count() > 0) {
    if (auto ok = check_name("user", o.user); !ok) return tl::unexpected(ok.error());
    return Scope{acl::QuotaScope::user, o.user};
  }
  return Scope{};
}

std::string option_name(acl::QuotaField field) {
  return std::string(acl::quota_field_info(field).option);
}

std::string value_text(std::uint64_t value) {
  return value == 0 ? std::string("unlimited") : std::to_string(value);
}

// "msgs-per-s=100 burst=200" in field order; "-" when nothing is set.
std::string limits_text(const acl::QuotaLimits& limits) {
  std::vector<std::string> parts;
  for (const acl::QuotaFieldInfo& info : acl::quota_fields()) {
    if (const auto& value = limits[info.field]) {
      parts.push_back(std::string(info.option) + "=" + value_text(*value));
    }
  }
  return parts.empty() ? std::string("-") : join(parts, " ");
}

nlohmann::json limits_json(const acl::QuotaLimits& limits) {
  nlohmann::json out = nlohmann::json::object();
  for (const acl::QuotaFieldInfo& info : acl::quota_fields()) {
    if (const auto& value = limits[info.field]) out[std::string(info.key)] = *value;
  }
  return out;
}

nlohmann::json setting_json(acl::QuotaScope scope, const std::string& name) {
  return {{"scope", acl::quota_scope_name(scope)}, {"name", name}};
}

void add_quota_set(CLI::App* group, Context& ctx) {
  struct Options {
    ScopeOptions scope;
    std::array<std::uint64_t, acl::kQuotaFieldCount> values{};
    std::array<CLI::Option*, acl::kQuotaFieldCount> options{};
  };
  auto o = std::make_shared<Options>();
  auto* command = group->add_subcommand(
      "set", "Set limits of the defaults, a role or a user (0 = unlimited; other limits stay)");
  add_scope_options(command, o->scope, "Set");
  for (const acl::QuotaFieldInfo& info : acl::quota_fields()) {
    const auto i = static_cast<std::size_t>(info.field);
    o->options[i] = command->add_option("--" + std::string(info.option), o->values[i],
                                        std::string(info.help));
  }
  ctx.on_run(command, [&ctx, o]() -> Outcome {
    auto scope = scope_of(o->scope);
    if (!scope) return tl::unexpected(scope.error());
    acl::QuotaSetting setting{scope->scope, scope->name, {}};
    for (const acl::QuotaFieldInfo& info : acl::quota_fields()) {
      const auto i = static_cast<std::size_t>(info.field);
      if (o->options[i]->count() == 0) continue;
      if (auto why = acl::check_quota_value(info.field, o->values[i]); !why.empty()) {
        return usage_error(why);
      }
      setting.limits[info.field] = o->values[i];
    }
    if (setting.limits.empty()) return usage_error("give at least one limit to set (see --help)");
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    auto merged = (*store)->set_quota(setting, ctx.change("quota set"));
    if (!merged) return store_error(merged.error());
    nlohmann::json json = setting_json(merged->scope, merged->name);
    json["limits"] = limits_json(merged->limits);
    ctx.emit("limits of " + acl::quota_setting_label(merged->scope, merged->name) + ": " +
                 limits_text(merged->limits),
             json);
    return {};
  });
}

void add_quota_unset(CLI::App* group, Context& ctx) {
  struct Options {
    ScopeOptions scope;
    bool all = false;
    CLI::Option* all_option = nullptr;
    std::array<bool, acl::kQuotaFieldCount> flags{};
    std::array<CLI::Option*, acl::kQuotaFieldCount> options{};
  };
  auto o = std::make_shared<Options>();
  auto* command = group->add_subcommand(
      "unset", "Remove limits of the defaults, a role or a user (a less specific level applies)");
  add_scope_options(command, o->scope, "Unset");
  for (const acl::QuotaFieldInfo& info : acl::quota_fields()) {
    const auto i = static_cast<std::size_t>(info.field);
    o->options[i] =
        command->add_flag("--" + std::string(info.option), o->flags[i], std::string(info.help));
  }
  o->all_option = command->add_flag("--all", o->all, "Every limit of that level");
  ctx.on_run(command, [&ctx, o]() -> Outcome {
    auto scope = scope_of(o->scope);
    if (!scope) return tl::unexpected(scope.error());
    std::vector<acl::QuotaField> fields;
    for (const acl::QuotaFieldInfo& info : acl::quota_fields()) {
      if (o->options[static_cast<std::size_t>(info.field)]->count() > 0) {
        fields.push_back(info.field);
      }
    }
    const bool all = o->all_option->count() > 0;
    if (fields.empty() == !all) return usage_error("choose limits to unset, or --all");
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    auto removed = (*store)->unset_quota(scope->scope, scope->name, fields,
                                         ctx.change("quota unset"));
    if (!removed) return store_error(removed.error());
    nlohmann::json json = setting_json(scope->scope, scope->name);
    json["removed"] = limits_json(*removed);
    ctx.emit("removed from " + acl::quota_setting_label(scope->scope, scope->name) + ": " +
                 limits_text(*removed),
             json);
    return {};
  });
}

void add_quota_show(CLI::App* group, Context& ctx) {
  auto o = std::make_shared<ScopeOptions>();
  auto* command = group->add_subcommand(
      "show", "The effective limits of a user, a role or the defaults, and where each comes from");
  add_scope_options(command, *o, "Show");
  ctx.on_run(command, [&ctx, o]() -> Outcome {
    auto scope = scope_of(*o);
    if (!scope) return tl::unexpected(scope.error());
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    auto data = (*store)->load();
    if (!data) return store_error(data.error());
    std::string user;
    std::vector<std::string> roles;
    switch (scope->scope) {
      case acl::QuotaScope::default_scope: break;
      case acl::QuotaScope::role:
        if (std::find(data->roles.begin(), data->roles.end(), scope->name) == data->roles.end()) {
          return operation_error("no role '" + scope->name + "'");
        }
        roles = {scope->name};
        break;
      case acl::QuotaScope::user: {
        user = scope->name;
        const auto it = std::find_if(data->users.begin(), data->users.end(),
                                     [&user](const acl::UserRecord& u) { return u.name == user; });
        if (it == data->users.end()) {
          ctx.warn("no user '" + user + "' in the store; shown as a principal without roles");
        } else {
          roles = it->roles;
        }
        break;
      }
    }
    const acl::EffectiveQuota quota = acl::resolve_quota(data->quotas, user, roles);
    std::string title = "limits of " + acl::quota_setting_label(scope->scope, scope->name);
    if (scope->scope == acl::QuotaScope::user) {
      title += " (roles: " + (roles.empty() ? std::string("-") : join(roles, ",")) + ")";
    }
    Table table({"LIMIT", "VALUE", "SOURCE"});
    nlohmann::json limits = nlohmann::json::object();
    for (const acl::QuotaFieldInfo& info : acl::quota_fields()) {
      const acl::EffectiveLimit& limit = quota[info.field];
      table.add({option_name(info.field), value_text(limit.value), limit.source});
      limits[std::string(info.key)] = {
          {"value", limit.is_unlimited() ? nlohmann::json(nullptr) : nlohmann::json(limit.value)},
          {"source", limit.source}};
    }
    nlohmann::json json = setting_json(scope->scope, scope->name);
    if (scope->scope == acl::QuotaScope::user) json["roles"] = roles;
    json["limits"] = std::move(limits);
    ctx.emit(title + "\n" + table.str(), json);
    return {};
  });
}

void add_quota_list(CLI::App* group, Context& ctx) {
  auto* command = group->add_subcommand("list", "Every stored quota setting");
  ctx.on_run(command, [&ctx]() -> Outcome {
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    auto data = (*store)->load();
    if (!data) return store_error(data.error());
    Table table({"LEVEL", "LIMITS"});
    nlohmann::json list = nlohmann::json::array();
    for (const acl::QuotaSetting& setting : data->quotas) {
      table.add({acl::quota_setting_label(setting.scope, setting.name),
                 limits_text(setting.limits)});
      nlohmann::json item = setting_json(setting.scope, setting.name);
      item["limits"] = limits_json(setting.limits);
      list.push_back(std::move(item));
    }
    ctx.emit(table.str(), {{"quotas", list}});
    return {};
  });
}

}  // namespace

void add_quota_commands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("quota", "Flow-control limits: set, unset, show, list");
  group->require_subcommand(1);
  add_quota_set(group, ctx);
  add_quota_unset(group, ctx);
  add_quota_show(group, ctx);
  add_quota_list(group, ctx);
}

}  // namespace arkmq::ctl

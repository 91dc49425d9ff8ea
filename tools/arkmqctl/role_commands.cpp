// `arkmqctl role ...`: add, remove, list. Rules and call grants name roles; users hold them.
#include <algorithm>
#include <map>
#include <memory>

#include "tools/arkmqctl/checks.hpp"
#include "tools/arkmqctl/commands.hpp"
#include "tools/arkmqctl/context.hpp"
#include "tools/arkmqctl/output.hpp"

namespace arkmq::ctl {

namespace {

void add_role_add(CLI::App* group, Context& ctx) {
  auto name = std::make_shared<std::string>();
  auto* command = group->add_subcommand("add", "Add a role");
  command->add_option("name", *name, "Role name")->required();
  ctx.on_run(command, [&ctx, name]() -> Outcome {
    if (auto ok = check_name("role", *name); !ok) return ok;
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    if (auto added = (*store)->add_role(*name, ctx.change("role add")); !added) {
      return store_error(added.error());
    }
    ctx.emit("role " + *name + " added", {{"name", *name}});
    return {};
  });
}

void add_role_remove(CLI::App* group, Context& ctx) {
  auto name = std::make_shared<std::string>();
  auto* command = group->add_subcommand("remove", "Remove a role (also from every user)");
  command->add_option("name", *name, "Role name")->required();
  ctx.on_run(command, [&ctx, name]() -> Outcome {
    if (auto ok = check_name("role", *name); !ok) return ok;
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    if (auto removed = (*store)->remove_role(*name, ctx.change("role remove")); !removed) {
      return store_error(removed.error());
    }
    ctx.emit("role " + *name + " removed", {{"removed", "role"}, {"name", *name}});
    return {};
  });
}

void add_role_list(CLI::App* group, Context& ctx) {
  auto* command = group->add_subcommand("list", "List roles and the users holding each");
  ctx.on_run(command, [&ctx]() -> Outcome {
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    auto data = (*store)->load();
    if (!data) return store_error(data.error());
    std::map<std::string, std::vector<std::string>> members;  // sorted by role name
    for (const auto& role : data->roles) {
      members[role];
    }
    for (const auto& user : data->users) {
      for (const auto& role : user.roles) {
        members[role].push_back(user.name);
      }
    }
    Table table({"NAME", "USERS"});
    nlohmann::json list = nlohmann::json::array();
    for (auto& [role, users] : members) {
      std::sort(users.begin(), users.end());
      users.erase(std::unique(users.begin(), users.end()), users.end());
      table.add({role, users.empty() ? std::string("-") : join(users, ",")});
      list.push_back({{"name", role}, {"users", users}});
    }
    ctx.emit(table.str(), {{"roles", list}});
    return {};
  });
}

}  // namespace

void add_role_commands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("role", "Roles: add, remove, list");
  group->require_subcommand(1);
  add_role_add(group, ctx);
  add_role_remove(group, ctx);
  add_role_list(group, ctx);
}

}  // namespace arkmq::ctl

// `arkmqctl user ...`: add, remove, list, passwd, roles. Passwords are read, hashed and
// forgotten here; neither a password nor a hash is ever printed.
#include <algorithm>
#include <cstdint>
#include <iostream>
#include <limits>
#include <memory>

#include "acl/password_hash.hpp"
#include "tools/arkmqctl/checks.hpp"
#include "tools/arkmqctl/commands.hpp"
#include "tools/arkmqctl/context.hpp"
#include "tools/arkmqctl/output.hpp"
#include "tools/arkmqctl/password_input.hpp"

namespace arkmq::ctl {

namespace {

struct PasswordOptions {
  CLI::Option* from_stdin = nullptr;
  CLI::Option* value_option = nullptr;
  CLI::Option* cert_only = nullptr;  // null when the command has no --cert-only
  bool stdin_flag = false;
  bool cert_only_flag = false;
  std::string value;
  std::uint32_t iterations = acl::kDefaultIterations;
};

void add_password_options(CLI::App* command, PasswordOptions& options, bool with_cert_only) {
  options.from_stdin = command->add_flag(
      "--password-stdin", options.stdin_flag,
      "Read the password from the first line of standard input (prompts without echo on a tty)");
  options.value_option = command->add_option(
      "--password", options.value,
      "The password (visible to other local users in the process list; prefer --password-stdin)");
  if (with_cert_only) {
    options.cert_only = command->add_flag(
        "--cert-only", options.cert_only_flag,
        "No password: the user logs in with a client certificate whose identity is NAME");
  }
  // Hidden (empty group): lets tests hash quickly. Never below what verification accepts.
  command->add_option("--hash-iterations", options.iterations, "")
      ->group("")
      ->check(CLI::Range(acl::kMinIterations, std::numeric_limits<std::uint32_t>::max()));
}

// The hash of the chosen password, "" for --cert-only, or a usage failure.
tl::expected<std::string, Failure> password_hash(const Context& ctx, const PasswordOptions& options) {
  const bool by_stdin = options.from_stdin->count() > 0;
  const bool by_value = options.value_option->count() > 0;
  const bool cert_only = options.cert_only != nullptr && options.cert_only->count() > 0;
  if (static_cast<int>(by_stdin) + static_cast<int>(by_value) + static_cast<int>(cert_only) != 1) {
    return usage_error(options.cert_only != nullptr
                           ? "choose one of --password-stdin, --password, --cert-only"
                           : "choose one of --password-stdin, --password");
  }
  if (cert_only) {
    return std::string();
  }
  std::string password;
  if (by_value) {
    ctx.warn("--password is visible to other local users (process list, shell history); "
             "prefer --password-stdin");
    password = options.value;
  } else {
    password = read_password_line();
  }
  if (password.empty()) {
    return usage_error("empty password refused");
  }
  return acl::hash_password(password, options.iterations);
}

Outcome check_roles(const std::vector<std::string>& roles) {
  for (const auto& role : roles) {
    if (auto ok = check_name("role", role); !ok) {
      return ok;
    }
  }
  return {};
}

std::vector<std::string> unique_sorted(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string roles_text(const std::vector<std::string>& roles) {
  return roles.empty() ? std::string("-") : join(roles, ",");
}

void add_user_add(CLI::App* group, Context& ctx) {
  struct State {
    std::string name;
    std::vector<std::string> roles;
    std::string client_id;
    PasswordOptions password;
  };
  auto state = std::make_shared<State>();
  auto* command = group->add_subcommand(
      "add", "Add a user; exactly one of --password-stdin, --password, --cert-only");
  command->add_option("name", state->name, "User name (MQTT username or certificate identity)")
      ->required();
  command->add_option("--role", state->roles, "A role of the user (repeat for several)")
      ->allow_extra_args(false);
  add_password_options(command, state->password, true);
  auto* client_id = command->add_option(
      "--client-id", state->client_id,
      "Client ids this user may connect with: a glob with * and %u (default: the broker-wide "
      "pattern)");
  ctx.on_run(command, [&ctx, state, client_id]() -> Outcome {
    if (auto ok = check_name("user", state->name); !ok) return ok;
    if (auto ok = check_roles(state->roles); !ok) return ok;
    if (client_id->count() > 0) {
      if (auto ok = check_pattern("client-id pattern", state->client_id); !ok) return ok;
    }
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    auto hash = password_hash(ctx, state->password);
    if (!hash) return tl::unexpected(hash.error());
    acl::UserRecord user;
    user.name = state->name;
    user.password_hash = std::move(*hash);
    user.roles = unique_sorted(state->roles);
    user.client_id_pattern = state->client_id;
    if (auto added = (*store)->add_user(user, ctx.change("user add")); !added) {
      return store_error(added.error());
    }
    ctx.emit("user " + user.name + " added (" + std::string(auth_text(user)) +
                 ", roles: " + roles_text(user.roles) + ")",
             user_json(user));
    return {};
  });
}

void add_user_remove(CLI::App* group, Context& ctx) {
  auto name = std::make_shared<std::string>();
  auto* command = group->add_subcommand(
      "remove", "Remove a user (the broker disconnects its clients when it reloads)");
  command->add_option("name", *name, "User name")->required();
  ctx.on_run(command, [&ctx, name]() -> Outcome {
    if (auto ok = check_name("user", *name); !ok) return ok;
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    if (auto removed = (*store)->remove_user(*name, ctx.change("user remove")); !removed) {
      return store_error(removed.error());
    }
    ctx.emit("user " + *name + " removed", {{"removed", "user"}, {"name", *name}});
    return {};
  });
}

void add_user_list(CLI::App* group, Context& ctx) {
  auto* command = group->add_subcommand(
      "list", "List users: name, password or certificate only, roles, client-id pattern");
  ctx.on_run(command, [&ctx]() -> Outcome {
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    auto data = (*store)->load();
    if (!data) return store_error(data.error());
    auto users = data->users;
    std::sort(users.begin(), users.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    Table table({"NAME", "AUTH", "ROLES", "CLIENT-ID"});
    nlohmann::json list = nlohmann::json::array();
    for (auto& user : users) {
      user.roles = unique_sorted(user.roles);
      table.add({user.name, std::string(auth_text(user)), roles_text(user.roles),
                 user.client_id_pattern.empty() ? "-" : user.client_id_pattern});
      list.push_back(user_json(user));
    }
    ctx.emit(table.str(), {{"users", list}});
    return {};
  });
}

void add_user_passwd(CLI::App* group, Context& ctx) {
  struct State {
    std::string name;
    PasswordOptions password;
  };
  auto state = std::make_shared<State>();
  auto* command = group->add_subcommand(
      "passwd", "Set a user's password; exactly one of --password-stdin, --password");
  command->add_option("name", state->name, "User name")->required();
  add_password_options(command, state->password, false);
  ctx.on_run(command, [&ctx, state]() -> Outcome {
    if (auto ok = check_name("user", state->name); !ok) return ok;
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    auto hash = password_hash(ctx, state->password);
    if (!hash) return tl::unexpected(hash.error());
    if (auto set = (*store)->set_password_hash(state->name, *hash, ctx.change("user passwd"));
        !set) {
      return store_error(set.error());
    }
    ctx.emit("password of user " + state->name + " changed",
             {{"changed", "password"}, {"name", state->name}});
    return {};
  });
}

void add_user_roles(CLI::App* group, Context& ctx) {
  struct State {
    std::string name;
    std::vector<std::string> roles;
  };
  auto state = std::make_shared<State>();
  auto* command = group->add_subcommand(
      "roles", "Replace a user's roles with the --role options given (none: no roles)");
  command->add_option("name", state->name, "User name")->required();
  command->add_option("--role", state->roles, "A role of the user (repeat for several)")
      ->allow_extra_args(false);
  ctx.on_run(command, [&ctx, state]() -> Outcome {
    if (auto ok = check_name("user", state->name); !ok) return ok;
    if (auto ok = check_roles(state->roles); !ok) return ok;
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    const auto roles = unique_sorted(state->roles);
    if (auto set = (*store)->set_user_roles(state->name, roles, ctx.change("user roles")); !set) {
      return store_error(set.error());
    }
    ctx.emit("roles of user " + state->name + ": " + roles_text(roles),
             {{"name", state->name}, {"roles", roles}});
    return {};
  });
}

}  // namespace

void add_user_commands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("user", "Users: add, remove, list, passwd, roles");
  group->require_subcommand(1);
  add_user_add(group, ctx);
  add_user_remove(group, ctx);
  add_user_list(group, ctx);
  add_user_passwd(group, ctx);
  add_user_roles(group, ctx);
}

}  // namespace arkmq::ctl

// `arkmqctl service ...`: grant, revoke, list. Call grants (role/user may call service S,
// method M) and serve grants (node N may serve S); the broker compiles both into $svc/ rules.
#include <algorithm>
#include <memory>

#include "acl/service_topics.hpp"
#include "tools/arkmqctl/checks.hpp"
#include "tools/arkmqctl/commands.hpp"
#include "tools/arkmqctl/context.hpp"
#include "tools/arkmqctl/output.hpp"

namespace arkmq::ctl {

namespace {

// The options of grant and revoke: one grant, described the same way for both.
struct GrantOptions {
  std::string role;
  std::string user;
  std::string node;
  std::string service;
  std::string method;
  CLI::Option* role_option = nullptr;
  CLI::Option* user_option = nullptr;
  CLI::Option* node_option = nullptr;
  CLI::Option* method_option = nullptr;
};

// Either a call grant or a serve grant, after the checks.
struct GrantRequest {
  bool serve = false;
  acl::CallGrant call;
  acl::ServeGrant node;
};

void add_grant_options(CLI::App* command, GrantOptions& o) {
  o.role_option = command->add_option("--role", o.role, "Call permission for users with this role");
  o.user_option = command->add_option("--user", o.user, "Call permission for this user");
  o.node_option = command->add_option(
      "--node", o.node, "Serve permission for this node (its certificate identity or user name)");
  command->add_option("--service", o.service, "Service name")->required();
  o.method_option = command->add_option(
      "--method", o.method, "Method name (call permissions only; default: every method)");
}

tl::expected<GrantRequest, Failure> grant_request(const GrantOptions& o) {
  const int subjects = static_cast<int>(o.role_option->count() > 0) +
                       static_cast<int>(o.user_option->count() > 0) +
                       static_cast<int>(o.node_option->count() > 0);
  if (subjects != 1) return usage_error("choose one of --role, --user, --node");
  if (auto ok = check_name("service", o.service); !ok) return tl::unexpected(ok.error());
  GrantRequest request;
  if (o.node_option->count() > 0) {
    if (o.method_option->count() > 0) {
      return usage_error("--method applies to call permissions (--role, --user), not --node");
    }
    if (auto ok = check_name("node", o.node); !ok) return tl::unexpected(ok.error());
    request.serve = true;
    request.node.node = o.node;
    request.node.service = o.service;
    return request;
  }
  const bool by_role = o.role_option->count() > 0;
  request.call.subject = by_role ? acl::Subject::role : acl::Subject::user;
  request.call.subject_value = by_role ? o.role : o.user;
  if (auto ok = check_name(by_role ? "role" : "user", request.call.subject_value); !ok) {
    return tl::unexpected(ok.error());
  }
  if (o.method_option->count() > 0) {
    if (auto ok = check_name("method", o.method); !ok) return tl::unexpected(ok.error());
    request.call.method = o.method;
  }
  request.call.service = o.service;
  return request;
}

std::string call_text(const acl::CallGrant& grant) {
  return subject_text(grant.subject, grant.subject_value) + " may call " + grant.service + " (" +
         method_text(grant.method) + ")";
}

std::string serve_text(const acl::ServeGrant& grant) {
  return "node " + grant.node + " may serve " + grant.service;
}

void add_service_grant(CLI::App* group, Context& ctx) {
  auto options = std::make_shared<GrantOptions>();
  auto* command = group->add_subcommand(
      "grant", "Grant call permission (--role/--user, optional --method) or serve permission "
               "(--node); prints the grant id");
  add_grant_options(command, *options);
  ctx.on_run(command, [&ctx, options]() -> Outcome {
    auto request = grant_request(*options);
    if (!request) return tl::unexpected(request.error());
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    if (request->serve) {
      auto id = (*store)->add_serve_grant(request->node, ctx.change("service grant"));
      if (!id) return store_error(id.error());
      request->node.id = *id;
      ctx.emit(std::to_string(*id), serve_grant_json(request->node));
    } else {
      auto id = (*store)->add_call_grant(request->call, ctx.change("service grant"));
      if (!id) return store_error(id.error());
      request->call.id = *id;
      ctx.emit(std::to_string(*id), call_grant_json(request->call));
    }
    return {};
  });
}

void add_service_revoke(CLI::App* group, Context& ctx) {
  auto options = std::make_shared<GrantOptions>();
  auto* command = group->add_subcommand(
      "revoke", "Remove the grant described exactly as it was granted (same options)");
  add_grant_options(command, *options);
  ctx.on_run(command, [&ctx, options]() -> Outcome {
    auto request = grant_request(*options);
    if (!request) return tl::unexpected(request.error());
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    auto data = (*store)->load();
    if (!data) return store_error(data.error());
    const auto change = ctx.change("service revoke");
    if (request->serve) {
      const auto& want = request->node;
      const auto found = std::find_if(
          data->serve_grants.begin(), data->serve_grants.end(),
          [&](const auto& g) { return g.node == want.node && g.service == want.service; });
      if (found == data->serve_grants.end()) {
        return operation_error("no serve grant: " + serve_text(want));
      }
      if (auto removed = (*store)->remove_serve_grant(found->id, change); !removed) {
        return store_error(removed.error());
      }
      ctx.emit("serve grant " + std::to_string(found->id) + " revoked: " + serve_text(*found),
               {{"revoked", serve_grant_json(*found)}});
      return {};
    }
    const auto& want = request->call;
    const auto found = std::find_if(
        data->call_grants.begin(), data->call_grants.end(), [&](const auto& g) {
          return g.subject == want.subject && g.subject_value == want.subject_value &&
                 g.service == want.service && g.method == want.method;
        });
    if (found == data->call_grants.end()) {
      return operation_error("no call grant: " + call_text(want));
    }
    if (auto removed = (*store)->remove_call_grant(found->id, change); !removed) {
      return store_error(removed.error());
    }
    ctx.emit("call grant " + std::to_string(found->id) + " revoked: " + call_text(*found),
             {{"revoked", call_grant_json(*found)}});
    return {};
  });
}

void add_service_list(CLI::App* group, Context& ctx) {
  auto* command = group->add_subcommand(
      "list", "List call and serve grants with their ids and the $svc/ rules compiled from them");
  ctx.on_run(command, [&ctx]() -> Outcome {
    auto store = ctx.store();
    if (!store) return tl::unexpected(store.error());
    auto data = (*store)->load();
    if (!data) return store_error(data.error());
    auto calls = data->call_grants;
    auto serves = data->serve_grants;
    const auto by_id = [](const auto& a, const auto& b) { return a.id < b.id; };
    std::sort(calls.begin(), calls.end(), by_id);
    std::sort(serves.begin(), serves.end(), by_id);
    const auto compiled = acl::compile_service_grants(calls, serves);

    Table call_table({"ID", "SUBJECT", "SERVICE", "METHOD"});
    nlohmann::json call_list = nlohmann::json::array();
    for (const auto& grant : calls) {
      call_table.add({std::to_string(grant.id), subject_text(grant.subject, grant.subject_value),
                      grant.service, grant.method.empty() ? std::string("*") : grant.method});
      call_list.push_back(call_grant_json(grant));
    }
    Table serve_table({"ID", "NODE", "SERVICE"});
    nlohmann::json serve_list = nlohmann::json::array();
    for (const auto& grant : serves) {
      serve_table.add({std::to_string(grant.id), grant.node, grant.service});
      serve_list.push_back(serve_grant_json(grant));
    }
    nlohmann::json rule_list = nlohmann::json::array();
    for (const auto& rule : compiled) {
      rule_list.push_back(rule_json(rule));
    }
    const std::string text = "call grants:\n" + call_table.str() + "\nserve grants:\n" +
                             serve_table.str() + "\ncompiled $svc rules:\n" +
                             rule_table(compiled, true).str();
    ctx.emit(text, {{"call_grants", call_list},
                    {"serve_grants", serve_list},
                    {"compiled_rules", rule_list}});
    return {};
  });
}

}  // namespace

void add_service_commands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("service", "Service permissions: grant, revoke, list");
  group->require_subcommand(1);
  add_service_grant(group, ctx);
  add_service_revoke(group, ctx);
  add_service_list(group, ctx);
}

}  // namespace arkmq::ctl

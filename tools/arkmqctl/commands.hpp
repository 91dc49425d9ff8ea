// arkmqctl's command groups. Each group is one source file with one function that adds its
// subcommand (and that subcommand's commands) to the top-level app; main calls them in order.
// A new group (audit, quota, ...) is one more file, one declaration here, one call in main.
#pragma once

#include <CLI/CLI.hpp>

#include "tools/arkmqctl/context.hpp"

namespace arkmq::ctl {

void add_user_commands(CLI::App& app, Context& ctx);     // user_commands.cpp
void add_role_commands(CLI::App& app, Context& ctx);     // role_commands.cpp
void add_acl_commands(CLI::App& app, Context& ctx);      // acl_commands.cpp
void add_acl_import_command(CLI::App& app, Context& ctx);  // acl_import_command.cpp (after acl)
void add_service_commands(CLI::App& app, Context& ctx);  // service_commands.cpp
void add_quota_commands(CLI::App& app, Context& ctx);    // quota_commands.cpp
void add_audit_commands(CLI::App& app, Context& ctx);    // audit_commands.cpp
void add_services_commands(CLI::App& app, Context& ctx);  // services_commands.cpp (MQTT)
void add_call_command(CLI::App& app, Context& ctx);       // call_command.cpp (MQTT)
void add_reload_command(CLI::App& app, Context& ctx);     // reload_command.cpp (SIGHUP)
void add_backup_command(CLI::App& app, Context& ctx);     // backup_command.cpp (online copy)

}  // namespace arkmq::ctl

// arkmqctl: the admin tool for arkmq's configuration store. Exit codes: 0 success, 1 the
// operation failed, 2 bad usage; failures print one "arkmqctl: ..." line on stderr.
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "tools/arkmqctl/commands.hpp"
#include "tools/arkmqctl/context.hpp"

int main(int argc, char** argv) {
  using arkmq::ctl::Context;
  Context ctx;
  CLI::App app{"arkmqctl: manage an arkmq broker's users, roles, topic rules and service grants",
               "arkmqctl"};
  app.fallthrough();  // global options may follow the command too; subcommands inherit this
  app.require_subcommand(1);
  ctx.data_dir = "/var/lib/arkmq";
  app.add_option("--data-dir", ctx.data_dir,
                 "Broker data directory holding arkmq.db (default: $ARKMQ_DATA_DIR, else "
                 "/var/lib/arkmq); created with mode 0700 when missing")
      ->envname("ARKMQ_DATA_DIR");
  app.add_flag("--json", ctx.json, "Print results as JSON");
  app.footer("Global options (before or after the command): --data-dir DIR, --json.\n"
             "`arkmqctl COMMAND --help` lists a command's options. "
             "Exit codes: 0 success, 1 failed, 2 bad usage.");

  // Command groups; a new group is one more file with one add_X_commands function.
  arkmq::ctl::add_user_commands(app, ctx);
  arkmq::ctl::add_role_commands(app, ctx);
  arkmq::ctl::add_acl_commands(app, ctx);
  arkmq::ctl::add_acl_import_command(app, ctx);
  arkmq::ctl::add_service_commands(app, ctx);
  arkmq::ctl::add_quota_commands(app, ctx);
  arkmq::ctl::add_audit_commands(app, ctx);
  arkmq::ctl::add_services_commands(app, ctx);
  arkmq::ctl::add_call_command(app, ctx);
  arkmq::ctl::add_reload_command(app, ctx);
  arkmq::ctl::add_backup_command(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "arkmqctl: " << e.what() << " (see --help)" << std::endl;
    return arkmq::ctl::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "arkmqctl: internal error: " << e.what() << std::endl;
    return arkmq::ctl::kExitFailed;
  }
  return ctx.finish();
}

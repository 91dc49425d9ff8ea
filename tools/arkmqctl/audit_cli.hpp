// What the `arkmqctl audit` commands share: the row filter options (--since, --until, --client,
// --user, --type, --topic, --outcome), opening the journal read-only, and the replay command's
// entry point (audit_replay_command.cpp). Main thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <tl/expected.hpp>

#include "storage/audit_reader.hpp"
#include "tools/arkmqctl/context.hpp"

namespace arkmq::ctl {

struct FilterOptions {
  std::string since;
  std::string until;
  std::string client;
  std::string user;
  std::vector<std::string> types;
  std::string topic;
  std::string outcome;
  std::size_t limit = 0;
  CLI::Option* since_option = nullptr;
  CLI::Option* until_option = nullptr;
  CLI::Option* client_option = nullptr;
  CLI::Option* user_option = nullptr;
  CLI::Option* topic_option = nullptr;
  CLI::Option* outcome_option = nullptr;
  CLI::Option* limit_option = nullptr;
};

struct FilterChoice {
  bool types = true;  // --type (replay only replays publishes)
  bool limit = true;  // --limit (follow has the hidden --max-rows instead)
};

// Adds the filter options to `command`.
void add_filter_options(CLI::App* command, FilterOptions& options, FilterChoice choice = {});

// The reader's filter; bad times, types or topic filters are usage failures (exit 2).
tl::expected<storage::AuditFilter, Failure> make_filter(const FilterOptions& options,
                                                        std::int64_t now_us);

// The journal at storage::audit_db_path(ctx.data_dir), read-only; missing: exit 1 with a hint.
tl::expected<storage::AuditReader, Failure> open_journal(const Context& ctx);

// audit_replay_command.cpp
void add_audit_replay_command(CLI::App* audit, Context& ctx);

}  // namespace arkmq::ctl

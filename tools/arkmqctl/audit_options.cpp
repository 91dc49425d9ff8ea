// The audit commands' shared filter options and journal opening.
#include <string_view>

#include "broker/protocol/topic.hpp"
#include "storage/config_store.hpp"
#include "tools/arkmqctl/audit_cli.hpp"
#include "tools/arkmqctl/audit_time.hpp"

namespace arkmq::ctl {

namespace {

std::string type_names() {
  std::string names;
  for (const auto type : storage::all_audit_types()) {
    if (!names.empty()) names += ", ";
    names += storage::to_string(type);
  }
  return names;
}

tl::expected<std::optional<std::int64_t>, Failure> time_option(const CLI::Option* option,
                                                               const std::string& text,
                                                               std::int64_t now_us) {
  if (option == nullptr || option->count() == 0) return std::nullopt;
  auto parsed = parse_audit_time(text, now_us);
  if (!parsed) return usage_error(option->get_name() + ": " + parsed.error());
  return *parsed;
}

}  // namespace

void add_filter_options(CLI::App* command, FilterOptions& o, FilterChoice choice) {
  o.since_option = command->add_option(
      "--since", o.since,
      "Rows at or after this time: RFC 3339 (2026-11-27T18:00:00Z) or -1h, -30m, -2d, now");
  o.until_option = command->add_option("--until", o.until, "Rows before this time (same forms)");
  o.client_option = command->add_option("--client", o.client, "Only this client id (exact)");
  o.user_option = command->add_option(
      "--user", o.user, "Only this principal (user name or certificate identity, exact)");
  if (choice.types) {
    command
        ->add_option("--type", o.types,
                     "Only these event types (repeatable, or a,b): " + type_names())
        ->delimiter(',')
        ->allow_extra_args(false);
  }
  o.topic_option = command->add_option(
      "--topic", o.topic, "Only rows whose topic matches this MQTT filter (+ and # wildcards)");
  o.outcome_option = command->add_option("--outcome", o.outcome, "Only allow, deny or error rows")
                         ->check(CLI::IsMember({"allow", "deny", "error"}));
  if (choice.limit) {
    o.limit_option = command->add_option(
        "--limit", o.limit, "At most N rows, oldest first (default 1000; 0: every row)");
  }
}

tl::expected<storage::AuditFilter, Failure> make_filter(const FilterOptions& o,
                                                        std::int64_t now_us) {
  storage::AuditFilter filter;
  auto since = time_option(o.since_option, o.since, now_us);
  if (!since) return tl::unexpected(since.error());
  auto until = time_option(o.until_option, o.until, now_us);
  if (!until) return tl::unexpected(until.error());
  filter.since_us = *since;
  filter.until_us = *until;
  if (filter.since_us && filter.until_us && *filter.since_us > *filter.until_us) {
    return usage_error("--since " + o.since + " is after --until " + o.until);
  }
  if (o.client_option != nullptr && o.client_option->count() > 0) filter.client = o.client;
  if (o.user_option != nullptr && o.user_option->count() > 0) filter.principal = o.user;
  for (const auto& name : o.types) {
    const auto type = storage::audit_type_from_string(name);
    if (!type) {
      return usage_error("unknown event type '" + name + "' (types: " + type_names() + ")");
    }
    filter.types.push_back(*type);
  }
  if (o.topic_option != nullptr && o.topic_option->count() > 0) {
    if (!protocol::is_valid_topic_filter(o.topic)) {
      return usage_error("invalid topic filter '" + o.topic +
                         "': '+' must fill a whole level, '#' must be the last level");
    }
    filter.topic_filter = o.topic;
  }
  if (o.outcome_option != nullptr && o.outcome_option->count() > 0) {
    filter.outcome = storage::audit_outcome_from_string(o.outcome);
  }
  filter.limit = (o.limit_option != nullptr && o.limit_option->count() > 0) ? o.limit : 1000;
  return filter;
}

tl::expected<storage::AuditReader, Failure> open_journal(const Context& ctx) {
  if (ctx.data_dir.empty()) {
    return usage_error("the data dir is empty (use --data-dir or $ARKMQ_DATA_DIR)");
  }
  const std::string path = storage::audit_db_path(ctx.data_dir);
  auto reader = storage::AuditReader::open(path);
  if (!reader) {
    if (reader.error().kind == storage::Error::Kind::not_found) {
      return operation_error("no audit journal at " + path +
                             " (the broker writes it when it runs with this data dir)");
    }
    return store_error(reader.error());
  }
  return std::move(*reader);
}

}  // namespace arkmq::ctl

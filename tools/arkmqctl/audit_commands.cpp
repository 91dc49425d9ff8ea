// `arkmqctl audit ...`: query, follow, verify, stats over the audit journal (read-only), and
// replay (audit_replay_command.cpp). Row formats are in audit_format.hpp.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>

#include "tools/arkmqctl/audit_cli.hpp"
#include "tools/arkmqctl/audit_escape.hpp"
#include "tools/arkmqctl/audit_format.hpp"
#include "tools/arkmqctl/audit_signals.hpp"
#include "tools/arkmqctl/audit_time.hpp"
#include "tools/arkmqctl/commands.hpp"
#include "tools/arkmqctl/output.hpp"

namespace arkmq::ctl {

namespace {

using nlohmann::ordered_json;

constexpr std::size_t kPageRows = 1000;
constexpr std::size_t kDefaultLimit = 1000;
constexpr auto kFollowPoll = std::chrono::milliseconds(200);

struct RowOptions {
  FilterOptions filter;
  bool csv = false;
  std::size_t max_rows = 0;  // follow: stop after this many rows (0: never)
  double max_seconds = 0;    // follow: stop after this long (0: never)
};

struct StatsOptions {
  std::string since;
  CLI::Option* since_option = nullptr;
  std::size_t top = 10;
};

tl::expected<RowFormat, Failure> row_format(const Context& ctx, bool csv) {
  if (ctx.json && csv) return usage_error("choose one of --json and --csv");
  if (csv) return RowFormat::csv;
  return ctx.json ? RowFormat::json : RowFormat::text;
}

void print_rows(const std::vector<storage::AuditRecord>& rows, RowFormat format) {
  for (const auto& row : rows) std::cout << format_row(row, format);
  std::cout.flush();
}

Outcome run_query(const Context& ctx, const RowOptions& o) {
  auto format = row_format(ctx, o.csv);
  if (!format) return tl::unexpected(format.error());
  auto filter = make_filter(o.filter, storage::audit_now_us());
  if (!filter) return tl::unexpected(filter.error());
  auto reader = open_journal(ctx);
  if (!reader) return tl::unexpected(reader.error());

  const std::size_t limit = filter->limit;  // 0: every row
  if (*format == RowFormat::csv) std::cout << csv_header();
  std::size_t printed = 0;
  // Pages keep memory flat on a large journal; after_seq continues where a page ended.
  while (limit == 0 || printed < limit) {
    filter->limit = limit == 0 ? kPageRows : std::min(kPageRows, limit - printed);
    auto rows = reader->query(*filter);
    if (!rows) return store_error(rows.error());
    print_rows(*rows, *format);
    printed += rows->size();
    if (rows->size() < filter->limit) return {};
    filter->after_seq = rows->back().seq;
  }
  // Only the default limit earns a hint: an explicit --limit N did what was asked.
  if (o.filter.limit_option->count() == 0 && printed == kDefaultLimit) {
    filter->limit = 1;
    if (auto more = reader->query(*filter); more && !more->empty()) {
      ctx.warn("stopped after " + std::to_string(kDefaultLimit) +
               " rows; use --limit 0 for every row, or narrow the filters");
    }
  }
  std::cout.flush();
  return {};
}

Outcome run_follow(const Context& ctx, const RowOptions& o) {
  auto format = row_format(ctx, o.csv);
  if (!format) return tl::unexpected(format.error());
  auto filter = make_filter(o.filter, storage::audit_now_us());
  if (!filter) return tl::unexpected(filter.error());
  auto reader = open_journal(ctx);
  if (!reader) return tl::unexpected(reader.error());
  StopSignals stop;
  // Without --since only rows committed after the start are shown, like tail -f -n 0.
  if (!filter->since_us) {
    auto chain = reader->chain_state();
    if (!chain) return store_error(chain.error());
    filter->after_seq = chain->last_seq;
  }
  filter->limit = kPageRows;
  if (*format == RowFormat::csv) std::cout << csv_header() << std::flush;
  const auto started = std::chrono::steady_clock::now();
  const auto max_duration = std::chrono::duration<double>(o.max_seconds);
  std::size_t printed = 0;
  while (!stop.stopped()) {
    if (o.max_rows != 0) filter->limit = std::min(kPageRows, o.max_rows - printed);
    auto rows = reader->query(*filter);
    if (!rows) return store_error(rows.error());
    print_rows(*rows, *format);
    printed += rows->size();
    if (o.max_rows != 0 && printed >= o.max_rows) return {};
    if (!rows->empty()) filter->after_seq = rows->back().seq;
    if (o.max_seconds > 0 && std::chrono::steady_clock::now() - started >= max_duration) return {};
    if (rows->size() < filter->limit) stop.wait(kFollowPoll);  // caught up: poll again later
  }
  return {};
}

Outcome run_verify(const Context& ctx) {
  auto reader = open_journal(ctx);
  if (!reader) return tl::unexpected(reader.error());
  auto report = reader->verify();
  if (!report) return store_error(report.error());
  const std::string path = storage::audit_db_path(ctx.data_dir);
  const auto& chain = report->chain;
  ordered_json json;
  ordered_json raw_hex = ordered_json::object();  // not printed: path and message are for people
  json["ok"] = report->ok;
  json["path"] = json_text(path, "path", raw_hex);
  json["rows_checked"] = report->rows_checked;
  json["first_seq"] = chain.first_seq;
  json["last_seq"] = chain.last_seq;
  json["head_hash"] = storage::to_hex(chain.last_hash);
  json["anchor_hash"] = storage::to_hex(chain.anchor_hash);
  if (!report->ok) {
    json["first_bad_seq"] = report->first_bad_seq;
    json["kind"] = storage::to_string(report->kind);
    json["message"] = json_text(report->message, "message", raw_hex);
  }
  if (ctx.json) {
    std::cout << dump_ascii(json, 2) << '\n' << std::flush;
  } else if (report->ok) {
    std::cout << "audit journal intact: " << report->rows_checked << " rows checked (seq "
              << chain.first_seq << ".." << chain.last_seq << ")\n"
              << "chain head: seq " << chain.last_seq << " hash "
              << storage::to_hex(chain.last_hash) << '\n'
              << std::flush;
  }
  if (!report->ok) {
    return operation_error("audit journal " + escape_text(path) + " is damaged: seq " +
                           std::to_string(report->first_bad_seq) + ": " +
                           std::string(storage::to_string(report->kind)) + ": " +
                           escape_text(report->message));
  }
  return {};
}

std::string table_cell(const std::string& bytes) {
  return bytes.empty() ? "-" : escape_text(bytes, Spaces::escape);
}

Outcome run_stats(const Context& ctx, const StatsOptions& o) {
  std::optional<std::int64_t> since;
  if (o.since_option->count() > 0) {
    auto parsed = parse_audit_time(o.since, storage::audit_now_us());
    if (!parsed) return usage_error("--since: " + parsed.error());
    since = *parsed;
  }
  auto reader = open_journal(ctx);
  if (!reader) return tl::unexpected(reader.error());
  auto summary = reader->stats(since, o.top);
  if (!summary) return store_error(summary.error());

  if (ctx.json) {
    ordered_json json;
    ordered_json raw_hex = ordered_json::object();  // not printed: counts are what matters here
    json["since"] = since ? ordered_json(format_audit_time(*since)) : ordered_json(nullptr);
    json["total"] = summary->total;
    json["denials"] = summary->denials;
    json["per_type"] = ordered_json::array();
    for (const auto& count : summary->per_type) {
      json["per_type"].push_back({{"type", count.key}, {"count", count.count}});
    }
    json["per_principal"] = ordered_json::array();
    for (const auto& count : summary->per_principal) {
      json["per_principal"].push_back(
          {{"principal", json_text(count.key, "principal", raw_hex)}, {"count", count.count}});
    }
    json["top_talkers"] = ordered_json::array();
    for (const auto& talker : summary->top_talkers) {
      json["top_talkers"].push_back(
          {{"principal", json_text(talker.principal, "principal", raw_hex)},
           {"publishes", talker.publishes},
           {"bytes", talker.bytes}});
    }
    std::cout << dump_ascii(json, 2) << '\n' << std::flush;
    return {};
  }
  std::string text = "rows:    " + std::to_string(summary->total);
  if (since) text += " (since " + format_audit_time(*since) + ")";
  text += "\ndenials: " + std::to_string(summary->denials) + "\n\nper type:\n";
  Table types({"TYPE", "COUNT"});
  for (const auto& count : summary->per_type) types.add({count.key, std::to_string(count.count)});
  text += types.str() + "\nper principal (top " + std::to_string(o.top) + "):\n";
  Table principals({"PRINCIPAL", "COUNT"});
  for (const auto& count : summary->per_principal) {
    principals.add({table_cell(count.key), std::to_string(count.count)});
  }
  text += principals.str() + "\ntop talkers (by publishes):\n";
  Table talkers({"PRINCIPAL", "PUBLISHES", "BYTES"});
  for (const auto& talker : summary->top_talkers) {
    talkers.add({table_cell(talker.principal), std::to_string(talker.publishes),
                 std::to_string(talker.bytes)});
  }
  text += talkers.str();
  std::cout << text << std::flush;
  return {};
}

}  // namespace

void add_audit_commands(CLI::App& app, Context& ctx) {
  CLI::App* audit = app.add_subcommand(
      "audit",
      "Read the broker's audit journal (<data dir>/audit.db): query, follow, verify, "
      "stats, replay");
  audit->require_subcommand(1);

  auto query_options = std::make_shared<RowOptions>();
  CLI::App* query = audit->add_subcommand(
      "query", "Print matching rows, oldest first (text; --json: JSON Lines; --csv: CSV)");
  add_filter_options(query, query_options->filter);
  query->add_flag("--csv", query_options->csv, "CSV with a header line (RFC 4180 quoting)");
  ctx.on_run(query, [&ctx, query_options] { return run_query(ctx, *query_options); });

  auto follow_options = std::make_shared<RowOptions>();
  CLI::App* follow = audit->add_subcommand(
      "follow", "Print rows as the broker commits them, like tail -f, until SIGINT/SIGTERM");
  add_filter_options(follow, follow_options->filter, FilterChoice{true, false});
  follow->add_flag("--csv", follow_options->csv, "CSV with a header line (RFC 4180 quoting)");
  follow->add_option("--max-rows", follow_options->max_rows, "")->group("");
  follow->add_option("--max-seconds", follow_options->max_seconds, "")->group("");
  ctx.on_run(follow, [&ctx, follow_options] { return run_follow(ctx, *follow_options); });

  CLI::App* verify = audit->add_subcommand(
      "verify", "Check the hash chain; print the rows checked and the chain head hash");
  ctx.on_run(verify, [&ctx] { return run_verify(ctx); });

  auto stats_options = std::make_shared<StatsOptions>();
  CLI::App* stats =
      audit->add_subcommand("stats", "Counts per type and per principal, denials, top talkers");
  stats_options->since_option = stats->add_option(
      "--since", stats_options->since, "Only rows at or after this time (RFC 3339, or -1h, -2d)");
  stats->add_option("--top", stats_options->top, "Principals and talkers to list (default 10)")
      ->check(CLI::Range(1, 100000));
  ctx.on_run(stats, [&ctx, stats_options] { return run_stats(ctx, *stats_options); });

  add_audit_replay_command(audit, ctx);
}

}  // namespace arkmq::ctl

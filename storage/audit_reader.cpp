// Audit journal queries and statistics over a read-only connection (see audit_reader.hpp).
// Owned by the audit engineer. verify() is in audit_verify.cpp.
#include "storage/audit_reader.hpp"

#include <limits>
#include <utility>

#include "broker/protocol/topic.hpp"

namespace arkmq::storage {
namespace {

// One bound parameter of the query being built.
struct Param {
  bool is_text = false;
  std::int64_t number = 0;
  std::string text;
};

Result<void> bind_all(Statement& stmt, const std::vector<Param>& params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    auto bound = params[i].is_text ? stmt.bind_text(index, params[i].text)
                                   : stmt.bind_int64(index, params[i].number);
    if (!bound) return bound;
  }
  return {};
}

Result<std::vector<AuditCount>> counts(Database& db, const std::string& sql,
                                       const std::vector<Param>& params) {
  auto stmt = db.prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  if (auto r = bind_all(*stmt, params); !r) return tl::unexpected(r.error());
  std::vector<AuditCount> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back({stmt->column_text(0), stmt->column_int64(1)});
  }
  return out;
}

}  // namespace

Result<AuditReader> AuditReader::open(const std::string& path) {
  auto db = audit_schema::open_for_reading(path);
  if (!db) return tl::unexpected(db.error());
  return AuditReader(std::move(*db));
}

Result<audit_schema::ChainState> AuditReader::chain_state() {
  return audit_schema::read_chain_state(db_);
}

Result<std::vector<AuditRecord>> AuditReader::query(const AuditFilter& filter) {
  if (filter.topic_filter && !protocol::is_valid_topic_filter(*filter.topic_filter)) {
    return tl::unexpected(make_error(Error::Kind::invalid, db_.path(), "audit query",
                                     "not a valid MQTT topic filter: " + *filter.topic_filter));
  }
  std::string sql = std::string("SELECT ") + audit_schema::kEventColumns +
                    " FROM events WHERE seq > ?";
  std::vector<Param> params;
  params.push_back({false, filter.after_seq, {}});
  auto add_number = [&](const char* clause, std::int64_t value) {
    sql += clause;
    params.push_back({false, value, {}});
  };
  auto add_text = [&](const char* clause, std::string value) {
    sql += clause;
    params.push_back({true, 0, std::move(value)});
  };
  if (filter.since_us) add_number(" AND time_us >= ?", *filter.since_us);
  if (filter.until_us) add_number(" AND time_us < ?", *filter.until_us);
  if (filter.client) add_text(" AND client_id = ?", *filter.client);
  if (filter.principal) add_text(" AND principal = ?", *filter.principal);
  if (filter.outcome) add_text(" AND outcome = ?", std::string(to_string(*filter.outcome)));
  if (!filter.types.empty()) {
    sql += " AND type IN (";
    for (std::size_t i = 0; i < filter.types.size(); ++i) {
      sql += i == 0 ? "?" : ", ?";
      params.push_back({true, 0, std::string(to_string(filter.types[i]))});
    }
    sql += ")";
  }
  sql += " ORDER BY seq";
  // The topic filter is matched here, not in SQL, so the row limit is applied here too.
  if (filter.limit != 0 && !filter.topic_filter) {
    add_number(" LIMIT ?", static_cast<std::int64_t>(filter.limit));
  }

  auto stmt = db_.prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  if (auto r = bind_all(*stmt, params); !r) return tl::unexpected(r.error());
  std::vector<AuditRecord> out;
  while (filter.limit == 0 || out.size() < filter.limit) {
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    audit_schema::StoredRow stored = audit_schema::read_stored_row(*stmt);
    if (filter.topic_filter &&
        (stored.topic.empty() || !protocol::topic_matches(*filter.topic_filter, stored.topic))) {
      continue;
    }
    auto record = audit_schema::to_record(std::move(stored), db_.path());
    if (!record) return tl::unexpected(record.error());
    out.push_back(std::move(*record));
  }
  return out;
}

Result<AuditSummary> AuditReader::stats(std::optional<std::int64_t> since_us, std::size_t top) {
  // One snapshot, so the counts agree with each other while the broker keeps writing.
  auto tx = Transaction::begin(db_);
  if (!tx) return tl::unexpected(tx.error());
  const std::vector<Param> since{{false, since_us.value_or(std::numeric_limits<std::int64_t>::min()), {}}};
  std::vector<Param> since_top = since;
  since_top.push_back({false, static_cast<std::int64_t>(top), {}});

  AuditSummary summary;
  auto per_type = counts(db_,
                         "SELECT type, count(*) FROM events WHERE time_us >= ? "
                         "GROUP BY type ORDER BY 2 DESC, 1",
                         since);
  if (!per_type) return tl::unexpected(per_type.error());
  summary.per_type = std::move(*per_type);
  for (const AuditCount& c : summary.per_type) summary.total += c.count;

  auto per_principal = counts(db_,
                              "SELECT principal, count(*) FROM events WHERE time_us >= ? "
                              "GROUP BY principal ORDER BY 2 DESC, 1 LIMIT ?",
                              since_top);
  if (!per_principal) return tl::unexpected(per_principal.error());
  summary.per_principal = std::move(*per_principal);

  auto denials = counts(db_,
                        "SELECT 'deny', count(*) FROM events WHERE time_us >= ? "
                        "AND outcome = 'deny'",
                        since);
  if (!denials) return tl::unexpected(denials.error());
  summary.denials = denials->empty() ? 0 : denials->front().count;

  // json_valid first: one row with broken details must not fail the whole report. A summary
  // row ([audit] publishes = "summary") stands for `count` publishes of `bytes` in all; a
  // per-message row for one publish of `size` bytes.
  auto talkers = db_.prepare(
      "SELECT principal, "
      "sum(CASE WHEN json_valid(details) THEN coalesce(json_extract(details, '$.count'), 1) "
      "ELSE 1 END), "
      "sum(CASE WHEN json_valid(details) THEN coalesce(json_extract(details, '$.bytes'), "
      "json_extract(details, '$.size'), 0) ELSE 0 END) "
      "FROM events WHERE time_us >= ? AND type = 'publish' "
      "GROUP BY principal ORDER BY 2 DESC, 3 DESC, 1 LIMIT ?");
  if (!talkers) return tl::unexpected(talkers.error());
  if (auto r = bind_all(*talkers, since_top); !r) return tl::unexpected(r.error());
  for (;;) {
    auto row = talkers->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    summary.top_talkers.push_back(
        {talkers->column_text(0), talkers->column_int64(1), talkers->column_int64(2)});
  }
  return summary;
}

}  // namespace arkmq::storage

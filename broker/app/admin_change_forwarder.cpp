// AdminChangeForwarder: config store change log -> admin_change audit rows.
#include "broker/app/admin_change_forwarder.hpp"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "storage/audit_reader.hpp"

namespace arkmq::app {
namespace {

constexpr std::size_t kBatch = 1000;  // changes read per query; arkmqctl is a human at a terminal

}  // namespace

storage::AuditEvent admin_change_event(const storage::AdminChange& change) {
  storage::AuditEvent event;
  event.time_us = change.time_us;
  event.type = storage::AuditType::admin_change;
  event.outcome = storage::AuditOutcome::allow;
  nlohmann::ordered_json details;
  details["actor"] = change.actor;
  details["command"] = change.command;
  // The change as the object arkmqctl stored; as text if it somehow is not JSON.
  auto parsed = nlohmann::ordered_json::parse(change.details, nullptr, false);
  details["change"] = parsed.is_discarded() ? nlohmann::ordered_json(change.details) : parsed;
  details["admin_id"] = change.id;
  event.details = details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return event;
}

AdminChangeForwarder::AdminChangeForwarder(storage::ConfigStore& store, storage::AuditSink& sink,
                                           std::int64_t after_id)
    : store_(store), sink_(sink), last_id_(after_id) {}

std::size_t AdminChangeForwarder::forward() {
  std::size_t forwarded = 0;
  for (;;) {
    auto changes = store_.admin_changes_since(last_id_, kBatch);
    if (!changes) {
      if (!failing_) spdlog::warn("audit: cannot read admin changes: {}", changes.error().message);
      failing_ = true;
      return forwarded;
    }
    failing_ = false;
    for (const storage::AdminChange& change : *changes) {
      sink_.submit(admin_change_event(change));
      last_id_ = change.id;
      ++forwarded;
    }
    if (changes->size() < kBatch) return forwarded;
  }
}

storage::Result<std::int64_t> last_journaled_admin_change(const std::string& journal_path,
                                                          const storage::ConfigStore& store) {
  auto reader = storage::AuditReader::open(journal_path);
  if (!reader) return tl::unexpected(reader.error());
  storage::AuditFilter filter;
  filter.types = {storage::AuditType::admin_change};
  filter.limit = 0;
  auto rows = reader->query(filter);
  if (!rows) return tl::unexpected(rows.error());
  std::int64_t last = 0;
  for (const storage::AuditRecord& record : *rows) {
    auto details = nlohmann::json::parse(record.event.details, nullptr, false);
    if (details.is_object() && details.contains("admin_id") &&
        details["admin_id"].is_number_integer()) {
      last = std::max(last, details["admin_id"].get<std::int64_t>());
    }
  }
  if (!rows->empty()) return last;

  storage::AuditFilter first;
  first.limit = 1;
  auto oldest = reader->query(first);
  if (!oldest) return tl::unexpected(oldest.error());
  if (oldest->empty()) return 0;  // a new journal: everything arkmqctl did so far goes in
  const std::int64_t since_us = oldest->front().event.time_us;
  for (;;) {
    auto changes = store.admin_changes_since(last, kBatch);
    if (!changes) return tl::unexpected(changes.error());
    for (const storage::AdminChange& change : *changes) {
      if (change.time_us >= since_us) return last;
      last = change.id;
    }
    if (changes->size() < kBatch) return last;
  }
}

}  // namespace arkmq::app

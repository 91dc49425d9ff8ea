// [audit] settings -> journal and bridge options; journal stats -> $SYS.
#include "broker/app/audit_wiring.hpp"

#include <string>

namespace arkmq::app {

storage::AuditJournalOptions journal_options(const AuditConfig& config) {
  storage::AuditJournalOptions options;
  options.capacity = config.queue_capacity;
  options.overflow = config.overflow == AuditOverflow::drop ? storage::OverflowPolicy::drop_and_count
                                                            : storage::OverflowPolicy::block;
  // Security events keep their reserve and never drop (the journal's default).
  options.capture_payloads = !config.capture_payloads.empty();
  if (config.max_age_days != 0) {
    options.retention.max_age = std::chrono::seconds(config.max_age_days * 86400);
  }
  if (config.max_rows != 0) {
    options.retention.max_rows = config.max_rows;
  }
  return options;
}

std::string_view to_string(AuditPublishes publishes) {
  switch (publishes) {
    case AuditPublishes::all:
      return "all";
    case AuditPublishes::summary:
      return "summary";
    case AuditPublishes::none:
      return "none";
  }
  return "none";
}

AuditBridgeOptions bridge_options(const AuditConfig& config) {
  AuditBridgeOptions options;
  options.publishes = config.publishes != AuditPublishes::none;
  options.summarize_publishes = config.publishes == AuditPublishes::summary;
  options.capture_payloads = config.capture_payloads;
  return options;
}

core::SysExtra audit_sys_values(const storage::AuditJournal& journal) {
  return [&journal] {
    const storage::AuditJournalStats stats = journal.stats();
    return std::vector<std::pair<std::string, std::string>>{
        {"audit/queued", std::to_string(stats.queued)},
        {"audit/written", std::to_string(stats.written)},
        {"audit/dropped", std::to_string(stats.dropped)},
        {"audit/lost", std::to_string(stats.lost)},
    };
  };
}

}  // namespace arkmq::app

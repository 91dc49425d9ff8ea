// From the [audit] settings to the journal's and the bridge's options, and the journal's counters
// as $SYS values. Pure functions (audit_sys_values' result reads the journal's thread-safe stats).
#pragma once

#include <string_view>

#include "broker/app/app_config.hpp"
#include "broker/app/audit_bridge.hpp"
#include "broker/core/broker.hpp"
#include "storage/audit_journal.hpp"

namespace arkmq::app {

storage::AuditJournalOptions journal_options(const AuditConfig& config);
// "all", "summary" or "none", as written in [audit] publishes.
std::string_view to_string(AuditPublishes publishes);
AuditBridgeOptions bridge_options(const AuditConfig& config);
// audit/queued, audit/written, audit/dropped, audit/lost ($SYS/broker/audit/...). `journal`
// outlives the broker's $SYS refreshes.
core::SysExtra audit_sys_values(const storage::AuditJournal& journal);

}  // namespace arkmq::app

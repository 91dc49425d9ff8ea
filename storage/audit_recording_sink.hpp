// A fake AuditSink for tests of the code that produces audit events (broker/app, arkmqctl):
// records every event in memory. Owned by the audit engineer; thread-safe.
#pragma once

#include <mutex>
#include <vector>

#include "storage/audit_journal.hpp"

namespace arkmq::storage {

class RecordingAuditSink final : public AuditSink {
 public:
  AuditSubmit submit(AuditEvent event) override {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
    return AuditSubmit::queued;
  }

  std::vector<AuditEvent> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }

  // The recorded events of one type, in submission order.
  std::vector<AuditEvent> events_of(AuditType type) const {
    std::lock_guard lock(mutex_);
    std::vector<AuditEvent> out;
    for (const AuditEvent& e : events_) {
      if (e.type == type) out.push_back(e);
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<AuditEvent> events_;
};

}  // namespace arkmq::storage

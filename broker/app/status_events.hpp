// StatusEvents: the status page's memory of recent ACL denials and quota hits, two bounded rings
// fed by the core's events (through the EventFanout). Written from worker threads, read by the
// HTTP endpoint's threads: every access takes the ring's mutex. Owner: ops-status.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "broker/core/broker_events.hpp"

namespace arkmq::app {

// One remembered event. Never a payload: topic and detail are what the event itself names.
// Repeats of the same event close together are one entry with a count (see StatusEvents).
struct StatusEvent {
  std::chrono::system_clock::time_point time;  // the latest occurrence
  std::string client_id;
  std::string principal;  // empty: anonymous
  std::string what;       // denials: "publish", "subscribe", "receive", "will"; quota: the kind
  std::string subject;    // denials: the topic or filter; quota hits: the core's detail text
  std::uint64_t count = 1;
};

// What the page shows of one ring: the newest entries first, and how many happened in all.
struct StatusEventList {
  std::uint64_t total = 0;
  std::vector<StatusEvent> recent;
};

// Denials and quota hits can fire at line rate (a client looping on a denied topic, a publisher
// over its rate): an event equal to one of the newest few entries (same client id, principal,
// action or kind, and topic or detail) within kRepeatWindow only bumps that entry's count and
// time, without allocating, so a flood neither costs much nor pushes everything else out.
class StatusEvents final : public core::BrokerEvents {
 public:
  static constexpr std::size_t kDefaultCapacity = 100;
  // Texts longer than this are cut (with "…"): a hostile client id or topic costs no more.
  static constexpr std::size_t kMaxTextBytes = 256;
  static constexpr std::size_t kRepeatLookback = 8;
  static constexpr std::chrono::seconds kRepeatWindow{10};

  explicit StatusEvents(std::size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  void denied(const core::ClientIdentity& who, core::DeniedAction action, std::string_view topic,
              const core::PublishFacts* message) override;
  void quota_hit(const core::ClientIdentity& who, core::QuotaKind kind,
                 std::string_view detail) override;

  StatusEventList denials() const;
  StatusEventList quota_hits() const;

 private:
  struct Ring {
    std::uint64_t total = 0;
    std::deque<StatusEvent> entries;  // oldest first, at most capacity_
  };
  // Under mutex_: counts a repeat of a recent entry, or adds a new one.
  void remember(Ring& ring, const core::ClientIdentity& who, std::string_view what,
                std::string_view subject, std::chrono::system_clock::time_point now);
  StatusEventList list(const Ring& ring) const;

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  Ring denials_;
  Ring quota_hits_;
};

}  // namespace arkmq::app

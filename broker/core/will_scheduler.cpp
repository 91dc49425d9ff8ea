// Delayed wills: a flat list scanned once a second.
#include "broker/core/will_scheduler.hpp"

#include <algorithm>
#include <iterator>

namespace arkmq::core {

void WillScheduler::schedule(PendingWill will) {
  cancel(will.session);  // one pending will per session
  pending_.push_back(std::move(will));
}

bool WillScheduler::cancel(SessionKey session) {
  return std::erase_if(pending_, [&](const PendingWill& w) { return w.session == session; }) > 0;
}

std::vector<PendingWill> WillScheduler::take(SessionKey session) {
  std::vector<PendingWill> out;
  auto split = std::stable_partition(pending_.begin(), pending_.end(),
                                     [&](const PendingWill& w) { return w.session != session; });
  std::move(split, pending_.end(), std::back_inserter(out));
  pending_.erase(split, pending_.end());
  return out;
}

std::vector<PendingWill> WillScheduler::take_due(std::chrono::steady_clock::time_point now) {
  std::vector<PendingWill> out;
  auto split = std::stable_partition(pending_.begin(), pending_.end(),
                                     [&](const PendingWill& w) { return w.fire_at > now; });
  std::move(split, pending_.end(), std::back_inserter(out));
  pending_.erase(split, pending_.end());
  std::stable_sort(out.begin(), out.end(),
                   [](const PendingWill& a, const PendingWill& b) { return a.fire_at < b.fire_at; });
  return out;
}

}  // namespace arkmq::core

// ServiceCallStats (see service_call_stats.hpp).
#include "broker/app/service_call_stats.hpp"

#include <algorithm>

namespace arkmq::app {

std::uint64_t ServiceCallStats::Values::total() const {
  std::uint64_t sum = 0;
  for (const auto& [status, count] : by_status) sum += count;
  return sum;
}

void ServiceCallStats::record(const core::ServiceCallFacts& call) {
  const double seconds = std::chrono::duration<double>(call.latency).count();
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(kBounds.begin(), kBounds.end(), seconds) - kBounds.begin());
  const std::string_view status = call.status.empty() ? std::string_view("unknown") : call.status;
  std::lock_guard lock(mutex_);
  auto it = services_.find(call.service);
  if (it == services_.end()) {
    const std::string_view name =
        services_.size() < kMaxServices ? call.service : std::string_view(kOverflow);
    it = services_.find(name);
    if (it == services_.end()) {
      it = services_.emplace(std::string(name), Values{}).first;
      it->second.service = std::string(name);
    }
  }
  Values& values = it->second;
  if (auto found = values.by_status.find(status); found != values.by_status.end()) {
    ++found->second;
  } else {
    values.by_status.emplace(std::string(status), 1);
  }
  if (!call.node.empty()) {
    if (bucket < kBounds.size()) ++values.buckets[bucket];
    values.latency_sum_seconds += seconds;
    ++values.latency_count;
  }
}

std::vector<ServiceCallStats::Values> ServiceCallStats::values() const {
  std::lock_guard lock(mutex_);
  std::vector<Values> out;
  out.reserve(services_.size());
  for (const auto& [name, values] : services_) out.push_back(values);
  return out;
}

std::map<std::string, std::uint64_t, std::less<>> ServiceCallStats::totals_by_status() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::uint64_t, std::less<>> totals;
  for (const auto& [name, values] : services_) {
    for (const auto& [status, count] : values.by_status) totals[status] += count;
  }
  return totals;
}

}  // namespace arkmq::app

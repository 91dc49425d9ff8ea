// metrics_sys_values: the metrics as $SYS/broker/<name> values.
#include "broker/app/metrics_sys.hpp"

#include <algorithm>

namespace arkmq::app {

std::string listener_sys_path(std::string_view listener) {
  std::string path(listener);
  if (const auto scheme = path.find("://"); scheme != std::string::npos) {
    path.replace(scheme, 3, "/");
  }
  // '+' and '#' cannot be in a URL we listen on, but a topic name must never carry them.
  std::replace(path.begin(), path.end(), '+', '_');
  std::replace(path.begin(), path.end(), '#', '_');
  return path;
}

std::vector<std::pair<std::string, std::string>> metrics_sys_values(const Metrics& metrics) {
  std::vector<std::pair<std::string, std::string>> values;
  const auto put = [&values](std::string name, auto number) {
    values.emplace_back(std::move(name), std::to_string(number));
  };
  put("acl/denied/total", metrics.denials_total());
  for (const auto action : kAllDeniedActions) {
    put("acl/denied/" + std::string(core::to_string(action)), metrics.denials(action));
  }
  for (const auto kind : kAllQuotaKinds) {
    put("quota/hits/" + std::string(core::to_string(kind)), metrics.quota_hits(kind));
  }
  std::uint64_t calls = 0;
  for (const auto& [status, count] : metrics.service_calls().totals_by_status()) {
    put("services/calls/" + status, count);
    calls += count;
  }
  put("services/calls/total", calls);
  for (const auto drop : kAllServiceDropClasses) {
    put("services/dropped/" + std::string(to_string(drop)), metrics.service_drops(drop));
  }
  const auto lags = metrics.loop_lags();
  std::chrono::microseconds worst{0};
  for (std::size_t i = 0; i < lags.size(); ++i) {
    put("workers/" + std::to_string(i) + "/loop_lag_us", lags[i].count());
    worst = std::max(worst, lags[i]);
  }
  put("workers/loop_lag_us", worst.count());
  for (const auto& listener : metrics.listeners()) {
    const std::string path = "listeners/" + listener_sys_path(listener.listener);
    put(path + "/connections/accepted", listener.accepted);
    put(path + "/clients/connected", listener.connected);
    put(path + "/messages/received", listener.messages_in);
    put(path + "/bytes/received", listener.bytes_in);
    put(path + "/bytes/sent", listener.bytes_out);
  }
  return values;
}

core::SysExtra with_metrics_sys(core::SysExtra base, std::shared_ptr<const Metrics> metrics) {
  if (!metrics) return base;
  return [base = std::move(base), metrics = std::move(metrics)] {
    std::vector<std::pair<std::string, std::string>> values;
    if (base) values = base();
    for (auto& value : metrics_sys_values(*metrics)) values.push_back(std::move(value));
    return values;
  };
}

}  // namespace arkmq::app

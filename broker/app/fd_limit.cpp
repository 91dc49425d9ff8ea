// raise_fd_limit: getrlimit/setrlimit(RLIMIT_NOFILE) and the lines it logs.
#include "broker/app/fd_limit.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <limits>

namespace arkmq::app {

namespace {

constexpr std::uint64_t unlimited = std::numeric_limits<std::uint64_t>::max();

std::uint64_t from_rlim(rlim_t value) {
  return value == RLIM_INFINITY ? unlimited : static_cast<std::uint64_t>(value);
}

// The kernel's per-process ceiling for RLIMIT_NOFILE (1048576 on most systems).
std::uint64_t read_nr_open() {
  std::ifstream file("/proc/sys/fs/nr_open");
  std::uint64_t value = 0;
  if (file >> value && value > 0) return value;
  return 1U << 20;
}

std::string text(std::uint64_t value) {
  return value == unlimited ? std::string("unlimited") : std::to_string(value);
}

}  // namespace

std::uint64_t fd_needed(std::size_t max_connections, std::size_t listeners, std::size_t workers) {
  if (max_connections == 0) return 0;
  const std::uint64_t threads = workers == 0 ? 2 : workers;
  return static_cast<std::uint64_t>(max_connections) + listeners + fd_reserve_base +
         fd_reserve_per_worker * threads;
}

std::optional<std::uint64_t> fd_soft_target(const FdLimits& current, std::uint64_t nr_open) {
  const std::uint64_t target = current.hard == unlimited ? nr_open : current.hard;
  if (current.soft >= target) return std::nullopt;
  return target;
}

std::optional<std::string> fd_limit_warning(std::uint64_t hard, std::uint64_t needed,
                                            std::size_t max_connections) {
  if (needed == 0 || hard >= needed) return std::nullopt;
  return "the open-file limit (RLIMIT_NOFILE " + text(hard) + ") is below the " +
         std::to_string(needed) + " descriptors max_connections = " +
         std::to_string(max_connections) + " needs: connections beyond about " +
         std::to_string(hard > needed - max_connections ? hard - (needed - max_connections) : 0) +
         " cannot be accepted (raise LimitNOFILE= in the systemd unit, or `ulimit -Hn` as root)";
}

void raise_fd_limit(const AppConfig& config, spdlog::logger& log) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    log.warn("open files: cannot read RLIMIT_NOFILE");
    return;
  }
  FdLimits current{from_rlim(limit.rlim_cur), from_rlim(limit.rlim_max)};
  if (const auto target = fd_soft_target(current, read_nr_open())) {
    rlimit raised = limit;
    raised.rlim_cur = static_cast<rlim_t>(*target);
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      log.info("open files: soft limit raised from {} to {}", text(current.soft), text(*target));
      current.soft = *target;
    } else {
      log.warn("open files: cannot raise the soft limit from {} to {}", text(current.soft),
               text(*target));
    }
  } else {
    log.info("open files: limit {}", text(current.soft));
  }
  const std::uint64_t needed = fd_needed(config.broker.max_connections, config.listeners.size(),
                                         config.workers);
  // The soft limit is what accept() runs into; it equals the hard one unless raising failed.
  if (auto warning = fd_limit_warning(std::min(current.soft, current.hard), needed,
                                      config.broker.max_connections)) {
    log.warn("{}", *warning);
  }
}

}  // namespace arkmq::app

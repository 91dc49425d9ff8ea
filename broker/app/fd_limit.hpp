// The broker's open-file limit: at startup the soft RLIMIT_NOFILE is raised to the hard limit
// (one descriptor per connection), and a warning names a hard limit below what max_connections
// needs. Called once from main() on the main thread, before anything is bound.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <spdlog/logger.h>

#include "broker/app/app_config.hpp"

namespace arkmq::app {

// Descriptors the broker keeps besides its client connections: listeners, the workers' epoll
// and wake-up descriptors, SQLite files (config, audit, state, WAL and journals), the HTTP
// endpoint, log and stdio. Generous on purpose: running out costs a refused connection.
inline constexpr std::uint64_t fd_reserve_base = 64;
inline constexpr std::uint64_t fd_reserve_per_worker = 4;

struct FdLimits {
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;  // RLIM_INFINITY is passed as UINT64_MAX
};

// Descriptors needed for max_connections clients (0: unlimited, then 0 is returned: no need
// can be stated) with `listeners` listeners and `workers` worker threads (0: one per CPU,
// counted as 2 here, the reserve covers more).
std::uint64_t fd_needed(std::size_t max_connections, std::size_t listeners, std::size_t workers);

// The soft limit to set: the hard limit, or `nr_open` (the kernel's per-process ceiling,
// /proc/sys/fs/nr_open) when the hard limit is unlimited; nullopt when the soft limit is
// already there (or above: nothing is ever lowered).
std::optional<std::uint64_t> fd_soft_target(const FdLimits& current, std::uint64_t nr_open);

// The warning to log when a limit of `hard` descriptors cannot serve `needed` (nullopt: it can,
// or no need is stated). Names max_connections, what fits and how to raise the limit.
std::optional<std::string> fd_limit_warning(std::uint64_t hard, std::uint64_t needed,
                                            std::size_t max_connections);

// Raises the process's soft RLIMIT_NOFILE (fd_soft_target), logs the limit at info, and warns
// (fd_limit_warning) when the hard limit is below what `config`'s max_connections needs.
void raise_fd_limit(const AppConfig& config, spdlog::logger& log);

}  // namespace arkmq::app

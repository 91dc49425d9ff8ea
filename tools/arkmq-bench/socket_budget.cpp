// socket_budget: source address spreading and the limit-naming error texts.
#include "tools/arkmq-bench/socket_budget.hpp"

#include <sys/resource.h>

#include <asio/error.hpp>

#include <cerrno>

namespace arkmq::bench {

std::vector<asio::ip::address> source_addresses(unsigned requested, unsigned clients,
                                                const asio::ip::address& broker) {
  unsigned count = requested;
  if (count == 0) {
    const bool loopback_v4 = broker.is_v4() && broker.is_loopback();
    const unsigned needed = (clients + connections_per_source - 1) / connections_per_source;
    count = loopback_v4 && needed > 1 ? needed : 0;
  }
  std::vector<asio::ip::address> sources;
  for (unsigned i = 0; i < count && i < max_sources; ++i) {
    sources.emplace_back(asio::ip::address_v4(0x7F000002U + i));  // 127.0.0.2 + i
  }
  return sources;
}

std::optional<asio::ip::address> source_for(const std::vector<asio::ip::address>& sources,
                                            unsigned index) {
  if (sources.empty()) return std::nullopt;
  return sources[index % sources.size()];
}

std::optional<std::uint64_t> file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
  return limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<std::uint64_t>(limit.rlim_cur);
}

std::string file_limit_shortfall(unsigned clients, std::uint64_t limit) {
  const std::uint64_t needed = static_cast<std::uint64_t>(clients) + bench_fd_reserve;
  if (limit >= needed) return "";
  const std::uint64_t fit = limit > bench_fd_reserve ? limit - bench_fd_reserve : 0;
  return "--clients " + std::to_string(clients) + " needs about " + std::to_string(needed) +
         " open files but RLIMIT_NOFILE is " + std::to_string(limit) + ": about " +
         std::to_string(fit) + " connections fit (raise the hard limit, `ulimit -Hn` as root)";
}

std::string describe_open_error(const std::error_code& ec, std::optional<std::uint64_t> limit) {
  // errno values, in the standard's category or Asio's own (which maps only some of them to
  // std::errc conditions, EMFILE not among them).
  const bool errno_value = ec.category() == std::system_category() ||
                           ec.category() == asio::system_category();
  if (errno_value && ec.value() == EMFILE) {
    return "out of file descriptors (" + ec.message() + "; RLIMIT_NOFILE " +
           (limit ? std::to_string(*limit) : std::string("unknown")) + ")";
  }
  if (errno_value && ec.value() == ENFILE) {
    return "out of file descriptors system-wide (" + ec.message() + ", fs.file-max)";
  }
  if (errno_value && (ec.value() == EADDRNOTAVAIL || ec.value() == EADDRINUSE)) {
    return "out of source ports (" + ec.message() +
           "): spread connections over more source addresses with --sources";
  }
  return ec.message();
}

}  // namespace arkmq::bench

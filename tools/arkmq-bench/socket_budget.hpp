// What limits how many connections one arkmq-bench process can hold: its open-file limit and the
// ~28,000 ephemeral ports of one source address. The idle scenario spreads its connections over
// loopback source addresses (127.0.0.2, 127.0.0.3, ...) and names the limit it ran into.
// Pure helpers plus rlimit reads; called on the main thread before connections exist.
#pragma once

#include <asio/ip/address.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace arkmq::bench {

// Connections one source address carries before another is added (--sources 0): below the
// 28,232 ports of Linux's default ip_local_port_range (32768-60999), with room for other users.
inline constexpr unsigned connections_per_source = 20'000;
inline constexpr unsigned max_sources = 250;  // 127.0.0.2 .. 127.0.0.251

// Descriptors the process needs besides its connections (stdio, epoll, the io threads' wake-ups).
inline constexpr std::uint64_t bench_fd_reserve = 32;

// Source addresses to spread `clients` connections over: `requested` loopback addresses from
// 127.0.0.2 when given; with 0, one per connections_per_source when more than one is needed and
// the broker is on IPv4 loopback (127.0.0.0/8); else none (the kernel chooses, one address).
std::vector<asio::ip::address> source_addresses(unsigned requested, unsigned clients,
                                                const asio::ip::address& broker);

// The source address of connection `index`: round robin; nullopt when `sources` is empty.
std::optional<asio::ip::address> source_for(const std::vector<asio::ip::address>& sources,
                                            unsigned index);

// The open-file limit now (soft, after raise_file_limit); nullopt if unreadable.
std::optional<std::uint64_t> file_limit();

// The one-line warning when `clients` connections do not fit in `limit` descriptors, "" if they do.
std::string file_limit_shortfall(unsigned clients, std::uint64_t limit);

// An error opening a connection, in words that name the limit: out of descriptors (EMFILE,
// ENFILE: the rlimit), out of ports (EADDRNOTAVAIL, EADDRINUSE: use --sources), else the message.
std::string describe_open_error(const std::error_code& ec, std::optional<std::uint64_t> limit);

}  // namespace arkmq::bench

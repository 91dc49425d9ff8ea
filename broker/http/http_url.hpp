// HttpUrl: the "http://HOST:PORT" an Endpoint listens on, parsed and checked (loopback or not).
// Plain value type, no I/O. Owner: ops-metrics.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace arkmq::http {

struct HttpUrl {
  std::string host;  // as bound: "127.0.0.1", "::1" (no brackets), "localhost"
  std::uint16_t port = 0;  // 0: any free port

  // "http://127.0.0.1:9090", brackets around an IPv6 host.
  std::string to_string(std::uint16_t actual_port) const;
};

// "http://HOST:PORT" with an optional trailing "/"; IPv6 hosts in brackets. Errors name the
// problem (the caller prefixes the URL).
tl::expected<HttpUrl, std::string> parse_http_url(std::string_view url);

// 127.0.0.0/8, ::1 and "localhost": the addresses only this machine can reach.
bool is_loopback_host(std::string_view host);

}  // namespace arkmq::http

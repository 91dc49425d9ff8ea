// HttpUrl parsing and the loopback check (see http_url.hpp).
#include "broker/http/http_url.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace arkmq::http {

std::string HttpUrl::to_string(std::uint16_t actual_port) const {
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(actual_port);
}

tl::expected<HttpUrl, std::string> parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return tl::unexpected(std::string("expected http://HOST:PORT"));
  }
  std::string_view rest = url.substr(kScheme.size());
  if (rest.ends_with('/')) rest.remove_suffix(1);
  HttpUrl parsed;
  std::string_view port_text;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) {
      return tl::unexpected(std::string("unclosed '[' in the host"));
    }
    parsed.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.starts_with(':')) return tl::unexpected(std::string("missing :PORT"));
    port_text = rest.substr(1);
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) return tl::unexpected(std::string("missing :PORT"));
    parsed.host = std::string(rest.substr(0, colon));
    if (parsed.host.find(':') != std::string::npos) {
      return tl::unexpected(std::string("an IPv6 host needs brackets: http://[::1]:PORT"));
    }
    port_text = rest.substr(colon + 1);
  }
  if (parsed.host.empty()) return tl::unexpected(std::string("missing host"));
  if (parsed.host.find_first_of("/?#@ ") != std::string::npos) {
    return tl::unexpected(std::string("a path, query or user is not allowed"));
  }
  unsigned port = 0;
  const auto* end = port_text.data() + port_text.size();
  const auto [ptr, error] = std::from_chars(port_text.data(), end, port);
  if (port_text.empty() || error != std::errc{} || ptr != end || port > 65535) {
    return tl::unexpected(std::string("the port must be a number from 0 to 65535"));
  }
  parsed.port = static_cast<std::uint16_t>(port);
  return parsed;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  const std::string text(host);
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;  // any other name may resolve to a public address
}

}  // namespace arkmq::http

// Parsing of listener URLs. Only address literals (and "localhost") are accepted: a listener
// that silently binds whatever a resolver returns is a surprise in production.
#include "broker/net/listen_url.hpp"

#include <charconv>
#include <system_error>

#include <asio/ip/address.hpp>

namespace arkmq::net {

namespace {

tl::unexpected<std::string> bad(std::string_view url, std::string_view why) {
  return tl::unexpected(std::string("invalid listener URL '") + std::string(url) + "': " +
                        std::string(why));
}

}  // namespace

std::string ListenUrl::to_string() const {
  std::string out = tls ? "mqtts://" : "mqtt://";
  if (is_ipv6) {
    out += "[" + host + "]";
  } else {
    out += host;
  }
  return out + ":" + std::to_string(port);
}

tl::expected<ListenUrl, std::string> parse_listen_url(std::string_view url) {
  ListenUrl out;
  std::string_view rest;
  if (url.starts_with("mqtt://")) {
    rest = url.substr(7);
  } else if (url.starts_with("mqtts://")) {
    out.tls = true;
    rest = url.substr(8);
  } else {
    return bad(url, "the scheme must be mqtt:// or mqtts://");
  }

  std::string_view host;
  std::string_view port_text;
  if (rest.starts_with("[")) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) {
      return bad(url, "missing ']' after the IPv6 address");
    }
    host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.starts_with(":")) {
      return bad(url, "expected ':PORT' after the IPv6 address");
    }
    port_text = rest.substr(1);
    out.is_ipv6 = true;
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      return bad(url, "missing ':PORT'");
    }
    host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return bad(url, "an IPv6 address must be written in brackets, e.g. [::1]:1883");
    }
  }
  if (host.empty()) {
    return bad(url, "missing host");
  }
  if (port_text.empty()) {
    return bad(url, "missing port");
  }
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
    return bad(url, "the port must be a number from 0 to 65535");
  }
  out.port = static_cast<std::uint16_t>(port);

  if (!out.is_ipv6 && host == "localhost") {
    out.host = "127.0.0.1";
    return out;
  }
  std::error_code error;
  const auto address = asio::ip::make_address(std::string(host), error);
  if (error) {
    return bad(url, "the host must be an IP address literal or localhost");
  }
  if (address.is_v6() != out.is_ipv6) {
    return bad(url, out.is_ipv6 ? "the bracketed host is not an IPv6 address"
                                : "an IPv6 address must be written in brackets");
  }
  out.host = address.to_string();
  return out;
}

}  // namespace arkmq::net

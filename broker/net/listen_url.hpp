// A listener address, mqtt://HOST:PORT or mqtts://HOST:PORT, with IPv4, [IPv6] or localhost.
// Plain value type; parse_listen_url is pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace arkmq::net {

struct ListenUrl {
  bool tls = false;       // mqtts://
  std::string host;       // the address literal, without brackets: "127.0.0.1", "::1"
  std::uint16_t port = 0; // 0: bind a free port
  bool is_ipv6 = false;

  // "mqtt://127.0.0.1:1883", "mqtts://[::1]:8883"; with the bound port once known.
  std::string to_string() const;
};

// Errors are one readable sentence naming what is wrong with the URL.
tl::expected<ListenUrl, std::string> parse_listen_url(std::string_view url);

}  // namespace arkmq::net

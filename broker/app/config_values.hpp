// Names of the enumerated settings (acl_default, tls_identity, log levels) shared by the TOML
// reader and the command line. Pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "broker/core/broker_config.hpp"
#include "broker/net/tls_settings.hpp"

namespace arkmq::app {

inline std::optional<core::AclDefault> parse_acl_default(std::string_view text) {
  if (text == "allow") {
    return core::AclDefault::allow;
  }
  if (text == "deny") {
    return core::AclDefault::deny;
  }
  return std::nullopt;
}

inline std::optional<net::TlsIdentity> parse_tls_identity(std::string_view text) {
  if (text == "cn") {
    return net::TlsIdentity::cn;
  }
  if (text == "san-dns") {
    return net::TlsIdentity::san_dns;
  }
  if (text == "san-email") {
    return net::TlsIdentity::san_email;
  }
  if (text == "san-uri") {
    return net::TlsIdentity::san_uri;
  }
  return std::nullopt;
}

inline bool is_log_level(std::string_view text) {
  return text == "trace" || text == "debug" || text == "info" || text == "warn" || text == "error";
}

}  // namespace arkmq::app

// What the net layer knows about a connection before any MQTT byte: who is at the other end.
// Plain data, fixed at accept time.
#pragma once

#include <optional>
#include <string>

namespace arkmq::core {

// How the listener a client came in on authenticates (set per listener in the config file).
struct ListenerPolicy {
  bool allow_anonymous = false;   // a client without credentials is the anonymous principal
  bool require_password = false;  // on mTLS listeners: the certificate alone is not enough
};

struct ConnectionInfo {
  std::string peer;      // "127.0.0.1:50412", for logs and audit
  std::string listener;  // "mqtts://127.0.0.1:8883"
  bool tls = false;
  // Identity from a verified client certificate (CN, or the configured SAN); set only when the
  // certificate chain was verified against the listener's CA.
  std::optional<std::string> certificate_principal;
  ListenerPolicy policy;
};

}  // namespace arkmq::core

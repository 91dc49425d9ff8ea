// How main wires the net layer's connection-rate bans: the limiter from the [flow_control]
// settings, its $SYS values next to the other extras, and each ban reported to the audit journal
// as a quota_hit. Owned by the quota-net engineer; startup on the main thread, the callbacks then
// run on the accept thread (ban) and under the broker lock ($SYS): both only copy and return.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "broker/core/broker.hpp"
#include "broker/core/broker_events.hpp"
#include "broker/net/connection_rate_limiter.hpp"
#include "broker/net/server.hpp"

namespace arkmq::app {

// Null when the limit is off (max_connections_per_window = 0).
inline std::shared_ptr<net::ConnectionRateLimiter> make_connection_rate_limiter(
    const net::ConnectionRateSettings& settings) {
  if (settings.max_per_window == 0) {
    return nullptr;
  }
  return std::make_shared<net::ConnectionRateLimiter>(settings);
}

// "connection rate: at most 100 connections per 10 s per address, ban 60 s" (or "... off").
inline std::string flow_control_summary(const net::ConnectionRateSettings& settings) {
  if (settings.max_per_window == 0) {
    return "connection rate limit off";
  }
  return "connection rate: at most " + std::to_string(settings.max_per_window) +
         " connections per " + std::to_string(settings.window.count()) +
         " s per address (loopback included), ban " + std::to_string(settings.ban.count()) + " s";
}

// Gives the server the limiter, and reports each ban (once, not every refused attempt) to
// `events` (the audit bridge; may be null) as a quota_hit of kind "connections".
inline void add_connection_rate(net::ServerOptions& options,
                                std::shared_ptr<net::ConnectionRateLimiter> limiter,
                                std::shared_ptr<core::BrokerEvents> events) {
  options.connection_rate = std::move(limiter);
  if (events) {
    options.on_ban = [events](const core::ConnectionInfo& connection, std::string_view message) {
      events->quota_hit(core::ClientIdentity{{}, {}, &connection}, core::QuotaKind::connections,
                        message);
    };
  }
}

// `base` (may be empty) plus quota/banned_addresses (bans in force), quota/bans (started since
// start) and quota/ban_refused_connections (connections closed at accept for a ban).
inline core::SysExtra with_connection_rate_sys(
    core::SysExtra base, std::shared_ptr<net::ConnectionRateLimiter> limiter) {
  if (!limiter) {
    return base;
  }
  return [base = std::move(base), limiter] {
    std::vector<std::pair<std::string, std::string>> values;
    if (base) {
      values = base();
    }
    values.emplace_back("quota/banned_addresses",
                        std::to_string(limiter->banned_addresses(net::Clock::now())));
    values.emplace_back("quota/bans", std::to_string(limiter->bans_total()));
    values.emplace_back("quota/ban_refused_connections",
                        std::to_string(limiter->refused_total()));
    return values;
  };
}

}  // namespace arkmq::app

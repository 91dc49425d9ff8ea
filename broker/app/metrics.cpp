// Metrics: the event counters (see metrics.hpp).
#include "broker/app/metrics.hpp"

namespace arkmq::app {
namespace {

std::size_t index_of(core::DeniedAction action) {
  switch (action) {
    case core::DeniedAction::publish: return 0;
    case core::DeniedAction::subscribe: return 1;
    case core::DeniedAction::receive: return 2;
    case core::DeniedAction::will: return 3;
  }
  return 0;
}

std::size_t index_of(core::QuotaKind kind) {
  switch (kind) {
    case core::QuotaKind::message_rate: return 0;
    case core::QuotaKind::bandwidth: return 1;
    case core::QuotaKind::receive_maximum: return 2;
    case core::QuotaKind::packet_size: return 3;
    case core::QuotaKind::queue: return 4;
    case core::QuotaKind::subscriptions: return 5;
    case core::QuotaKind::connections: return 6;
    case core::QuotaKind::retained: return 7;
  }
  return 0;
}

std::size_t index_of(core::DisconnectInitiator by) {
  switch (by) {
    case core::DisconnectInitiator::client: return 0;
    case core::DisconnectInitiator::broker: return 1;
    case core::DisconnectInitiator::transport: return 2;
  }
  return 0;
}

std::size_t index_of(ServiceDropClass drop) { return static_cast<std::size_t>(drop); }

}  // namespace

std::string_view to_string(ServiceDropClass drop) {
  switch (drop) {
    case ServiceDropClass::late: return "late";
    case ServiceDropClass::duplicate: return "duplicate";
    case ServiceDropClass::unsolicited: return "unsolicited";
    case ServiceDropClass::misdirected: return "misdirected";
    case ServiceDropClass::bad_announcement: return "bad_announcement";
    case ServiceDropClass::bad_call: return "bad_call";
  }
  return "bad_call";
}

// The texts come from services::to_string(ReplyMismatch), service_announce.cpp ("bad
// announcement: ...") and the call parser (anything else: a call that cannot be answered).
ServiceDropClass classify_service_drop(std::string_view why) {
  if (why.starts_with("late")) return ServiceDropClass::late;
  if (why.starts_with("duplicate")) return ServiceDropClass::duplicate;
  if (why.starts_with("unsolicited")) return ServiceDropClass::unsolicited;
  if (why.starts_with("bad announcement")) return ServiceDropClass::bad_announcement;
  if (why.starts_with("reply ") || why.starts_with("not a reply")) {
    return ServiceDropClass::misdirected;  // wrong node, wrong correlation, not a reply topic
  }
  return ServiceDropClass::bad_call;
}

std::string label_of(protocol::ReasonCode code) {
  std::string label(protocol::to_string(code));
  for (char& c : label) {
    if (c == ' ' || c == '-') {
      c = '_';
    } else if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return label;
}

void Metrics::connection_accepted(const core::ConnectionInfo& connection) {
  add(listeners_.of(connection.listener).accepted);
}

void Metrics::login(const core::ClientIdentity& who, std::optional<std::string_view> /*username*/,
                    protocol::ReasonCode result, std::string_view /*why*/) {
  add(logins_[static_cast<std::uint8_t>(result)]);
  if (result == protocol::ReasonCode::success && who.connection != nullptr) {
    listeners_.of(who.connection->listener).connected.fetch_add(1, std::memory_order_relaxed);
  }
}

void Metrics::disconnected(const core::ClientIdentity& who, protocol::ReasonCode /*reason*/,
                           core::DisconnectInitiator by, std::string_view /*why*/) {
  add(disconnects_[index_of(by)]);
  if (who.connection != nullptr) {
    listeners_.of(who.connection->listener).connected.fetch_sub(1, std::memory_order_relaxed);
  }
}

void Metrics::published(const core::ClientIdentity& who, const core::PublishFacts& message) {
  if (who.connection == nullptr) return;  // a will of a session already offline: no listener
  auto& counters = listeners_.of(who.connection->listener);
  add(counters.messages_in);
  counters.payload_bytes_in.fetch_add(message.payload.size(), std::memory_order_relaxed);
}

void Metrics::denied(const core::ClientIdentity& /*who*/, core::DeniedAction action,
                     std::string_view /*topic*/, const core::PublishFacts* /*message*/) {
  add(denials_[index_of(action)]);
}

void Metrics::quota_hit(const core::ClientIdentity& /*who*/, core::QuotaKind kind,
                        std::string_view /*detail*/) {
  add(quota_hits_[index_of(kind)]);
}

void Metrics::service_call(const core::ClientIdentity& /*caller*/,
                           const core::ServiceCallFacts& call) {
  service_calls_.record(call);
}

void Metrics::service_dropped(const core::ClientIdentity& /*who*/, std::string_view /*topic*/,
                              std::string_view why) {
  add(service_drops_[index_of(classify_service_drop(why))]);
}

std::vector<std::pair<protocol::ReasonCode, std::uint64_t>> Metrics::logins() const {
  std::vector<std::pair<protocol::ReasonCode, std::uint64_t>> out;
  for (std::size_t code = 0; code < logins_.size(); ++code) {
    const std::uint64_t count = logins_[code].load(std::memory_order_relaxed);
    if (count != 0) out.emplace_back(static_cast<protocol::ReasonCode>(code), count);
  }
  return out;
}

std::uint64_t Metrics::denials(core::DeniedAction action) const {
  return denials_[index_of(action)].load(std::memory_order_relaxed);
}

std::uint64_t Metrics::denials_total() const {
  std::uint64_t total = 0;
  for (const auto& counter : denials_) total += counter.load(std::memory_order_relaxed);
  return total;
}

std::uint64_t Metrics::quota_hits(core::QuotaKind kind) const {
  return quota_hits_[index_of(kind)].load(std::memory_order_relaxed);
}

std::uint64_t Metrics::disconnects(core::DisconnectInitiator by) const {
  return disconnects_[index_of(by)].load(std::memory_order_relaxed);
}

std::uint64_t Metrics::service_drops(ServiceDropClass drop) const {
  return service_drops_[index_of(drop)].load(std::memory_order_relaxed);
}

void Metrics::set_loop_lag_source(LoopLagSource source) {
  std::lock_guard lock(lag_mutex_);
  loop_lags_ = std::move(source);
}

std::vector<std::chrono::microseconds> Metrics::loop_lags() const {
  std::lock_guard lock(lag_mutex_);
  return loop_lags_ ? loop_lags_() : std::vector<std::chrono::microseconds>{};
}

}  // namespace arkmq::app

// AuditBridge: core events -> audit rows, with the per-client acl_denial rate limit.
#include "broker/app/audit_bridge.hpp"

#include <cstring>

#include "broker/protocol/topic.hpp"

namespace arkmq::app {
namespace {

using storage::AuditDetails;
using storage::AuditEvent;
using storage::AuditOutcome;
using storage::AuditType;

// Rows about connections that never reached a given size keep the map bounded: a sweep drops
// quiet clients once it holds this many.
constexpr std::size_t kDenialSweepAt = 4096;

AuditEvent row(AuditType type, AuditOutcome outcome, const core::ClientIdentity& who) {
  AuditEvent event;
  event.type = type;
  event.outcome = outcome;
  event.client_id = who.client_id;
  event.principal = who.principal;
  if (who.connection != nullptr) {
    event.peer = who.connection->peer;
    event.listener = who.connection->listener;
  }
  return event;
}

// The QoS a SUBACK code grants, when it grants one.
std::optional<int> granted_qos(protocol::ReasonCode code) {
  if (code == protocol::ReasonCode::success) return 0;
  if (code == protocol::ReasonCode::granted_qos_1) return 1;
  if (code == protocol::ReasonCode::granted_qos_2) return 2;
  return std::nullopt;  // a refusal grants nothing
}

std::vector<std::byte> copy_payload(std::span<const std::uint8_t> payload) {
  std::vector<std::byte> out(payload.size());
  if (!payload.empty()) std::memcpy(out.data(), payload.data(), payload.size());
  return out;
}

AuditOutcome outcome_of(protocol::ReasonCode code) {
  return protocol::is_error(code) ? AuditOutcome::deny : AuditOutcome::allow;
}

}  // namespace

std::string_view login_method(const core::ConnectionInfo* connection,
                              std::optional<std::string_view> username, std::string_view principal,
                              bool accepted) {
  const bool certificate = connection != nullptr && connection->certificate_principal.has_value();
  if (accepted) {
    if (principal.empty()) return "anonymous";
    // A certificate login names the certificate's identity; with require_password the
    // password was checked as well, and the user name is what decided.
    if (certificate && principal == *connection->certificate_principal &&
        (!username || !connection->policy.require_password)) {
      return "certificate";
    }
    return username ? "password" : "certificate";
  }
  if (username) return "password";
  return certificate ? "certificate" : "anonymous";
}

AuditBridge::AuditBridge(storage::AuditSink& sink, AuditBridgeOptions options)
    : sink_(sink), options_(std::move(options)) {
  if (options_.publishes && options_.summarize_publishes) {
    summary_ = std::make_unique<PublishSummary>(sink_, options_.summary);
  }
}

void AuditBridge::tick_publish_summary() {
  if (summary_) summary_->tick();
}

void AuditBridge::flush_publish_summary() {
  if (summary_) summary_->flush();
}

std::chrono::steady_clock::time_point AuditBridge::now() const {
  return options_.clock ? options_.clock() : std::chrono::steady_clock::now();
}

bool AuditBridge::captures(std::string_view topic) const {
  for (const std::string& filter : options_.capture_payloads) {
    if (protocol::topic_matches(filter, topic)) return true;
  }
  return false;
}

void AuditBridge::connection_accepted(const core::ConnectionInfo& connection) {
  AuditEvent event = row(AuditType::connection_accepted, AuditOutcome::allow,
                         core::ClientIdentity{{}, {}, &connection});
  sink_.submit(std::move(event));
}

void AuditBridge::tls_failure(const core::ConnectionInfo& connection, std::string_view reason) {
  AuditEvent event =
      row(AuditType::tls_failure, AuditOutcome::deny, core::ClientIdentity{{}, {}, &connection});
  event.details = AuditDetails().add("reason", reason).str();
  sink_.submit(std::move(event));
}

void AuditBridge::login(const core::ClientIdentity& who, std::optional<std::string_view> username,
                        protocol::ReasonCode result, std::string_view why) {
  const bool accepted = result == protocol::ReasonCode::success;
  AuditEvent event = row(accepted ? AuditType::auth_success : AuditType::auth_failure,
                         accepted ? AuditOutcome::allow : AuditOutcome::deny, who);
  AuditDetails details;
  details.add("reason", protocol::to_string(result));
  details.add("method", login_method(who.connection, username, who.principal, accepted));
  if (username) details.add("username", *username);
  if (!why.empty()) details.add("why", why);
  event.details = details.str();
  sink_.submit(std::move(event));
}

void AuditBridge::disconnected(const core::ClientIdentity& who, protocol::ReasonCode reason,
                               core::DisconnectInitiator by, std::string_view why) {
  AuditEvent event = row(AuditType::disconnect, AuditOutcome::allow, who);
  AuditDetails details;
  details.add("reason", protocol::to_string(reason));
  details.add("initiator", core::to_string(by));
  if (!why.empty()) details.add("why", why);
  {
    // Denials suppressed since the client's last acl_denial row are not lost with it.
    std::lock_guard lock(denials_mutex_);
    if (auto found = denials_.find(std::string(who.client_id)); found != denials_.end()) {
      if (found->second.suppressed != 0) {
        details.add("suppressed_denials", found->second.suppressed);
      }
      denials_.erase(found);
    }
  }
  event.details = details.str();
  sink_.submit(std::move(event));
}

void AuditBridge::subscribed(const core::ClientIdentity& who, std::string_view filter,
                             protocol::ReasonCode result) {
  // A refusal by the authorizer is journaled once, as the acl_denial from denied().
  if (result == protocol::ReasonCode::not_authorized) return;
  AuditEvent event = row(AuditType::subscribe, outcome_of(result), who);
  event.topic = filter;
  AuditDetails details;
  if (auto qos = granted_qos(result)) details.add("qos", *qos);
  details.add("reason", protocol::to_string(result));
  event.details = details.str();
  sink_.submit(std::move(event));
}

void AuditBridge::unsubscribed(const core::ClientIdentity& who, std::string_view filter,
                               protocol::ReasonCode result) {
  AuditEvent event = row(AuditType::unsubscribe, outcome_of(result), who);
  event.topic = filter;
  event.details = AuditDetails().add("reason", protocol::to_string(result)).str();
  sink_.submit(std::move(event));
}

void AuditBridge::published(const core::ClientIdentity& who, const core::PublishFacts& message) {
  if (!options_.publishes) return;
  const bool captured = captures(message.topic);
  if (summary_ && !captured) {
    summary_->add(who, message);  // counted; one row per key and interval
    return;
  }
  // One row per message: "all", or a captured topic (replay needs every payload).
  AuditEvent event = row(AuditType::publish, AuditOutcome::allow, who);
  event.topic = message.topic;
  event.details = AuditDetails()
                      .add("qos", static_cast<int>(message.qos))
                      .add("retain", message.retain)
                      .add("size", static_cast<std::uint64_t>(message.payload.size()))
                      .str();
  if (captured) event.payload = copy_payload(message.payload);
  sink_.submit(std::move(event));
}

void AuditBridge::denied(const core::ClientIdentity& who, core::DeniedAction action,
                         std::string_view topic, const core::PublishFacts* message) {
  const std::optional<std::uint64_t> suppressed = admit_denial(who.client_id);
  if (!suppressed) return;
  AuditEvent event = row(AuditType::acl_denial, AuditOutcome::deny, who);
  event.topic = topic;
  AuditDetails details;
  details.add("action", core::to_string(action));
  if (message != nullptr) {
    details.add("qos", static_cast<int>(message->qos));
    details.add("size", static_cast<std::uint64_t>(message->payload.size()));
  }
  if (*suppressed != 0) details.add("suppressed", *suppressed);
  event.details = details.str();
  if (message != nullptr && captures(topic)) event.payload = copy_payload(message->payload);
  sink_.submit(std::move(event));
}

namespace {

// Whose hits share a one-row-per-second window: the client id, or, before there is one (a ban at
// accept), the source address without its port, so bans of different addresses each get a row.
std::string quota_hit_key(const core::ClientIdentity& who) {
  if (!who.client_id.empty() || who.connection == nullptr) return std::string(who.client_id);
  const std::string& peer = who.connection->peer;
  std::string key(1, '\x01');  // appended, not operator+: GCC 12 warns falsely (-Wrestrict)
  key.append(std::string_view(peer).substr(0, peer.rfind(':')));
  return key;
}

}  // namespace

void AuditBridge::quota_hit(const core::ClientIdentity& who, core::QuotaKind kind,
                            std::string_view detail) {
  const std::optional<std::uint64_t> suppressed = admit_quota_hit(quota_hit_key(who), kind);
  if (!suppressed) return;
  AuditEvent event = row(AuditType::quota_hit, AuditOutcome::deny, who);
  AuditDetails details;
  details.add("quota", core::to_string(kind));
  details.add("detail", detail);
  if (*suppressed != 0) details.add("suppressed", *suppressed);
  event.details = details.str();
  sink_.submit(std::move(event));
}

std::optional<std::uint64_t> AuditBridge::admit_quota_hit(std::string_view client_id,
                                                          core::QuotaKind kind) {
  std::string key(client_id);
  key.push_back('\0');
  key.append(core::to_string(kind));
  return admit_once_per_second(std::move(key));
}

std::optional<std::uint64_t> AuditBridge::admit_once_per_second(std::string key) {
  const auto time = now();
  std::lock_guard lock(quota_hits_mutex_);
  if (quota_hits_.size() >= kDenialSweepAt) {
    std::erase_if(quota_hits_, [&](const auto& entry) {
      return entry.second.suppressed == 0 && time - entry.second.start >= std::chrono::seconds(1);
    });
  }
  DenialWindow& window = quota_hits_[std::move(key)];
  if (window.written != 0 && time - window.start < std::chrono::seconds(1)) {
    ++window.suppressed;  // a flooding client: counted, written with its next row
    return std::nullopt;
  }
  window.start = time;
  window.written = 1;
  const std::uint64_t suppressed = window.suppressed;
  window.suppressed = 0;
  return suppressed;
}

namespace {

// "$svc/call/S/M"
std::string call_topic(const core::ServiceCallFacts& call) {
  std::string topic = "$svc/call/";
  topic.append(call.service).append("/").append(call.method);
  return topic;
}

AuditOutcome call_outcome(std::string_view status) {
  if (status == "ok") return AuditOutcome::allow;
  // Refusals by policy; everything else (no node, timeout, backend, bad request) is an error.
  if (status == "denied" || status == "quota_exceeded") return AuditOutcome::deny;
  return AuditOutcome::error;
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char ch : bytes) {
    const auto byte = static_cast<unsigned char>(ch);
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0x0F]);
  }
  return out;
}

}  // namespace

void AuditBridge::service_call(const core::ClientIdentity& caller,
                               const core::ServiceCallFacts& call) {
  AuditEvent event = row(AuditType::service_call, call_outcome(call.status), caller);
  event.topic = call_topic(call);
  AuditDetails details;
  details.add("caller", caller.principal);
  details.add("service", call.service);
  details.add("method", call.method);
  details.add("node", call.node);
  details.add("correlation", hex(call.correlation));
  details.add("status", call.status);
  details.add("latency_us", static_cast<std::int64_t>(call.latency.count()));
  details.add("request_bytes", static_cast<std::uint64_t>(call.request_bytes));
  details.add("reply_bytes", static_cast<std::uint64_t>(call.reply_bytes));
  if (!call.error.empty()) details.add("error", call.error);
  event.details = details.str();
  sink_.submit(std::move(event));
}

void AuditBridge::service_dropped(const core::ClientIdentity& who, std::string_view topic,
                                  std::string_view why) {
  std::string key = quota_hit_key(who);
  key.push_back('\0');
  key.append("service_dropped");  // not a QuotaKind name: its own window
  const std::optional<std::uint64_t> suppressed = admit_once_per_second(std::move(key));
  if (!suppressed) return;
  AuditEvent event = row(AuditType::service_call, AuditOutcome::error, who);
  event.topic = topic;
  AuditDetails details;
  details.add("dropped", why);
  if (*suppressed != 0) details.add("suppressed", *suppressed);
  event.details = details.str();
  sink_.submit(std::move(event));
}

void AuditBridge::service_registry_changed(std::string_view service,
                                           std::size_t nodes_available) {
  if (service_nodes_) service_nodes_->service_registry_changed(service, nodes_available);
}

std::optional<std::uint64_t> AuditBridge::admit_denial(std::string_view client_id) {
  const auto time = now();
  std::lock_guard lock(denials_mutex_);
  if (denials_.size() >= kDenialSweepAt) {
    // Quiet clients with nothing suppressed carry no information: forget them.
    std::erase_if(denials_, [&](const auto& entry) {
      return entry.second.suppressed == 0 && time - entry.second.start >= std::chrono::seconds(1);
    });
  }
  DenialWindow& window = denials_[std::string(client_id)];
  if (window.written == 0 || time - window.start >= std::chrono::seconds(1)) {
    window.start = time;
    window.written = 0;
  }
  if (window.written >= options_.denials_per_second) {
    ++window.suppressed;
    return std::nullopt;
  }
  ++window.written;
  const std::uint64_t suppressed = window.suppressed;
  window.suppressed = 0;
  return suppressed;
}

}  // namespace arkmq::app

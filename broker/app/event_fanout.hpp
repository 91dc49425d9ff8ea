// EventFanout: one core::BrokerEvents that forwards every event to several sinks (the audit
// bridge, the metrics, the status page's recent-events ring). Sinks are added before serving;
// afterwards the list is only read, from worker threads, so no lock is needed.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "broker/core/broker_events.hpp"

namespace arkmq::app {

class EventFanout final : public core::BrokerEvents {
 public:
  // Before Broker::set_events only. Null sinks are ignored.
  void add(std::shared_ptr<core::BrokerEvents> sink) {
    if (sink) sinks_.push_back(std::move(sink));
  }
  bool empty() const { return sinks_.empty(); }

  void connection_accepted(const core::ConnectionInfo& connection) override {
    for (auto& sink : sinks_) sink->connection_accepted(connection);
  }
  void login(const core::ClientIdentity& who, std::optional<std::string_view> username,
             protocol::ReasonCode result, std::string_view why) override {
    for (auto& sink : sinks_) sink->login(who, username, result, why);
  }
  void disconnected(const core::ClientIdentity& who, protocol::ReasonCode reason,
                    core::DisconnectInitiator by, std::string_view why) override {
    for (auto& sink : sinks_) sink->disconnected(who, reason, by, why);
  }
  void subscribed(const core::ClientIdentity& who, std::string_view filter,
                  protocol::ReasonCode result) override {
    for (auto& sink : sinks_) sink->subscribed(who, filter, result);
  }
  void unsubscribed(const core::ClientIdentity& who, std::string_view filter,
                    protocol::ReasonCode result) override {
    for (auto& sink : sinks_) sink->unsubscribed(who, filter, result);
  }
  void published(const core::ClientIdentity& who, const core::PublishFacts& message) override {
    for (auto& sink : sinks_) sink->published(who, message);
  }
  void denied(const core::ClientIdentity& who, core::DeniedAction action, std::string_view topic,
              const core::PublishFacts* message) override {
    for (auto& sink : sinks_) sink->denied(who, action, topic, message);
  }
  void quota_hit(const core::ClientIdentity& who, core::QuotaKind kind,
                 std::string_view detail) override {
    for (auto& sink : sinks_) sink->quota_hit(who, kind, detail);
  }
  void service_call(const core::ClientIdentity& caller,
                    const core::ServiceCallFacts& call) override {
    for (auto& sink : sinks_) sink->service_call(caller, call);
  }
  void service_dropped(const core::ClientIdentity& who, std::string_view topic,
                       std::string_view why) override {
    for (auto& sink : sinks_) sink->service_dropped(who, topic, why);
  }
  void service_registry_changed(std::string_view service, std::size_t nodes_available) override {
    for (auto& sink : sinks_) sink->service_registry_changed(service, nodes_available);
  }

 private:
  std::vector<std::shared_ptr<core::BrokerEvents>> sinks_;
};

}  // namespace arkmq::app

// Reporting durable sessions, subscriptions and retained messages to the DurableState.
#include "broker/core/durable_log.hpp"

namespace arkmq::core {
namespace {

bool is_broker_topic(std::string_view topic) { return !topic.empty() && topic.front() == '$'; }

}  // namespace

void DurableLog::set_state(DurableState* state) {
  state_ = state;
  if (state_ == nullptr) return;
  for (const std::string& client_id : dropped_sessions_) state_->remove_session(client_id);
  for (const auto& [client_id, id] : dropped_messages_) state_->remove_message(client_id, id);
  for (const std::string& topic : dropped_retained_) state_->remove_retained(topic);
  dropped_sessions_.clear();
  dropped_messages_.clear();
  dropped_retained_.clear();
}

void DurableLog::save_session(const Session& session) {
  if (state_ == nullptr || session.durable_log() != this) return;
  state_->save_session(DurableSession{session.client_id(), session.principal(),
                                      session.expiry_interval(), session.expires_at()});
}

void DurableLog::remove_session(const Session& session) {
  if (state_ == nullptr || session.durable_log() != this) return;
  state_->remove_session(session.client_id());
}

void DurableLog::save_retained(const MessagePtr& message) {
  if (state_ != nullptr && !is_broker_topic(message->topic)) state_->save_retained(message);
}

void DurableLog::remove_retained(std::string_view topic) {
  if (state_ != nullptr && !is_broker_topic(topic)) state_->remove_retained(topic);
}

void sync_session(DurableLog& log, Session& session) {
  if (log.state() == nullptr) return;
  if (session.expiry_interval() == 0) {
    // Expiry 0 (at CONNECT, or set at DISCONNECT [MQTT-3.14.2-2]): the session ends with its
    // connection, so nothing of it may come back after a restart.
    log.remove_session(session);
    session.set_durable_log(nullptr);
    return;
  }
  // A session only becomes durable when it is created: an existing session with expiry 0
  // cannot be resumed (it ended with its connection), so there is nothing earlier to save.
  session.set_durable_log(&log);
  log.save_session(session);
}

void report_subscribed(const Session& session, std::string_view filter,
                       std::string_view share_group, const Subscription& subscription) {
  const DurableLog* log = session.durable_log();
  if (log == nullptr || log->state() == nullptr) return;
  log->state()->save_subscription(DurableSubscription{
      session.client_id(),
      SessionSubscription{std::string(filter), std::string(share_group), subscription}});
}

void report_unsubscribed(const Session& session, std::string_view filter,
                         std::string_view share_group) {
  const DurableLog* log = session.durable_log();
  if (log == nullptr || log->state() == nullptr) return;
  log->state()->remove_subscription(session.client_id(), filter, share_group);
}

}  // namespace arkmq::core

// Broker: persistence (durable_state.hpp): restoring what the store loaded, reporting changes.
// Restore runs before serving and reports nothing back; what it drops (expired or orphaned
// records) is reported as removed once the DurableState is set, so the store forgets it too.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "broker/core/broker.hpp"
#include "broker/core/broker_state.hpp"
#include "broker/core/message_builder.hpp"

namespace arkmq::core {
namespace {

using Stage = InFlight::Stage;

struct RestoreCounts {
  std::size_t sessions = 0;
  std::size_t subscriptions = 0;
  std::size_t messages = 0;
  std::size_t retained = 0;
};

void restore_sessions(BrokerData& data, const RestoredState& restored, TimePoint now,
                      RestoreCounts& counts) {
  for (const DurableSession& record : restored.sessions) {
    const bool expired = record.expires_at && *record.expires_at <= now;
    if (expired || record.expiry_interval == 0 || data.sessions.find(record.client_id) != nullptr) {
      data.durable.defer_session_removal(record.client_id);
      continue;
    }
    Session& session = data.sessions.create(record.client_id);
    session.set_principal(record.principal);
    session.set_expiry_interval(record.expiry_interval);
    if (record.expires_at) {
      session.set_expires_at(record.expires_at);
    } else {
      // It was online when the broker stopped: its connection is gone, so it counts from now.
      session.start_expiry(now);
    }
    ++counts.sessions;
  }
}

void restore_subscriptions(BrokerData& data, const RestoredState& restored,
                           RestoreCounts& counts) {
  for (const DurableSubscription& record : restored.subscriptions) {
    Session* session = data.sessions.find(record.client_id);
    if (session == nullptr) continue;  // its session was dropped, and with it this record
    Subscription subscription = record.subscription.subscription;
    subscription.session = session->key();  // keys are per process
    data.subscriptions.subscribe(record.subscription.filter, record.subscription.share_group,
                                 subscription);
    ++counts.subscriptions;
  }
}

// One queued or in-flight message; false when it is dropped.
bool restore_message(Session& session, const DurableMessage& record, const QueueLimits& limits,
                     TimePoint now) {
  Outbound outbound = record.outbound;
  outbound.durable_id = record.id;
  if (record.packet_id == 0) {
    // Queued: expired ones are dropped as they would have been by the queue [MQTT-3.3.2-5].
    if (outbound.message == nullptr || is_expired(*outbound.message, now)) return false;
    return session.enqueue(std::move(outbound), limits);
  }
  if (session.find_in_flight(record.packet_id) != nullptr) return false;
  if (record.stage == Stage::awaiting_pubcomp) {
    outbound.message.reset();  // only PUBREL is resent [MQTT-4.3.3-4]
  } else if (outbound.message == nullptr) {
    return false;
  }
  session.add_in_flight(InFlight{record.packet_id, record.stage, std::move(outbound)});
  // Sent on an earlier connection: resent with DUP=1 when the session resumes [MQTT-4.4.0-1].
  InFlight& entry = session.in_flight().back();
  session.set_awaiting_resend(entry, record.stage != Stage::awaiting_pubcomp);
  return true;
}

void restore_messages(BrokerData& data, const BrokerConfig& config,
                      const RestoredState& restored, TimePoint now, RestoreCounts& counts) {
  const QueueLimits limits{config.max_queued_messages, config.max_queued_bytes};
  std::uint64_t highest = 0;
  for (const DurableMessage& record : restored.messages) {  // in id order: queues keep theirs
    highest = std::max(highest, record.id);
    Session* session = data.sessions.find(record.client_id);
    if (session == nullptr) continue;
    if (restore_message(*session, record, limits, now)) {
      ++counts.messages;
    } else {
      data.durable.defer_message_removal(record.client_id, record.id);
    }
  }
  data.durable.raise_message_ids_to(highest);
}

void restore_retained(BrokerData& data, const RestoredState& restored, TimePoint now,
                      RestoreCounts& counts) {
  for (const MessagePtr& message : restored.retained) {
    if (message == nullptr) continue;
    if (message->payload.empty() || is_expired(*message, now)) {
      data.durable.defer_retained_removal(message->topic);
      continue;
    }
    data.retained.store(message);
    ++counts.retained;
  }
}

}  // namespace

void Broker::restore(const RestoredState& restored, Clock::time_point now) {
  auto data = state_->lock();
  RestoreCounts counts;
  restore_sessions(*data, restored, now, counts);
  restore_subscriptions(*data, restored, counts);
  restore_messages(*data, state_->config(), restored, now, counts);
  for (const auto& [client_id, packet_id] : restored.inbound_qos2) {
    // Still unreleased: a resent PUBLISH with this id is acknowledged, not routed [MQTT-4.3.3-10].
    if (Session* session = data->sessions.find(client_id)) session->add_inbound_qos2(packet_id);
  }
  restore_retained(*data, restored, now, counts);
  // Only now: the restored state is already in the store, so none of the above was reported.
  data->sessions.for_each([&](Session& session) { session.set_durable_log(&data->durable); });
  // Called after set_durable_state after all: report what was dropped now.
  if (DurableState* durable = data->durable.state()) data->durable.set_state(durable);
  spdlog::info("restored {} sessions, {} subscriptions, {} queued or in-flight messages, {} "
               "retained messages",
               counts.sessions, counts.subscriptions, counts.messages, counts.retained);
}

void Broker::set_durable_state(std::shared_ptr<DurableState> durable) {
  state_->set_durable(durable);
  state_->lock()->durable.set_state(durable.get());
}

}  // namespace arkmq::core

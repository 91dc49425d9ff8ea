// RecordingDurableState: records, commits on demand, replays like a store.
#include "broker/core/test_support/recording_durable_state.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>

namespace arkmq::core::test {
namespace {

using Kind = RecordingDurableState::Kind;

const char* stage_name(std::uint16_t packet_id, InFlight::Stage stage) {
  if (packet_id == 0) return "queued";
  switch (stage) {
    case InFlight::Stage::awaiting_puback: return "puback";
    case InFlight::Stage::awaiting_pubrec: return "pubrec";
    case InFlight::Stage::awaiting_pubcomp: return "pubcomp";
  }
  return "?";
}

std::string full_filter(std::string_view filter, std::string_view group) {
  return group.empty() ? std::string(filter) : fmt::format("$share/{}/{}", group, filter);
}

}  // namespace

void RecordingDurableState::save_session(const DurableSession& session) {
  Report r;
  r.kind = Kind::save_session;
  r.text = fmt::format("save_session {} {} {}", session.client_id, session.expiry_interval,
                       session.expires_at ? "offline" : "online");
  r.session = session;
  record(std::move(r));
}

void RecordingDurableState::remove_session(std::string_view client_id) {
  Report r;
  r.kind = Kind::remove_session;
  r.text = fmt::format("remove_session {}", client_id);
  r.client_id = client_id;
  record(std::move(r));
}

void RecordingDurableState::save_subscription(const DurableSubscription& subscription) {
  Report r;
  r.kind = Kind::save_subscription;
  r.text = fmt::format("save_subscription {} {}", subscription.client_id,
                       full_filter(subscription.subscription.filter,
                                   subscription.subscription.share_group));
  r.subscription = subscription;
  record(std::move(r));
}

void RecordingDurableState::remove_subscription(std::string_view client_id,
                                                std::string_view filter,
                                                std::string_view share_group) {
  Report r;
  r.kind = Kind::remove_subscription;
  r.text = fmt::format("remove_subscription {} {}", client_id, full_filter(filter, share_group));
  r.client_id = client_id;
  r.name = filter;
  r.share_group = share_group;
  record(std::move(r));
}

void RecordingDurableState::save_message(const DurableMessage& message) {
  Report r;
  r.kind = Kind::save_message;
  r.text = message.packet_id == 0
               ? fmt::format("save_message {} #{} queued", message.client_id, message.id)
               : fmt::format("save_message {} #{} pid={} {}", message.client_id, message.id,
                             message.packet_id, stage_name(message.packet_id, message.stage));
  r.message = message;
  record(std::move(r));
}

void RecordingDurableState::remove_message(std::string_view client_id, std::uint64_t id) {
  Report r;
  r.kind = Kind::remove_message;
  r.text = fmt::format("remove_message {} #{}", client_id, id);
  r.client_id = client_id;
  r.id = id;
  record(std::move(r));
}

void RecordingDurableState::add_inbound_qos2(std::string_view client_id, std::uint16_t packet_id) {
  Report r;
  r.kind = Kind::add_inbound_qos2;
  r.text = fmt::format("add_inbound_qos2 {} {}", client_id, packet_id);
  r.client_id = client_id;
  r.packet_id = packet_id;
  record(std::move(r));
}

void RecordingDurableState::remove_inbound_qos2(std::string_view client_id,
                                                std::uint16_t packet_id) {
  Report r;
  r.kind = Kind::remove_inbound_qos2;
  r.text = fmt::format("remove_inbound_qos2 {} {}", client_id, packet_id);
  r.client_id = client_id;
  r.packet_id = packet_id;
  record(std::move(r));
}

void RecordingDurableState::save_retained(const MessagePtr& message) {
  Report r;
  r.kind = Kind::save_retained;
  r.text = fmt::format("save_retained {}", message->topic);
  r.retained = message;
  record(std::move(r));
}

void RecordingDurableState::remove_retained(std::string_view topic) {
  Report r;
  r.kind = Kind::remove_retained;
  r.text = fmt::format("remove_retained {}", topic);
  r.name = topic;
  record(std::move(r));
}

void RecordingDurableState::record(Report report) {
  std::vector<std::function<void()>> due;
  {
    std::lock_guard lock(mutex_);
    report.ticket = ++last_;
    reports_.push_back(std::move(report));
    if (!auto_commit_) return;
    committed_ = last_;
    for (auto& [ticket, done] : waiting_) due.push_back(std::move(done));
    waiting_.clear();
  }
  for (auto& done : due) done();
}

DurableState::Ticket RecordingDurableState::last_ticket() const {
  std::lock_guard lock(mutex_);
  return last_;
}

void RecordingDurableState::when_committed(Ticket ticket, std::function<void()> done) {
  {
    std::lock_guard lock(mutex_);
    if (ticket > committed_) {
      waiting_.emplace_back(ticket, std::move(done));
      return;
    }
  }
  done();  // already committed: at once, as the contract says
}

void RecordingDurableState::commit(Ticket ticket) {
  std::vector<std::function<void()>> due;
  {
    std::lock_guard lock(mutex_);
    committed_ = std::max(committed_, std::min(ticket, last_));
    auto ready = std::stable_partition(waiting_.begin(), waiting_.end(),
                                       [&](const auto& w) { return w.first <= committed_; });
    for (auto it = waiting_.begin(); it != ready; ++it) due.push_back(std::move(it->second));
    waiting_.erase(waiting_.begin(), ready);
  }
  for (auto& done : due) done();  // outside the mutex, like a writer thread
}

void RecordingDurableState::set_auto_commit(bool on) {
  {
    std::lock_guard lock(mutex_);
    auto_commit_ = on;
  }
  if (on) commit_all();
}

std::vector<std::string> RecordingDurableState::take() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (; taken_ < reports_.size(); ++taken_) out.push_back(reports_[taken_].text);
  return out;
}

std::vector<RecordingDurableState::Report> RecordingDurableState::reports() const {
  std::lock_guard lock(mutex_);
  return reports_;
}

std::size_t RecordingDurableState::pending_callbacks() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

RestoredState replay(const std::vector<RecordingDurableState::Report>& reports,
                     DurableState::Ticket up_to) {
  std::map<std::string, DurableSession> sessions;
  std::map<std::pair<std::string, std::string>, DurableSubscription> subscriptions;
  std::map<std::uint64_t, DurableMessage> messages;
  std::map<std::pair<std::string, std::uint16_t>, bool> inbound;
  std::map<std::string, MessagePtr> retained;
  for (const auto& r : reports) {
    if (r.ticket > up_to) break;
    switch (r.kind) {
      case Kind::save_session: sessions[r.session.client_id] = r.session; break;
      case Kind::remove_session:
        sessions.erase(r.client_id);
        std::erase_if(subscriptions, [&](const auto& s) { return s.first.first == r.client_id; });
        std::erase_if(messages, [&](const auto& m) { return m.second.client_id == r.client_id; });
        std::erase_if(inbound, [&](const auto& i) { return i.first.first == r.client_id; });
        break;
      case Kind::save_subscription: {
        const auto& s = r.subscription;
        subscriptions[{s.client_id, full_filter(s.subscription.filter, s.subscription.share_group)}] = s;
        break;
      }
      case Kind::remove_subscription:
        subscriptions.erase({r.client_id, full_filter(r.name, r.share_group)});
        break;
      case Kind::save_message: messages[r.message.id] = r.message; break;
      case Kind::remove_message: messages.erase(r.id); break;
      case Kind::add_inbound_qos2: inbound[{r.client_id, r.packet_id}] = true; break;
      case Kind::remove_inbound_qos2: inbound.erase({r.client_id, r.packet_id}); break;
      case Kind::save_retained: retained[r.retained->topic] = r.retained; break;
      case Kind::remove_retained: retained.erase(r.name); break;
    }
  }
  RestoredState out;
  for (auto& [id, s] : sessions) out.sessions.push_back(s);
  for (auto& [key, s] : subscriptions) out.subscriptions.push_back(s);
  for (auto& [id, m] : messages) out.messages.push_back(m);
  for (auto& [key, on] : inbound) out.inbound_qos2.push_back(key);
  for (auto& [topic, m] : retained) out.retained.push_back(m);
  return out;
}

}  // namespace arkmq::core::test

// Test double for DurableState: records every report as a line of text with its ticket, and
// lets the test commit tickets (running the when_committed callbacks). Test-only; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "broker/core/durable_state.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {

class RecordingDurableState final : public DurableState {
 public:
  enum class Kind {
    save_session, remove_session, save_subscription, remove_subscription, save_message,
    remove_message, add_inbound_qos2, remove_inbound_qos2, save_retained, remove_retained
  };
  struct Report {
    Ticket ticket = 0;
    Kind kind = Kind::save_session;
    // e.g. "save_session sub 600 offline", "save_message sub #3 pid=1 puback"
    std::string text;
    // The report's arguments (those of its kind are set).
    DurableSession session;
    DurableSubscription subscription;
    DurableMessage message;
    MessagePtr retained;
    std::string client_id;
    std::string name;  // filter or topic
    std::string share_group;
    std::uint64_t id = 0;
    std::uint16_t packet_id = 0;
  };

  void save_session(const DurableSession& session) override;
  void remove_session(std::string_view client_id) override;
  void save_subscription(const DurableSubscription& subscription) override;
  void remove_subscription(std::string_view client_id, std::string_view filter,
                           std::string_view share_group) override;
  void save_message(const DurableMessage& message) override;
  void remove_message(std::string_view client_id, std::uint64_t id) override;
  void add_inbound_qos2(std::string_view client_id, std::uint16_t packet_id) override;
  void remove_inbound_qos2(std::string_view client_id, std::uint16_t packet_id) override;
  void save_retained(const MessagePtr& message) override;
  void remove_retained(std::string_view topic) override;
  Ticket last_ticket() const override;
  void when_committed(Ticket ticket, std::function<void()> done) override;

  // Commits every report up to `ticket` (all of them by default) and runs the callbacks due.
  void commit(Ticket ticket);
  void commit_all() { commit(last_ticket()); }
  // When true (the default is false), every report is committed at once.
  void set_auto_commit(bool on);

  // The reports' texts since the last call.
  std::vector<std::string> take();
  // Every report so far.
  std::vector<Report> reports() const;
  std::size_t pending_callbacks() const;

 private:
  void record(Report report);

  mutable std::mutex mutex_;
  std::vector<Report> reports_;
  std::size_t taken_ = 0;
  Ticket last_ = 0;
  Ticket committed_ = 0;
  bool auto_commit_ = false;
  std::vector<std::pair<Ticket, std::function<void()>>> waiting_;
};

// The state a store would hold after the reports up to `up_to` (what a restart after a crash
// would load); messages in id order. Lets tests check that the reports are complete.
// A broker from `fixture` persisting into `durable`, committing every report at once (tests turn
// auto-commit off to hold acknowledgements).
inline Broker& make_durable_broker(BrokerFixture& fixture,
                                   const std::shared_ptr<RecordingDurableState>& durable) {
  Broker& broker = fixture.make();
  durable->set_auto_commit(true);
  broker.set_durable_state(durable);
  return broker;
}

RestoredState replay(const std::vector<RecordingDurableState::Report>& reports,
                     DurableState::Ticket up_to);

}  // namespace arkmq::core::test

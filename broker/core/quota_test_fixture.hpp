// Test-only fixture for the flow-control tests: a LimitsProvider whose limits a test sets, a
// BrokerEvents recording quota_hit, and clients authenticated as a chosen principal. One thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/core/broker_state.hpp"
#include "broker/core/client_limits.hpp"
#include "broker/core/test_support/properties.hpp"
#include "broker/core/test_support/test_client.hpp"

namespace arkmq::core::test {

class FakeLimits final : public LimitsProvider {
 public:
  ClientLimits limits_for(std::string_view principal) override {
    ++fetches;
    const auto found = by_principal_.find(std::string(principal));
    return found == by_principal_.end() ? ClientLimits{} : found->second;
  }
  std::uint64_t generation() const override { return generation_; }
  void set(const std::string& principal, const ClientLimits& limits) {
    by_principal_[principal] = limits;
    ++generation_;
  }
  int fetches = 0;

 private:
  std::map<std::string, ClientLimits> by_principal_;
  std::uint64_t generation_ = 1;
};

struct QuotaHit {
  std::string client_id;
  std::string principal;
  QuotaKind kind;
  std::string detail;
};

class QuotaEvents final : public BrokerEvents {
 public:
  void quota_hit(const ClientIdentity& who, QuotaKind kind, std::string_view detail) override {
    hits.push_back(QuotaHit{std::string(who.client_id), std::string(who.principal), kind,
                            std::string(detail)});
  }
  std::size_t count(QuotaKind kind) const {
    std::size_t n = 0;
    for (const QuotaHit& hit : hits) n += hit.kind == kind ? 1 : 0;
    return n;
  }
  std::vector<QuotaHit> hits;
};

inline ClientLimits rate(std::uint64_t per_s, std::uint64_t burst) {
  ClientLimits limits;
  limits.publish.msgs_per_s = per_s;
  limits.publish.msgs_burst = burst;
  return limits;
}

class QuotaFixture : public ::testing::Test {
 protected:
  Broker& make() {
    Broker& broker = fx.make();
    broker.set_limits_provider(limits);
    broker.set_events(events);
    return broker;
  }
  // A client whose CONNECT authenticates as `principal`.
  std::unique_ptr<TestClient> client(Broker& broker, const std::string& principal,
                                     const std::string& client_id,
                                     ProtocolVersion version = ProtocolVersion::v5,
                                     bool clean_start = true, protocol::Properties props = {}) {
    fx.policy->principal = principal;
    auto c = std::make_unique<TestClient>(broker, version);
    const protocol::Connack connack = c->connect(client_id, clean_start, std::move(props));
    EXPECT_EQ(connack.reason, ReasonCode::success);
    return c;
  }
  QuotaCounters& counters() { return fx.broker->state().counters().quota; }
  static std::uint64_t value(const std::atomic<std::uint64_t>& counter) { return counter.load(); }

  BrokerFixture fx;
  std::shared_ptr<FakeLimits> limits = std::make_shared<FakeLimits>();
  std::shared_ptr<QuotaEvents> events = std::make_shared<QuotaEvents>();
};

inline std::vector<ReasonCode> puback_reasons(TestClient& c) {
  std::vector<ReasonCode> out;
  for (const auto& ack : c.received_of<protocol::Puback>()) out.push_back(ack.reason);
  return out;
}

}  // namespace arkmq::core::test

// CompiledPolicy::check over 10,000 rules: per-user (%u), per-role, wildcard and deep literal
// rules, for publish, receive and subscribe, hit and miss. Benchmark code only.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "acl/policy.hpp"

namespace arkmq::acl {
namespace {

constexpr ActionSet kPublish = static_cast<ActionSet>(Action::publish);
constexpr ActionSet kReadOnly =
    static_cast<ActionSet>(Action::subscribe) | static_cast<ActionSet>(Action::receive);

Rule make_rule(std::int64_t id, Effect effect, Subject subject, std::string value,
               std::string topic, ActionSet actions, std::int32_t priority = 0) {
  Rule rule;
  rule.id = id;
  rule.effect = effect;
  rule.subject = subject;
  rule.subject_value = std::move(value);
  rule.topic = std::move(topic);
  rule.actions = actions;
  rule.priority = priority;
  return rule;
}

// 6,000 per-user + 1,000 per-role + 1,000 wildcard + 2,000 deep literal rules.
std::vector<Rule> ten_thousand_rules() {
  std::vector<Rule> rules;
  std::int64_t id = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string name = "user" + std::to_string(i);
    rules.push_back(make_rule(++id, Effect::allow, Subject::user, name, "home/%u/#", kAllActions));
    rules.push_back(
        make_rule(++id, Effect::allow, Subject::user, name, "devices/%c/+/telemetry", kPublish));
  }
  for (int i = 0; i < 500; ++i) {
    const std::string role = "role" + std::to_string(i);
    rules.push_back(make_rule(++id, Effect::allow, Subject::role, role, "team/%r/#", kAllActions));
    rules.push_back(make_rule(++id, Effect::allow, Subject::role, role,
                              "plant/" + std::to_string(i) + "/+/status", kReadOnly));
  }
  for (int i = 0; i < 500; ++i) {
    const std::string k = std::to_string(i);
    rules.push_back(
        make_rule(++id, Effect::allow, Subject::anyone, "", "fleet/" + k + "/+/cmd", kAllActions));
    rules.push_back(
        make_rule(++id, Effect::deny, Subject::anyone, "", "+/" + k + "/alarm/#", kPublish, 1));
  }
  for (int i = 0; i < 2000; ++i) {
    rules.push_back(make_rule(++id, Effect::allow, Subject::anyone, "",
                              "factory/line" + std::to_string(i % 10) + "/cell" +
                                  std::to_string(i / 10 % 10) + "/machine" +
                                  std::to_string(i / 100) + "/sensor/value",
                              kAllActions));
  }
  return rules;
}

const CompiledPolicy& policy() {
  static const CompiledPolicy compiled =
      CompiledPolicy::compile(ten_thousand_rules(), Effect::deny).value();
  return compiled;
}

struct Caller {
  std::vector<std::string> roles{"role17", "role300", "role499"};
  Principal principal{"user2024", false, &roles, "user2024-dev"};
};

void run(benchmark::State& state, Action action, std::string_view topic, Effect expected) {
  const auto& compiled = policy();
  const Caller caller;
  if (compiled.check(caller.principal, action, topic).effect != expected) {
    state.SkipWithError("unexpected verdict");
    return;
  }
  for (auto _ : state) {
    auto verdict = compiled.check(caller.principal, action, topic);
    benchmark::DoNotOptimize(verdict);
  }
}

void BM_PublishHitPerUser(benchmark::State& s) {
  run(s, Action::publish, "home/user2024/lamp/state", Effect::allow);
}
void BM_PublishHitClientId(benchmark::State& s) {
  run(s, Action::publish, "devices/user2024-dev/t1/telemetry", Effect::allow);
}
void BM_PublishHitDeepLiteral(benchmark::State& s) {
  run(s, Action::publish, "factory/line3/cell4/machine17/sensor/value", Effect::allow);
}
void BM_PublishDeniedByWildcard(benchmark::State& s) {
  run(s, Action::publish, "fleet/42/alarm/x", Effect::deny);
}
void BM_PublishMiss(benchmark::State& s) {
  run(s, Action::publish, "nowhere/abc/def/ghi", Effect::deny);
}
void BM_PublishOtherUsersTopic(benchmark::State& s) {
  run(s, Action::publish, "home/user7/lamp/state", Effect::deny);
}
void BM_PublishSys(benchmark::State& s) {
  run(s, Action::publish, "$SYS/broker/load", Effect::deny);
}
void BM_ReceiveHitRole(benchmark::State& s) {
  run(s, Action::receive, "plant/300/boiler/status", Effect::allow);
}
void BM_ReceiveHitWildcard(benchmark::State& s) {
  run(s, Action::receive, "fleet/123/truck9/cmd", Effect::allow);
}
void BM_ReceiveMiss(benchmark::State& s) {
  run(s, Action::receive, "plant/301/boiler/status", Effect::deny);
}
void BM_SubscribeHitPerUser(benchmark::State& s) {
  run(s, Action::subscribe, "home/user2024/#", Effect::allow);
}
void BM_SubscribeHitShared(benchmark::State& s) {
  run(s, Action::subscribe, "$share/g/fleet/7/+/cmd", Effect::allow);
}
void BM_SubscribeMissWildcard(benchmark::State& s) {
  run(s, Action::subscribe, "home/+/lamp", Effect::deny);
}
void BM_SubscribeMissHash(benchmark::State& s) {
  run(s, Action::subscribe, "#", Effect::deny);
}

BENCHMARK(BM_PublishHitPerUser);
BENCHMARK(BM_PublishHitClientId);
BENCHMARK(BM_PublishHitDeepLiteral);
BENCHMARK(BM_PublishDeniedByWildcard);
BENCHMARK(BM_PublishMiss);
BENCHMARK(BM_PublishOtherUsersTopic);
BENCHMARK(BM_PublishSys);
BENCHMARK(BM_ReceiveHitRole);
BENCHMARK(BM_ReceiveHitWildcard);
BENCHMARK(BM_ReceiveMiss);
BENCHMARK(BM_SubscribeHitPerUser);
BENCHMARK(BM_SubscribeHitShared);
BENCHMARK(BM_SubscribeMissWildcard);
BENCHMARK(BM_SubscribeMissHash);

void BM_Compile(benchmark::State& state) {
  const auto rules = ten_thousand_rules();
  for (auto _ : state) {
    auto compiled = CompiledPolicy::compile(rules, Effect::deny);
    benchmark::DoNotOptimize(compiled);
  }
}
BENCHMARK(BM_Compile)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace arkmq::acl

BENCHMARK_MAIN();

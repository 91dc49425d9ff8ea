// The broker's identity and access authority: one current snapshot of users and compiled rules,
// replaced whole when the store changes. Thread-safe: login/check from every worker, update from
// the store watcher. The broker's adapter to core::Authenticator/Authorizer lives in broker/app.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "acl/model.hpp"
#include "acl/policy.hpp"
#include "broker/protocol/reason_code.hpp"

namespace arkmq::acl {

struct AuthoritySettings {
  Effect default_effect = Effect::deny;  // no rule matched
  // Broker-wide client-id binding, e.g. "%u-*" ("" = any client id). A user's own pattern wins.
  // Assigned client ids (the client sent none) are always accepted: they are unique.
  std::string client_id_pattern;
};

struct LoginRequest {
  std::string_view client_id;
  bool client_id_assigned = false;
  std::optional<std::string_view> username;
  std::optional<std::string_view> password;               // never logged, never stored
  std::optional<std::string_view> certificate_principal;  // verified client certificate identity
  bool allow_anonymous = false;   // the listener's setting
  bool require_password = false;  // the listener's setting: certificate alone is not enough
};

struct LoginResult {
  // success, bad_user_name_or_password (wrong password and unknown user alike),
  // not_authorized (no credentials where they are needed), client_identifier_not_valid (binding).
  protocol::ReasonCode reason = protocol::ReasonCode::not_authorized;
  std::string principal;  // empty when anonymous
  bool anonymous = false;
  std::string why;        // for the log and the audit journal; never contains the password
};

// A decision with its explanation, for `arkmqctl acl check` and denial logs.
struct Explanation {
  Effect effect = Effect::deny;
  std::optional<Rule> rule;  // the deciding rule (compiled service rules name their grant)
  std::string why;
  std::vector<Rule> also_matched;  // lower-priority rules that matched too
  std::string substituted_topic;   // the deciding rule's filter after %u/%c/%r substitution
};

class Authority {
 public:
  explicit Authority(AuthoritySettings settings);
  ~Authority();

  // Compiles `data` (rules + compiled service grants) and makes it current. On a compile error
  // the old snapshot stays and the error is returned. Returns the principals that existed as
  // users before and are gone now (the broker disconnects their clients).
  tl::expected<std::vector<std::string>, std::string> update(const PolicyData& data);

  LoginResult login(const LoginRequest& request) const;

  // `principal` empty means anonymous. Roles come from the current snapshot.
  Effect check(std::string_view principal, std::string_view client_id, Action action,
               std::string_view topic) const;
  Explanation explain(std::string_view principal, bool anonymous, std::string_view client_id,
                      Action action, std::string_view topic) const;

  std::uint64_t generation() const;  // bumped by every successful update

 private:
  struct Snapshot;
  std::shared_ptr<const Snapshot> current() const;
  Effect decide(const Snapshot& snapshot, std::string_view principal, std::string_view client_id,
                Action action, std::string_view topic) const;

  AuthoritySettings settings_;
  mutable std::mutex mutex_;  // guards current_ only; readers copy the pointer and go
  std::shared_ptr<const Snapshot> current_;
  // current_.get(), published with it: check() compares it with the snapshot its thread's
  // decision cache was filled from (which that cache keeps alive, so the address cannot be
  // reused by a newer snapshot) and refills on any difference, without taking mutex_.
  std::atomic<const Snapshot*> current_raw_{nullptr};
  std::uint64_t generation_ = 0;
};

}  // namespace arkmq::acl

// The Authority: snapshot replacement, logins (password, certificate, anonymous, client-id
// binding) and decisions. Readers copy the snapshot pointer under the mutex and work unlocked.
#include "acl/authority.hpp"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "acl/client_id_binding.hpp"
#include "acl/decision_cache.hpp"
#include "acl/login_cache.hpp"
#include "acl/password_hash.hpp"
#include "acl/rule_substitution.hpp"
#include "acl/service_topics.hpp"

namespace arkmq::acl {
namespace {

using protocol::ReasonCode;

// Lets the hot path look users up by string_view without building a std::string.
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view name) const noexcept {
    return std::hash<std::string_view>{}(name);
  }
};

using UserMap = std::unordered_map<std::string, UserRecord, NameHash, std::equal_to<>>;

// For the log line: a client-chosen user name or client id may hold anything, so control
// characters, quotes and backslashes are escaped and very long values cut short.
std::string quoted(std::string_view text) {
  constexpr std::size_t kMaxShown = 256;
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(text.size(), kMaxShown) + 8);
  out += '"';
  for (const char c : text.substr(0, kMaxShown)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F || c == '"' || c == '\\') {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    } else {
      out += c;
    }
  }
  if (text.size() > kMaxShown) out += "...";
  out += '"';
  return out;
}

// `principal` is set only where the identity was established (a client-id binding refusal);
// a failed authentication names the claimed identity in `why` only.
LoginResult refuse(ReasonCode reason, std::string principal, std::string why) {
  LoginResult result;
  result.reason = reason;
  result.principal = std::move(principal);
  result.why = std::move(why);
  return result;
}

}  // namespace

struct Authority::Snapshot {
  UserMap users;
  CompiledPolicy policy;
  // Shared by every snapshot of one Authority: entries stay valid across updates because a hit
  // also requires the user's current stored hash to be the one the password verified against.
  std::shared_ptr<LoginCache> login_cache;

  const UserRecord* find_user(std::string_view name) const {
    const auto it = users.find(name);
    return it == users.end() ? nullptr : &it->second;
  }
};

namespace {

// The one password check for every path, so that an unknown user, a certificate-only user and a
// wrong password all cost one default-strength PBKDF2 (a cache hit is only possible with the
// right password) and all end in the same reason code. Returns "" on success, else the why.
std::string check_password(const UserRecord* user, std::string_view name,
                           const std::optional<std::string_view>& password, LoginCache* cache) {
  const std::string_view given = password.value_or(std::string_view{});
  if (user == nullptr) {
    burn_verify_time(given);
    return "unknown user " + quoted(name);
  }
  if (user->password_hash.empty()) {
    burn_verify_time(given);
    return "user " + quoted(name) + " has no password (certificate login only)";
  }
  if (!password) {
    burn_verify_time(given);
    return "no password given for user " + quoted(name);
  }
  if (cache != nullptr && cache->contains(name, given, user->password_hash)) return {};
  if (!verify_password(given, user->password_hash)) {
    return "wrong password for user " + quoted(name);
  }
  if (cache != nullptr) cache->remember(name, given, user->password_hash);
  return {};
}

}  // namespace

Authority::Authority(AuthoritySettings settings) : settings_(std::move(settings)) {
  // An empty policy cannot fail to compile; if it ever did, current_ stays null and every
  // decision is a deny (fail closed).
  auto empty = CompiledPolicy::compile({}, settings_.default_effect);
  if (empty) {
    current_ = std::make_shared<const Snapshot>(
        Snapshot{UserMap{}, std::move(*empty), std::make_shared<LoginCache>()});
    current_raw_.store(current_.get(), std::memory_order_release);
  }
}

Authority::~Authority() = default;

std::shared_ptr<const Authority::Snapshot> Authority::current() const {
  const std::lock_guard lock(mutex_);
  return current_;
}

std::uint64_t Authority::generation() const {
  const std::lock_guard lock(mutex_);
  return generation_;
}

tl::expected<std::vector<std::string>, std::string> Authority::update(const PolicyData& data) {
  UserMap users;
  users.reserve(data.users.size());
  for (const auto& user : data.users) {
    if (!users.emplace(user.name, user).second) {
      return tl::unexpected("duplicate user " + quoted(user.name));
    }
  }
  std::vector<Rule> rules = data.rules;
  auto service_rules = compile_service_grants(data.call_grants, data.serve_grants);
  rules.insert(rules.end(), std::make_move_iterator(service_rules.begin()),
               std::make_move_iterator(service_rules.end()));
  auto compiled = CompiledPolicy::compile(std::move(rules), settings_.default_effect);
  if (!compiled) return tl::unexpected(std::move(compiled.error()));

  const auto previous = current();
  auto cache =
      previous && previous->login_cache ? previous->login_cache : std::make_shared<LoginCache>();
  auto next = std::make_shared<const Snapshot>(
      Snapshot{std::move(users), std::move(*compiled), std::move(cache)});

  std::vector<std::string> removed;
  {
    const std::lock_guard lock(mutex_);
    // Compare against what is current now, not `previous`: another update may have won.
    if (current_) {
      for (const auto& [name, user] : current_->users) {
        if (!next->users.contains(name)) removed.push_back(name);
      }
    }
    current_ = std::move(next);
    current_raw_.store(current_.get(), std::memory_order_release);
    ++generation_;
  }
  std::sort(removed.begin(), removed.end());
  return removed;
}

LoginResult Authority::login(const LoginRequest& request) const {
  const auto snapshot = current();
  const auto find_user = [&](std::string_view name) -> const UserRecord* {
    return snapshot ? snapshot->find_user(name) : nullptr;
  };
  LoginCache* cache = snapshot ? snapshot->login_cache.get() : nullptr;

  LoginResult result;
  const UserRecord* user = nullptr;
  std::string how;
  if (request.certificate_principal) {
    const std::string_view cert = *request.certificate_principal;
    // An empty identity would be indistinguishable from an anonymous client.
    if (cert.empty()) {
      return refuse(ReasonCode::not_authorized, {}, "client certificate names no identity");
    }
    if (request.username && *request.username != cert) {
      return refuse(ReasonCode::bad_user_name_or_password, {},
                    "user name " + quoted(*request.username) +
                        " does not match the certificate identity " + quoted(cert));
    }
    user = find_user(cert);
    if (request.require_password && (!request.username || !request.password)) {
      // Missing credentials, not wrong ones: the certificate alone is not enough here.
      burn_verify_time(request.password.value_or(std::string_view{}));
      return refuse(
          ReasonCode::not_authorized, {},
          "listener requires a user name and password with the certificate " + quoted(cert));
    }
    if (request.password) {
      // Presented credentials are never ignored: a password sent with a certificate must be
      // right, even where the listener would accept the certificate alone.
      std::string failed = check_password(user, cert, request.password, cache);
      if (!failed.empty()) {
        return refuse(ReasonCode::bad_user_name_or_password, {}, std::move(failed));
      }
      how = "certificate and password";
    } else {
      how = "certificate";
    }
    result.principal = std::string(cert);
  } else if (request.username) {
    const std::string_view name = *request.username;
    user = find_user(name);
    std::string failed = check_password(user, name, request.password, cache);
    if (!failed.empty()) {
      return refuse(ReasonCode::bad_user_name_or_password, {}, std::move(failed));
    }
    how = "password";
    result.principal = std::string(name);
  } else if (request.allow_anonymous) {
    result.anonymous = true;
    how = "anonymous";
  } else {
    return refuse(ReasonCode::not_authorized, {},
                  "anonymous access is not enabled on this listener");
  }

  const std::string& pattern = user != nullptr && !user->client_id_pattern.empty()
                                   ? user->client_id_pattern
                                   : settings_.client_id_pattern;
  if (!request.client_id_assigned &&
      !client_id_matches(pattern, request.client_id, result.principal, result.anonymous)) {
    const std::string who = result.anonymous ? "anonymous client" : quoted(result.principal);
    return refuse(ReasonCode::client_identifier_not_valid, result.principal,
                  "client id " + quoted(request.client_id) + " of " + who +
                      " does not match the pattern " + quoted(pattern));
  }

  result.reason = ReasonCode::success;
  result.why = result.anonymous ? "anonymous login"
                                : "logged in as " + quoted(result.principal) + " by " + how;
  return result;
}

Effect Authority::decide(const Snapshot& snapshot, std::string_view principal,
                         std::string_view client_id, Action action,
                         std::string_view topic) const {
  const UserRecord* user = principal.empty() ? nullptr : snapshot.find_user(principal);
  const Principal who{principal, principal.empty(), user != nullptr ? &user->roles : nullptr,
                      client_id};
  return snapshot.policy.check(who, action, topic).effect;
}

Effect Authority::check(std::string_view principal, std::string_view client_id, Action action,
                        std::string_view topic) const {
  // One cache per thread (the broker's workers each ask about their own connections' streams),
  // valid for one snapshot: a reload publishes a new snapshot pointer and the next check on
  // every thread starts afresh. Hits are compared in full, so they are exactly what the policy
  // would decide; explain() always evaluates.
  struct ThreadDecisions {
    std::shared_ptr<const Snapshot> snapshot;  // what `cache` was filled from; kept alive
    DecisionCache cache;
  };
  thread_local ThreadDecisions local;
  const Snapshot* now = current_raw_.load(std::memory_order_acquire);
  if (now == nullptr) return Effect::deny;
  if (local.snapshot.get() != now) {
    local.snapshot = current();
    local.cache.clear();
    if (!local.snapshot) return Effect::deny;
  }
  // Without rules the decision is the built-in `$` rules or the default: cheaper than a lookup.
  if (local.snapshot->policy.rule_count() == 0) {
    return decide(*local.snapshot, principal, client_id, action, topic);
  }
  const DecisionKey key{principal, client_id, action, topic};
  const std::uint64_t hash = DecisionCache::hash(key);
  if (const auto hit = local.cache.find(key, hash)) return *hit;
  const Effect effect = decide(*local.snapshot, principal, client_id, action, topic);
  local.cache.store(key, hash, effect);
  return effect;
}

Explanation Authority::explain(std::string_view principal, bool anonymous,
                               std::string_view client_id, Action action,
                               std::string_view topic) const {
  Explanation out;
  anonymous = anonymous || principal.empty();  // as check() reads an empty principal
  const auto snapshot = current();
  if (!snapshot) {
    out.why = "no policy loaded: deny";
    return out;
  }
  const UserRecord* user = anonymous ? nullptr : snapshot->find_user(principal);
  const Principal who{anonymous ? std::string_view{} : principal, anonymous,
                      user != nullptr ? &user->roles : nullptr, client_id};
  const Verdict verdict = snapshot->policy.check(who, action, topic);
  out.effect = verdict.effect;
  out.why = std::string(verdict.why);
  if (verdict.rule != nullptr) {
    out.rule = *verdict.rule;
    if (!verdict.rule->origin.empty()) out.why += " (" + verdict.rule->origin + ")";
    out.substituted_topic = substitute_rule_topic(*verdict.rule, who, action, topic);
  }
  for (const Rule* rule : snapshot->policy.matching_rules(who, action, topic)) {
    if (rule != verdict.rule) out.also_matched.push_back(*rule);
  }
  return out;
}

}  // namespace arkmq::acl

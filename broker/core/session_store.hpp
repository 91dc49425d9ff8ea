// Client id -> Session, plus SessionKey -> Session for routing. Creates and destroys sessions;
// the rules for when (clean start, takeover, expiry) live in session_lifecycle.
// Owned by BrokerData; touched only under the broker lock.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "broker/core/session.hpp"

namespace arkmq::core {

class SessionStore {
 public:
  Session* find(std::string_view client_id);
  Session* find(SessionKey key);
  // Creates a session; the client id must not have one.
  Session& create(const std::string& client_id);
  void erase(SessionKey key);

  std::size_t size() const { return by_key_.size(); }
  // `visit` may erase the session it is given, no other.
  void for_each(const std::function<void(Session&)>& visit);

 private:
  SessionKey next_key_ = 1;
  std::unordered_map<SessionKey, std::unique_ptr<Session>> by_key_;
  // Keys view the sessions' own client ids: one copy of each id, not two (issue 7).
  std::unordered_map<std::string_view, Session*> by_client_id_;
};

}  // namespace arkmq::core

// Session lookup by client id and by key.
#include "broker/core/session_store.hpp"

#include <vector>

namespace arkmq::core {

Session* SessionStore::find(std::string_view client_id) {
  auto it = by_client_id_.find(client_id);
  return it == by_client_id_.end() ? nullptr : it->second;
}

Session* SessionStore::find(SessionKey key) {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->second.get();
}

Session& SessionStore::create(const std::string& client_id) {
  auto session = std::make_unique<Session>(client_id, next_key_++);
  Session& ref = *session;
  by_key_[ref.key()] = std::move(session);
  by_client_id_[ref.client_id()] = &ref;
  return ref;
}

void SessionStore::erase(SessionKey key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return;
  by_client_id_.erase(it->second->client_id());  // before the session (and the id it views) goes
  by_key_.erase(it);
}

void SessionStore::for_each(const std::function<void(Session&)>& visit) {
  // Collect first so `visit` may erase the session it is given (and only that one).
  std::vector<Session*> all;
  all.reserve(by_key_.size());
  for (auto& [key, session] : by_key_) all.push_back(session.get());
  for (Session* session : all) visit(*session);
}

}  // namespace arkmq::core

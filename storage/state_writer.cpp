// StateWriter: prepared statements over the state.db schema (see state_writer.hpp).
// Owned by the durable-store engineer.
#include "storage/state_writer.hpp"

#include <charconv>
#include <map>
#include <type_traits>
#include <utility>

namespace arkmq::storage {
namespace {

std::string join_ids(const std::vector<std::uint32_t>& ids) {
  std::string out;
  for (std::uint32_t id : ids) {
    if (!out.empty()) out += ',';
    out += std::to_string(id);
  }
  return out;
}

std::vector<std::uint32_t> split_ids(const std::string& text) {
  std::vector<std::uint32_t> out;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    std::uint32_t value = 0;
    auto [next, ec] = std::from_chars(p, end, value);
    if (ec != std::errc()) break;
    out.push_back(value);
    p = next;
    if (p < end && *p == ',') ++p;
  }
  return out;
}

std::int64_t as_i64(std::uint64_t value) { return static_cast<std::int64_t>(value); }

}  // namespace

// Chains Result<void> calls: returns the first failure (#undef at the end of this file).
#define ARKMQ_TRY(expr)                                          \
  do {                                                           \
    if (auto arkmq_try_r = (expr); !arkmq_try_r) {               \
      return tl::unexpected(std::move(arkmq_try_r).error());     \
    }                                                            \
  } while (false)

struct StateWriter::Statements {
  Statement save_session;
  Statement remove_session;
  Statement remove_session_subscriptions;
  Statement session_bodies;
  Statement remove_session_messages;
  Statement remove_session_qos2;
  Statement save_subscription;
  Statement remove_subscription;
  Statement insert_body;
  Statement body_of_message;
  Statement drop_unused_body;
  Statement save_message;
  Statement remove_message;
  Statement add_qos2;
  Statement remove_qos2;
  Statement save_retained;
  Statement remove_retained;
};

namespace {

Result<Statement> prep(Database& db, std::string_view sql) { return db.prepare(sql); }

}  // namespace

Result<StateWriter> StateWriter::create(Database db) {
  StateWriter writer(std::move(db));
  Database& d = writer.db_;
  const std::pair<Statement StateWriter::Statements::*, std::string_view> sql[] = {
      {&Statements::save_session,
       "INSERT OR REPLACE INTO sessions(client_id, principal, expiry_interval, expires_at_us) "
       "VALUES(?1, ?2, ?3, ?4)"},
      {&Statements::remove_session, "DELETE FROM sessions WHERE client_id = ?1"},
      {&Statements::remove_session_subscriptions,
       "DELETE FROM subscriptions WHERE client_id = ?1"},
      {&Statements::session_bodies, "SELECT DISTINCT body_id FROM messages WHERE client_id = ?1"},
      {&Statements::remove_session_messages, "DELETE FROM messages WHERE client_id = ?1"},
      {&Statements::remove_session_qos2, "DELETE FROM inbound_qos2 WHERE client_id = ?1"},
      {&Statements::save_subscription,
       "INSERT OR REPLACE INTO subscriptions(client_id, share_group, filter, max_qos, no_local, "
       "retain_as_published, retain_handling, subscription_id) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
      {&Statements::remove_subscription,
       "DELETE FROM subscriptions WHERE client_id = ?1 AND share_group = ?2 AND filter = ?3"},
      {&Statements::insert_body, "INSERT OR IGNORE INTO bodies(id, data) VALUES(?1, ?2)"},
      {&Statements::body_of_message,
       "SELECT body_id FROM messages WHERE client_id = ?1 AND id = ?2"},
      {&Statements::drop_unused_body,
       "DELETE FROM bodies WHERE id = ?1 AND NOT EXISTS "
       "(SELECT 1 FROM messages WHERE body_id = ?1)"},
      {&Statements::save_message,
       "INSERT INTO messages(client_id, id, body_id, qos, retain, subscription_ids, packet_id, "
       "stage) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(client_id, id) DO UPDATE SET "
       "body_id = excluded.body_id, qos = excluded.qos, retain = excluded.retain, "
       "subscription_ids = excluded.subscription_ids, packet_id = excluded.packet_id, "
       "stage = excluded.stage"},
      {&Statements::remove_message, "DELETE FROM messages WHERE client_id = ?1 AND id = ?2"},
      {&Statements::add_qos2,
       "INSERT OR IGNORE INTO inbound_qos2(client_id, packet_id) VALUES(?1, ?2)"},
      {&Statements::remove_qos2,
       "DELETE FROM inbound_qos2 WHERE client_id = ?1 AND packet_id = ?2"},
      {&Statements::save_retained, "INSERT OR REPLACE INTO retained(topic, data) VALUES(?1, ?2)"},
      {&Statements::remove_retained, "DELETE FROM retained WHERE topic = ?1"},
  };
  // Statement has no default constructor: build each, then move it into place.
  std::vector<Statement> built;
  built.reserve(std::size(sql));
  for (const auto& [member, text] : sql) {
    auto stmt = prep(d, text);
    if (!stmt) return tl::unexpected(stmt.error());
    built.push_back(std::move(*stmt));
  }
  std::size_t i = 0;
  auto take = [&] { return std::move(built[i++]); };
  writer.stmts_.reset(new Statements{take(), take(), take(), take(), take(), take(), take(),
                                     take(), take(), take(), take(), take(), take(), take(),
                                     take(), take(), take()});
  return writer;
}

StateWriter::StateWriter(Database db) : db_(std::move(db)) {}
StateWriter::StateWriter(StateWriter&&) noexcept = default;
StateWriter& StateWriter::operator=(StateWriter&&) noexcept = default;
StateWriter::~StateWriter() = default;

Result<void> StateWriter::apply(std::span<const StateOp> ops) {
  added_bodies_.clear();
  auto tx = Transaction::begin(db_, Transaction::Kind::immediate);
  if (!tx) return tl::unexpected(tx.error());
  Result<void> result;
  for (const StateOp& op : ops) {
    result = apply_one(op);
    if (!result) break;
  }
  if (result) result = tx->commit();
  if (!result) {
    (void)tx->rollback();
    for (std::uint64_t id : added_bodies_) stored_bodies_.erase(id);
  }
  added_bodies_.clear();
  return result;
}

Result<void> StateWriter::drop_body_if_unused(std::int64_t body_id) {
  Statement& drop = stmts_->drop_unused_body;
  drop.reset();
  ARKMQ_TRY(drop.bind_int64(1, body_id));
  ARKMQ_TRY(drop.run());
  if (db_.changes() > 0) stored_bodies_.erase(static_cast<std::uint64_t>(body_id));
  return {};
}

Result<void> StateWriter::apply_one(const StateOp& op) {
  Statements& s = *stmts_;
  return std::visit(
      [&](const auto& change) -> Result<void> {
        using T = std::decay_t<decltype(change)>;
        if constexpr (std::is_same_v<T, state_op::SaveSession>) {
          const StoredSession& v = change.session;
          Statement& st = s.save_session;
          st.reset();
          ARKMQ_TRY(st.bind_text(1, v.client_id));
          ARKMQ_TRY(st.bind_text(2, v.principal));
          ARKMQ_TRY(st.bind_int64(3, v.expiry_interval));
          ARKMQ_TRY(v.expires_at_us ? st.bind_int64(4, *v.expires_at_us) : st.bind_null(4));
          return st.run();
        } else if constexpr (std::is_same_v<T, state_op::RemoveSession>) {
          std::vector<std::int64_t> bodies;
          Statement& q = s.session_bodies;
          q.reset();
          ARKMQ_TRY(q.bind_text(1, change.client_id));
          for (;;) {
            auto row = q.step();
            if (!row) return tl::unexpected(row.error());
            if (!*row) break;
            bodies.push_back(q.column_int64(0));
          }
          for (Statement* st : {&s.remove_session, &s.remove_session_subscriptions,
                                &s.remove_session_messages, &s.remove_session_qos2}) {
            st->reset();
            ARKMQ_TRY(st->bind_text(1, change.client_id));
            ARKMQ_TRY(st->run());
          }
          for (std::int64_t body : bodies) ARKMQ_TRY(drop_body_if_unused(body));
          return {};
        } else if constexpr (std::is_same_v<T, state_op::SaveSubscription>) {
          const StoredSubscription& v = change.subscription;
          Statement& st = s.save_subscription;
          st.reset();
          ARKMQ_TRY(st.bind_text(1, v.client_id));
          ARKMQ_TRY(st.bind_text(2, v.share_group));
          ARKMQ_TRY(st.bind_text(3, v.filter));
          ARKMQ_TRY(st.bind_int64(4, v.max_qos));
          ARKMQ_TRY(st.bind_int64(5, v.no_local ? 1 : 0));
          ARKMQ_TRY(st.bind_int64(6, v.retain_as_published ? 1 : 0));
          ARKMQ_TRY(st.bind_int64(7, v.retain_handling));
          ARKMQ_TRY(st.bind_int64(8, v.subscription_id));
          return st.run();
        } else if constexpr (std::is_same_v<T, state_op::RemoveSubscription>) {
          Statement& st = s.remove_subscription;
          st.reset();
          ARKMQ_TRY(st.bind_text(1, change.client_id));
          ARKMQ_TRY(st.bind_text(2, change.share_group));
          ARKMQ_TRY(st.bind_text(3, change.filter));
          return st.run();
        } else if constexpr (std::is_same_v<T, state_op::SaveMessage>) {
          const StoredMessage& v = change.message;
          if (v.body && !stored_bodies_.contains(v.body_id)) {
            Statement& body = s.insert_body;
            body.reset();
            ARKMQ_TRY(body.bind_int64(1, as_i64(v.body_id)));
            ARKMQ_TRY(body.bind_blob(2, *v.body));
            ARKMQ_TRY(body.run());
            stored_bodies_.insert(v.body_id);
            added_bodies_.push_back(v.body_id);
          }
          Statement& st = s.save_message;
          st.reset();
          ARKMQ_TRY(st.bind_text(1, v.client_id));
          ARKMQ_TRY(st.bind_int64(2, as_i64(v.id)));
          ARKMQ_TRY(st.bind_int64(3, as_i64(v.body_id)));
          ARKMQ_TRY(st.bind_int64(4, v.qos));
          ARKMQ_TRY(st.bind_int64(5, v.retain ? 1 : 0));
          ARKMQ_TRY(st.bind_text(6, join_ids(v.subscription_ids)));
          ARKMQ_TRY(st.bind_int64(7, v.packet_id));
          ARKMQ_TRY(st.bind_int64(8, v.stage));
          return st.run();
        } else if constexpr (std::is_same_v<T, state_op::RemoveMessage>) {
          Statement& q = s.body_of_message;
          q.reset();
          ARKMQ_TRY(q.bind_text(1, change.client_id));
          ARKMQ_TRY(q.bind_int64(2, as_i64(change.id)));
          auto row = q.step();
          if (!row) return tl::unexpected(row.error());
          if (!*row) return {};  // already gone (e.g. its session was removed first)
          const std::int64_t body = q.column_int64(0);
          q.reset();
          Statement& st = s.remove_message;
          st.reset();
          ARKMQ_TRY(st.bind_text(1, change.client_id));
          ARKMQ_TRY(st.bind_int64(2, as_i64(change.id)));
          ARKMQ_TRY(st.run());
          return drop_body_if_unused(body);
        } else if constexpr (std::is_same_v<T, state_op::AddInboundQos2> ||
                             std::is_same_v<T, state_op::RemoveInboundQos2>) {
          Statement& st =
              std::is_same_v<T, state_op::AddInboundQos2> ? s.add_qos2 : s.remove_qos2;
          st.reset();
          ARKMQ_TRY(st.bind_text(1, change.client_id));
          ARKMQ_TRY(st.bind_int64(2, change.packet_id));
          return st.run();
        } else if constexpr (std::is_same_v<T, state_op::SaveRetained>) {
          Statement& st = s.save_retained;
          st.reset();
          ARKMQ_TRY(st.bind_text(1, change.retained.topic));
          static const StateBlob kEmpty;
          ARKMQ_TRY(st.bind_blob(2, change.retained.body ? *change.retained.body : kEmpty));
          return st.run();
        } else {
          static_assert(std::is_same_v<T, state_op::RemoveRetained>);
          Statement& st = s.remove_retained;
          st.reset();
          ARKMQ_TRY(st.bind_text(1, change.topic));
          return st.run();
        }
      },
      op);
}

Result<StoredState> StateWriter::load() {
  StoredState out;
  auto tx = Transaction::begin(db_);  // one consistent snapshot
  if (!tx) return tl::unexpected(tx.error());

  auto sessions = db_.prepare(
      "SELECT client_id, principal, expiry_interval, expires_at_us FROM sessions "
      "ORDER BY client_id");
  if (!sessions) return tl::unexpected(sessions.error());
  for (;;) {
    auto row = sessions->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    StoredSession v;
    v.client_id = sessions->column_text(0);
    v.principal = sessions->column_text(1);
    v.expiry_interval = static_cast<std::uint32_t>(sessions->column_int64(2));
    if (!sessions->column_is_null(3)) v.expires_at_us = sessions->column_int64(3);
    out.sessions.push_back(std::move(v));
  }

  auto subs = db_.prepare(
      "SELECT client_id, share_group, filter, max_qos, no_local, retain_as_published, "
      "retain_handling, subscription_id FROM subscriptions ORDER BY client_id, share_group, "
      "filter");
  if (!subs) return tl::unexpected(subs.error());
  for (;;) {
    auto row = subs->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    StoredSubscription v;
    v.client_id = subs->column_text(0);
    v.share_group = subs->column_text(1);
    v.filter = subs->column_text(2);
    v.max_qos = static_cast<std::uint8_t>(subs->column_int64(3));
    v.no_local = subs->column_int64(4) != 0;
    v.retain_as_published = subs->column_int64(5) != 0;
    v.retain_handling = static_cast<std::uint8_t>(subs->column_int64(6));
    v.subscription_id = static_cast<std::uint32_t>(subs->column_int64(7));
    out.subscriptions.push_back(std::move(v));
  }

  std::map<std::int64_t, SharedStateBlob> bodies;
  auto body_rows = db_.prepare("SELECT id, data FROM bodies");
  if (!body_rows) return tl::unexpected(body_rows.error());
  for (;;) {
    auto row = body_rows->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    const std::int64_t id = body_rows->column_int64(0);
    bodies.emplace(id, std::make_shared<const StateBlob>(body_rows->column_blob(1)));
    out.max_body_id = std::max(out.max_body_id, static_cast<std::uint64_t>(id));
    stored_bodies_.insert(static_cast<std::uint64_t>(id));
  }

  auto messages = db_.prepare(
      "SELECT client_id, id, body_id, qos, retain, subscription_ids, packet_id, stage "
      "FROM messages ORDER BY id");
  if (!messages) return tl::unexpected(messages.error());
  for (;;) {
    auto row = messages->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    StoredMessage v;
    v.client_id = messages->column_text(0);
    v.id = static_cast<std::uint64_t>(messages->column_int64(1));
    v.body_id = static_cast<std::uint64_t>(messages->column_int64(2));
    auto body = bodies.find(messages->column_int64(2));
    if (body == bodies.end()) {
      return tl::unexpected(make_error(
          Error::Kind::corrupt, db_.path(), "inconsistent state database",
          "message " + std::to_string(v.id) + " of '" + v.client_id + "' has no body"));
    }
    v.body = body->second;
    v.qos = static_cast<std::uint8_t>(messages->column_int64(3));
    v.retain = messages->column_int64(4) != 0;
    v.subscription_ids = split_ids(messages->column_text(5));
    v.packet_id = static_cast<std::uint16_t>(messages->column_int64(6));
    v.stage = static_cast<std::uint8_t>(messages->column_int64(7));
    out.max_message_id = std::max(out.max_message_id, v.id);
    out.messages.push_back(std::move(v));
  }

  auto qos2 = db_.prepare(
      "SELECT client_id, packet_id FROM inbound_qos2 ORDER BY client_id, packet_id");
  if (!qos2) return tl::unexpected(qos2.error());
  for (;;) {
    auto row = qos2->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.inbound_qos2.emplace_back(qos2->column_text(0),
                                  static_cast<std::uint16_t>(qos2->column_int64(1)));
  }

  auto retained = db_.prepare("SELECT topic, data FROM retained ORDER BY topic");
  if (!retained) return tl::unexpected(retained.error());
  for (;;) {
    auto row = retained->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.retained.push_back(
        {retained->column_text(0), std::make_shared<const StateBlob>(retained->column_blob(1))});
  }
  return out;
}

}  // namespace arkmq::storage

#undef ARKMQ_TRY

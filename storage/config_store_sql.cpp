// Small SQL helpers shared by ConfigStore's files, and the names stored for enums.
// Owned by the config-store engineer.
#include <chrono>
#include <set>
#include <type_traits>

#include "storage/config_store_impl.hpp"

namespace arkmq::storage::config_detail {

namespace {

// Runs `sql` with text parameters ?1, ?2, ... and collects the first column of each row.
template <typename Column>
Result<std::vector<Column>> select_column(Database& db, std::string_view sql,
                                          std::initializer_list<std::string_view> params) {
  auto stmt = db.prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  int index = 1;
  for (std::string_view p : params) {
    if (auto r = stmt->bind_text(index++, p); !r) return tl::unexpected(r.error());
  }
  std::vector<Column> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return out;
    if constexpr (std::is_same_v<Column, std::int64_t>) {
      out.push_back(stmt->column_int64(0));
    } else {
      out.push_back(stmt->column_text(0));
    }
  }
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string_view subject_name(acl::Subject subject) {
  switch (subject) {
    case acl::Subject::user: return "user";
    case acl::Subject::role: return "role";
    case acl::Subject::client: return "client";
    case acl::Subject::anyone: return "anyone";
    case acl::Subject::anonymous: return "anonymous";
  }
  return "?";
}

std::optional<acl::Subject> subject_from_name(std::string_view name) {
  for (acl::Subject s : {acl::Subject::user, acl::Subject::role, acl::Subject::client,
                         acl::Subject::anyone, acl::Subject::anonymous}) {
    if (subject_name(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view effect_name(acl::Effect effect) {
  switch (effect) {
    case acl::Effect::allow: return "allow";
    case acl::Effect::deny: return "deny";
  }
  return "?";
}

std::optional<acl::Effect> effect_from_name(std::string_view name) {
  if (name == "allow") return acl::Effect::allow;
  if (name == "deny") return acl::Effect::deny;
  return std::nullopt;
}

Error store_error(const Database& db, Error::Kind kind, std::string_view message) {
  return Error{kind, db.path() + ": " + std::string(message)};
}

tl::unexpected<Error> fail(const Database& db, Error::Kind kind, const std::string& message) {
  return tl::unexpected(store_error(db, kind, message));
}

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

Result<void> check_name(const Database& db, std::string_view what, std::string_view name) {
  if (acl::is_valid_name(name)) return {};
  return fail(db, Error::Kind::invalid,
              "invalid " + std::string(what) + " name " + in_quotes(name));
}

Result<void> record_change(Database& db, const ChangeContext& who, const nlohmann::json& details) {
  auto stmt = db.prepare(
      "INSERT INTO admin_changes(time_us, actor, command, details) VALUES(?1, ?2, ?3, ?4)");
  if (!stmt) return tl::unexpected(stmt.error());
  // replace: a stray invalid UTF-8 byte (in a topic, say) must not turn into an exception.
  const std::string text = details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (auto r = stmt->bind_int64(1, now_us()); !r) return r;
  if (auto r = stmt->bind_text(2, who.actor); !r) return r;
  if (auto r = stmt->bind_text(3, who.command); !r) return r;
  if (auto r = stmt->bind_text(4, text); !r) return r;
  return stmt->run();
}

Result<std::vector<std::string>> select_texts(Database& db, std::string_view sql,
                                              std::initializer_list<std::string_view> params) {
  return select_column<std::string>(db, sql, params);
}

Result<std::vector<std::int64_t>> select_ids(Database& db, std::string_view sql,
                                             std::initializer_list<std::string_view> params) {
  return select_column<std::int64_t>(db, sql, params);
}

Result<void> execute(Database& db, std::string_view sql,
                     std::initializer_list<std::string_view> params) {
  auto rows = select_texts(db, sql, params);
  if (!rows) return tl::unexpected(rows.error());
  return {};
}

// Sorted, without duplicates; every one a valid name of an existing role.
Result<std::vector<std::string>> existing_roles(Database& db,
                                                const std::vector<std::string>& roles) {
  const std::set<std::string> unique(roles.begin(), roles.end());
  for (const std::string& role : unique) {
    if (auto ok = check_name(db, "role", role); !ok) return tl::unexpected(ok.error());
    auto found = select_texts(db, "SELECT name FROM roles WHERE name = ?1", {role});
    if (!found) return tl::unexpected(found.error());
    if (found->empty()) return fail(db, Error::Kind::invalid, "unknown role " + in_quotes(role));
  }
  return std::vector<std::string>(unique.begin(), unique.end());
}

// Deletes row `id` of `table` when it exists; not_found otherwise.
Result<void> delete_by_id(Database& db, std::string_view table, std::string_view noun,
                          std::int64_t id) {
  auto stmt = db.prepare("DELETE FROM " + std::string(table) + " WHERE id = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  if (auto r = stmt->bind_int64(1, id); !r) return r;
  if (auto r = stmt->run(); !r) return r;
  if (db.changes() == 0) {
    return fail(db, Error::Kind::not_found, "no " + std::string(noun) + " " + std::to_string(id));
  }
  return {};
}

// The id of an identical row already stored, found before inserting so the error can name it.
Result<void> refuse_duplicate(Database& db, std::string_view noun, std::string_view sql,
                              std::initializer_list<std::string_view> params) {
  auto ids = select_ids(db, sql, params);
  if (!ids) return tl::unexpected(ids.error());
  if (ids->empty()) return {};
  return fail(db, Error::Kind::conflict,
              "the same " + std::string(noun) + " exists already (id " +
                  std::to_string(ids->front()) + ")");
}

}  // namespace arkmq::storage::config_detail

// ConfigStore's changes to users and roles: each one IMMEDIATE transaction with its AdminChange.
// Owned by the config-store engineer. Details are JSON and never hold a password or a hash.
#include <utility>

#include "storage/config_store_impl.hpp"

namespace arkmq::storage {
namespace {

using config_detail::check_name;
using config_detail::execute;
using config_detail::existing_roles;
using config_detail::fail;
using config_detail::in_quotes;
using config_detail::run_change;
using config_detail::select_ids;
using config_detail::select_texts;
using nlohmann::json;

Result<void> insert_user_roles(Database& db, std::string_view user,
                               const std::vector<std::string>& roles) {
  for (const std::string& role : roles) {
    if (auto r = execute(db, "INSERT INTO user_roles(user, role) VALUES(?1, ?2)", {user, role});
        !r) {
      return r;
    }
  }
  return {};
}

}  // namespace

Result<void> ConfigStore::add_user(const acl::UserRecord& user, const ChangeContext& who) {
  Database& db = impl_->db;
  return run_change(db, impl_->read_only, who, [&](json& details) -> Result<void> {
    if (auto ok = check_name(db, "user", user.name); !ok) return ok;
    auto roles = existing_roles(db, user.roles);
    if (!roles) return tl::unexpected(roles.error());
    auto exists = select_texts(db, "SELECT name FROM users WHERE name = ?1", {user.name});
    if (!exists) return tl::unexpected(exists.error());
    if (!exists->empty()) {
      return fail(db, Error::Kind::conflict, "user " + in_quotes(user.name) + " exists already");
    }
    if (auto r = execute(db,
                         "INSERT INTO users(name, password_hash, client_id_pattern) "
                         "VALUES(?1, ?2, ?3)",
                         {user.name, user.password_hash, user.client_id_pattern});
        !r) {
      return r;
    }
    if (auto r = insert_user_roles(db, user.name, *roles); !r) return r;
    details = json{{"user", user.name},
                   {"roles", *roles},
                   {"password", user.password_hash.empty() ? "none" : "set"},
                   {"client_id_pattern", user.client_id_pattern}};
    return {};
  });
}

Result<void> ConfigStore::remove_user(std::string_view name, const ChangeContext& who) {
  Database& db = impl_->db;
  return run_change(db, impl_->read_only, who, [&](json& details) -> Result<void> {
    if (auto r = execute(db, "DELETE FROM users WHERE name = ?1", {name}); !r) return r;
    if (db.changes() == 0) return fail(db, Error::Kind::not_found, "no user " + in_quotes(name));
    details = json{{"user", name}};
    return {};
  });
}

Result<void> ConfigStore::set_password_hash(std::string_view name, std::string_view hash,
                                            const ChangeContext& who) {
  Database& db = impl_->db;
  return run_change(db, impl_->read_only, who, [&](json& details) -> Result<void> {
    if (auto r = execute(db, "UPDATE users SET password_hash = ?2 WHERE name = ?1", {name, hash});
        !r) {
      return r;
    }
    if (db.changes() == 0) return fail(db, Error::Kind::not_found, "no user " + in_quotes(name));
    // Only the fact of the change: the hash would let anyone reading the log attack the password.
    details = json{{"user", name}, {"password", hash.empty() ? "removed" : "changed"}};
    return {};
  });
}

Result<void> ConfigStore::set_user_roles(std::string_view name,
                                         const std::vector<std::string>& roles,
                                         const ChangeContext& who) {
  Database& db = impl_->db;
  return run_change(db, impl_->read_only, who, [&](json& details) -> Result<void> {
    auto exists = select_texts(db, "SELECT name FROM users WHERE name = ?1", {name});
    if (!exists) return tl::unexpected(exists.error());
    if (exists->empty()) return fail(db, Error::Kind::not_found, "no user " + in_quotes(name));
    auto wanted = existing_roles(db, roles);
    if (!wanted) return tl::unexpected(wanted.error());
    auto previous =
        select_texts(db, "SELECT role FROM user_roles WHERE user = ?1 ORDER BY role", {name});
    if (!previous) return tl::unexpected(previous.error());
    if (auto r = execute(db, "DELETE FROM user_roles WHERE user = ?1", {name}); !r) return r;
    if (auto r = insert_user_roles(db, name, *wanted); !r) return r;
    details = json{{"user", name}, {"roles", *wanted}, {"previous_roles", *previous}};
    return {};
  });
}

Result<void> ConfigStore::add_role(std::string_view name, const ChangeContext& who) {
  Database& db = impl_->db;
  return run_change(db, impl_->read_only, who, [&](json& details) -> Result<void> {
    if (auto ok = check_name(db, "role", name); !ok) return ok;
    auto exists = select_texts(db, "SELECT name FROM roles WHERE name = ?1", {name});
    if (!exists) return tl::unexpected(exists.error());
    if (!exists->empty()) {
      return fail(db, Error::Kind::conflict, "role " + in_quotes(name) + " exists already");
    }
    if (auto r = execute(db, "INSERT INTO roles(name) VALUES(?1)", {name}); !r) return r;
    details = json{{"role", name}};
    return {};
  });
}

// A role's members lose it, and its rules and call grants go with it (they could never match
// again, and would silently come back if a role of the same name were created later).
Result<void> ConfigStore::remove_role(std::string_view name, const ChangeContext& who) {
  Database& db = impl_->db;
  return run_change(db, impl_->read_only, who, [&](json& details) -> Result<void> {
    auto users =
        select_texts(db, "SELECT user FROM user_roles WHERE role = ?1 ORDER BY user", {name});
    if (!users) return tl::unexpected(users.error());
    auto rules = select_ids(
        db, "SELECT id FROM rules WHERE subject = 'role' AND subject_value = ?1 ORDER BY id",
        {name});
    if (!rules) return tl::unexpected(rules.error());
    auto grants = select_ids(
        db, "SELECT id FROM call_grants WHERE subject = 'role' AND subject_value = ?1 ORDER BY id",
        {name});
    if (!grants) return tl::unexpected(grants.error());
    // user_roles rows go by ON DELETE CASCADE.
    if (auto r = execute(db, "DELETE FROM roles WHERE name = ?1", {name}); !r) return r;
    if (db.changes() == 0) return fail(db, Error::Kind::not_found, "no role " + in_quotes(name));
    if (auto r =
            execute(db, "DELETE FROM rules WHERE subject = 'role' AND subject_value = ?1", {name});
        !r) {
      return r;
    }
    if (auto r = execute(
            db, "DELETE FROM call_grants WHERE subject = 'role' AND subject_value = ?1", {name});
        !r) {
      return r;
    }
    details = json{{"role", name},
                   {"removed_from_users", *users},
                   {"removed_rules", *rules},
                   {"removed_call_grants", *grants}};
    return {};
  });
}

}  // namespace arkmq::storage

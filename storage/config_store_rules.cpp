// ConfigStore's changes to topic rules and service grants: one IMMEDIATE transaction each, with
// its AdminChange row. Owned by the config-store engineer.
#include <string>
#include <utility>

#include "storage/config_store_impl.hpp"

namespace arkmq::storage {
namespace {

using config_detail::check_name;
using config_detail::delete_by_id;
using config_detail::effect_name;
using config_detail::execute;
using config_detail::existing_roles;
using config_detail::fail;
using config_detail::refuse_duplicate;
using config_detail::run_change;
using config_detail::subject_name;
using nlohmann::json;

json rule_json(const acl::Rule& rule) {
  return json{{"id", rule.id},
              {"subject", subject_name(rule.subject)},
              {"subject_value", rule.subject_value},
              {"actions", rule.actions},
              {"topic", rule.topic},
              {"effect", effect_name(rule.effect)},
              {"priority", rule.priority}};
}

json call_grant_json(const acl::CallGrant& grant) {
  return json{{"id", grant.id},
              {"subject", subject_name(grant.subject)},
              {"subject_value", grant.subject_value},
              {"service", grant.service},
              {"method", grant.method}};
}

json serve_grant_json(const acl::ServeGrant& grant) {
  return json{{"id", grant.id}, {"node", grant.node}, {"service", grant.service}};
}

Result<void> check_rule(Database& db, const acl::Rule& rule) {
  if (rule.actions == 0 || (rule.actions & ~acl::kAllActions) != 0) {
    return fail(db, Error::Kind::invalid, "a rule needs actions among publish, subscribe, receive");
  }
  if (rule.topic.empty()) return fail(db, Error::Kind::invalid, "a rule needs a topic filter");
  switch (rule.subject) {
    case acl::Subject::user: return check_name(db, "user", rule.subject_value);
    case acl::Subject::role:
      if (auto ok = existing_roles(db, {rule.subject_value}); !ok)
        return tl::unexpected(ok.error());
      return {};
    case acl::Subject::client:
      if (rule.subject_value.empty()) {
        return fail(db, Error::Kind::invalid, "a client rule needs a client-id pattern");
      }
      return {};
    case acl::Subject::anyone:
    case acl::Subject::anonymous:
      if (!rule.subject_value.empty()) {
        return fail(db, Error::Kind::invalid,
                    std::string("a rule for ") + std::string(subject_name(rule.subject)) +
                        " takes no subject value");
      }
      return {};
  }
  return fail(db, Error::Kind::invalid, "unknown rule subject");
}

Result<void> check_call_grant(Database& db, const acl::CallGrant& grant) {
  switch (grant.subject) {
    case acl::Subject::user:
      if (auto ok = check_name(db, "user", grant.subject_value); !ok) return ok;
      break;
    case acl::Subject::role:
      if (auto ok = existing_roles(db, {grant.subject_value}); !ok)
        return tl::unexpected(ok.error());
      break;
    case acl::Subject::client:
    case acl::Subject::anyone:
    case acl::Subject::anonymous:
      return fail(db, Error::Kind::invalid, "a call grant is for a user or a role");
  }
  if (auto ok = check_name(db, "service", grant.service); !ok) return ok;
  if (!grant.method.empty()) return check_name(db, "method", grant.method);
  return {};
}

}  // namespace

Result<std::int64_t> ConfigStore::add_rule(const acl::Rule& rule, const ChangeContext& who) {
  Database& db = impl_->db;
  return run_change(db, impl_->read_only, who, [&](json& details) -> Result<std::int64_t> {
    if (auto ok = check_rule(db, rule); !ok) return tl::unexpected(ok.error());
    const std::string actions = std::to_string(rule.actions);
    const std::string priority = std::to_string(rule.priority);
    const std::initializer_list<std::string_view> values = {subject_name(rule.subject),
                                                            rule.subject_value,
                                                            actions,
                                                            rule.topic,
                                                            effect_name(rule.effect),
                                                            priority};
    // Numbers bound as text compare equal to INTEGER columns through column affinity.
    if (auto dup =
            refuse_duplicate(db, "rule",
                             "SELECT id FROM rules WHERE subject = ?1 AND subject_value = ?2 "
                             "AND actions = ?3 AND topic = ?4 AND effect = ?5 AND priority = ?6",
                             values);
        !dup) {
      return tl::unexpected(dup.error());
    }
    if (auto r =
            execute(db,
                    "INSERT INTO rules(subject, subject_value, actions, topic, effect, priority) "
                    "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                    values);
        !r) {
      return tl::unexpected(r.error());
    }
    acl::Rule stored = rule;
    stored.id = db.last_insert_rowid();
    details = json{{"rule", rule_json(stored)}};
    return stored.id;
  });
}

Result<void> ConfigStore::remove_rule(std::int64_t id, const ChangeContext& who) {
  Database& db = impl_->db;
  return run_change(db, impl_->read_only, who, [&](json& details) -> Result<void> {
    auto stmt = db.prepare(
        "SELECT subject, subject_value, actions, topic, effect, priority FROM rules WHERE id = ?1");
    if (!stmt) return tl::unexpected(stmt.error());
    if (auto r = stmt->bind_int64(1, id); !r) return r;
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return fail(db, Error::Kind::not_found, "no rule " + std::to_string(id));
    // What was removed, so the log alone can tell what the rule was.
    details = json{{"rule",
                    {{"id", id},
                     {"subject", stmt->column_text(0)},
                     {"subject_value", stmt->column_text(1)},
                     {"actions", stmt->column_int64(2)},
                     {"topic", stmt->column_text(3)},
                     {"effect", stmt->column_text(4)},
                     {"priority", stmt->column_int64(5)}}}};
    stmt->reset();
    return delete_by_id(db, "rules", "rule", id);
  });
}

Result<std::int64_t> ConfigStore::add_call_grant(const acl::CallGrant& grant,
                                                 const ChangeContext& who) {
  Database& db = impl_->db;
  return run_change(db, impl_->read_only, who, [&](json& details) -> Result<std::int64_t> {
    if (auto ok = check_call_grant(db, grant); !ok) return tl::unexpected(ok.error());
    const std::initializer_list<std::string_view> values = {
        subject_name(grant.subject), grant.subject_value, grant.service, grant.method};
    if (auto dup = refuse_duplicate(db, "call grant",
                                    "SELECT id FROM call_grants WHERE subject = ?1 AND "
                                    "subject_value = ?2 AND service = ?3 AND method = ?4",
                                    values);
        !dup) {
      return tl::unexpected(dup.error());
    }
    if (auto r = execute(db,
                         "INSERT INTO call_grants(subject, subject_value, service, method) "
                         "VALUES(?1, ?2, ?3, ?4)",
                         values);
        !r) {
      return tl::unexpected(r.error());
    }
    acl::CallGrant stored = grant;
    stored.id = db.last_insert_rowid();
    details = json{{"call_grant", call_grant_json(stored)}};
    return stored.id;
  });
}

Result<void> ConfigStore::remove_call_grant(std::int64_t id, const ChangeContext& who) {
  Database& db = impl_->db;
  return run_change(db, impl_->read_only, who, [&](json& details) -> Result<void> {
    auto stmt =
        db.prepare("SELECT subject, subject_value, service, method FROM call_grants WHERE id = ?1");
    if (!stmt) return tl::unexpected(stmt.error());
    if (auto r = stmt->bind_int64(1, id); !r) return r;
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return fail(db, Error::Kind::not_found, "no call grant " + std::to_string(id));
    details = json{{"call_grant",
                    {{"id", id},
                     {"subject", stmt->column_text(0)},
                     {"subject_value", stmt->column_text(1)},
                     {"service", stmt->column_text(2)},
                     {"method", stmt->column_text(3)}}}};
    stmt->reset();
    return delete_by_id(db, "call_grants", "call grant", id);
  });
}

Result<std::int64_t> ConfigStore::add_serve_grant(const acl::ServeGrant& grant,
                                                  const ChangeContext& who) {
  Database& db = impl_->db;
  return run_change(db, impl_->read_only, who, [&](json& details) -> Result<std::int64_t> {
    if (auto ok = check_name(db, "node", grant.node); !ok) return tl::unexpected(ok.error());
    if (auto ok = check_name(db, "service", grant.service); !ok) return tl::unexpected(ok.error());
    const std::initializer_list<std::string_view> values = {grant.node, grant.service};
    if (auto dup = refuse_duplicate(db, "serve grant",
                                    "SELECT id FROM serve_grants WHERE node = ?1 AND service = ?2",
                                    values);
        !dup) {
      return tl::unexpected(dup.error());
    }
    if (auto r = execute(db, "INSERT INTO serve_grants(node, service) VALUES(?1, ?2)", values);
        !r) {
      return tl::unexpected(r.error());
    }
    acl::ServeGrant stored = grant;
    stored.id = db.last_insert_rowid();
    details = json{{"serve_grant", serve_grant_json(stored)}};
    return stored.id;
  });
}

Result<void> ConfigStore::remove_serve_grant(std::int64_t id, const ChangeContext& who) {
  Database& db = impl_->db;
  return run_change(db, impl_->read_only, who, [&](json& details) -> Result<void> {
    auto stmt = db.prepare("SELECT node, service FROM serve_grants WHERE id = ?1");
    if (!stmt) return tl::unexpected(stmt.error());
    if (auto r = stmt->bind_int64(1, id); !r) return r;
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return fail(db, Error::Kind::not_found, "no serve grant " + std::to_string(id));
    details =
        json{{"serve_grant",
              {{"id", id}, {"node", stmt->column_text(0)}, {"service", stmt->column_text(1)}}}};
    stmt->reset();
    return delete_by_id(db, "serve_grants", "serve grant", id);
  });
}

}  // namespace arkmq::storage

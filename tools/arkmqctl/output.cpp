// Output formatting for arkmqctl: tables and the model's text/JSON spellings.
#include "tools/arkmqctl/output.hpp"

#include <algorithm>

namespace arkmq::ctl {

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::add(std::vector<std::string> row) {
  row.resize(headers_.size());
  rows_.push_back(std::move(row));
}

std::string Table::str() const {
  std::vector<std::size_t> widths(headers_.size(), 0);
  const auto measure = [&widths](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  };
  measure(headers_);
  for (const auto& row : rows_) {
    measure(row);
  }
  std::string out;
  const auto print = [&out, &widths](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        line.append(widths[i] - row[i].size() + 2, ' ');
      }
    }
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    out += line + '\n';
  };
  print(headers_);
  for (const auto& row : rows_) {
    print(row);
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      out += separator;
    }
    out += parts[i];
  }
  return out;
}

std::string_view effect_name(acl::Effect effect) {
  switch (effect) {
    case acl::Effect::allow:
      return "allow";
    case acl::Effect::deny:
      return "deny";
  }
  return "deny";
}

std::string_view subject_kind(acl::Subject subject) {
  switch (subject) {
    case acl::Subject::user:
      return "user";
    case acl::Subject::role:
      return "role";
    case acl::Subject::client:
      return "client";
    case acl::Subject::anyone:
      return "anyone";
    case acl::Subject::anonymous:
      return "anonymous";
  }
  return "?";
}

std::string_view action_name(acl::Action action) {
  switch (action) {
    case acl::Action::publish:
      return "publish";
    case acl::Action::subscribe:
      return "subscribe";
    case acl::Action::receive:
      return "receive";
  }
  return "?";
}

std::string subject_text(acl::Subject subject, const std::string& value) {
  std::string text(subject_kind(subject));
  if (subject == acl::Subject::user || subject == acl::Subject::role ||
      subject == acl::Subject::client) {
    text += ' ';
    text += value;
  }
  return text;
}

std::vector<std::string> action_names(acl::ActionSet actions) {
  std::vector<std::string> names;
  for (const acl::Action action :
       {acl::Action::publish, acl::Action::subscribe, acl::Action::receive}) {
    if (acl::contains(actions, action)) {
      names.emplace_back(action_name(action));
    }
  }
  return names;
}

std::string actions_text(acl::ActionSet actions) {
  if ((actions & acl::kAllActions) == acl::kAllActions) {
    return "all";
  }
  const auto names = action_names(actions);
  return names.empty() ? std::string("none") : join(names, ",");
}

std::string method_text(const std::string& method) {
  return method.empty() ? std::string("every method") : method;
}

std::string_view auth_text(const acl::UserRecord& user) {
  return user.password_hash.empty() ? "certificate only" : "password";
}

std::string rule_line(const acl::Rule& rule) {
  // Compiled service rules carry their grant's id, which is not a rule id: name them apart.
  const std::string name =
      rule.origin.empty() ? "rule " + std::to_string(rule.id) : std::string("service rule");
  return name + ": " + std::string(effect_name(rule.effect)) + ' ' +
         actions_text(rule.actions) + " for " + subject_text(rule.subject, rule.subject_value) +
         " on " + rule.topic + " (priority " + std::to_string(rule.priority) + ")";
}

Table rule_table(const std::vector<acl::Rule>& rules, bool with_origin) {
  std::vector<std::string> headers{"ID", "EFFECT", "ACTIONS", "SUBJECT", "TOPIC", "PRIORITY"};
  if (with_origin) {
    headers.emplace_back("ORIGIN");
  }
  Table table(std::move(headers));
  for (const auto& rule : rules) {
    std::vector<std::string> row{std::to_string(rule.id),
                                 std::string(effect_name(rule.effect)),
                                 actions_text(rule.actions),
                                 subject_text(rule.subject, rule.subject_value),
                                 rule.topic,
                                 std::to_string(rule.priority)};
    if (with_origin) {
      row.push_back(rule.origin.empty() ? std::string("-") : rule.origin);
    }
    table.add(std::move(row));
  }
  return table;
}

nlohmann::json rule_json(const acl::Rule& rule) {
  return nlohmann::json{{"id", rule.id},
                        {"effect", effect_name(rule.effect)},
                        {"actions", action_names(rule.actions)},
                        {"subject", subject_kind(rule.subject)},
                        {"subject_value", rule.subject_value},
                        {"topic", rule.topic},
                        {"priority", rule.priority},
                        {"origin", rule.origin}};
}

nlohmann::json user_json(const acl::UserRecord& user) {
  return nlohmann::json{{"name", user.name},
                        {"auth", auth_text(user)},
                        {"roles", user.roles},
                        {"client_id_pattern", user.client_id_pattern}};
}

nlohmann::json call_grant_json(const acl::CallGrant& grant) {
  return nlohmann::json{{"kind", "call"},
                        {"id", grant.id},
                        {"subject", subject_kind(grant.subject)},
                        {"subject_value", grant.subject_value},
                        {"service", grant.service},
                        {"method", grant.method}};
}

nlohmann::json serve_grant_json(const acl::ServeGrant& grant) {
  return nlohmann::json{
      {"kind", "serve"}, {"id", grant.id}, {"node", grant.node}, {"service", grant.service}};
}

}  // namespace arkmq::ctl

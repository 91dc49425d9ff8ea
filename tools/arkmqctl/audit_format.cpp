// Row formatting for audit query/follow; escaping rules are in audit_escape.hpp.
#include "tools/arkmqctl/audit_format.hpp"

#include <span>
#include <string_view>
#include <vector>

#include "tools/arkmqctl/audit_escape.hpp"
#include "tools/arkmqctl/audit_time.hpp"

namespace arkmq::ctl {

namespace {

using nlohmann::ordered_json;

// The details text as JSON; a string holding the text when it is not a JSON object (a row
// written by hand or by a newer broker).
ordered_json parsed_details(const std::string& details, bool& changed) {
  const std::string utf8 = utf8_for_json(details, changed);
  ordered_json parsed = ordered_json::parse(utf8, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return utf8;
  return parsed;
}

std::string text_field(const std::string& bytes) {
  return bytes.empty() ? "-" : escape_text(bytes, Spaces::escape);
}

// key=value pairs: strings escaped, other values as compact JSON (then escaped too).
std::string text_details(const std::string& details) {
  bool changed = false;
  const ordered_json parsed = parsed_details(details, changed);
  // Invalid UTF-8 is shown byte for byte (\xHH) from the stored text instead of as pairs.
  if (!parsed.is_object() || changed) return text_field(details);
  std::string out;
  for (const auto& [key, value] : parsed.items()) {
    if (!out.empty()) out += ' ';
    out += escape_text(key, Spaces::escape);
    out += '=';
    out += escape_text(value.is_string() ? value.get<std::string>() : dump_ascii(value),
                       Spaces::escape);
  }
  return out.empty() ? "-" : out;
}

std::string payload_base64(const storage::AuditEvent& event) {
  if (!event.payload) return "";
  return base64(std::span<const std::byte>(event.payload->data(), event.payload->size()));
}

std::string text_row(const storage::AuditRecord& record) {
  const auto& e = record.event;
  std::string line = format_audit_time(e.time_us);
  for (const std::string& field :
       {std::to_string(record.seq), std::string(storage::to_string(e.type)),
        std::string(storage::to_string(e.outcome)), text_field(e.principal),
        text_field(e.client_id), text_field(e.peer), text_field(e.topic),
        text_details(e.details)}) {
    line += ' ';
    line += field;
  }
  return line + '\n';
}

std::string json_row(const storage::AuditRecord& record) {
  const auto& e = record.event;
  ordered_json raw_hex = ordered_json::object();
  ordered_json row;
  row["time"] = format_audit_time(e.time_us);
  row["time_us"] = e.time_us;
  row["seq"] = record.seq;
  row["type"] = storage::to_string(e.type);
  row["outcome"] = storage::to_string(e.outcome);
  row["principal"] = json_text(e.principal, "principal", raw_hex);
  row["client_id"] = json_text(e.client_id, "client_id", raw_hex);
  row["peer"] = json_text(e.peer, "peer", raw_hex);
  row["listener"] = json_text(e.listener, "listener", raw_hex);
  row["topic"] = json_text(e.topic, "topic", raw_hex);
  bool changed = false;
  row["details"] = parsed_details(e.details, changed);
  if (changed) raw_hex["details"] = hex_bytes(e.details);
  row["payload"] = e.payload ? ordered_json(payload_base64(e)) : ordered_json(nullptr);
  row["hash"] = storage::to_hex(record.hash);
  if (!raw_hex.empty()) row["raw_hex"] = raw_hex;
  return dump_ascii(row) + '\n';
}

// The details object as compact ASCII JSON, so a CSV reader can hand the cell to a JSON parser;
// text that is not a JSON object is escaped like the other fields.
std::string csv_details(const std::string& details) {
  bool changed = false;
  const ordered_json parsed = parsed_details(details, changed);
  return parsed.is_object() ? dump_ascii(parsed) : escape_text(details);
}

std::string csv_row(const storage::AuditRecord& record) {
  const auto& e = record.event;
  const std::vector<std::string> fields{format_audit_time(e.time_us),
                                        std::to_string(e.time_us),
                                        std::to_string(record.seq),
                                        std::string(storage::to_string(e.type)),
                                        std::string(storage::to_string(e.outcome)),
                                        escape_text(e.principal),
                                        escape_text(e.client_id),
                                        escape_text(e.peer),
                                        escape_text(e.listener),
                                        escape_text(e.topic),
                                        csv_details(e.details),
                                        payload_base64(e),
                                        storage::to_hex(record.hash)};
  std::string line;
  for (const auto& field : fields) {
    if (!line.empty()) line += ',';
    line += csv_field(field);
  }
  return line + '\n';
}

}  // namespace

nlohmann::ordered_json json_text(const std::string& bytes, const char* name,
                                 nlohmann::ordered_json& raw_hex) {
  bool changed = false;
  std::string utf8 = utf8_for_json(bytes, changed);
  if (changed) raw_hex[name] = hex_bytes(bytes);
  return utf8;
}

std::string csv_header() {
  return "time,time_us,seq,type,outcome,principal,client_id,peer,listener,topic,details,payload,"
         "hash\n";
}

std::string format_row(const storage::AuditRecord& record, RowFormat format) {
  switch (format) {
    case RowFormat::text:
      return text_row(record);
    case RowFormat::json:
      return json_row(record);
    case RowFormat::csv:
      return csv_row(record);
  }
  return text_row(record);
}

}  // namespace arkmq::ctl

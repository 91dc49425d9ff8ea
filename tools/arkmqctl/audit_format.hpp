// The three row formats of `arkmqctl audit query` and `follow`: text (one line per row, fields
// split by spaces), JSON Lines and CSV. Documented in docs/arkmqctl.md ("audit"); scripts rely on
// them, so change them only by adding at the end. Pure functions; any thread.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "storage/audit_event.hpp"

namespace arkmq::ctl {

enum class RowFormat { text, json, csv };

// The CSV header line (with its '\n'); the other formats have none.
std::string csv_header();

// One row with its '\n'.
//  text: TIME SEQ TYPE OUTCOME PRINCIPAL CLIENT PEER TOPIC DETAILS; fields escaped with
//        escape_text (spaces too), an empty field is "-", DETAILS is key=value pairs or "-".
//  json: {"time","time_us","seq","type","outcome","principal","client_id","peer","listener",
//         "topic","details" (object),"payload" (base64 or null),"hash"} plus "raw_hex" (the
//         exact bytes of each field that was not valid UTF-8) when there is one.
//  csv:  the header's columns; text fields escaped as in text (spaces kept), details as compact
//        ASCII JSON, payload base64.
std::string format_row(const storage::AuditRecord& record, RowFormat format);

// A JSON string value for bytes that may not be UTF-8; records `name` in `raw_hex` if needed.
nlohmann::ordered_json json_text(const std::string& bytes, const char* name,
                                 nlohmann::ordered_json& raw_hex);

}  // namespace arkmq::ctl

// The audit journal from the system tests: the broker's [audit] table, `arkmqctl audit query --json`
// parsed into rows and polled until the rows a test expects are committed, the journal's bytes,
// tampering with a copy through the sqlite3 CLI, and the AuditTest fixture. Test thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/arkmqctl.hpp"

namespace arkmq::test {

// The [audit] table of the broker's config file; a TOML table ends the top-level keys, so it
// goes last in BrokerOptions::arkmq_config.
struct AuditSettings {
  std::optional<bool> enabled;                // unset: the broker's default (on with a data dir)
  std::string publishes = "all";              // "all" | "summary" | "none"; "": the default
  std::vector<std::string> capture_payloads;  // topic filters whose payloads are kept
  std::string extra;                          // more `key = value` lines for the table
};
std::string audit_config(const AuditSettings& settings);
// Settings that keep the payloads of publishes on these topic filters.
AuditSettings capturing(std::vector<std::string> filters);
// Settings with `publishes = "MODE"` ("all" | "summary" | "none"; "": no line, the default).
AuditSettings journaling_publishes(std::string mode);

// One row of `arkmqctl audit query --json` (JSON Lines).
struct AuditRow {
  std::int64_t seq = 0;
  std::string type;
  std::string outcome;
  std::string client_id;
  std::string principal;
  std::string peer;
  std::string listener;
  std::string topic;
  nlohmann::json details = nlohmann::json::object();
  std::optional<std::string> payload;  // decoded from base64; nullopt when absent or null
  std::string line;                    // the JSON line as printed, for failure messages

  // details[key] as text ("" when absent): strings as they are, other values dumped.
  std::string detail(const std::string& key) const;
};

struct AuditQuery {
  ArkmqctlResult run;
  std::vector<AuditRow> rows;
  std::string error;  // why the output could not be read ("" when it could)
  bool ok() const { return run.ok() && error.empty(); }
};

// `arkmqctl --data-dir DIR audit query --json --limit 0 ARGS...`, parsed.
AuditQuery query_audit(const std::string& data_dir, const std::vector<std::string>& args = {});

// Every row, one per line, for failure messages.
std::string describe(const std::vector<AuditRow>& rows);

using RowPredicate = std::function<bool(const AuditRow&)>;

// Polls `audit query ARGS` until a row satisfies `match` (the writer thread commits within
// milliseconds; each poll is a fresh arkmqctl, the gap between polls grows up to 100 ms).
// Returns the first matching row, or nullopt at the deadline with the last rows in `last`.
std::optional<AuditRow> wait_for_audit_row(const std::string& data_dir,
                                           const std::vector<std::string>& args,
                                           const RowPredicate& match,
                                           std::vector<AuditRow>* last = nullptr,
                                           std::chrono::milliseconds timeout =
                                               std::chrono::seconds(10));

// Like wait_for_audit_row, for a condition on the whole result (a count of rows, an order).
bool wait_for_audit(const std::string& data_dir, const std::vector<std::string>& args,
                    const std::function<bool(const std::vector<AuditRow>&)>& done,
                    std::vector<AuditRow>* last = nullptr,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A PUBACK reason that accepts the message (v5 may say 0x10 "no matching subscribers").
inline bool accepted(std::optional<std::uint8_t> reason) { return reason && *reason < 0x80; }

// <data_dir>/audit.db.
std::string audit_db_file(const std::string& data_dir);
// The bytes of audit.db and of its -wal and -shm files, concatenated.
std::string audit_file_bytes(const std::string& data_dir);
// Copies audit.db (and -wal, -shm if present) into `to_data_dir` (created), for tampering.
void copy_audit_journal(const std::string& from_data_dir, const std::string& to_data_dir);
// `sqlite3 DB SQL`; throws std::runtime_error with the output when it fails.
std::string run_sqlite(const std::string& db, const std::string& sql);

std::string decode_base64(std::string_view text);  // throws std::invalid_argument
bool is_valid_utf8(std::string_view text);
// Position of the first ASCII control byte or DEL not listed in `allowed`; npos when none.
std::size_t find_control_byte(std::string_view text, std::string_view allowed = "");
// RFC 4180 records (quoted fields may hold CR, LF and doubled quotes); nullopt if malformed.
std::optional<std::vector<std::vector<std::string>>> parse_csv(std::string_view text);

// A loopback TCP client whose local port is known before it connects (bound first), so a test
// can look for exactly "127.0.0.1:PORT" as the peer of its connection.
class PinnedClient {
 public:
  explicit PinnedClient(std::uint16_t port);  // throws std::runtime_error
  ~PinnedClient();
  PinnedClient(const PinnedClient&) = delete;
  PinnedClient& operator=(const PinnedClient&) = delete;

  std::uint16_t local_port() const { return local_port_; }
  std::string peer() const { return "127.0.0.1:" + std::to_string(local_port_); }
  // Sends CONNECT and returns the CONNACK's reason (v5) or return code (3.1.1); nullopt when no
  // CONNACK arrived before the deadline.
  std::optional<std::uint8_t> connect(const wire::ConnectSpec& spec, const Deadline& deadline);
  bool send(const wire::Bytes& bytes);

 private:
  int fd_ = -1;
  std::uint16_t local_port_ = 0;
};

// Base fixture of the audit system tests: a store broker (data dir, acl_default deny, anonymous
// refused) with an [audit] table, the user alice allowed everything under allowed/# and the
// admin allowed everything. Skips like StoreTest.
class AuditTest : public StoreTest {
 protected:
  static constexpr const char* kAlicePassword = "alice-pw-Zr8q1";
  static constexpr const char* kAdminPassword = "admin-pw-W2kx9";

  // store_options() with `settings` as the [audit] table (after `top_level` keys).
  static BrokerOptions audit_options(const AuditSettings& settings = {},
                                     const std::string& top_level = "");
  // Starts the broker and creates alice and admin with their rules.
  PolicyAdmin& start_audit_broker(BrokerOptions options = audit_options());
  std::string data_dir() const { return broker().data_dir(); }
  std::string listener() const { return "mqtt://127.0.0.1:" + std::to_string(broker().port()); }

  // The first row of `audit query ARGS` that satisfies `match`; a test failure naming `what`
  // and listing the rows seen when none does within 10 s.
  std::optional<AuditRow> expect_row(const std::vector<std::string>& args,
                                     const RowPredicate& match, const std::string& what);
};

}  // namespace arkmq::test

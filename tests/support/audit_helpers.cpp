// Audit journal helpers for the system tests: row parsing, polling, file bytes, tampering, a client
// with a known local port, and the AuditTest fixture.
#include "tests/support/audit_helpers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace arkmq::test {

using namespace std::chrono_literals;

namespace {

std::string toml_string(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

std::string text_field(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

AuditRow parse_row(const std::string& line) {
  const auto json = nlohmann::json::parse(line);  // throws on a line that is not JSON
  if (!json.is_object()) throw std::invalid_argument("not a JSON object");
  AuditRow row;
  row.seq = json.at("seq").get<std::int64_t>();
  row.type = text_field(json, "type");
  row.outcome = text_field(json, "outcome");
  row.client_id = text_field(json, "client_id");
  row.principal = text_field(json, "principal");
  row.peer = text_field(json, "peer");
  row.listener = text_field(json, "listener");
  row.topic = text_field(json, "topic");
  if (const auto it = json.find("details"); it != json.end() && !it->is_null()) {
    row.details = *it;
  }
  if (const auto it = json.find("payload"); it != json.end() && it->is_string()) {
    row.payload = decode_base64(it->get<std::string>());
  }
  row.line = line;
  return row;
}

}  // namespace

std::string audit_config(const AuditSettings& settings) {
  std::string table = "\n[audit]\n";
  if (settings.enabled) table += std::string("enabled = ") + (*settings.enabled ? "true" : "false") + "\n";
  if (!settings.publishes.empty()) table += "publishes = " + toml_string(settings.publishes) + "\n";
  table += "capture_payloads = [";
  for (std::size_t i = 0; i < settings.capture_payloads.size(); ++i) {
    table += (i == 0 ? "" : ", ") + toml_string(settings.capture_payloads[i]);
  }
  table += "]\n" + settings.extra;
  return table;
}

AuditSettings capturing(std::vector<std::string> filters) {
  AuditSettings settings;
  settings.capture_payloads = std::move(filters);
  return settings;
}

AuditSettings journaling_publishes(std::string mode) {
  AuditSettings settings;
  settings.publishes = std::move(mode);
  return settings;
}

std::string AuditRow::detail(const std::string& key) const { return text_field(details, key.c_str()); }

AuditQuery query_audit(const std::string& data_dir, const std::vector<std::string>& args) {
  std::vector<std::string> full{"audit", "query", "--json", "--limit", "0"};
  full.insert(full.end(), args.begin(), args.end());
  AuditQuery query;
  query.run = run_arkmqctl(data_dir, full);
  if (!query.run.ok()) {
    query.error = "arkmqctl audit query failed: " + query.run.describe();
    return query;
  }
  std::size_t start = 0;
  while (start < query.run.out.size()) {
    std::size_t end = query.run.out.find('\n', start);
    if (end == std::string::npos) end = query.run.out.size();
    const std::string line = query.run.out.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    try {
      query.rows.push_back(parse_row(line));
    } catch (const std::exception& error) {
      query.error = std::string("unreadable --json line (") + error.what() + "): " + line;
      return query;
    }
  }
  return query;
}

std::string describe(const std::vector<AuditRow>& rows) {
  std::string text;
  for (const auto& row : rows) text += "  " + row.line + "\n";
  return text.empty() ? "  (no rows)\n" : text;
}

bool wait_for_audit(const std::string& data_dir, const std::vector<std::string>& args,
                    const std::function<bool(const std::vector<AuditRow>&)>& done,
                    std::vector<AuditRow>* last, std::chrono::milliseconds timeout) {
  const Deadline deadline(timeout);
  auto gap = 10ms;
  // Bounded by the deadline and by a count; the journal file may not exist before the first
  // commit, so a failed query is retried like an unsatisfied one.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    AuditQuery query = query_audit(data_dir, args);
    if (query.ok()) {
      const bool satisfied = done(query.rows);
      if (last != nullptr) *last = std::move(query.rows);
      if (satisfied) return true;
    }
    if (deadline.expired()) break;
    // A poll interval, not a synchronisation: the condition is re-checked on every round.
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        gap, std::chrono::milliseconds(deadline.remaining_ms())));
    gap = std::min(gap * 2, std::chrono::milliseconds(100));
  }
  return false;
}

std::optional<AuditRow> wait_for_audit_row(const std::string& data_dir,
                                           const std::vector<std::string>& args,
                                           const RowPredicate& match, std::vector<AuditRow>* last,
                                           std::chrono::milliseconds timeout) {
  std::optional<AuditRow> found;
  std::vector<AuditRow> rows;
  wait_for_audit(
      data_dir, args,
      [&](const std::vector<AuditRow>& seen) {
        const auto it = std::find_if(seen.begin(), seen.end(), match);
        if (it != seen.end()) found = *it;
        return found.has_value();
      },
      &rows, timeout);
  if (last != nullptr) *last = std::move(rows);
  return found;
}

std::string audit_db_file(const std::string& data_dir) { return data_dir + "/audit.db"; }

std::string audit_file_bytes(const std::string& data_dir) {
  const std::string db = audit_db_file(data_dir);
  return read_file(db) + read_file(db + "-wal") + read_file(db + "-shm");
}

void copy_audit_journal(const std::string& from_data_dir, const std::string& to_data_dir) {
  namespace fs = std::filesystem;
  fs::create_directories(to_data_dir);
  fs::permissions(to_data_dir, fs::perms::owner_all);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const fs::path from = audit_db_file(from_data_dir) + suffix;
    if (!fs::exists(from)) continue;
    fs::copy_file(from, audit_db_file(to_data_dir) + suffix, fs::copy_options::overwrite_existing);
  }
}

std::string run_sqlite(const std::string& db, const std::string& sql) {
  return run_checked({"sqlite3", "-bail", db, sql});
}

std::string decode_base64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) throw std::invalid_argument("base64 length is not a multiple of 4");
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t bits = 0;
    int padding = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && i + 4 == text.size() && j >= 2) {
        ++padding;
        bits <<= 6;
        continue;
      }
      const int v = value(c);
      if (v < 0 || padding > 0) throw std::invalid_argument("bad base64 character");
      bits = (bits << 6) | static_cast<std::uint32_t>(v);
    }
    out += static_cast<char>((bits >> 16) & 0xFF);
    if (padding < 2) out += static_cast<char>((bits >> 8) & 0xFF);
    if (padding < 1) out += static_cast<char>(bits & 0xFF);
  }
  return out;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      length = 2;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t j = 1; j < length; ++j) {
      const auto next = static_cast<unsigned char>(text[i + j]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    const std::uint32_t minimum = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
    if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

std::size_t find_control_byte(std::string_view text, std::string_view allowed) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 || c == 0x7F) && allowed.find(text[i]) == std::string_view::npos) return i;
  }
  return std::string_view::npos;
}

std::optional<std::vector<std::vector<std::string>>> parse_csv(std::string_view text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  bool field_started = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"') {
        field += c;
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else {
        quoted = false;
      }
      continue;
    }
    if (c == '"') {
      if (field_started && !field.empty()) return std::nullopt;  // a quote inside a bare field
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n')) return std::nullopt;
      if (c == '\r') ++i;
      record.push_back(std::move(field));
      field.clear();
      field_started = false;
      records.push_back(std::move(record));
      record.clear();
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted) return std::nullopt;
  if (field_started || !record.empty()) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
  }
  return records;
}

PinnedClient::PinnedClient(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof local;
  sockaddr_in remote = local;
  remote.sin_port = htons(port);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &length) != 0 ||
      ::connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd_);
    throw std::runtime_error("pinned connect to 127.0.0.1:" + std::to_string(port) + " failed");
  }
  local_port_ = ntohs(local.sin_port);
}

PinnedClient::~PinnedClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool PinnedClient::send(const wire::Bytes& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::optional<std::uint8_t> PinnedClient::connect(const wire::ConnectSpec& spec,
                                                  const Deadline& deadline) {
  if (!send(wire::connect(spec))) return std::nullopt;
  // CONNACK: 0x20, remaining length, flags, reason; the reason is its fourth byte in both
  // versions. Bounded by the deadline and by the four bytes.
  std::string received;
  while (received.size() < 4 && !deadline.expired()) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, deadline.remaining_ms()) <= 0) continue;
    char chunk[64];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    received.append(chunk, static_cast<std::size_t>(n));
  }
  if (received.size() < 4 || static_cast<unsigned char>(received[0]) != 0x20) return std::nullopt;
  return static_cast<std::uint8_t>(received[3]);
}

BrokerOptions AuditTest::audit_options(const AuditSettings& settings,
                                       const std::string& top_level) {
  BrokerOptions options = store_options();
  options.arkmq_config = top_level + audit_config(settings);
  return options;
}

PolicyAdmin& AuditTest::start_audit_broker(BrokerOptions options) {
  PolicyAdmin& admin = start_store_broker(std::move(options));
  admin.add_user("admin", kAdminPassword);
  admin.add_rule({"--allow", "--all", "--topic", "#", "--user", "admin"});
  admin.add_user("alice", kAlicePassword);
  admin.add_rule({"--allow", "--all", "--topic", "allowed/#", "--user", "alice"});
  return admin;
}

std::optional<AuditRow> AuditTest::expect_row(const std::vector<std::string>& args,
                                              const RowPredicate& match, const std::string& what) {
  std::vector<AuditRow> last;
  auto row = wait_for_audit_row(data_dir(), args, match, &last);
  if (!row) {
    std::string command = "audit query --json";
    for (const auto& arg : args) command += " " + arg;
    const AuditQuery query = query_audit(data_dir(), args);
    ADD_FAILURE() << "no audit row: " << what << "\nrows of `" << command << "`:\n"
                  << describe(last) << query.error;
  }
  return row;
}

}  // namespace arkmq::test

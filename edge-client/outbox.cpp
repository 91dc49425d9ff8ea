// Outbox rows: (seq AUTOINCREMENT, topic, payload, qos, retain, meta JSON, bytes).
#include "edge-client/outbox.hpp"

#include <chrono>
#include <random>

#include <nlohmann/json.hpp>

namespace arkmq::edge {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS outbox ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " topic TEXT NOT NULL,"
    " payload BLOB NOT NULL,"
    " qos INTEGER NOT NULL,"
    " retain INTEGER NOT NULL,"
    " meta TEXT NOT NULL,"
    " bytes INTEGER NOT NULL,"
    " stored_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS outbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)";

std::string random_epoch() {
  std::random_device device;
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) out.push_back(kDigits[device() % 16]);
  return out;
}

// Correlation data is binary; JSON text carries it as hex.
std::string to_hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::string from_hex(const std::string& hex) {
  const auto value = [](char c) {
    return c <= '9' ? c - '0' : c - 'a' + 10;
  };
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>((value(hex[i]) << 4) | value(hex[i + 1])));
  }
  return out;
}

std::string encode_meta(const EdgeMessage& m) {
  nlohmann::json meta = nlohmann::json::object();
  if (!m.content_type.empty()) meta["ct"] = m.content_type;
  if (!m.response_topic.empty()) meta["rt"] = m.response_topic;
  if (m.message_expiry_s) meta["exp"] = *m.message_expiry_s;
  if (m.payload_format) meta["pf"] = *m.payload_format;
  if (!m.user_properties.empty()) meta["up"] = m.user_properties;
  if (!m.correlation_data.empty()) meta["cd"] = to_hex(m.correlation_data);
  return meta.dump();
}

void decode_meta(const std::string& text, EdgeMessage& m) {
  const auto meta = nlohmann::json::parse(text, nullptr, false);
  if (meta.is_discarded() || !meta.is_object()) return;
  if (meta.contains("ct")) m.content_type = meta["ct"].get<std::string>();
  if (meta.contains("rt")) m.response_topic = meta["rt"].get<std::string>();
  if (meta.contains("exp")) m.message_expiry_s = meta["exp"].get<std::uint32_t>();
  if (meta.contains("pf")) m.payload_format = meta["pf"].get<std::uint8_t>();
  if (meta.contains("up")) m.user_properties = meta["up"].get<UserProperties>();
  if (meta.contains("cd") && meta["cd"].is_string()) m.correlation_data = from_hex(meta["cd"].get<std::string>());
}

std::string message_of(const storage::Error& error) { return error.message; }

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Files made before the outbox recorded store times get the column; their rows count as stored
// when this process opened the file (the best we know).
tl::expected<void, std::string> add_stored_ms(storage::Database& db) {
  auto has = db.query_int64("SELECT COUNT(*) FROM pragma_table_info('outbox') WHERE name = 'stored_ms'");
  if (!has) return tl::make_unexpected(message_of(has.error()));
  if (*has > 0) return {};
  if (auto ok = db.exec("ALTER TABLE outbox ADD COLUMN stored_ms INTEGER NOT NULL DEFAULT 0"); !ok) {
    return tl::make_unexpected(message_of(ok.error()));
  }
  auto update = db.prepare("UPDATE outbox SET stored_ms = ?");
  if (!update || !update->bind_int64(1, now_ms()) || !update->run()) {
    return tl::make_unexpected(db.path() + ": cannot add store times to the outbox");
  }
  return {};
}

}  // namespace

Outbox::Outbox(storage::Database db, OutboxLimits limits) : db_(std::move(db)), limits_(limits) {}

tl::expected<std::unique_ptr<Outbox>, std::string> Outbox::open(const std::string& path,
                                                                OutboxLimits limits) {
  auto db = storage::Database::open(path);
  if (!db) return tl::make_unexpected(message_of(db.error()));
  // FULL: a row acknowledged to the local publisher survives a power cut, not only a crash.
  if (auto ok = db->exec("PRAGMA synchronous=FULL"); !ok) return tl::make_unexpected(message_of(ok.error()));
  if (auto ok = db->exec(kSchema); !ok) return tl::make_unexpected(message_of(ok.error()));
  if (auto ok = add_stored_ms(*db); !ok) return tl::make_unexpected(ok.error());
  std::unique_ptr<Outbox> outbox(new Outbox(std::move(*db), limits));
  auto count = outbox->db_.query_int64("SELECT COUNT(*) FROM outbox");
  auto bytes = outbox->db_.query_int64("SELECT COALESCE(SUM(bytes), 0) FROM outbox");
  auto last = outbox->db_.query_int64("SELECT COALESCE(MAX(seq), 0) FROM outbox");
  if (!count || !bytes || !last) return tl::make_unexpected(path + ": cannot read the outbox table");
  {
    auto insert = outbox->db_.prepare("INSERT OR IGNORE INTO outbox_meta(key, value) VALUES ('epoch', ?)");
    if (!insert || !insert->bind_text(1, random_epoch()) || !insert->run()) {
      return tl::make_unexpected(path + ": cannot write the outbox epoch");
    }
    auto select = outbox->db_.prepare("SELECT value FROM outbox_meta WHERE key = 'epoch'");
    if (!select) return tl::make_unexpected(message_of(select.error()));
    auto row = select->step();
    if (!row || !*row) return tl::make_unexpected(path + ": cannot read the outbox epoch");
    outbox->epoch_ = select->column_text(0);
  }
  outbox->stats_.depth = *count;
  outbox->stats_.bytes = *bytes;
  outbox->last_seq_at_open_ = *last;
  return outbox;
}

tl::expected<std::int64_t, std::string> Outbox::store(const EdgeMessage& message) {
  const std::string meta = encode_meta(message);
  const auto bytes = static_cast<std::int64_t>(message.topic.size() + message.payload.size() + meta.size());
  std::lock_guard lock(mutex_);
  if (bytes > limits_.max_bytes) {
    ++stats_.refused;
    return tl::make_unexpected("message of " + std::to_string(bytes) + " bytes exceeds the outbox bound");
  }
  auto stmt = db_.prepare(
      "INSERT INTO outbox(topic, payload, qos, retain, meta, bytes, stored_ms) VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!stmt) return tl::make_unexpected(message_of(stmt.error()));
  const auto* data = reinterpret_cast<const std::byte*>(message.payload.data());
  if (!stmt->bind_text(1, message.topic) ||
      !stmt->bind_blob(2, std::span<const std::byte>(data, message.payload.size())) ||
      !stmt->bind_int64(3, message.qos) || !stmt->bind_int64(4, message.retain ? 1 : 0) ||
      !stmt->bind_text(5, meta) || !stmt->bind_int64(6, bytes) || !stmt->bind_int64(7, now_ms())) {
    return tl::make_unexpected(db_.path() + ": binding an outbox row failed");
  }
  if (auto ok = stmt->run(); !ok) return tl::make_unexpected(message_of(ok.error()));
  const std::int64_t seq = db_.last_insert_rowid();
  ++stats_.depth;
  stats_.bytes += bytes;
  if (auto ok = enforce_bound(); !ok) return tl::make_unexpected(ok.error());
  return seq;
}

tl::expected<void, std::string> Outbox::enforce_bound() {
  while (stats_.depth > limits_.max_messages || stats_.bytes > limits_.max_bytes) {
    auto oldest = db_.prepare("SELECT seq, bytes FROM outbox ORDER BY seq LIMIT 1");
    if (!oldest) return tl::make_unexpected(message_of(oldest.error()));
    auto row = oldest->step();
    if (!row) return tl::make_unexpected(message_of(row.error()));
    if (!*row) break;
    const std::int64_t seq = oldest->column_int64(0);
    const std::int64_t bytes = oldest->column_int64(1);
    auto del = db_.prepare("DELETE FROM outbox WHERE seq = ?");
    if (!del || !del->bind_int64(1, seq)) return tl::make_unexpected(db_.path() + ": evicting failed");
    if (auto ok = del->run(); !ok) return tl::make_unexpected(message_of(ok.error()));
    --stats_.depth;
    stats_.bytes -= bytes;
    ++stats_.dropped_oldest;
  }
  return {};
}

tl::expected<std::vector<OutboxEntry>, std::string> Outbox::read_after(std::int64_t after,
                                                                       std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto stmt = db_.prepare(
      "SELECT seq, topic, payload, qos, retain, meta FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?");
  if (!stmt) return tl::make_unexpected(message_of(stmt.error()));
  if (!stmt->bind_int64(1, after) || !stmt->bind_int64(2, static_cast<std::int64_t>(limit))) {
    return tl::make_unexpected(db_.path() + ": binding failed");
  }
  std::vector<OutboxEntry> out;
  while (true) {
    auto row = stmt->step();
    if (!row) return tl::make_unexpected(message_of(row.error()));
    if (!*row) break;
    OutboxEntry entry;
    entry.seq = stmt->column_int64(0);
    entry.message.topic = stmt->column_text(1);
    const auto blob = stmt->column_blob(2);
    entry.message.payload.assign(reinterpret_cast<const char*>(blob.data()), blob.size());
    entry.message.qos = static_cast<int>(stmt->column_int64(3));
    entry.message.retain = stmt->column_int64(4) != 0;
    decode_meta(stmt->column_text(5), entry.message);
    entry.from_earlier_run = entry.seq <= last_seq_at_open_;
    out.push_back(std::move(entry));
  }
  return out;
}

tl::expected<void, std::string> Outbox::remove(std::int64_t seq) {
  std::lock_guard lock(mutex_);
  auto stmt = db_.prepare("DELETE FROM outbox WHERE seq = ? RETURNING bytes");
  if (!stmt || !stmt->bind_int64(1, seq)) return tl::make_unexpected(db_.path() + ": delete failed");
  auto row = stmt->step();
  if (!row) return tl::make_unexpected(message_of(row.error()));
  if (*row) {
    stats_.bytes -= stmt->column_int64(0);
    --stats_.depth;
    if (auto done = stmt->step(); !done) return tl::make_unexpected(message_of(done.error()));
  }
  return {};
}

std::optional<std::chrono::system_clock::time_point> Outbox::oldest_stored_at() const {
  std::lock_guard lock(mutex_);
  if (stats_.depth == 0) return std::nullopt;
  auto stmt = db_.prepare("SELECT stored_ms FROM outbox ORDER BY seq LIMIT 1");
  if (!stmt) return std::nullopt;
  auto row = stmt->step();
  if (!row || !*row) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(stmt->column_int64(0)));
}

OutboxStats Outbox::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace arkmq::edge

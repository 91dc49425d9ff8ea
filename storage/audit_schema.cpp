// The audit journal's schema, open-time checks and canonical row hash (see audit_schema.hpp).
// Owned by the audit engineer.
#include "storage/audit_schema.hpp"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include "storage/migrations.hpp"

namespace arkmq::storage::audit_schema {
namespace {

// Never edit a released step; append a new one (and bump kSchemaVersion).
constexpr std::string_view kVersion1 = R"sql(
PRAGMA application_id = 1095912257;
CREATE TABLE events (
  seq       INTEGER PRIMARY KEY,  -- position in the hash chain; assigned by the writer, no gaps
  time_us   INTEGER NOT NULL,     -- UTC microseconds since the epoch
  type      TEXT NOT NULL,        -- AuditType as text: 'auth_failure'
  outcome   TEXT NOT NULL,        -- 'allow' | 'deny' | 'error'
  client_id TEXT NOT NULL,
  principal TEXT NOT NULL,
  peer      TEXT NOT NULL,
  listener  TEXT NOT NULL,
  topic     TEXT NOT NULL,
  details   TEXT NOT NULL,        -- JSON object
  payload   BLOB,                 -- only when payload capture is on
  hash      BLOB NOT NULL         -- SHA-256(previous hash || canonical row)
);
CREATE INDEX events_time ON events (time_us);
CREATE TABLE chain_head (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  last_seq  INTEGER NOT NULL,
  last_hash BLOB NOT NULL
);
CREATE TABLE anchor (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  first_seq INTEGER NOT NULL,
  prev_hash BLOB NOT NULL
);
INSERT INTO chain_head VALUES (1, 0, zeroblob(32));
INSERT INTO anchor VALUES (1, 1, zeroblob(32));
)sql";

constexpr std::array<Migration, 1> kMigrations = {Migration{1, kVersion1}};
static_assert(kMigrations.size() == kSchemaVersion);

Error invalid_file(const Database& db, std::string_view why) {
  return make_error(Error::Kind::invalid, db.path(), "not an arkmq audit journal", why);
}

// A journal has our application_id. A fresh file has no tables at all; anything else (arkmq.db,
// another program's database) is refused rather than having our tables added to it.
Result<bool> check_identity(Database& db) {
  auto app_id = db.query_int64("PRAGMA application_id");
  if (!app_id) return tl::unexpected(app_id.error());
  auto version = schema_version(db);
  if (!version) return tl::unexpected(version.error());
  auto tables = db.query_int64("SELECT count(*) FROM sqlite_schema");
  if (!tables) return tl::unexpected(tables.error());
  const bool empty = *version == 0 && *tables == 0 && *app_id == 0;
  if (empty) return true;
  if (*app_id != kApplicationId) {
    return tl::unexpected(invalid_file(
        db, "application_id is " + std::to_string(*app_id) + ", expected " +
                std::to_string(kApplicationId)));
  }
  return false;
}

AuditHash to_hash(const std::vector<std::byte>& bytes) {
  AuditHash hash{};
  std::memcpy(hash.data(), bytes.data(), std::min(bytes.size(), hash.size()));
  return hash;
}

}  // namespace

Result<Database> open_for_writing(const std::string& path) {
  OpenOptions options;
  options.access = OpenOptions::Access::read_write_create;
  options.foreign_keys = false;
  auto db = Database::open(path, options);
  if (!db) return tl::unexpected(db.error());
  // A journal created by hand or by an older build may be wider; who connected from where is
  // personal data. Best effort: a file owned by someone else keeps its mode.
  struct stat st {};
  if (path != ":memory:" && ::stat(path.c_str(), &st) == 0 && (st.st_mode & 0777) != 0600) {
    ::chmod(path.c_str(), 0600);
  }
  auto fresh = check_identity(*db);
  if (!fresh) return tl::unexpected(fresh.error());
  if (*fresh) {
    // Pruning frees pages; incremental auto-vacuum lets the writer give them back to the file
    // system. It can only be chosen before the first table exists.
    if (auto r = db->exec("PRAGMA auto_vacuum=INCREMENTAL"); !r) return tl::unexpected(r.error());
  }
  if (auto r = migrate(*db, kMigrations); !r) return tl::unexpected(r.error());
  return db;
}

Result<Database> open_for_reading(const std::string& path) {
  struct stat st {};
  if (path != ":memory:" && ::stat(path.c_str(), &st) != 0) {
    return tl::unexpected(
        make_error(Error::Kind::not_found, path, "cannot open audit journal", "no such file"));
  }
  OpenOptions options;
  options.access = OpenOptions::Access::read_only;
  options.foreign_keys = false;
  auto db = Database::open(path, options);
  if (!db) return tl::unexpected(db.error());
  auto fresh = check_identity(*db);
  if (!fresh) return tl::unexpected(fresh.error());
  if (*fresh) return tl::unexpected(invalid_file(*db, "the file is empty"));
  if (auto r = require_schema_version(*db, kSchemaVersion,
                                      "start the broker once to upgrade the journal");
      !r) {
    return tl::unexpected(r.error());
  }
  return db;
}

Result<ChainState> read_chain_state(Database& db) {
  ChainState state;
  {
    auto stmt = db.prepare("SELECT first_seq, prev_hash FROM anchor WHERE id = 1");
    if (!stmt) return tl::unexpected(stmt.error());
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) {
      return tl::unexpected(make_error(Error::Kind::corrupt, db.path(), "audit journal",
                                       "the anchor row is missing"));
    }
    state.first_seq = stmt->column_int64(0);
    state.anchor_hash = to_hash(stmt->column_blob(1));
  }
  auto stmt = db.prepare("SELECT last_seq, last_hash FROM chain_head WHERE id = 1");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) {
    return tl::unexpected(make_error(Error::Kind::corrupt, db.path(), "audit journal",
                                     "the chain_head row is missing"));
  }
  state.last_seq = stmt->column_int64(0);
  state.last_hash = to_hash(stmt->column_blob(1));
  return state;
}

StoredRow read_stored_row(const Statement& stmt) {
  StoredRow row;
  row.seq = stmt.column_int64(0);
  row.time_us = stmt.column_int64(1);
  row.type = stmt.column_text(2);
  row.outcome = stmt.column_text(3);
  row.client_id = stmt.column_text(4);
  row.principal = stmt.column_text(5);
  row.peer = stmt.column_text(6);
  row.listener = stmt.column_text(7);
  row.topic = stmt.column_text(8);
  row.details = stmt.column_text(9);
  if (!stmt.column_is_null(10)) row.payload = stmt.column_blob(10);
  row.hash = stmt.column_blob(11);
  return row;
}

Result<AuditRecord> to_record(StoredRow row, const std::string& file) {
  const auto type = audit_type_from_string(row.type);
  const auto outcome = audit_outcome_from_string(row.outcome);
  if (!type || !outcome) {
    return tl::unexpected(make_error(
        Error::Kind::corrupt, file, "audit row " + std::to_string(row.seq),
        "unknown type or outcome '" + row.type + "'/'" + row.outcome + "'"));
  }
  AuditRecord record;
  record.seq = row.seq;
  record.hash = to_hash(row.hash);
  AuditEvent& e = record.event;
  e.time_us = row.time_us;
  e.type = *type;
  e.outcome = *outcome;
  e.client_id = std::move(row.client_id);
  e.principal = std::move(row.principal);
  e.peer = std::move(row.peer);
  e.listener = std::move(row.listener);
  e.topic = std::move(row.topic);
  e.details = std::move(row.details);
  e.payload = std::move(row.payload);
  return record;
}

// ---- RowHasher ----

namespace {

struct Fields {
  std::int64_t seq;
  std::int64_t time_us;
  std::array<std::string_view, 8> text;  // type, outcome, client_id, principal, peer, listener,
                                         // topic, details
  const std::optional<std::vector<std::byte>>* payload;
};

// Bumped only with a new encoding; a journal never mixes two.
constexpr std::string_view kEncodingTag{"arkmq-audit-row-v1\0", 19};

void put_u64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

void put_u32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

void encode(std::string& out, const Fields& fields) {
  out.clear();
  out.append(kEncodingTag);
  put_u64(out, static_cast<std::uint64_t>(fields.seq));
  put_u64(out, static_cast<std::uint64_t>(fields.time_us));
  for (std::string_view text : fields.text) {
    put_u32(out, static_cast<std::uint32_t>(text.size()));
    out.append(text);
  }
  if (fields.payload->has_value()) {
    const auto& payload = **fields.payload;
    out.push_back('\1');
    put_u32(out, static_cast<std::uint32_t>(payload.size()));
    out.append(reinterpret_cast<const char*>(payload.data()), payload.size());
  } else {
    out.push_back('\0');
  }
}

}  // namespace

struct RowHasher::Impl {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);  // fetched once: EVP_sha256() per call
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();                     // costs a lookup in OpenSSL 3
  std::string buffer;

  ~Impl() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }

  AuditHash digest(const AuditHash& prev, const Fields& fields) {
    encode(buffer, fields);
    AuditHash out{};
    unsigned int size = 0;
    // These only fail on allocation failure or a missing SHA-256 provider; the zero hash that
    // results then fails verification loudly instead of passing silently.
    if (md == nullptr || ctx == nullptr || EVP_DigestInit_ex2(ctx, md, nullptr) != 1 ||
        EVP_DigestUpdate(ctx, prev.data(), prev.size()) != 1 ||
        EVP_DigestUpdate(ctx, buffer.data(), buffer.size()) != 1 ||
        EVP_DigestFinal_ex(ctx, out.data(), &size) != 1) {
      return AuditHash{};
    }
    return out;
  }
};

RowHasher::RowHasher() : impl_(std::make_unique<Impl>()) {}
RowHasher::~RowHasher() = default;
RowHasher::RowHasher(RowHasher&&) noexcept = default;
RowHasher& RowHasher::operator=(RowHasher&&) noexcept = default;

AuditHash RowHasher::hash(const AuditHash& prev, std::int64_t seq, const AuditEvent& e) {
  const Fields fields{seq,
                      e.time_us,
                      {to_string(e.type), to_string(e.outcome), e.client_id, e.principal, e.peer,
                       e.listener, e.topic, e.details},
                      &e.payload};
  return impl_->digest(prev, fields);
}

AuditHash RowHasher::hash(const AuditHash& prev, const StoredRow& row) {
  const Fields fields{row.seq,
                      row.time_us,
                      {row.type, row.outcome, row.client_id, row.principal, row.peer,
                       row.listener, row.topic, row.details},
                      &row.payload};
  return impl_->digest(prev, fields);
}

}  // namespace arkmq::storage::audit_schema

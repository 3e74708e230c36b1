#include "sync/sqlite/database.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace edsync::sqlite {

bool Error::diskFull() const { return code == SQLITE_FULL || extendedCode == SQLITE_IOERR_WRITE; }
bool Error::busy() const { return code == SQLITE_BUSY || code == SQLITE_LOCKED; }
bool Error::constraint() const { return code == SQLITE_CONSTRAINT; }

std::string Error::describe() const {
    if (diskFull())
        return "The disk is full: nothing new could be saved. Everything saved before is safe; free some space and try again.";
    if (busy())
        return "The database is busy in another program; try again in a moment.";
    if (code == SQLITE_READONLY || code == SQLITE_PERM || code == SQLITE_CANTOPEN)
        return "The data file cannot be written (permissions or missing folder): " + message;
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
        return "The data file is damaged or is not a kiosk database: " + message;
    return "Database error: " + message;
}

namespace {

Error errorFrom(sqlite3* db, int code) {
    Error e;
    e.code = code & 0xff;
    e.extendedCode = db ? sqlite3_extended_errcode(db) : code;
    e.message = db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    return e;
}

Status applyPragmas(Database& db, Durability durability) {
    if (auto s = db.exec("PRAGMA foreign_keys = ON;"); !s) return s;
    // REPLACE deletes the old row; with recursive triggers that delete fires
    // the append-only triggers instead of silently overwriting history.
    if (auto s = db.exec("PRAGMA recursive_triggers = ON;"); !s) return s;
    if (auto s = db.exec("PRAGMA journal_mode = WAL;"); !s) return s;
    if (auto s = db.exec(durability == Durability::Full ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;"); !s)
        return s;
    return db.exec("PRAGMA busy_timeout = 5000;");
}

} // namespace

Error Database::lastError(int code) const { return errorFrom(m_db, code); }

Result<Database> Database::open(const std::filesystem::path& file, Durability durability) {
    // Create the file ourselves so it is 0600 from the first byte (SQLite
    // gives its -wal and -shm files the same mode). Only when it does not
    // exist yet: closing a descriptor of a database file that this process
    // already has open would drop every POSIX lock the process holds on it,
    // and another process closing its own connection would then think it
    // was the last one and delete the WAL this process is still writing.
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);  // a brand-new inode: no connection can hold locks on it
    } else if (errno != EEXIST) {
        Error e;
        e.code = SQLITE_CANTOPEN;
        e.extendedCode = SQLITE_CANTOPEN;
        e.message = "cannot open " + file.string();
        return fail(e);
    }

    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        Error e = errorFrom(raw, rc);
        sqlite3_close_v2(raw);
        return fail(e);
    }
    sqlite3_extended_result_codes(raw, 1);
    Database db(raw, file);
    if (auto s = applyPragmas(db, durability); !s) return fail(s.error());
    // A quick read proves the file is a database before anyone relies on it.
    if (auto s = db.exec("SELECT count(*) FROM sqlite_master;"); !s) return fail(s.error());
    return db;
}

Result<Database> Database::openInMemory() {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) {
        Error e = errorFrom(raw, rc);
        sqlite3_close_v2(raw);
        return fail(e);
    }
    sqlite3_extended_result_codes(raw, 1);
    Database db(raw, ":memory:");
    if (auto s = db.exec("PRAGMA foreign_keys = ON; PRAGMA recursive_triggers = ON;"); !s) return fail(s.error());
    return db;
}

Database::Database(Database&& other) noexcept : m_db(other.m_db), m_path(std::move(other.m_path)) { other.m_db = nullptr; }

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        if (m_db) sqlite3_close_v2(m_db);
        m_db = other.m_db;
        m_path = std::move(other.m_path);
        other.m_db = nullptr;
    }
    return *this;
}

Database::~Database() {
    if (m_db) sqlite3_close_v2(m_db);
}

Status Database::deferCheckpoints(int safetyPages) {
    if (int rc = sqlite3_wal_autocheckpoint(m_db, std::max(safetyPages, 1)); rc != SQLITE_OK) return fail(errorFrom(m_db, rc));
    return {};
}

Result<int> Database::checkpoint() {
    int walFrames = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &walFrames, &copied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) return fail(errorFrom(m_db, rc));
    return walFrames < 0 ? 0 : walFrames - copied;
}

Status Database::exec(std::string_view sql) {
    std::string text(sql);
    char* msg = nullptr;
    int rc = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &msg);
    if (rc != SQLITE_OK) {
        Error e = errorFrom(m_db, rc);
        if (msg) {
            e.message = msg;
            sqlite3_free(msg);
        }
        return fail(e);
    }
    return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(m_db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) return fail(errorFrom(m_db, rc));
    return Statement(stmt);
}

std::int64_t Database::lastInsertRowId() const { return sqlite3_last_insert_rowid(m_db); }
int Database::changes() const { return sqlite3_changes(m_db); }
bool Database::inTransaction() const { return sqlite3_get_autocommit(m_db) == 0; }

Result<Transaction> Transaction::begin(Database& db) {
    if (auto s = db.exec("BEGIN IMMEDIATE;"); !s) return fail(s.error());
    return Transaction(db);
}

Transaction::Transaction(Transaction&& other) noexcept : m_db(other.m_db), m_done(other.m_done) { other.m_done = true; }

Transaction::~Transaction() {
    if (!m_done && m_db->inTransaction()) {
        // Never throws: a failed rollback leaves SQLite to roll back on close.
        (void)m_db->exec("ROLLBACK;");
    }
}

Status Transaction::commit() {
    assert(!m_done);
    auto s = m_db->exec("COMMIT;");
    if (!s) {
        // SQLite may have rolled back already (e.g. SQLITE_FULL); make sure.
        if (m_db->inTransaction()) (void)m_db->exec("ROLLBACK;");
        m_done = true;
        return s;
    }
    m_done = true;
    return {};
}

} // namespace edsync::sqlite

#include "sync/sqlite/database.hpp"

#include "sync/core/files.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdlib>
#include <utility>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace edsync::sqlite {

// SQLITE_IOERR_SHMSIZE: the WAL index (-shm) could not be grown, which on a
// full disk is how a store closed before the disk filled fails to open.
bool Error::diskFull() const {
    return code == SQLITE_FULL || extendedCode == SQLITE_IOERR_WRITE || extendedCode == SQLITE_IOERR_SHMSIZE;
}
bool Error::busy() const { return code == SQLITE_BUSY || code == SQLITE_LOCKED; }
bool Error::constraint() const { return code == SQLITE_CONSTRAINT; }
bool Error::damaged() const { return code == SQLITE_CORRUPT || code == SQLITE_NOTADB; }
Error Error::damagedFile(std::string message) {
    Error e;
    e.code = SQLITE_CORRUPT;
    e.extendedCode = SQLITE_CORRUPT;
    e.message = std::move(message);
    return e;
}
bool Error::cannotWrite() const {
    return code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_PERM || code == SQLITE_FULL || code == SQLITE_IOERR;
}

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

namespace {

// RFC 3986 percent-encoding for a file: URI (SQLite decodes it).
std::string fileUri(const std::filesystem::path& file, const std::string& query) {
    static const char* hex = "0123456789ABCDEF";
    std::string uri = "file:";
    for (unsigned char c : std::filesystem::absolute(file).string()) {
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-' || c == '_' ||
                     c == '.' || c == '~';
        if (plain) {
            uri += static_cast<char>(c);
        } else {
            uri += '%';
            uri += hex[c >> 4];
            uri += hex[c & 0xf];
        }
    }
    return uri + "?" + query;
}

using edsync::files::sizeOr0;

Error cannotOpen(const std::string& message) {
    Error e;
    e.code = SQLITE_CANTOPEN;
    e.extendedCode = SQLITE_CANTOPEN;
    e.message = message;
    return e;
}

// Copies `from` to `to` (created 0600, fsync not needed: a scratch copy).
// Only used when no connection of this process can be open on `from` (the
// read-only fallback), since closing a descriptor drops the process's locks.
bool copyPrivate(const std::filesystem::path& from, const std::filesystem::path& to, std::string& error) {
    int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        error = from.string() + ": " + std::strerror(errno);
        return false;
    }
    int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        error = to.string() + ": " + std::strerror(errno);
        ::close(in);
        return false;
    }
    char buf[1 << 16];
    bool ok = true;
    for (;;) {
        ssize_t n = ::read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        for (ssize_t done = 0; done < n;) {
            ssize_t w = ::write(out, buf + done, static_cast<std::size_t>(n - done));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                ok = false;
                break;
            }
            done += w;
        }
        if (!ok) break;
    }
    if (!ok) error = to.string() + ": " + std::strerror(errno);
    ::close(in);
    ::close(out);
    return ok;
}

} // namespace

Result<Database> Database::openReadOnlyUri(const std::filesystem::path& file, const std::string& query) {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(fileUri(file, query).c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        Error e = errorFrom(raw, rc);
        sqlite3_close_v2(raw);
        return fail(e);
    }
    sqlite3_extended_result_codes(raw, 1);
    // A reader never folds the -wal into the file, even as the last to close:
    // a -wal found foreign must stay as it was, for the technician.
    sqlite3_db_config(raw, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    Database db(raw, file);
    db.m_readOnly = true;
    if (auto s = db.exec("PRAGMA busy_timeout = 5000;"); !s) return fail(s.error());
    // SQLite opens lazily: the first read is where a missing -shm or a
    // damaged header shows.
    if (auto s = db.exec("SELECT count(*) FROM sqlite_master;"); !s) return fail(s.error());
    return db;
}

Result<Database> Database::openReadOnly(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) return fail(cannotOpen("no database at " + file.string()));
    auto inPlace = openReadOnlyUri(file, "mode=ro");
    if (inPlace || inPlace.error().damaged()) return inPlace;

    auto wal = file;
    wal += "-wal";
    if (sizeOr0(wal) == 0) {
        // Everything committed is in the file itself: immutable skips only the
        // locking and the -shm, which a folder that cannot be written lacks.
        auto immutable = openReadOnlyUri(file, "immutable=1");
        if (immutable) immutable->m_readOnlyNote = "read as immutable: its folder cannot be written and it has no -wal";
        return immutable;
    }
    // The -wal holds commits not yet in the file. Read a private copy of both.
    const char* tmp = std::getenv("TMPDIR");
    std::string dirTemplate = std::string(tmp && *tmp ? tmp : "/tmp") + "/testsite-kiosk-read-XXXXXX";
    std::vector<char> buf(dirTemplate.begin(), dirTemplate.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data()))
        return fail(cannotOpen(file.string() + " cannot be read in place (" + inPlace.error().message + ") and its -wal holds recent changes; " +
                               "no private copy could be made in " + (tmp && *tmp ? tmp : "/tmp") + ": " + std::strerror(errno) +
                               ". Set TMPDIR to a folder with room for " + std::to_string((sizeOr0(file) + sizeOr0(wal)) / 1048576 + 1) +
                               " MiB and try again"));
    std::filesystem::path scratch(buf.data());
    std::string error;
    auto copy = scratch / file.filename();
    auto copyWal = copy;
    copyWal += "-wal";
    if (!copyPrivate(file, copy, error) || !copyPrivate(wal, copyWal, error)) {
        std::filesystem::remove_all(scratch, ec);
        return fail(cannotOpen(file.string() + " cannot be read in place and its -wal holds recent changes; the private copy failed: " + error +
                               ". Set TMPDIR to a folder with room for " + std::to_string((sizeOr0(file) + sizeOr0(wal)) / 1048576 + 1) +
                               " MiB and try again"));
    }
    auto snapshot = openReadOnlyUri(copy, "mode=ro");
    if (!snapshot) {
        std::filesystem::remove_all(scratch, ec);
        return snapshot;
    }
    snapshot->m_path = file;
    snapshot->m_scratch = scratch;
    snapshot->m_readOnlyNote = "read from a private copy in " + scratch.string() + ": its folder cannot be written and its -wal holds recent changes";
    return snapshot;
}

Result<std::vector<std::string>> Database::checkIntegrity(Check check, int limit) {
    auto stmt = prepare(std::string(check == Check::Quick ? "PRAGMA quick_check(" : "PRAGMA integrity_check(") + std::to_string(std::max(limit, 1)) + ");");
    std::vector<std::string> findings;
    if (!stmt) {
        if (!stmt.error().damaged()) return fail(stmt.error());
        findings.push_back(stmt.error().message);
        return findings;
    }
    for (;;) {
        auto row = stmt->step();
        if (!row) {
            if (!row.error().damaged()) return fail(row.error());
            findings.push_back(row.error().message);
            break;
        }
        if (!*row) break;
        auto line = stmt->getText(0);
        if (line == "ok") continue;
        // The first finding comes as "*** in database main ***\n<finding>".
        if (line.rfind("*** in database", 0) == 0) {
            auto nl = line.find('\n');
            line = nl == std::string::npos ? std::string() : line.substr(nl + 1);
        }
        findings.push_back(line.empty() ? std::string("damaged") : line);
    }
    return findings;
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

Database::Database(Database&& other) noexcept
    : m_db(other.m_db), m_path(std::move(other.m_path)), m_readOnly(other.m_readOnly), m_checkpointsStopped(other.m_checkpointsStopped),
      m_readOnlyNote(std::move(other.m_readOnlyNote)),
      m_scratch(std::move(other.m_scratch)), m_sealingKey(std::exchange(other.m_sealingKey, std::nullopt)) {
    other.m_db = nullptr;
    other.m_scratch.clear();
}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        close();
        m_db = other.m_db;
        m_path = std::move(other.m_path);
        m_readOnly = other.m_readOnly;
        m_checkpointsStopped = other.m_checkpointsStopped;
        m_readOnlyNote = std::move(other.m_readOnlyNote);
        m_scratch = std::move(other.m_scratch);
        m_sealingKey = std::exchange(other.m_sealingKey, std::nullopt);
        other.m_db = nullptr;
        other.m_scratch.clear();
    }
    return *this;
}

Database::~Database() { close(); }

void Database::close() noexcept {
    if (m_db) sqlite3_close_v2(m_db);
    m_db = nullptr;
    if (!m_scratch.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(m_scratch, ec);
        m_scratch.clear();
    }
}

Status Database::deferCheckpoints(int safetyPages) {
    if (int rc = sqlite3_wal_autocheckpoint(m_db, std::max(safetyPages, 1)); rc != SQLITE_OK) return fail(errorFrom(m_db, rc));
    return {};
}

void Database::stopCheckpoints() {
    sqlite3_db_config(m_db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    m_checkpointsStopped = true;
}

Result<int> Database::checkpoint() {
    if (m_checkpointsStopped) return 0;
    int walFrames = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &walFrames, &copied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) return fail(errorFrom(m_db, rc));
    return walFrames < 0 ? 0 : walFrames - copied;
}

Status Database::checkpointAll() {
    int walFrames = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &walFrames, &copied);
    if (rc != SQLITE_OK) return fail(errorFrom(m_db, rc));
    if (walFrames > 0 && copied < walFrames) {
        Error e;
        e.code = SQLITE_BUSY;
        e.extendedCode = SQLITE_BUSY;
        e.message = std::to_string(walFrames - copied) + " frames of the -wal not copied";
        return fail(e);
    }
    return {};
}

Status Database::writeCopy(const std::filesystem::path& target) {
    auto stmt = prepare("VACUUM INTO ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, target.string());
    if (auto done = stmt->step(); !done) return fail(done.error());
    auto flush = [](const std::filesystem::path& p, int flags) {
        int fd = ::open(p.c_str(), flags | O_CLOEXEC);
        if (fd < 0) return false;
        bool ok = ::fsync(fd) == 0 || ((flags & O_DIRECTORY) && errno == EINVAL);  // some USB file systems cannot sync a folder
        ::close(fd);
        return ok;
    };
    std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
    if (!flush(target, O_RDONLY) || !flush(dir, O_RDONLY | O_DIRECTORY)) {
        Error e;
        e.code = SQLITE_IOERR;
        e.extendedCode = SQLITE_IOERR_FSYNC;
        e.message = "cannot flush " + target.string() + " to the disk: " + std::strerror(errno);
        return fail(e);
    }
    return {};
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

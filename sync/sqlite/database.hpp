#pragma once
// The only door to SQLite. sqlite3.h stays inside this folder's .cpp files.
#include "sync/sqlite/error.hpp"
#include "sync/sqlite/statement.hpp"

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace edsync::sqlite {

enum class Durability { Full, Normal };  // Normal only for throwaway test data

class Database {
public:
    // Opens (creating if absent) with WAL, foreign keys on and the chosen
    // synchronous level. The file is created 0600.
    static Result<Database> open(const std::filesystem::path& file, Durability durability = Durability::Full);
    // Opens an existing database for reading only, for a technician on a
    // read-only or full disk: never creates the file or its folder. When
    // SQLite cannot read it in place (it needs a -shm beside a WAL database),
    // an empty or absent -wal means everything is in the file and it is read
    // as immutable; a -wal holding changes is copied with the file into a
    // private folder under $TMPDIR (removed on close) and read there, since
    // immutable would silently skip those changes.
    static Result<Database> openReadOnly(const std::filesystem::path& file);
    // A private in-memory database, for tests and tools.
    static Result<Database> openInMemory();

    Database(Database&& other) noexcept;
    Database& operator=(Database&& other) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    // Runs one or more statements with no parameters (DDL, pragmas).
    Status exec(std::string_view sql);
    Result<Statement> prepare(std::string_view sql);

    std::int64_t lastInsertRowId() const;
    int changes() const;
    bool inTransaction() const;
    const std::filesystem::path& path() const { return m_path; }
    bool readOnly() const { return m_readOnly; }
    // How a read-only database was read when not in place (empty otherwise).
    const std::string& readOnlyNote() const { return m_readOnlyNote; }

    // PRAGMA quick_check (every page and b-tree; linear in the file size) or
    // integrity_check (also every index entry against its row). Empty when
    // the file is sound, else SQLite's findings (at most `limit`). A file
    // too damaged to check at all gives its error as the one finding.
    enum class Check { Quick, Full };
    Result<std::vector<std::string>> checkIntegrity(Check check, int limit = 10);

    // Takes WAL checkpoints off the commit path. SQLite's automatic checkpoint
    // runs inside the COMMIT that pushes the WAL past its threshold (1,000
    // pages), adding two or three fsyncs to that one action; after this call
    // it does so only past `safetyPages`, and the owner calls checkpoint()
    // when nobody is waiting (the kiosk: when idle).
    Status deferCheckpoints(int safetyPages = 10000);
    // A passive checkpoint: copies what it can without waiting for readers
    // or writers. Returns the WAL frames still not copied.
    Result<int> checkpoint();
    // Everything in the -wal copied into the file and the -wal emptied
    // (TRUNCATE), waiting for readers and writers up to the busy timeout; an
    // error when a frame was left behind.
    Status checkpointAll();
    // Everything this connection reaches written to `target` (VACUUM INTO: a
    // new file, refused if one is there), then the file and its folder
    // flushed to the disk (VACUUM INTO does not).
    Status writeCopy(const std::filesystem::path& target);
    // Found damaged while open: the -wal is never folded into the file again
    // (no checkpoint, not even when this connection closes last), so rescue
    // finds the files as they were.
    void stopCheckpoints();

    sqlite3* handle() const { return m_db; }
    Error lastError(int code) const;

    // A key the application keeps outside this file and attaches to the
    // connection, for values it seals in its tables (kiosk/store/credentials.hpp:
    // PIN and birth-date hashes). Empty: nothing is sealed or opened.
    using SealingKey = std::array<unsigned char, 32>;
    void setSealingKey(const SealingKey& key) { m_sealingKey = key; }
    const std::optional<SealingKey>& sealingKey() const { return m_sealingKey; }

private:
    explicit Database(sqlite3* db, std::filesystem::path path) : m_db(db), m_path(std::move(path)) {}
    static Result<Database> openReadOnlyUri(const std::filesystem::path& file, const std::string& query);
    void close() noexcept;  // the connection, then a private copy's folder
    sqlite3* m_db = nullptr;
    std::filesystem::path m_path;
    bool m_readOnly = false;
    bool m_checkpointsStopped = false;
    std::string m_readOnlyNote;
    std::filesystem::path m_scratch;  // a private copy's folder, removed on close
    std::optional<SealingKey> m_sealingKey;
};

// RAII write transaction (BEGIN IMMEDIATE): rolls back unless committed.
class Transaction {
public:
    static Result<Transaction> begin(Database& db);
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    ~Transaction();

    // Durable once this returns ok (synchronous=FULL).
    Status commit();

private:
    explicit Transaction(Database& db) : m_db(&db) {}
    Database* m_db;
    bool m_done = false;
};

} // namespace edsync::sqlite

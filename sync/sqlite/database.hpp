#pragma once
// The only door to SQLite. sqlite3.h stays inside this folder's .cpp files.
#include "sync/sqlite/error.hpp"
#include "sync/sqlite/statement.hpp"

#include <filesystem>
#include <string_view>

struct sqlite3;

namespace edsync::sqlite {

enum class Durability { Full, Normal };  // Normal only for throwaway test data

class Database {
public:
    // Opens (creating if absent) with WAL, foreign keys on and the chosen
    // synchronous level. The file is created 0600.
    static Result<Database> open(const std::filesystem::path& file, Durability durability = Durability::Full);
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

    // Takes WAL checkpoints off the commit path. SQLite's automatic checkpoint
    // runs inside the COMMIT that pushes the WAL past its threshold (1,000
    // pages), adding two or three fsyncs to that one action; after this call
    // it does so only past `safetyPages`, and the owner calls checkpoint()
    // when nobody is waiting (the kiosk: when idle).
    Status deferCheckpoints(int safetyPages = 10000);
    // A passive checkpoint: copies what it can without waiting for readers
    // or writers. Returns the WAL frames still not copied.
    Result<int> checkpoint();

    sqlite3* handle() const { return m_db; }
    Error lastError(int code) const;

private:
    explicit Database(sqlite3* db, std::filesystem::path path) : m_db(db), m_path(std::move(path)) {}
    sqlite3* m_db = nullptr;
    std::filesystem::path m_path;
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

#include "sync/sqlite/statement.hpp"
#include "sync/sqlite/database.hpp"

#include <sqlite3.h>

#include <cassert>

namespace edsync::sqlite {

Statement::Statement(Statement&& other) noexcept : m_stmt(other.m_stmt) { other.m_stmt = nullptr; }

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        if (m_stmt) sqlite3_finalize(m_stmt);
        m_stmt = other.m_stmt;
        other.m_stmt = nullptr;
    }
    return *this;
}

Statement::~Statement() {
    if (m_stmt) sqlite3_finalize(m_stmt);
}

// A bind failure is a programmer mistake (wrong index), hence the asserts.
Statement& Statement::bind(int index, std::int64_t value) {
    [[maybe_unused]] int rc = sqlite3_bind_int64(m_stmt, index, value);
    assert(rc == SQLITE_OK);
    return *this;
}

Statement& Statement::bind(int index, double value) {
    [[maybe_unused]] int rc = sqlite3_bind_double(m_stmt, index, value);
    assert(rc == SQLITE_OK);
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    [[maybe_unused]] int rc =
        sqlite3_bind_text64(m_stmt, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    assert(rc == SQLITE_OK);
    return *this;
}

Statement& Statement::bind(int index, std::nullptr_t) {
    [[maybe_unused]] int rc = sqlite3_bind_null(m_stmt, index);
    assert(rc == SQLITE_OK);
    return *this;
}

Result<bool> Statement::step() {
    int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sqlite3* db = sqlite3_db_handle(m_stmt);
    Error e;
    e.code = rc & 0xff;
    e.extendedCode = sqlite3_extended_errcode(db);
    e.message = sqlite3_errmsg(db);
    return fail(e);
}

Status Statement::run() {
    for (;;) {
        auto r = step();
        if (!r) return fail(r.error());
        if (!*r) return {};
    }
}

void Statement::reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

bool Statement::isNull(int column) const { return sqlite3_column_type(m_stmt, column) == SQLITE_NULL; }
std::int64_t Statement::getInt(int column) const { return sqlite3_column_int64(m_stmt, column); }
double Statement::getDouble(int column) const { return sqlite3_column_double(m_stmt, column); }

std::string Statement::getText(int column) const {
    const unsigned char* p = sqlite3_column_text(m_stmt, column);
    if (!p) return {};
    return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, column)));
}

std::optional<std::string> Statement::getOptionalText(int column) const {
    if (isNull(column)) return std::nullopt;
    return getText(column);
}

std::optional<std::int64_t> Statement::getOptionalInt(int column) const {
    if (isNull(column)) return std::nullopt;
    return getInt(column);
}

} // namespace edsync::sqlite

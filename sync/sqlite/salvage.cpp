#include "sync/sqlite/salvage.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <set>

namespace edsync::sqlite {

namespace {

// Table and column names come from sqlite_master; identifiers cannot be
// bound, so they are quoted (a " inside doubled).
std::string quoted(const std::string& name) {
    std::string q = "\"";
    for (char c : name) {
        if (c == '"') q += '"';
        q += c;
    }
    return q + "\"";
}

Result<std::vector<std::string>> listStrings(Database& db, const std::string& sql, const std::string& param = {}) {
    auto stmt = db.prepare(sql);
    if (!stmt) return fail(stmt.error());
    if (!param.empty()) stmt->bind(1, param);
    std::vector<std::string> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        out.push_back(stmt->getText(0));
    }
    return out;
}

std::optional<std::int64_t> countRows(Database& db, const std::string& table) {
    auto stmt = db.prepare("SELECT count(*) FROM " + quoted(table) + ";");
    if (!stmt) return std::nullopt;
    auto row = stmt->step();
    if (!row || !*row) return std::nullopt;
    return stmt->getInt(0);
}

bool hasRowid(Database& db, const std::string& table) {
    auto stmt = db.prepare("SELECT rowid FROM " + quoted(table) + " LIMIT 0;");
    return stmt.ok();
}

// Copies the rows of one table; fails only when the new database does (a
// damaged source is counted, not failed).
// Reads `select` (a key order, last first) until it ends or errors; what a
// forward pass already copied is ignored by the key.
Status copyBackwards(Database& from, Database& into, const std::string& select, sqlite3_stmt* ins, std::size_t columns, TableSalvage& tally) {
    sqlite3_stmt* sel = nullptr;
    if (sqlite3_prepare_v2(from.handle(), select.c_str(), -1, &sel, nullptr) != SQLITE_OK) return {};
    Status result;
    while (sqlite3_step(sel) == SQLITE_ROW) {
        for (std::size_t i = 0; i < columns; ++i) sqlite3_bind_value(ins, static_cast<int>(i + 1), sqlite3_column_value(sel, static_cast<int>(i)));
        int irc = sqlite3_step(ins);
        if (irc == SQLITE_DONE) {
            if (sqlite3_changes(into.handle()) > 0) ++tally.copied;
            else break;  // reached the rows the forward pass copied
        } else if ((irc & 0xff) == SQLITE_CONSTRAINT || (irc & 0xff) == SQLITE_MISMATCH) {
            ++tally.refused;
        } else {
            result = fail(into.lastError(irc));
            sqlite3_reset(ins);
            break;
        }
        sqlite3_reset(ins);
        sqlite3_clear_bindings(ins);
    }
    sqlite3_finalize(sel);
    return result;
}

Status copyTable(Database& from, Database& into, const std::string& table, const std::vector<std::string>& columns, bool rowid,
                 const std::vector<std::string>& key, TableSalvage& tally) {
    std::string list;
    std::string marks;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        list += (i ? ", " : "") + quoted(columns[i]);
        marks += (i ? ", ?" : "?") + std::to_string(i + 1);
    }
    sqlite3_stmt* ins = nullptr;
    if (sqlite3_prepare_v2(into.handle(), ("INSERT OR IGNORE INTO " + quoted(table) + " (" + list + ") VALUES (" + marks + ");").c_str(), -1, &ins,
                           nullptr) != SQLITE_OK)
        return fail(into.lastError(sqlite3_errcode(into.handle())));

    const std::string select = "SELECT " + (rowid ? std::string("rowid, ") : std::string()) + list + " FROM " + quoted(table) +
                               (rowid ? " WHERE rowid > ?1 ORDER BY rowid;" : ";");
    std::string backwards;
    if (!key.empty()) {
        std::string order;
        for (std::size_t i = 0; i < key.size(); ++i) order += (i ? ", " : "") + quoted(key[i]) + " DESC";
        backwards = "SELECT " + list + " FROM " + quoted(table) + " ORDER BY " + order + ";";
    }
    sqlite3_int64 after = INT64_MIN;
    sqlite3_int64 jump = 1;
    const int offset = rowid ? 1 : 0;
    Status result;
    for (int attempt = 0; attempt < 4096; ++attempt) {
        sqlite3_stmt* sel = nullptr;
        if (sqlite3_prepare_v2(from.handle(), select.c_str(), -1, &sel, nullptr) != SQLITE_OK) {
            ++tally.unreadable;
            break;
        }
        if (rowid) sqlite3_bind_int64(sel, 1, after);
        bool progressed = false;
        int rc;
        while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
            progressed = true;
            if (rowid) after = sqlite3_column_int64(sel, 0);
            for (std::size_t i = 0; i < columns.size(); ++i)
                sqlite3_bind_value(ins, static_cast<int>(i + 1), sqlite3_column_value(sel, static_cast<int>(i) + offset));
            int irc = sqlite3_step(ins);
            if (irc == SQLITE_DONE) {
                if (sqlite3_changes(into.handle()) > 0) ++tally.copied;
                else ++tally.duplicates;
            } else if ((irc & 0xff) == SQLITE_CONSTRAINT || (irc & 0xff) == SQLITE_MISMATCH) {
                ++tally.refused;
            } else {
                result = fail(into.lastError(irc));
                sqlite3_reset(ins);
                break;
            }
            sqlite3_reset(ins);
            sqlite3_clear_bindings(ins);
        }
        sqlite3_finalize(sel);
        if (!result || rc == SQLITE_DONE) break;
        ++tally.unreadable;
        if (!rowid) {
            // No rowid to skip ahead by: read from the other end of the key
            // order up to the damage, so only the damaged stretch is lost.
            if (!backwards.empty()) result = copyBackwards(from, into, backwards, ins, columns.size(), tally);
            break;
        }
        // Skip past the damaged page: further each time no row came.
        jump = progressed ? 1 : std::min<sqlite3_int64>(jump * 2, sqlite3_int64{1} << 40);
        if (after > INT64_MAX - jump) break;
        after = (after == INT64_MIN ? 0 : after) + jump;
    }
    sqlite3_finalize(ins);
    return result;
}

} // namespace

Result<std::vector<TableSalvage>> salvageRows(Database& from, Database& into, const std::vector<std::string>& skip) {
    auto tables = listStrings(into, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name;");
    if (!tables) return fail(tables.error());
    auto sourceTables = listStrings(from, "SELECT name FROM sqlite_master WHERE type = 'table';");
    std::set<std::string> inSource;
    if (sourceTables) inSource.insert(sourceTables->begin(), sourceTables->end());

    if (auto s = into.exec("PRAGMA foreign_keys = OFF;"); !s) return fail(s.error());
    auto tx = Transaction::begin(into);
    if (!tx) return fail(tx.error());
    std::vector<TableSalvage> out;
    for (const auto& table : *tables) {
        if (std::find(skip.begin(), skip.end(), table) != skip.end()) continue;
        TableSalvage tally;
        tally.table = table;
        if (!inSource.count(table)) {
            tally.unreadable = sourceTables ? 0 : 1;
            out.push_back(tally);
            continue;
        }
        auto target = listStrings(into, "SELECT name FROM pragma_table_info(?1);", table);
        auto source = listStrings(from, "SELECT name FROM pragma_table_info(?1);", table);
        if (!target) return fail(target.error());
        std::vector<std::string> columns;
        if (source)
            for (const auto& c : *target)
                if (std::find(source->begin(), source->end(), c) != source->end()) columns.push_back(c);
        if (columns.empty()) {
            ++tally.unreadable;
            out.push_back(tally);
            continue;
        }
        tally.counted = countRows(from, table);
        auto key = listStrings(from, "SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk;", table);
        if (auto s = copyTable(from, into, table, columns, hasRowid(from, table), key ? *key : std::vector<std::string>{}, tally); !s)
            return fail(s.error());
        out.push_back(tally);
    }
    if (auto s = tx->commit(); !s) return fail(s.error());
    if (auto s = into.exec("PRAGMA foreign_keys = ON;"); !s) return fail(s.error());
    return out;
}

} // namespace edsync::sqlite

#include "site_picture.hpp"

#include "sync/outbox/outbox.hpp"
#include "sync/sqlite/database.hpp"

namespace kiosk::durability {

namespace {

using edsync::sqlite::Database;

// Rows of `sql` (`columns` wide) as key (its first `keyColumns`) -> the other columns joined.
bool readRows(Database& db, const std::string& sql, int keyColumns, int columns, std::map<std::string, std::string>& out, std::string& error) {
    auto stmt = db.prepare(sql);
    if (!stmt) {
        error = stmt.error().describe();
        return false;
    }
    while (true) {
        auto row = stmt->step();
        if (!row) {
            error = row.error().describe();
            return false;
        }
        if (!*row) return true;
        std::string key, value;
        for (int c = 0; c < columns; ++c) {
            std::string text = stmt->isNull(c) ? "<null>" : stmt->getText(c);
            std::string& into = c < keyColumns ? key : value;
            if (!into.empty()) into += '|';
            into += text;
        }
        out[key] = value;
    }
}

std::int64_t count(Database& db, const std::string& sql, std::string& error) {
    auto stmt = db.prepare(sql);
    if (!stmt) {
        error = stmt.error().describe();
        return -1;
    }
    auto row = stmt->step();
    if (!row || !*row) {
        error = row ? "no row" : row.error().describe();
        return -1;
    }
    return stmt->getInt(0);
}

template <class Map>
void compareKeys(const Map& a, const Map& b, const std::string& what, std::vector<std::string>& out, std::size_t limit) {
    for (auto ia = a.begin(), ib = b.begin(); (ia != a.end() || ib != b.end()) && out.size() < limit;) {
        if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
            out.push_back(what + " only on the first: " + std::string(ia->first));
            ++ia;
        } else if (ia == a.end() || ib->first < ia->first) {
            out.push_back(what + " only on the second: " + std::string(ib->first));
            ++ib;
        } else {
            if (*ia != *ib) out.push_back(what + " differs: " + std::string(ia->first));
            ++ia;
            ++ib;
        }
    }
}

std::map<std::string, std::string> asMap(const std::set<std::string>& s) {
    std::map<std::string, std::string> m;
    for (const auto& k : s) m[k];
    return m;
}

} // namespace

KioskPicture readPicture(const std::filesystem::path& dbFile) {
    KioskPicture p;
    auto db = Database::openReadOnly(dbFile);
    if (!db) {
        p.error = db.error().describe();
        return p;
    }
    std::map<std::string, std::string> ids;
    if (!readRows(*db, "SELECT event_id FROM event;", 1, 1, ids, p.error)) return p;
    for (auto& [k, _] : ids) p.events.insert(k);
    ids.clear();
    if (!readRows(*db, "SELECT event_id FROM work_event;", 1, 1, ids, p.error)) return p;
    for (auto& [k, _] : ids) p.workEvents.insert(k);
    if (!readRows(*db,
                  "SELECT session_id, student_unique_id, presence, late, seat, checked_in_at, checked_out_at, detail, edfi_key"
                  " FROM attendance;",
                  2, 9, p.attendance, p.error))
        return p;
    if (!readRows(*db,
                  "SELECT entry_id, student_id, task_id, work_date, minutes, place, reflection, status, reviewer, reviewer_comment,"
                  " reviewed_at, reviewer_staff_id FROM work_entry;",
                  1, 12, p.workEntries, p.error))
        return p;
    // A deletion the state has taken (or that had nothing to delete) is the
    // same as no row: a kiosk that queued a record its merge later left out
    // keeps that row, a kiosk whose merge never had it has none.
    if (!readRows(*db, "SELECT resource, natural_key, op, body FROM outbox WHERE NOT (op = 'delete' AND synced_version = local_version);", 2,
                  4, p.outbox, p.error))
        return p;
    auto counts = edsync::outbox::counts(*db);
    if (!counts) {
        p.error = counts.error().describe();
        return p;
    }
    p.pending = counts->pending;
    p.attention = counts->needsAttention;
    p.unpublished = count(*db, "SELECT count(*) FROM site_outbox WHERE published_at IS NULL;", p.error);
    p.published = count(*db, "SELECT count(*) FROM site_outbox WHERE published_at IS NOT NULL;", p.error);
    p.parked = count(*db, "SELECT count(*) FROM site_parked;", p.error);
    return p;
}

std::vector<std::string> differences(const KioskPicture& a, const KioskPicture& b, std::size_t limit) {
    std::vector<std::string> out;
    compareKeys(asMap(a.events), asMap(b.events), "event", out, limit);
    compareKeys(asMap(a.workEvents), asMap(b.workEvents), "work event", out, limit);
    compareKeys(a.attendance, b.attendance, "attendance projection", out, limit);
    compareKeys(a.workEntries, b.workEntries, "work entry projection", out, limit);
    compareKeys(a.outbox, b.outbox, "outbox record", out, limit);
    return out;
}

} // namespace kiosk::durability

#pragma once
// Shared by the site log tests and the publisher helper: a "kiosk" is a
// SQLite file with the site tables and a table of applied events.
#include "sync/site/consumer.hpp"
#include "sync/site/site_store.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <poll.h>
#include <string>

namespace site_test {

using edsync::sqlite::Database;
using edsync::sqlite::Transaction;

inline void pause(int ms) {
    pollfd none{-1, 0, 0};
    ::poll(&none, 0, ms);
}

// Polls `done` until true or `limit` passes (the limit only bounds a broken run).
inline bool waitUntil(const std::function<bool()>& done, std::chrono::seconds limit = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        pause(20);
    }
    return true;
}

inline bool prepareKiosk(Database& db) {
    if (!edsync::site::migrate(db)) return false;
    return bool(db.exec(
        "CREATE TABLE IF NOT EXISTS applied (event_id TEXT PRIMARY KEY, origin TEXT NOT NULL, suffix TEXT NOT NULL,"
        " payload TEXT NOT NULL, stream_seq INTEGER NOT NULL);"));
}

inline std::string eventId(const std::string& kiosk, int i) { return kiosk + "-ev-" + std::to_string(i); }

// The kiosk's own commit: an event row would go here too; the site row rides along.
inline bool commitEvent(Database& db, const std::string& id, const std::string& suffix, const std::string& payload) {
    auto tx = Transaction::begin(db);
    if (!tx) return false;
    if (!edsync::site::enqueue(db, id, suffix, payload)) return false;
    return bool(tx->commit());
}

struct ApplyCounters {
    std::atomic<int> applied{0};
    std::atomic<int> own{0};
    std::atomic<int> duplicates{0};  // an event id applied a second time: must stay 0
};

// Applies a message the way a kiosk would: its row and the cursor in one transaction.
inline edsync::site::ApplyFn applier(ApplyCounters& counters) {
    return [&counters](Database& db, const edsync::site::SiteMessage& m) -> edsync::site::ApplyResult {
        auto tx = Transaction::begin(db);
        if (!tx) return edsync::fail(tx.error().describe());
        if (!m.fromThisKiosk) {
            auto ins = db.prepare(
                "INSERT INTO applied (event_id, origin, suffix, payload, stream_seq) VALUES (?1, ?2, ?3, ?4, ?5)"
                " ON CONFLICT DO NOTHING;");
            if (!ins) return edsync::fail(ins.error().describe());
            ins->bind(1, m.eventId).bind(2, m.originKioskId).bind(3, m.subjectSuffix).bind(4, m.payload)
                .bind(5, static_cast<std::int64_t>(m.streamSeq));
            if (auto s = ins->run(); !s) return edsync::fail(s.error().describe());
            if (db.changes() == 0) ++counters.duplicates;
        }
        auto rec = edsync::site::recordApplied(db, m.streamSeq, m.eventId);
        if (!rec) return edsync::fail(rec.error().describe());
        if (auto s = tx->commit(); !s) return edsync::fail(s.error().describe());
        if (m.fromThisKiosk) ++counters.own;
        else ++counters.applied;
        return {};
    };
}

// The same writes inside the consumer's batch transaction (ApplyMode::BatchTransaction):
// no BEGIN/COMMIT, no recordApplied (the consumer does both).
inline edsync::site::ApplyFn applierWithin(ApplyCounters& counters) {
    return [&counters](Database& db, const edsync::site::SiteMessage& m) -> edsync::site::ApplyResult {
        if (m.fromThisKiosk) {
            ++counters.own;
            return {};
        }
        auto ins = db.prepare(
            "INSERT INTO applied (event_id, origin, suffix, payload, stream_seq) VALUES (?1, ?2, ?3, ?4, ?5)"
            " ON CONFLICT DO NOTHING;");
        if (!ins) return edsync::fail(ins.error().describe());
        ins->bind(1, m.eventId).bind(2, m.originKioskId).bind(3, m.subjectSuffix).bind(4, m.payload)
            .bind(5, static_cast<std::int64_t>(m.streamSeq));
        if (auto s = ins->run(); !s) return edsync::fail(s.error().describe());
        if (db.changes() == 0) ++counters.duplicates;
        ++counters.applied;
        return {};
    };
}

inline std::int64_t count(Database& db, const std::string& sql) {
    auto s = db.prepare(sql);
    if (!s || !s->step()) return -1;
    return s->getInt(0);
}

} // namespace site_test

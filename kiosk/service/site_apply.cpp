#include "kiosk/service/site_apply.hpp"

#include "kiosk/service/projections.hpp"
#include "kiosk/store/roster_facts.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/store/site_facts.hpp"
#include "sync/outbox/outbox.hpp"

#include <vector>

namespace kiosk::service {

using edsync::sqlite::Transaction;

namespace {

constexpr std::string_view kRefusedPrefix = "refused: ";

store::Status park(store::Database& db, std::string_view eventId, std::string_view payload, std::string_view waitingFor) {
    auto stmt = db.prepare(
        "INSERT INTO site_parked (event_id, payload, waiting_for, parked_at) VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
        " ON CONFLICT (event_id) DO UPDATE SET waiting_for = excluded.waiting_for;");
    if (!stmt) return edsync::fail(stmt.error());
    stmt->bind(1, eventId).bind(2, payload).bind(3, waitingFor);
    return stmt->run();
}

// A fact that cannot be used is kept where a technician can see it, never
// silently dropped, under an id made from its bytes (it may have none).
ApplyOutcome refuse(store::Database& db, std::string_view payload, const std::string& why) {
    std::string id = "malformed-" + std::to_string(std::hash<std::string_view>{}(payload));
    if (auto s = park(db, id, payload.substr(0, store::kMaxFactBytes), std::string(kRefusedPrefix) + why); !s)
        return {ApplyOutcome::What::Failed, s.error().describe()};
    return {ApplyOutcome::What::Refused, why};
}

store::Status unpark(store::Database& db, std::string_view eventId) {
    auto stmt = db.prepare("DELETE FROM site_parked WHERE event_id = ?1;");
    if (!stmt) return edsync::fail(stmt.error());
    stmt->bind(1, eventId);
    return stmt->run();
}

// Session-level facts change the session row; the earliest opening and
// sign-off seen anywhere stand.
std::optional<std::string> applySessionFact(store::Database& db, const store::DecodedFact& f) {
    auto at = domain::parseIso8601(f.recordedAt);
    if (f.kind == "session_opened") {
        if (auto s = store::markSessionOpened(db, f.sessionId, *at, f.actor); !s) return s.error().describe();
    } else if (f.kind == "session_signed_off") {
        auto stmt = db.prepare(
            "UPDATE assessment_session SET signed_off_at = ?2, signed_off_by = ?3"
            " WHERE session_id = ?1 AND (signed_off_at IS NULL OR signed_off_at > ?2);");
        if (!stmt) return stmt.error().describe();
        stmt->bind(1, f.sessionId).bind(2, f.recordedAt).bind(3, f.actor);
        if (auto s = stmt->run(); !s) return s.error().describe();
    }
    return std::nullopt;
}

} // namespace

ApplyOutcome SiteApplier::apply(std::string_view payload, const InTransaction& inTx) {
    auto& db = m_store.db();
    auto tx = Transaction::begin(db);
    if (!tx) return {ApplyOutcome::What::Failed, tx.error().describe()};
    ApplyOutcome out = applyInTransaction(payload, false);
    if (!out.ok()) return out;  // the transaction rolls back
    if (inTx)
        if (auto s = inTx(db); !s) return {ApplyOutcome::What::Failed, s.error().describe()};
    if (auto s = tx->commit(); !s) return {ApplyOutcome::What::Failed, s.error().describe()};
    return out;
}

ApplyOutcome SiteApplier::applyInTransaction(std::string_view payload, bool fromParking) {
    auto& db = m_store.db();
    if (auto ack = store::decodeAck(payload); ack.isAck) {
        // What reached the state: guards this kiosk's next write of the record.
        if (!ack.ack) return refuse(db, payload, ack.error);
        const store::AckFact& a = *ack.ack;
        if (a.unanswered && a.deletion) {
            // A deletion another machine sent whose answer was lost: the state may hold nothing now.
            if (auto s = edsync::outbox::adoptUnansweredDeletion(db, a.resource, a.naturalKey, a.order); !s)
                return {ApplyOutcome::What::Failed, s.error().describe()};
            return {};
        }
        if (a.unanswered) {
            // A write another machine sent whose answer was lost: the state may hold it.
            if (auto s = edsync::outbox::adoptUnanswered(db, a.resource, a.naturalKey, a.body, a.order); !s)
                return {ApplyOutcome::What::Failed, s.error().describe()};
            return {};
        }
        if (a.deletion) {
            if (auto settled = edsync::outbox::adoptDeletion(db, a.resource, a.naturalKey, a.order); !settled)
                return {ApplyOutcome::What::Failed, settled.error().describe()};
            return {};
        }
        auto adopted = edsync::outbox::adoptWrite(db, a.resource, a.naturalKey, a.body, a.resourceId, a.etag, a.order);
        if (!adopted) return {ApplyOutcome::What::Failed, adopted.error().describe()};
        if (!*adopted) {
            const store::CatalogueDocument* catalogue = m_catalogue ? m_catalogue() : nullptr;
            if (auto p = rebuildFromStateNews(m_store, catalogue, a.resource, a.naturalKey, a.body))
                return {ApplyOutcome::What::Failed, *p};
        }
        return {};
    }
    if (auto head = store::decodeAuditHead(payload); head.isAuditHead) {
        // The hub's copy is the one that counts (verify-audit asks it): nothing to store here.
        if (!head.head) return refuse(db, payload, head.error);
        return {ApplyOutcome::What::Kept, {}};
    }
    if (auto roster = store::decodeRosterFact(payload); roster.isRoster) {
        // A roster imported or downloaded elsewhere: rows newer than ours.
        if (!roster.error.empty()) return refuse(db, payload, roster.error);
        m_store.observeHlc(roster.hlc);
        auto applied = store::applyRosterFact(db, roster, m_siteSeal ? &*m_siteSeal : nullptr);
        if (!applied) return {ApplyOutcome::What::Failed, applied.error().describe()};
        switch (applied->what) {
        case store::RosterApplied::What::Refused: return refuse(db, payload, applied->detail);
        case store::RosterApplied::What::Waiting:
            if (auto s = park(db, roster.eventId, payload, applied->detail); !s) return {ApplyOutcome::What::Failed, s.error().describe()};
            return {ApplyOutcome::What::Parked, applied->detail};
        case store::RosterApplied::What::Applied: break;
        }
        if (!roster.descriptors.empty()) {
            // Records queued before the state's names reached this kiosk go again with them.
            std::vector<std::string> kioskUris;
            for (const auto& [kiosk, state] : roster.descriptors) kioskUris.push_back(kiosk);
            if (auto p = reprojectSittingsNaming(db, kioskUris)) return {ApplyOutcome::What::Failed, *p};
        }
        if (fromParking)
            if (auto s = unpark(db, roster.eventId); !s) return {ApplyOutcome::What::Failed, s.error().describe()};
        return {};
    }
    auto decoded = store::decodeFact(payload);
    if (!decoded.fact) {
        return refuse(db, payload, decoded.error);
    }
    const store::DecodedFact& f = *decoded.fact;
    m_store.observeHlc(f.hlc);  // what this kiosk records next sorts after what it has seen
    auto seq = m_store.nextSeq();
    if (!seq) return {ApplyOutcome::What::Failed, seq.error().describe()};
    auto inserted = store::insertFact(db, f, *seq);
    if (!inserted) return {ApplyOutcome::What::Failed, inserted.error().describe()};
    switch (inserted->what) {
    case store::Inserted::What::AlreadyKnown:
        if (fromParking)
            if (auto s = unpark(db, f.eventId); !s) return {ApplyOutcome::What::Failed, s.error().describe()};
        return {ApplyOutcome::What::Duplicate, {}};
    case store::Inserted::What::Waiting:
        if (auto s = park(db, f.eventId, payload, inserted->waitingFor); !s) return {ApplyOutcome::What::Failed, s.error().describe()};
        return {ApplyOutcome::What::Parked, inserted->waitingFor};
    case store::Inserted::What::New:
        break;
    }
    if (fromParking)
        if (auto s = unpark(db, f.eventId); !s) return {ApplyOutcome::What::Failed, s.error().describe()};

    if (f.type == store::FactType::Work) {
        const store::CatalogueDocument* catalogue = m_catalogue ? m_catalogue() : nullptr;
        if (!catalogue) return {ApplyOutcome::What::Failed, "no task catalogue on this kiosk yet"};
        if (auto p = rebuildWorkEntry(m_store, *catalogue, f.entryId, *seq)) return {ApplyOutcome::What::Failed, *p};
        return {};
    }
    if (!f.studentId) {
        if (auto p = applySessionFact(db, f)) return {ApplyOutcome::What::Failed, *p};
        return {};
    }
    auto session = store::findSession(db, f.sessionId);
    if (!session) return {ApplyOutcome::What::Failed, session.error().describe()};
    if (auto p = rebuildAttendance(m_store, **session, *f.studentId, *seq)) return {ApplyOutcome::What::Failed, *p};
    return {};
}

int SiteApplier::retryParked() {
    // A fact applied can end the wait of one parked before it (a roster cut
    // into several facts that arrived out of order): again until none moves.
    int total = 0;
    for (int applied = retryParkedOnce(); applied > 0; applied = retryParkedOnce()) total += applied;
    return total;
}

int SiteApplier::retryParkedOnce() {
    auto& db = m_store.db();
    std::vector<std::string> payloads;
    {
        auto stmt = db.prepare("SELECT payload FROM site_parked WHERE waiting_for NOT LIKE 'refused: %' ORDER BY parked_at, event_id;");
        if (!stmt) return 0;
        for (;;) {
            auto row = stmt->step();
            if (!row || !*row) break;
            payloads.push_back(stmt->getText(0));
        }
    }
    int applied = 0;
    for (const auto& p : payloads) {
        auto tx = Transaction::begin(db);
        if (!tx) return applied;
        auto out = applyInTransaction(p, true);
        if (!out.ok()) continue;  // rolled back; it stays parked
        if (auto s = tx->commit(); !s) return applied;
        if (out.what == ApplyOutcome::What::Applied) ++applied;
    }
    return applied;
}

} // namespace kiosk::service

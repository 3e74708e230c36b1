#include "kiosk/service/sync_view.hpp"

#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/store/record_subject.hpp"
#include "kiosk/store/work_repo.hpp"
#include "sync/outbox/outbox.hpp"
#include "sync/site/site_store.hpp"

namespace kiosk::service {

OutboxTally tally(const edsync::outbox::Counts& c) {
    OutboxTally t;
    t.waiting = c.pending;
    if (!c.oldestWaitingSince.empty())
        if (auto since = domain::parseIso8601(c.oldestWaitingSince)) t.waitingSince = *since;
    t.inFlight = c.inFlight;
    t.needsAttention = c.needsAttention;
    t.synced = c.synced;
    return t;
}

store::Result<OutboxTally> tallyOutbox(store::Database& db) {
    auto c = edsync::outbox::counts(db);
    if (!c) return edsync::fail(c.error());
    return tally(*c);
}

void countInto(SyncSummary& s, const OutboxTally& t) {
    s.waiting = t.waiting;
    s.waitingSince = t.waitingSince;
    s.inFlight = t.inFlight;
    s.needsAttention = t.needsAttention;
    s.synced = t.synced;
}

SyncSummary offlineSummary(store::Store& store) {
    SyncSummary out;
    if (auto t = tallyOutbox(store.db())) countInto(out, *t);
    return out;
}

namespace {

std::string fallbackWho(const std::string& resource) {
    return resource == store::kStudentProgramEvaluations ? "Work-readiness record" : resource;
}

// The outbox's failed rows named for a person, with the kiosk's own tables.
std::vector<FailedRecord> describeFailures(store::Database& db, const std::vector<edsync::outbox::FailedRecord>& rows,
                                           const store::RecordSubject::DateFormat& formatDate) {
    store::RecordSubjects subjects(db);
    std::vector<FailedRecord> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
        FailedRecord r;
        r.resource = row.resource;
        r.naturalKey = row.naturalKey;
        r.refused = row.state == edsync::outbox::State::NeedsAttention;
        r.deletion = row.op == edsync::outbox::Op::Delete;
        r.who = subjects.of(row.resource, row.naturalKey).describe(formatDate);
        if (r.who.empty()) r.who = fallbackWho(row.resource);
        r.httpStatus = row.reply.httpStatus;
        r.problemType = row.reply.problemType;
        r.words = row.reply.words;
        r.correlationId = row.reply.correlationId;
        r.cause = row.cause;
        if (row.reply.atUnixMs) r.at = domain::Timestamp{std::chrono::milliseconds{*row.reply.atUnixMs}};
        r.attempts = row.attempts;
        out.push_back(std::move(r));
    }
    return out;
}

} // namespace

store::Result<std::vector<AttentionRecord>> SyncQueries::needsAttention(int limit) {
    auto items = edsync::outbox::attentionList(m_store.db(), limit);
    if (!items) return edsync::fail(items.error());
    store::RecordSubjects subjects(m_store.db());
    std::vector<AttentionRecord> out;
    for (const auto& i : *items) {
        AttentionRecord r{i.resource, i.naturalKey, subjects.of(i.resource, i.naturalKey).describe({}), i.httpStatus, i.message};
        if (r.who.empty()) r.who = fallbackWho(i.resource);
        out.push_back(std::move(r));
    }
    return out;
}

store::Result<std::vector<FailedRecord>> SyncQueries::failedRecords(int limit) { return service::failedRecords(m_store.db(), limit, {}); }

store::Result<std::vector<WaitingRecord>> SyncQueries::waiting(int limit) { return waitingRecords(m_store.db(), limit, {}); }

store::Result<std::vector<FailedRecord>> failedRecords(store::Database& db, int limit, const store::RecordSubject::DateFormat& formatDate) {
    auto rows = edsync::outbox::failedRecords(db, limit);
    if (!rows) return edsync::fail(rows.error());
    return describeFailures(db, *rows, formatDate);
}

store::Result<std::vector<WaitingRecord>> waitingRecords(store::Database& db, int limit, const store::RecordSubject::DateFormat& formatDate) {
    auto rows = edsync::outbox::oldestWaiting(db, limit);
    if (!rows) return edsync::fail(rows.error());
    store::RecordSubjects subjects(db);
    std::vector<WaitingRecord> out;
    out.reserve(rows->size());
    for (const auto& row : *rows) {
        WaitingRecord w;
        w.who = subjects.of(row.resource, row.naturalKey).describe(formatDate);
        if (w.who.empty()) w.who = fallbackWho(row.resource);
        if (auto t = domain::parseIso8601(row.firstQueuedAt)) w.since = *t;
        w.attempts = row.attempts;
        out.push_back(std::move(w));
    }
    return out;
}

store::Result<std::optional<SiteHubSummary>> SyncQueries::siteHub(std::int64_t nowUnixMs) { return siteHubSummary(m_store.db(), nowUnixMs); }

store::Result<std::optional<SiteHubSummary>> siteHubSummary(store::Database& db, std::int64_t nowUnixMs) {
    auto report = edsync::site::linkReport(db);
    if (!report) return edsync::fail(report.error());
    if (!*report) return std::optional<SiteHubSummary>{};
    const edsync::site::LinkReport& r = **report;
    SiteHubSummary s;
    s.linked = nowUnixMs - r.updatedUnixMs <= edsync::site::kLinkReportStaleMs;
    s.connected = s.linked && r.connected;
    if (r.lastContactUnixMs > 0) s.lastContact = domain::Timestamp(std::chrono::milliseconds(r.lastContactUnixMs));
    s.thisKioskUploads = s.linked && r.holdsLease;
    s.uploader = r.leaseHolder.value_or("");
    s.behind = r.consumerPending;
    s.secondsBehind = r.secondsBehind;
    if (auto out = edsync::site::outboxStatus(db)) s.unshared = out->unpublished;
    return std::optional<SiteHubSummary>{s};
}

store::Status SyncQueries::retry(const std::string& resource, const std::string& naturalKey) {
    return edsync::outbox::retry(m_store.db(), resource, naturalKey);
}

} // namespace kiosk::service

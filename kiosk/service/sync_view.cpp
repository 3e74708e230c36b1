#include "kiosk/service/sync_view.hpp"

#include "kiosk/store/edfi_mapping.hpp"
#include "sync/outbox/outbox.hpp"

namespace kiosk::service {

SyncSummary summarise(const edsync::edfi::SyncStatus& s) {
    using C = edsync::edfi::SyncStatus::Connection;
    SyncSummary out;
    switch (s.connection) {
    case C::Unknown: out.connection = SyncSummary::Connection::Connecting; break;
    case C::Online: out.connection = SyncSummary::Connection::Online; break;
    case C::Offline: out.connection = SyncSummary::Connection::Offline; break;
    case C::AuthFailed: out.connection = SyncSummary::Connection::CredentialsRefused; break;
    }
    if (s.lastContactUnixMs) out.lastContact = domain::Timestamp{std::chrono::milliseconds{*s.lastContactUnixMs}};
    if (s.clockOffsetMs) out.clockOffsetSeconds = *s.clockOffsetMs / 1000;
    out.clockWarning = s.clockWarning;
    out.ratePerSecond = s.drainRatePerSecond;
    out.waiting = s.counts.pending;
    out.inFlight = s.counts.inFlight;
    out.needsAttention = s.counts.needsAttention;
    out.synced = s.counts.synced;
    if (out.ratePerSecond > 0.1 && out.waiting > 0) out.secondsLeft = static_cast<std::int64_t>(static_cast<double>(out.waiting) / out.ratePerSecond) + 1;
    out.lastError = s.lastError;
    return out;
}

SyncSummary offlineSummary(store::Store& store) {
    SyncSummary out;
    if (auto c = edsync::outbox::counts(store.db())) {
        out.waiting = c->pending;
        out.inFlight = c->inFlight;
        out.needsAttention = c->needsAttention;
        out.synced = c->synced;
    }
    return out;
}

store::Result<std::vector<AttentionRecord>> SyncQueries::needsAttention(int limit) {
    auto items = edsync::outbox::attentionList(m_store.db(), limit);
    if (!items) return edsync::fail(items.error());
    auto name = m_store.db().prepare(
        "SELECT s.last_surname || ', ' || s.first_name || ' (' || s.student_unique_id || ') · ' || x.title"
        " FROM attendance a JOIN student s ON s.student_unique_id = a.student_unique_id"
        " JOIN assessment_session x ON x.session_id = a.session_id WHERE a.edfi_key = ?1;");
    if (!name) return edsync::fail(name.error());
    std::vector<AttentionRecord> out;
    for (const auto& i : *items) {
        AttentionRecord r{i.resource, i.naturalKey, {}, i.httpStatus, i.message};
        if (i.resource == store::kStudentAssessments) {
            name->reset();
            name->bind(1, i.naturalKey);
            if (name->step().value_or(false)) r.who = name->getText(0);
        }
        if (r.who.empty()) r.who = i.resource == "studentProgramEvaluations" ? "Work-readiness record" : i.resource;
        out.push_back(std::move(r));
    }
    return out;
}

store::Status SyncQueries::retry(const std::string& resource, const std::string& naturalKey) {
    return edsync::outbox::retry(m_store.db(), resource, naturalKey);
}

} // namespace kiosk::service

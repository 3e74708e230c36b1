#include "sync/site/publisher.hpp"

#include "sync/site/nats_handles.hpp"

#include <nats/nats.h>

#include <algorithm>

namespace edsync::site {

Result<PublishReport> Publisher::publishPending(int maxRows) {
    NatsHandles& h = m_conn.nats();
    const std::string prefix = subjectPrefix(h.config);
    PublishReport report;
    std::int64_t afterSeq = 0;
    // Without the stream a publish finds no responder: make sure it exists once per connection.
    if (m_conn.streamCreatedNs() == 0 && m_conn.connected()) {
        if (auto s = m_conn.ensureStream(); !s) return fail(s.error());
    }
    while (report.sent < maxRows) {
        if (!m_conn.connected()) return fail(SiteError{NATS_CONNECTION_DISCONNECTED, 0, "the site hub is not reachable"});
        int limit = std::min(h.config.publishBatch, maxRows - report.sent);
        auto rows = unpublished(m_db, limit, afterSeq);
        if (!rows) return fail(SiteError{-1, 0, rows.error().describe()});
        if (rows->empty()) break;

        int sentThisRound = 0;
        for (const OutboxRow& row : *rows) {
            natsMsg* msg = nullptr;
            const std::string subject = prefix + row.subjectSuffix;
            natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, row.payload.data(),
                                          static_cast<int>(row.payload.size()));
            if (s == NATS_OK) s = natsMsgHeader_Set(msg, kOriginHeader, h.config.kioskId.c_str());
            jsPubOptions po;
            jsPubOptions_Init(&po);
            po.MsgId = row.eventId.c_str();
            po.MaxWait = h.config.requestTimeout.count();
            if (s == NATS_OK) s = js_PublishMsgAsync(h.js, &msg, &po);
            if (s != NATS_OK) {
                natsMsg_Destroy(msg);  // null once the library took it
                report.lastError = natsError(s, 0, "publishing an event").message;
                break;
            }
            ++sentThisRound;
            afterSeq = row.seq;
        }
        report.sent += sentThisRound;

        jsPubOptions wait;
        jsPubOptions_Init(&wait);
        wait.MaxWait = h.config.requestTimeout.count();
        natsStatus done = js_PublishAsyncComplete(h.js, &wait);
        if (done != NATS_OK) {
            // Not answered in time: take them back (they stay unpublished and
            // go again next round; the hub drops any it already stored).
            natsMsgList pending{};
            if (js_PublishAsyncGetPendingList(&pending, h.js) == NATS_OK) natsMsgList_Destroy(&pending);
            report.lastError = natsError(done, 0, "waiting for the hub's acknowledgements").message;
        }

        std::vector<Published> acked;
        int failedThisRound = 0;
        for (PubOutcome& o : h.takeAcks()) {
            if (o.ok) acked.push_back({std::move(o.eventId), o.streamSeq});
            else {
                ++failedThisRound;
                report.lastError = "the hub refused an event: " + o.error;
            }
        }
        report.acknowledged += static_cast<int>(acked.size());
        if (auto s = markPublished(m_db, acked, unixMsNow()); !s) return fail(SiteError{-1, 0, s.error().describe()});
        int unanswered = sentThisRound - static_cast<int>(acked.size()) - failedThisRound;
        report.failed += failedThisRound + std::max(0, unanswered);
        if (sentThisRound < static_cast<int>(rows->size()) || done != NATS_OK || failedThisRound > 0) break;
    }
    return report;
}

} // namespace edsync::site

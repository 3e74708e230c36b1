#include "sync/site/consumer.hpp"

#include "sync/site/nats_handles.hpp"

#include <nats/nats.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <vector>

namespace edsync::site {

// This kiosk's inbox for the consumer's deliveries, and where pull requests
// go. Pulled by hand rather than with natsSubscription_Fetch: libnats 3.4.1's
// Fetch writes past its array of `batch` entries when more than half a batch
// was already waiting in the subscription (its loop ends on count equal to
// the batch it then requests, which the count has passed), corrupting the
// heap (docs/architecture.md, "Site event log").
struct Consumer::Sub {
    natsSubscription* sub = nullptr;
    std::string inbox;
    std::string nextSubject;  // $JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>
    ~Sub() {
        // Unsubscribe only: the durable consumer stays on the hub.
        if (sub != nullptr) natsSubscription_Destroy(sub);
    }
};

Consumer::Consumer(SiteConnection& connection, Database& db) : m_conn(connection), m_db(db) {}
Consumer::~Consumer() = default;

namespace {

SiteError local(const sqlite::Error& e) { return SiteError{-1, 0, e.describe()}; }

constexpr std::int64_t kRetryDelayMs = 5000;  // a refused apply comes back after 5 s

std::string header(natsMsg* msg, const char* key) {
    const char* v = nullptr;
    if (natsMsgHeader_Get(msg, key, &v) == NATS_OK && v != nullptr) return v;
    return {};
}

} // namespace

Result<std::unique_ptr<Consumer>> Consumer::open(SiteConnection& connection, Database& db) {
    if (auto s = connection.ensureStream(); !s) return fail(s.error());
    const std::string stream = streamName(connection.config());
    if (auto b = bindStream(db, stream, connection.streamCreatedNs()); !b) return fail(local(b.error()));
    std::unique_ptr<Consumer> c(new Consumer(connection, db));
    if (auto s = c->subscribe(false); !s) return fail(s.error());
    return c;
}

// Facts are applied in the log's order. A message delivered and never
// acknowledged (this kiosk was killed mid-batch, or a partition swallowed a
// fetch's answer) would come back only after the ack wait, after later ones:
// an acknowledgement could then arrive before the event it covers. So when
// the hub holds such messages for us, or `restart` says a fetch skipped
// ahead, the consumer starts again from its ack floor; what was applied
// since is acked without applying (site_applied).
Status Consumer::subscribe(bool restart) {
    const SiteLogConfig& cfg = m_conn.config();
    jsCtx* js = m_conn.nats().js;
    const std::string stream = streamName(cfg);
    const std::string durable = consumerName(cfg);
    const std::string filter = subjectPrefix(cfg) + ">";
    m_sub = std::make_unique<Sub>();  // the old subscription (if any) goes first
    m_maxSeen = 0;

    jsConsumerInfo* ci = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetConsumerInfo(&ci, js, stream.c_str(), durable.c_str(), nullptr, &jerr);
    bool exists = s == NATS_OK;
    if (!exists && s != NATS_NOT_FOUND && jerr != JSConsumerNotFoundErr)
        return fail(natsError(s, jerr, "asking the hub for this kiosk's consumer"));
    std::uint64_t floor = 0;
    bool unacknowledged = false;
    bool aheadOfStream = false;
    if (exists) {
        floor = ci->AckFloor.Stream;
        const std::uint64_t delivered = ci->Delivered.Stream;
        unacknowledged = ci->NumAckPending > 0 || ci->NumRedelivered > 0;
        jsConsumerInfo_Destroy(ci);
        // A hub killed at once can come back with a shorter stream than its
        // consumers remember: the sequences past its end will be new events,
        // and a consumer left as it is would never deliver them.
        jsStreamInfo* si = nullptr;
        jerr = static_cast<jsErrCode>(0);
        s = js_GetStreamInfo(&si, js, stream.c_str(), nullptr, &jerr);
        if (s != NATS_OK) return fail(natsError(s, jerr, "asking the hub how long the site log is"));
        const std::uint64_t last = si->State.LastSeq;
        jsStreamInfo_Destroy(si);
        if (delivered > last || floor > last) {
            aheadOfStream = true;
            floor = std::min(floor, last);
        }
    }
    if (exists && (restart || unacknowledged || aheadOfStream)) {
        jerr = static_cast<jsErrCode>(0);
        s = js_DeleteConsumer(js, stream.c_str(), durable.c_str(), nullptr, &jerr);
        if (s != NATS_OK && s != NATS_NOT_FOUND && jerr != JSConsumerNotFoundErr)
            return fail(natsError(s, jerr, "starting this kiosk's consumer again from its ack floor"));
        exists = false;
    }
    if (!exists) {
        jsConsumerConfig cc;
        jsConsumerConfig_Init(&cc);
        cc.Durable = durable.c_str();
        cc.Description = "TestSite Kiosk: this kiosk's view of the site log";
        cc.DeliverPolicy = floor > 0 ? js_DeliverByStartSequence : js_DeliverAll;
        cc.OptStartSeq = floor > 0 ? floor + 1 : 0;
        cc.AckPolicy = js_AckExplicit;
        cc.AckWait = std::chrono::duration_cast<std::chrono::nanoseconds>(cfg.ackWait).count();
        cc.MaxAckPending = 20000;
        cc.FilterSubject = filter.c_str();
        jsConsumerInfo* made = nullptr;
        jerr = static_cast<jsErrCode>(0);
        s = js_AddConsumer(&made, js, stream.c_str(), &cc, nullptr, &jerr);
        if (s != NATS_OK) return fail(natsError(s, jerr, "opening this kiosk's consumer"));
        jsConsumerInfo_Destroy(made);
    }
    natsInbox* inbox = nullptr;
    s = natsInbox_Create(&inbox);
    if (s != NATS_OK) return fail(natsError(s, 0, "opening this kiosk's consumer"));
    m_sub->inbox = inbox;
    natsInbox_Destroy(inbox);
    m_sub->nextSubject = "$JS.API.CONSUMER.MSG.NEXT." + stream + "." + durable;
    s = natsConnection_SubscribeSync(&m_sub->sub, m_conn.nats().nc, m_sub->inbox.c_str());
    if (s != NATS_OK) {
        m_sub->sub = nullptr;
        return fail(natsError(s, 0, "opening this kiosk's consumer"));
    }
    m_conn.noteContact();
    return {};
}

// A fetched batch: the library's messages (acked or not by the caller) and their decoding.
struct Consumer::Fetched {
    std::vector<natsMsg*> msgs;
    std::vector<SiteMessage> messages;  // parallel to msgs; streamSeq 0 = undecodable
    Fetched() = default;
    Fetched(const Fetched&) = delete;
    Fetched& operator=(const Fetched&) = delete;
    ~Fetched() {
        for (natsMsg* m : msgs) natsMsg_Destroy(m);
    }
};

namespace {

// A pull request's end or a note from the hub, not an event: "Status" 404
// (nothing more), 408 (the request expired), 409 (the consumer is gone, or
// refused the request), 100 (a heartbeat).
std::optional<std::string> statusOf(natsMsg* msg) {
    const char* v = nullptr;
    if (natsMsgHeader_Get(msg, "Status", &v) != NATS_OK || v == nullptr) return std::nullopt;
    return std::string(v);
}

// Acknowledgements go to the delivery's reply subject, as JetStream defines
// them; a lost one only means the message comes back after the ack wait.
void answer(natsConnection* nc, natsMsg* msg, const std::string& body) {
    const char* reply = natsMsg_GetReply(msg);
    if (reply != nullptr) natsConnection_PublishString(nc, reply, body.c_str());
}

void ack(natsConnection* nc, natsMsg* msg) { answer(nc, msg, "+ACK"); }

void nakWithRetryDelay(natsConnection* nc, natsMsg* msg) {
    answer(nc, msg, "-NAK {\"delay\":" + std::to_string(kRetryDelayMs * 1'000'000) + "}");
}

} // namespace

// Takes up to `batch` deliveries from the inbox, waiting until `deadline`:
// for each one until the request ends (`untilRequestEnds`: a no-wait request,
// which the hub closes with 404 or 408), or else only for the first; after
// it, only what has already arrived (the rest of a waiting request's
// deliveries wait in the inbox for the next fetch).
Status Consumer::receive(Fetched& f, int batch, std::chrono::steady_clock::time_point deadline, bool untilRequestEnds) {
    while (static_cast<int>(f.msgs.size()) < batch) {
        std::int64_t wait = 0;  // 0: only what has already arrived
        if (untilRequestEnds || f.msgs.empty())
            wait = std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
        natsMsg* msg = nullptr;
        natsStatus s = natsSubscription_NextMsg(&msg, m_sub->sub, wait);
        if (s == NATS_TIMEOUT) break;
        if (s != NATS_OK) return fail(natsError(s, 0, "fetching from the site log"));
        if (auto status = statusOf(msg)) {
            const char* text = nullptr;
            natsMsgHeader_Get(msg, "Description", &text);
            std::string why = "the site hub answered a fetch with " + *status + (text != nullptr ? std::string(" ") + text : "");
            natsMsg_Destroy(msg);
            if (*status == "100") continue;  // a heartbeat
            if (*status == "404" || *status == "408") {
                if (untilRequestEnds) break;
                continue;  // an earlier request's end
            }
            return fail(SiteError{-1, 0, why});
        }
        f.msgs.push_back(msg);
    }
    return {};
}

Status Consumer::requestNext(int batch, bool noWait, std::chrono::milliseconds wait) {
    // A waiting request ends at the hub a little before we stop waiting for it.
    const std::int64_t expiresNs =
        std::chrono::duration_cast<std::chrono::nanoseconds>(wait >= std::chrono::milliseconds(20) ? wait - std::chrono::milliseconds(10) : wait).count();
    const std::string request = "{\"batch\":" + std::to_string(batch) + ",\"expires\":" + std::to_string(expiresNs) +
                                (noWait ? ",\"no_wait\":true}" : "}");
    natsStatus s = natsConnection_PublishRequestString(m_conn.nats().nc, m_sub->nextSubject.c_str(), m_sub->inbox.c_str(), request.c_str());
    if (s != NATS_OK) return fail(natsError(s, 0, "asking the site hub for the next events"));
    return {};
}

Result<std::unique_ptr<Consumer::Fetched>> Consumer::fetchRaw(FetchReport& report) {
    const SiteLogConfig& cfg = m_conn.config();
    const std::string prefix = subjectPrefix(cfg);
    auto f = std::make_unique<Fetched>();
    // First what an earlier request delivered after its fetch returned: those
    // come before anything a new request would bring. Then what the hub holds
    // now (a no-wait request); only if it holds nothing, a request that waits.
    const auto now = std::chrono::steady_clock::now();
    const auto deadline = now + cfg.fetchWait;
    if (auto r = receive(*f, cfg.fetchBatch, now, false); !r) return fail(r.error());
    if (f->msgs.empty()) {
        if (auto r = requestNext(cfg.fetchBatch, true, cfg.fetchWait); !r) return fail(r.error());
        if (auto r = receive(*f, cfg.fetchBatch, deadline, true); !r) return fail(r.error());
    }
    if (f->msgs.empty()) {
        if (auto r = requestNext(cfg.fetchBatch, false, cfg.fetchWait); !r) return fail(r.error());
        if (auto r = receive(*f, cfg.fetchBatch, deadline, false); !r) return fail(r.error());
    }
    if (f->msgs.empty()) {
        // Nothing new; the hub answered only if we are still connected.
        if (m_conn.connected()) m_conn.noteContact();
        return f;
    }
    m_conn.noteContact();
    for (natsMsg* msg : f->msgs) {
        ++report.received;
        SiteMessage m;
        jsMsgMetaData* meta = nullptr;
        if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
            m.streamSeq = meta->Sequence.Stream;
            m.hubTimeNs = meta->Timestamp;
            jsMsgMetaData_Destroy(meta);
        }
        m.eventId = header(msg, "Nats-Msg-Id");
        m.originKioskId = header(msg, kOriginHeader);
        m.fromThisKiosk = m.originKioskId == cfg.kioskId;
        std::string_view subject = natsMsg_GetSubject(msg);
        m.subjectSuffix = std::string(subject.substr(subject.rfind(prefix, 0) == 0 ? prefix.size() : 0));
        const char* data = natsMsg_GetData(msg);
        m.payload.assign(data != nullptr ? data : "", static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
        f->messages.push_back(std::move(m));
    }
    return f;
}

namespace {

ApplyResult callApply(const ApplyFn& apply, Database& db, const SiteMessage& m) {
    try {
        return apply(db, m);
    } catch (const std::exception& e) {
        return fail(std::string("apply threw: ") + e.what());
    } catch (...) {
        return fail(std::string("apply threw"));
    }
}

void noteFailure(FetchReport& report, const SiteMessage& m, const std::string& why) {
    ++report.failed;
    report.lastFailure = "event " + m.eventId + " (stream seq " + std::to_string(m.streamSeq) + "): " + why;
}

} // namespace

Result<FetchReport> Consumer::fetch(const ApplyFn& apply) {
    FetchReport report;
    auto f = fetchRaw(report);
    if (!f) return fail(f.error());
    Fetched& batch = **f;
    if (skipsAhead(batch)) return startAgain(report);
    natsConnection* nc = m_conn.nats().nc;
    for (std::size_t i = 0; i < batch.messages.size(); ++i) {
        natsMsg* msg = batch.msgs[i];
        const SiteMessage& m = batch.messages[i];
        if (m.streamSeq == 0) {  // not a JetStream delivery (cannot happen on a pull consumer): leave it
            noteFailure(report, m, "no JetStream metadata");
            continue;
        }
        auto seen = wasApplied(m_db, m.streamSeq, m.eventId);
        if (!seen) return fail(local(seen.error()));
        if (*seen) {
            ++report.alreadyApplied;
            noteApplied(m);
            ack(nc, msg);
            continue;
        }
        ApplyResult r = callApply(apply, m_db, m);
        if (r) {
            // A callback that forgot recordApplied still moves the cursor,
            // though not atomically with its own change. If even that cannot be
            // saved the message is not acked: it comes back, and an apply is
            // idempotent by event id, while an acked one would never be recorded.
            auto recorded = wasApplied(m_db, m.streamSeq, m.eventId);
            bool cursorSaved = recorded && *recorded;
            if (recorded && !*recorded) {
                auto tx = sqlite::Transaction::begin(m_db);
                cursorSaved = tx && recordApplied(m_db, m.streamSeq, m.eventId) && tx->commit();
            }
            if (!cursorSaved) {
                noteFailure(report, m, "applied, but its place in the log could not be saved");
                nakWithRetryDelay(nc, msg);
                continue;
            }
            ++report.applied;
            noteApplied(m);
            ack(nc, msg);
        } else {
            noteFailure(report, m, r.error());
            nakWithRetryDelay(nc, msg);
        }
    }
    return report;
}

Result<FetchReport> Consumer::fetchInTransaction(const ApplyFn& applyWithin) {
    FetchReport report;
    auto f = fetchRaw(report);
    if (!f) return fail(f.error());
    Fetched& batch = **f;
    if (batch.messages.empty()) return report;
    if (skipsAhead(batch)) return startAgain(report);
    enum class Fate { Leave, Ack, Nak };
    std::vector<Fate> fate(batch.messages.size(), Fate::Leave);
    {
        auto tx = sqlite::Transaction::begin(m_db);
        if (!tx) return fail(local(tx.error()));
        // Statements prepared once per batch: a catching-up kiosk runs
        // thousands of these, and preparing each anew cost more than running it.
        auto marks = AppliedMarks::prepare(m_db);
        auto savepoint = m_db.prepare("SAVEPOINT site_apply;");
        auto release = m_db.prepare("RELEASE site_apply;");
        auto rollback = m_db.prepare("ROLLBACK TO site_apply;");
        if (!marks || !savepoint || !release || !rollback) return fail(SiteError{-1, 0, "preparing the apply batch"});
        std::uint64_t maxSeq = 0;
        std::int64_t applied = 0;
        for (std::size_t i = 0; i < batch.messages.size(); ++i) {
            const SiteMessage& m = batch.messages[i];
            if (m.streamSeq == 0) {
                noteFailure(report, m, "no JetStream metadata");
                continue;
            }
            auto row = marks->seen(m.streamSeq, m.eventId);
            if (!row) return fail(local(row.error()));
            if (*row) {
                ++report.alreadyApplied;
                fate[i] = Fate::Ack;
                continue;
            }
            savepoint->reset();
            if (auto s = savepoint->run(); !s) return fail(local(s.error()));
            ApplyResult r = callApply(applyWithin, m_db, m);
            if (r) {
                if (auto s = marks->mark(m.streamSeq, m.eventId); !s) r = fail(s.error().describe());
            }
            if (r) {
                release->reset();
                if (auto s = release->run(); !s) return fail(local(s.error()));
                ++report.applied;
                ++applied;
                maxSeq = std::max(maxSeq, m.streamSeq);
                fate[i] = Fate::Ack;
            } else {
                rollback->reset();
                release->reset();
                if (auto s = rollback->run(); !s) return fail(local(s.error()));
                if (auto s = release->run(); !s) return fail(local(s.error()));
                noteFailure(report, m, r.error());
                fate[i] = Fate::Nak;
            }
        }
        if (applied > 0) {
            auto cur = m_db.prepare(
                "UPDATE site_cursor SET last_seq = max(last_seq, ?1), applied = applied + ?2,"
                " updated_at = ?3 WHERE id = 1;");
            if (!cur) return fail(local(cur.error()));
            cur->bind(1, static_cast<std::int64_t>(maxSeq)).bind(2, applied).bind(3, unixMsNow());
            if (auto s = cur->run(); !s) return fail(local(s.error()));
        }
        // Nothing is acked unless the batch is durable; if the commit fails
        // every message comes back after the ack wait.
        if (auto s = tx->commit(); !s) return fail(local(s.error()));
    }
    natsConnection* nc = m_conn.nats().nc;
    for (std::size_t i = 0; i < fate.size(); ++i) {
        if (fate[i] == Fate::Ack) noteApplied(batch.messages[i]);
        if (fate[i] == Fate::Ack) ack(nc, batch.msgs[i]);
        else if (fate[i] == Fate::Nak) nakWithRetryDelay(nc, batch.msgs[i]);
    }
    return report;
}

// Every message of the stream comes to this consumer, in order: a batch
// that jumps past the next sequence means messages were delivered that never
// reached us (a reply lost to a partition). The first fetch after a
// (re)subscription sets where we are.
bool Consumer::skipsAhead(const Fetched& batch) {
    bool skipped = false;
    for (const SiteMessage& m : batch.messages) {
        if (m.streamSeq == 0) continue;
        if (m_maxSeen > 0 && m.streamSeq > m_maxSeen + 1) skipped = true;
        m_maxSeen = std::max(m_maxSeen, m.streamSeq);
    }
    return skipped;
}

// Nothing of the batch is applied, acked or refused: the consumer is made
// again from its ack floor and delivers those messages again, in order.
Result<FetchReport> Consumer::startAgain(FetchReport report) {
    ++report.restarts;
    report.received = 0;
    if (auto s = subscribe(true); !s) return fail(s.error());
    return report;
}

Result<ConsumerLag> Consumer::lag() {
    jsConsumerInfo* ci = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    const SiteLogConfig& cfg = m_conn.config();
    natsStatus s = js_GetConsumerInfo(&ci, m_conn.nats().js, streamName(cfg).c_str(), consumerName(cfg).c_str(), nullptr, &jerr);
    if (s != NATS_OK) return fail(natsError(s, jerr, "asking the hub how far behind this kiosk is"));
    ConsumerLag l;
    l.pending = ci->NumPending;
    l.ackPending = ci->NumAckPending;
    l.ackFloor = ci->AckFloor.Stream;
    jsConsumerInfo_Destroy(ci);
    m_conn.noteContact();
    if (l.behind() == 0) {
        l.secondsBehind = 0;
    } else if (m_lastAppliedNs > 0) {
        jsStreamInfo* si = nullptr;
        jerr = static_cast<jsErrCode>(0);
        const std::string stream = streamName(m_conn.config());
        if (js_GetStreamInfo(&si, m_conn.nats().js, stream.c_str(), nullptr, &jerr) == NATS_OK) {
            l.secondsBehind = std::max<std::int64_t>(0, (si->State.LastTime - m_lastAppliedNs + 999'999'999) / 1'000'000'000);
            jsStreamInfo_Destroy(si);
        }
    }
    if (auto p = pruneApplied(m_db, l.ackFloor, unixMsNow()); !p) return fail(local(p.error()));
    return l;
}

} // namespace edsync::site

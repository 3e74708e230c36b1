#include "sync/site/connection.hpp"

#include "sync/site/nats_handles.hpp"
#include "sync/site/tls_serialise.hpp"

#include <nats/nats.h>

#include <chrono>

namespace edsync::site {

std::int64_t unixMsNow() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

SiteError natsError(int status, int jsCode, std::string_view what) {
    SiteError e;
    e.status = status;
    e.jsCode = jsCode;
    e.message = std::string(what) + ": " + natsStatus_GetText(static_cast<natsStatus>(status));
    natsStatus last = NATS_OK;
    const char* text = nats_GetLastError(&last);
    // The library's own words say which (e.g. "Authorization Violation").
    if (text != nullptr && *text != '\0' && last == static_cast<natsStatus>(status)) e.message += " (" + std::string(text) + ")";
    if (jsCode != 0) e.message += " [JetStream error " + std::to_string(jsCode) + "]";
    return e;
}

namespace {

// Runs on the library's thread for every async publish: records the outcome
// by event id (the Nats-Msg-Id header) for the publisher to save.
void onPubAck(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto* h = static_cast<NatsHandles*>(closure);
    PubOutcome o;
    const char* id = nullptr;
    if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) o.eventId = id;
    if (pa != nullptr) {
        o.ok = true;
        o.streamSeq = pa->Sequence;
        h->lastContactMs = unixMsNow();
    } else if (pae != nullptr) {
        o.error = pae->ErrText != nullptr ? pae->ErrText : natsStatus_GetText(pae->Err);
    }
    natsMsg_Destroy(msg);
    std::lock_guard lock(h->ackMutex);
    h->acks.push_back(std::move(o));
}

} // namespace

SiteConnection::SiteConnection() : m_h(std::make_unique<NatsHandles>()) {}

SiteConnection::~SiteConnection() {
    // The library calls onPubAck on its own threads with a pointer to our
    // handles, and those threads can outlive the destroy calls (nats.h,
    // nats_CloseAndWait). Wait for every publish in flight to be answered
    // first; if the hub never answers them, the handles are left allocated
    // rather than freed under a late callback. A 200-kill site run saw
    // kiosks crash on exit (double free, SIGSEGV) with publishes in flight.
    bool drained = true;
    if (m_h->js != nullptr) {
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = 2000;
        drained = js_PublishAsyncComplete(m_h->js, &po) == NATS_OK;
    }
    if (m_h->nc != nullptr) natsConnection_Close(m_h->nc);
    if (m_h->js != nullptr) jsCtx_Destroy(m_h->js);
    if (m_h->nc != nullptr) natsConnection_Destroy(m_h->nc);
    if (m_h->opts != nullptr) natsOptions_Destroy(m_h->opts);
    if (!drained) (void)m_h.release();  // deliberately kept: see above
}

Result<std::unique_ptr<SiteConnection>> SiteConnection::connect(const SiteLogConfig& config) {
    std::unique_ptr<SiteConnection> c(new SiteConnection());
    NatsHandles& h = *c->m_h;
    h.config = config;
    if (config.servers.empty()) return fail(SiteError{-1, 0, "no hub address configured"});

    natsStatus s = natsOptions_Create(&h.opts);
    if (s != NATS_OK) return fail(natsError(s, 0, "creating connection options"));
    std::vector<const char*> servers;
    for (const auto& url : config.servers) servers.push_back(url.c_str());
    s = natsOptions_SetServers(h.opts, servers.data(), static_cast<int>(servers.size()));
    if (s == NATS_OK) s = natsOptions_SetTimeout(h.opts, config.connectTimeout.count());
    if (s == NATS_OK) s = natsOptions_SetName(h.opts, ("testsite-kiosk " + natsToken(config.kioskId)).c_str());
    // Reconnect forever once connected; a dead hub is noticed within ~10 s by pings.
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(h.opts, -1);
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(h.opts, config.reconnectWait.count());
    if (s == NATS_OK) s = natsOptions_SetPingInterval(h.opts, 5000);
    if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(h.opts, 2);
    // Requests made while disconnected fail at once instead of waiting out their timeout.
    if (s == NATS_OK) s = natsOptions_SetFailRequestsOnDisconnect(h.opts, true);
    if (s == NATS_OK && !config.user.empty())
        s = natsOptions_SetUserInfo(h.opts, config.user.c_str(), config.password.c_str());
    if (s == NATS_OK && !config.caFile.empty()) {
        // Verification stays on: the hub's certificate must chain to caFile.
        s = natsOptions_SetSecure(h.opts, true);
        if (s == NATS_OK) s = natsOptions_LoadCATrustedCertificates(h.opts, config.caFile.c_str());
        if (s != NATS_OK) return fail(natsError(s, 0, "loading the hub's CA file"));
    }
    if (s != NATS_OK) return fail(natsError(s, 0, "setting connection options"));

    keepTlsSerialised();  // libnats's TLS calls go through its lock (tls_serialise.cpp)
    s = natsConnection_Connect(&h.nc, h.opts);
    if (s != NATS_OK) {
        h.nc = nullptr;
        return fail(natsError(s, 0, "connecting to the site hub"));
    }
    h.lastContactMs = unixMsNow();

    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = config.requestTimeout.count();
    jo.PublishAsync.MaxPending = config.publishBatch;
    jo.PublishAsync.AckHandler = onPubAck;
    jo.PublishAsync.AckHandlerClosure = &h;
    s = natsConnection_JetStream(&h.js, h.nc, &jo);
    if (s != NATS_OK) {
        h.js = nullptr;
        return fail(natsError(s, 0, "opening JetStream"));
    }
    return c;
}

const SiteLogConfig& SiteConnection::config() const { return m_h->config; }

bool SiteConnection::connected() const {
    return m_h->nc != nullptr && natsConnection_Status(m_h->nc) == NATS_CONN_STATUS_CONNECTED;
}

bool SiteConnection::closed() const { return m_h->nc == nullptr || natsConnection_IsClosed(m_h->nc); }

std::int64_t SiteConnection::lastContactUnixMs() const { return m_h->lastContactMs.load(); }
void SiteConnection::noteContact() { m_h->lastContactMs = unixMsNow(); }
std::int64_t SiteConnection::streamCreatedNs() const { return m_h->streamCreatedNs.load(); }

std::uint64_t SiteConnection::reconnects() const {
    // Polled, not a callback: the library's callback thread may still run
    // after this object is gone.
    if (m_h->nc == nullptr) return 0;
    natsStatistics* stats = nullptr;
    if (natsStatistics_Create(&stats) != NATS_OK) return 0;
    std::uint64_t in = 0, inBytes = 0, out = 0, outBytes = 0, reconnected = 0;
    if (natsConnection_GetStats(m_h->nc, stats) == NATS_OK) natsStatistics_GetCounts(stats, &in, &inBytes, &out, &outBytes, &reconnected);
    natsStatistics_Destroy(stats);
    return reconnected;
}
NatsHandles& SiteConnection::nats() { return *m_h; }

Status SiteConnection::ensureStream() {
    const std::string name = streamName(m_h->config);
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&si, m_h->js, name.c_str(), nullptr, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
        const std::string subject = subjectPrefix(m_h->config) + ">";
        const char* subjects[] = {subject.c_str()};
        jsStreamConfig cfg;
        jsStreamConfig_Init(&cfg);
        cfg.Name = name.c_str();
        cfg.Description = "TestSite Kiosk: the site's event log";
        cfg.Subjects = subjects;
        cfg.SubjectsLen = 1;
        cfg.Storage = js_FileStorage;
        cfg.Retention = js_LimitsPolicy;
        cfg.Duplicates = std::chrono::duration_cast<std::chrono::nanoseconds>(m_h->config.duplicateWindow).count();
        cfg.DenyDelete = true;  // the log is history: nobody removes a fact
        cfg.DenyPurge = true;
        jerr = static_cast<jsErrCode>(0);
        s = js_AddStream(&si, m_h->js, &cfg, nullptr, &jerr);
        if (s != NATS_OK && jerr == JSStreamNameExistErr)  // another kiosk made it meanwhile
            s = js_GetStreamInfo(&si, m_h->js, name.c_str(), nullptr, &jerr);
    }
    if (s != NATS_OK) return fail(natsError(s, jerr, "creating the site's stream"));
    m_h->streamCreatedNs = si->Created;
    jsStreamInfo_Destroy(si);
    noteContact();
    return {};
}

} // namespace edsync::site

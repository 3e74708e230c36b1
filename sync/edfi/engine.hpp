#pragma once
// The sync engine: a worker thread with its own SQLite connection to the
// kiosk's database file (WAL; the kiosk writes on another connection) that
// drains the outbox to Ed-Fi and pulls reference data with change queries.
//
// Loop: drain the outbox as a stream (`concurrency` requests always in flight,
// claims taken ahead, outcomes saved in batches; the status follows each save)
// -> pull when due -> sleep until the earliest retry time, the next pull, or wake().
// While the server is unreachable it probes GET {base}/ with a short backoff
// instead of churning records; when the server answers again, rows that were
// waiting on a connectivity backoff become due at once.
//
// Thread use: construct, start(), then wake()/syncNow()/requestPull()/status()
// from any thread; stop() (or the destructor) joins. runOnePass() is the
// synchronous form for the CLI and must not run while the worker runs.
#include "sync/edfi/backoff.hpp"
#include "sync/edfi/clock.hpp"
#include "sync/edfi/puller.hpp"
#include "sync/edfi/session.hpp"
#include "sync/edfi/uploader.hpp"
#include "sync/transport/curl_transport.hpp"
#include "sync/outbox/outbox.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace edsync::edfi {

struct SyncConfig {
    std::string baseUrl;       // https://host/... (the ODS/API root that serves discovery)
    std::string route;         // tenant/year segments before data/v3 ("2026", "district-a/2026"); may be empty
    // Shares the token with the kiosk's other processes (null: this process only).
    std::shared_ptr<TokenStore> tokenStore;
    PullOptions pull;          // page size, snapshots, the periodic full resync
    std::string clientKey;
    std::string clientSecret;
    std::optional<std::filesystem::path> caBundle;  // a site's own CA (PEM); absent: system store
    std::chrono::milliseconds connectTimeout{10'000};
    std::chrono::milliseconds requestTimeout{60'000};
    // The cap of requests in flight; the transport's window adapts below it
    // (and below the server's own SETTINGS_MAX_CONCURRENT_STREAMS). A far
    // link needs its bandwidth x delay in flight (at 1 Mbit/s and 300 ms about
    // 50 records); a state may set another cap (`max_in_flight`, 1 to 256).
    int concurrency = 128;
    // A dead link is noticed this fast: no byte for stallTimeout with requests
    // in flight, then a probe on a fresh connection with probeTimeout.
    std::chrono::milliseconds stallTimeout{3'000};
    std::chrono::milliseconds probeTimeout{3'000};
    // While the link is silent (nothing answers, not even a refusal) look for
    // it again this often, counted from the start of the last look (jittered
    // down to a quarter): probes into a dead link cost the server nothing. A
    // look gives up its unanswered SYN soon (transport::ConnectWait::Probe),
    // so each look sends a fresh one and the drain resumes within a beat of
    // the link's return, not after the kernel's SYN back-off (1 s, 2 s, 4 s).
    std::chrono::milliseconds linkProbeInterval{500};
    int batchSize = 0;          // rows claimed ahead per claim transaction; 0: 16 x concurrency
    BackoffPolicy backoff;      // per record: ~1 s doubling to ~1 h, full jitter, never giving up
    // While the server cannot be reached: how often to look for it again.
    BackoffPolicy probeBackoff{std::chrono::milliseconds{1'000}, std::chrono::milliseconds{60'000}, std::chrono::milliseconds{250}};
    std::vector<PullResource> pullResources;        // empty: upload only
    std::chrono::milliseconds pullInterval{300'000};
    std::chrono::milliseconds idleRecheck{60'000};  // look at the outbox at least this often
    // synchronous= of the engine's own connection. Its writes are claims,
    // acknowledgements, retry times, cursors and pulled reference data: all of
    // them can be redone, so a power cut can cost a resend (an idempotent
    // upsert) or a re-download, never a record. The kiosk's own connection
    // stays FULL. NORMAL spares two fsyncs per upload round.
    sqlite::Durability durability = sqlite::Durability::Normal;
    // On a site of several machines one uploads at a time: this says whether
    // this machine may now (it holds the site's uploader lease and has caught
    // up with the site log). Unset: always (a site of one machine).
    std::function<bool()> mayUpload;
    // Inside the transaction that saves an upsert's acknowledgement: the site
    // log shares what reached the state (UploadOptions::onAcknowledged).
    std::function<sqlite::Status(sqlite::Database&, const outbox::Claim&, std::string_view resourceId, std::string_view etag)>
        onAcknowledged;
    // ... and the one that saves a write sent whose answer was lost
    // (UploadOptions::onUnanswered).
    std::function<sqlite::Status(sqlite::Database&, const outbox::Claim&)> onUnanswered;
};

// What the status screen shows. A copy; safe to keep.
struct SyncStatus {
    enum class Connection { Unknown, Online, Offline, AuthFailed };
    Connection connection = Connection::Unknown;
    bool running = false;
    std::optional<std::int64_t> lastContactUnixMs;  // last HTTP answer of any kind
    std::optional<std::int64_t> clockOffsetMs;      // server Date minus this machine's clock
    bool clockWarning = false;                      // |offset| > 5 minutes
    double drainRatePerSecond = 0;                  // records acknowledged, last 10 s
    outbox::Counts counts;
    // The latest cause, for a person; cleared when the server is reached again.
    // It may quote the server's own message (which can name a student ID):
    // show it, never log it.
    std::string lastError;
    std::optional<std::int64_t> lastPullUnixMs;     // last complete change-query pass
    std::string dataModelVersion;                   // from discovery, e.g. "5.2.0"
    std::optional<std::int64_t> nextAttemptUnixMs;  // earliest retry time in the outbox
    bool standby = false;  // another machine of the site uploads (SyncConfig::mayUpload said no)
};
std::string_view toString(SyncStatus::Connection connection);

inline constexpr std::int64_t kClockWarningMs = 5 * 60 * 1000;

// runOnePass's verdict (testsite-kioskctl maps it to its exit code table).
enum class PassResult {
    AllSynced,       // nothing waiting
    SomePending,     // records wait for a retry time (409, 429, 5xx) or the pass was cut short
    NeedsAttention,  // a person must look at refused records
    Offline,         // the server could not be reached
    AuthFailure,     // the server refused the client key/secret
    Standby,         // another machine of the site holds the uploader lease
    TokensRefused,   // the token endpoint answered 429: the client holds too many live tokens
    DownloadFailed,  // the roster download failed (the uploads may all be through)
};
std::string_view toString(PassResult result);

struct PassProgress {
    enum class Phase { Connecting, Uploading, Downloading, Done };
    Phase phase = Phase::Connecting;
    int sent = 0;
    int synced = 0;
    int retried = 0;
    int attention = 0;
    std::string_view resource;   // while downloading
    std::int64_t downloaded = 0; // items of that resource part so far
};
using PassProgressFn = std::function<void(const PassProgress&)>;

struct PassReport {
    PassResult result = PassResult::SomePending;
    outbox::Counts counts;
    int sent = 0;
    int synced = 0;
    int retried = 0;
    int attention = 0;
    std::optional<PullReport> pull;
    std::string message;  // the cause when not AllSynced
};

class SyncEngine {
public:
    // With the real libcurl transport built from the config.
    // The transport a kiosk runs for `config` (create() uses it; so does the rural-link benchmark).
    static transport::TransportOptions transportOptions(const SyncConfig& config);
    static edsync::Result<std::unique_ptr<SyncEngine>, ApiError> create(SyncConfig config, std::filesystem::path databaseFile,
                                                                         PullSink* sink);
    // With any transport and clock (tests). `sink` may be null (no pull).
    SyncEngine(SyncConfig config, std::filesystem::path databaseFile, PullSink* sink,
               std::unique_ptr<transport::HttpClient> http, std::unique_ptr<Clock> clock = nullptr);
    ~SyncEngine();
    SyncEngine(const SyncEngine&) = delete;
    SyncEngine& operator=(const SyncEngine&) = delete;

    // Opens the engine's own connection, migrates, returns claims a crash
    // left in flight to the queue, and starts the worker.
    edsync::Result<void, ApiError> start();
    // Interrupts network work, joins the worker, hands back unfinished claims.
    void stop();
    bool running() const;

    // The kiosk committed new outbox rows: send them now (cheap; any thread).
    void wake();
    // A person asked to sync: also cut short offline/credential waits.
    void syncNow();
    // Run a change-query pass soon.
    void requestPull();

    SyncStatus status() const;

    // One synchronous pass on the calling thread: connect, send every row
    // due now, pull, and report. For `testsite-kioskctl sync`.
    PassReport runOnePass(const PassProgressFn& progress = {});

private:
    void run(sqlite::Database db);
    bool waitFor(std::chrono::milliseconds duration, bool wakeOnNewWork);
    void updateStatus(const std::function<void(SyncStatus&)>& change);
    edsync::Result<sqlite::Database, ApiError> openDatabase();
    UploadOptions uploadOptions() const;

    SyncConfig m_config;
    std::filesystem::path m_databaseFile;
    PullSink* m_sink;
    std::unique_ptr<transport::HttpClient> m_http;
    std::unique_ptr<Clock> m_clock;

    std::thread m_thread;
    mutable std::mutex m_mutex;  // guards the flags below and m_status
    std::condition_variable m_cv;
    bool m_stop = false;
    bool m_woken = false;
    bool m_urgent = false;
    bool m_pullRequested = false;
    SyncStatus m_status;
};

} // namespace edsync::edfi

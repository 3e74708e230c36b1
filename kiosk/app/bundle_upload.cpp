#include "kiosk/app/bundle_upload.hpp"

#include "sync/edfi/clock.hpp"
#include "sync/edfi/store.hpp"
#include "sync/edfi/uploader.hpp"
#include "sync/outbox/outbox.hpp"
#include "sync/transport/curl_transport.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace kiosk::app {

namespace {

constexpr int kRounds = 3;                        // tries per record within one import
constexpr std::int64_t kMaxRetryAfterMs = 10'000;  // longer waits: run import-pending again

UploadTally fatal(edsync::edfi::ApiError error) {
    UploadTally tally;
    tally.fatal = std::move(error);
    return tally;
}

} // namespace

UploadTally uploadBundle(const StateConfig& state, const Credentials& credentials, const std::vector<BundleRecord>& records,
                         edsync::edfi::TokenStore* tokens) {
    using edsync::edfi::ApiError;
    namespace outbox = edsync::outbox;
    edsync::transport::TransportOptions options;
    options.caBundle = state.caBundle;
    options.maxInFlight = 8;
    auto made = edsync::transport::CurlTransport::create(std::move(options));
    if (!made) return fatal(edsync::edfi::fromTransport(made.error()));
    edsync::transport::CurlTransport http = std::move(*made);
    edsync::edfi::SystemClock clock;
    edsync::edfi::Session session(state.baseUrl, edsync::edfi::Credentials{credentials.key, credentials.secret}, http, clock);
    session.setRoute(state.route);
    session.setTokenStore(tokens);
    if (auto d = session.discover(); !d && d.error().kind == ApiError::Kind::Offline) return fatal(d.error());

    // The file's records go through the kiosk's one upload loop (the
    // Uploader) from an outbox of their own, in memory: the same requests,
    // the same write guard (If-Match with the ETag the file carries, a lookup
    // before a first write) and the same verdicts as the kiosk's own sync.
    auto db = edsync::sqlite::Database::openInMemory();
    if (!db) return fatal(edsync::edfi::databaseError(db.error()));
    if (auto v = outbox::migrate(*db); !v) return fatal(edsync::edfi::databaseError(v.error()));
    if (auto v = edsync::edfi::migrate(*db); !v) return fatal(edsync::edfi::databaseError(v.error()));
    UploadTally tally;
    std::vector<const BundleRecord*> queued;
    {
        auto tx = edsync::sqlite::Transaction::begin(*db);
        if (!tx) return fatal(edsync::edfi::databaseError(tx.error()));
        std::int64_t seq = 0;
        for (const auto& r : records) {
            if (!edsync::edfi::isValidResourceName(r.resource)) {
                ++tally.refused;
                tally.problems.push_back({&r, true, std::nullopt, {}, "not an Ed-Fi resource name; skipped"});
                continue;
            }
            if (auto v = outbox::put(*db, r.resource, r.naturalKey, r.json, ++seq, r.identity); !v) return fatal(edsync::edfi::databaseError(v.error()));
            if (!r.etag.empty())
                if (auto s = outbox::guardWith(*db, r.resource, r.naturalKey, r.etag); !s) return fatal(edsync::edfi::databaseError(s.error()));
            queued.push_back(&r);
        }
        if (auto s = tx->commit(); !s) return fatal(edsync::edfi::databaseError(s.error()));
    }

    edsync::edfi::UploadOptions upload;
    upload.batchSize = 32;
    upload.backoff = edsync::edfi::BackoffPolicy{std::chrono::milliseconds(500), std::chrono::milliseconds(kMaxRetryAfterMs),
                                                 std::chrono::milliseconds(100)};
    edsync::edfi::Uploader uploader(session, http, clock, upload);
    for (int round = 0; round < kRounds; ++round) {
        auto drained = uploader.drain(*db);
        if (!drained) {
            if (round == 0) return fatal(drained.error());
            break;
        }
        if (drained->offline()) break;
        auto counts = outbox::counts(*db);
        if (!counts || counts->pending == 0) break;
        // A short pause before the next round (the server's Retry-After, up to 10 s).
        auto next = outbox::nextDueAt(*db);
        const std::int64_t now = clock.unixMs();
        const std::int64_t waitMs = next && *next ? std::clamp<std::int64_t>(**next - now, 500 * (round + 1), kMaxRetryAfterMs)
                                                  : 500 * (round + 1);
        if (round + 1 < kRounds) {
            std::this_thread::sleep_for(std::chrono::milliseconds(waitMs));
            // On failure the rows keep their own retry time: the next round may skip
            // them, and the tally below reports each one not sent.
            (void)outbox::expediteAllRetries(*db, clock.unixMs());
        }
    }

    for (const BundleRecord* r : queued) {
        auto st = outbox::status(*db, r->resource, r->naturalKey);
        if (!st || !*st) {
            ++tally.retry;
            tally.problems.push_back({r, false, std::nullopt, {}, "its outcome could not be read back; run import-pending again"});
            continue;
        }
        const outbox::RecordStatus& s = **st;
        edsync::edfi::ServerWords words;
        words.type = s.reply.problemType;
        words.words = s.reply.words;
        words.correlationId = s.reply.correlationId;
        switch (s.state) {
        case outbox::State::Synced: ++tally.stored; break;
        case outbox::State::NeedsAttention:
            ++tally.refused;
            tally.problems.push_back({r, true, s.lastHttpStatus, words, s.lastError.value_or("refused")});
            break;
        case outbox::State::Pending:
        case outbox::State::InFlight:
            ++tally.retry;
            tally.problems.push_back({r, false, s.lastHttpStatus, words, s.lastError.value_or("not sent yet")});
            break;
        }
    }
    return tally;
}

} // namespace kiosk::app

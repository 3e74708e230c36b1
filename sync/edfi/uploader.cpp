#include "sync/edfi/uploader.hpp"

#include "sync/edfi/write_guard.hpp"

#include <algorithm>
#include <limits>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <span>
#include <unordered_map>

namespace edsync::edfi {

namespace {

// "HTTP 409: <the server's words>", or the fallback when it gave none.
std::string problemText(int status, const ServerWords& words, std::string_view fallback) {
    return "HTTP " + std::to_string(status) + ": " + (words.words.empty() ? std::string(fallback) : words.words);
}

outbox::Failure failureOf(const Disposition& d, std::int64_t nowUnixMs) {
    outbox::Failure f;
    f.httpStatus = d.httpStatus;
    f.cause = d.cause;
    f.problemType = d.words.type;
    f.words = d.words.words;
    f.correlationId = d.words.correlationId;
    f.atUnixMs = nowUnixMs;
    return f;
}

std::optional<std::int64_t> retryAfter(const transport::Response& r, std::int64_t now, std::int64_t maxMs) {
    auto value = r.header("retry-after");
    if (!value) return std::nullopt;
    return parseRetryAfterMs(*value, now, maxMs);
}

// More than one write of ours may have been stored unanswered (a request
// timed out while the server was still working on it lands later): each
// look after a 412 can find the next one. The replacing is bounded, so that
// another writer who keeps changing the record ends up before a person; the
// looking is not (a look that finds this very version settles the row).
constexpr int kMaxReplacesAfter412 = 3;

// What the state holds may be this kiosk's own write: a request of ours
// went unanswered just before (it may have been stored), or the state holds
// exactly the body of our last write that may be there without our knowing
// (unanswered, sent twice, or answered other than 2xx), or a body it held
// before that another machine of the site may have sent (docs/edfi.md, "Writers").
bool mayBeOurOwn(const outbox::Claim& claim, const nlohmann::json& found) {
    if (claim.maybeDelivered) return true;
    for (const std::string& body : claim.unansweredBodies)
        if (sameRecord(body, found)) return true;
    for (const std::string& body : claim.heldBodies)  // sent by another machine of the site
        if (sameRecord(body, found)) return true;
    return false;
}

} // namespace

Disposition classifyUpsert(const transport::Outcome& outcome, std::int64_t nowUnixMs, std::int64_t maxRetryAfterMs) {
    Disposition d;
    if (!outcome) {
        const auto& err = outcome.error();
        d.verdict = Verdict::RetryLater;
        if (err.kind == transport::FailureKind::Cancelled) {
            d.immediate = true;
            d.cause = "stopped before the server answered";
        } else {
            d.noResponse = true;
            d.cause = err.describe();
        }
        return d;
    }
    const transport::Response& r = *outcome;
    const int s = r.status;
    d.httpStatus = s;
    if (s >= 200 && s < 300) {
        d.verdict = Verdict::Synced;
        if (auto location = r.header("location")) d.resourceId = resourceIdFromLocation(*location);
        if (auto tag = r.header("etag"); tag && !ifMatchValue(*tag).empty()) d.etag = ifMatchValue(*tag);
        return d;
    }
    // Every refusal keeps the server's own words, whatever shape its body has.
    d.words = readServerWords(r.body);
    if (s == 401) {
        d.verdict = Verdict::Unauthorized;
        d.cause = "HTTP 401: the access token was refused";
        return d;
    }
    // Worth waiting for: conflicts and unresolved references clear up once the
    // referenced record arrives; 429/5xx are the server's load or health.
    if (s == 412) {
        // Our If-Match named the last write we know of; someone wrote since.
        // Sending again would overwrite their record: a person decides.
        d.verdict = Verdict::NeedsAttention;
        // Our sentence, whatever the server's: its words are kept beside it.
        d.cause = "HTTP 412: another writer changed this record at the state after this kiosk's last write; "
                  "it was not overwritten";
        return d;
    }
    if (s == 408 || s == 409 || s == 423 || s == 425 || s == 429 || s >= 500 || s < 200 || (s >= 300 && s < 400)) {
        d.verdict = Verdict::RetryLater;
        d.retryAfterMs = retryAfter(r, nowUnixMs, maxRetryAfterMs);
        if (s == 409) d.cause = problemText(s, d.words, "conflict or missing reference; will retry");
        else if (s == 429) d.cause = problemText(s, d.words, "the server asked us to slow down");
        else d.cause = problemText(s, d.words, "the server could not take the record now");
        return d;
    }
    // 400 validation, 403 authorization/namespace, 404 no such resource, 413, 415, 422 ...:
    // the same request will be refused again. Keep the server's own explanation.
    d.verdict = Verdict::NeedsAttention;
    if (s == 400) d.cause = problemText(s, d.words, "the server refused the record as invalid");
    else if (s == 403) d.cause = problemText(s, d.words, "this kiosk's key is not allowed to write that record");
    else if (s == 404) d.cause = problemText(s, d.words, "the server does not offer this resource");
    else d.cause = problemText(s, d.words, "the server refused the record");
    return d;
}

Disposition classifyDelete(const transport::Outcome& outcome, std::int64_t nowUnixMs, std::int64_t maxRetryAfterMs) {
    if (outcome && outcome->status == 404) {
        // Already gone (deleted before, by us or anyone): what we wanted.
        Disposition d;
        d.verdict = Verdict::Synced;
        d.httpStatus = 404;
        return d;
    }
    Disposition d = classifyUpsert(outcome, nowUnixMs, maxRetryAfterMs);
    d.resourceId.reset();
    return d;
}

std::string journalLine(std::optional<int> httpStatus, std::string_view problemType, std::string_view correlationId) {
    if (!httpStatus) return {};
    // Re-filtered here too: only URN and identifier characters reach a log.
    std::string line = "HTTP " + std::to_string(*httpStatus);
    if (auto type = loggableToken(problemType, kMaxTypeBytes); !type.empty()) line += " type=" + type;
    if (auto id = loggableToken(correlationId, kMaxCorrelationIdBytes); !id.empty()) line += " correlationId=" + id;
    return line;
}

Uploader::Uploader(Session& session, transport::HttpClient& http, const Clock& clock, UploadOptions options, std::uint64_t seed)
    : m_session(session), m_http(http), m_clock(clock), m_options(options), m_rng(seed) {
    if (m_options.batchSize < 1) m_options.batchSize = 1;
    if (m_options.saveEvery < 1) m_options.saveEvery = 1;
    if (m_options.offlineAfter < 1) m_options.offlineAfter = 1;
}

sqlite::Status Uploader::record(Database& db, outbox::Uploads& out, const outbox::Claim& claim, const Disposition& d,
                                RoundStats& stats) {
    if (d.httpStatus) ++stats.answered;
    if (d.noResponse) ++stats.noResponse;
    switch (d.verdict) {
    case Verdict::Synced: {
        ++stats.synced;
        std::optional<std::string_view> id, etag;
        if (d.resourceId) id = *d.resourceId;
        if (d.etag) etag = *d.etag;
        // A copy sent twice may land after this answer: remembered as our own (docs/edfi.md, "Writers").
        std::optional<std::string> late;
        if (d.writeMayLandLate && claim.op == outbox::Op::Upsert) late = outbox::rememberUnanswered(claim.unansweredBodies, claim.json);
        if (auto s = out.acknowledge(claim.resource, claim.naturalKey, claim.version, claim.op, id, etag, late); !s) return s;
        if (m_options.onAcknowledged)
            return m_options.onAcknowledged(db, claim, d.resourceId.value_or(claim.resourceId), d.etag.value_or(""));
        return {};
    }
    case Verdict::NeedsAttention:
        ++stats.attention;
        stats.lastCause = d.cause;
        return out.needsAttention(claim.resource, claim.naturalKey, claim.version, failureOf(d, m_clock.unixMs()));
    case Verdict::RetryLater:
    case Verdict::Unauthorized: {
        ++stats.retried;
        if (!d.immediate) stats.lastCause = d.cause;
        const std::int64_t now = m_clock.unixMs();
        const std::int64_t at =
            d.immediate || d.authPause ? now : retryAtUnixMs(m_options.backoff, claim.attempts, d.retryAfterMs, now, m_rng);
        outbox::Failure f = failureOf(d, now);
        // A refused or unanswered lookup leaves the row as it was: an earlier
        // unanswered write may still be at the server, as ours.
        f.maybeSent = claim.maybeDelivered || d.writeUnanswered;
        if (d.writeMayLandLate && claim.op == outbox::Op::Upsert)
            f.unansweredBodies = outbox::rememberUnanswered(claim.unansweredBodies, claim.json);
        if (auto s = out.retryLater(claim.resource, claim.naturalKey, claim.version, at, f); !s) return s;
        // Shared on a site, deletions too: the next lease holder must not
        // take the record for still there, nor for gone.
        if (d.writeMayLandLate && m_options.onUnanswered) return m_options.onUnanswered(db, claim);
        return {};
    }
    }
    return {};
}

// One drain's state, on two threads. The caller's thread sends: the
// transport calls next() whenever a slot is free and done() as each answer
// arrives, and neither waits for the database. A saver thread owns the
// database connection for the drain: it saves outcomes in batches and claims
// the next chunk before the queue runs out. They meet only in `m`.
struct Uploader::Run {
    struct Entry {
        outbox::Claim claim;
        bool resentAfter401 = false;
        bool followUp = false;   // a deletion's DELETE after its lookup found the id
        std::string deleteId;    // the id a DELETE names (the row's, or the lookup's)
        bool lookup = false;     // this request is a GET by natural key (a deletion's id, or a first write's guard)
        bool probed = false;     // a first write's lookup found nothing, or a record to update: POST now
        std::string ifMatch;     // the ETag the lookup found, when the POST may replace that record
        bool after412 = false;   // a 412 answered: look at what the state holds before asking a person
        int replacesAfter412 = 0;  // POSTs that replaced our own unanswered writes; past the limit a 412 is final
        Disposition refusal;     // ... and that 412, kept for when it holds something else
        std::string scopeKey;    // a first write's FirstWriteScope, when it has one
        bool scopeProbe = false; // this request asks the scope's question for every record in it
        // A write of this entry may be at the state (not a 2xx, or sent
        // twice): kept through the look that follows, so an unanswered look
        // does not forget it (docs/edfi.md, "Writers").
        bool wroteMaybeLanded = false;
    };

    Uploader& up;
    Database& db;
    outbox::Uploads out;
    const DrainOptions& options;

    // --- shared, guarded by m ---
    std::mutex m;
    std::condition_variable toSaver;
    std::condition_variable toSender;
    std::deque<Entry> queue;                                     // claimed, not yet sent
    std::vector<std::pair<outbox::Claim, Disposition>> unsaved;  // outcomes waiting for the next save
    std::chrono::steady_clock::time_point firstUnsavedAt;  // when the oldest unsaved outcome arrived
    bool dry = false;        // nothing more is due (or the limit is reached)
    bool finishing = false;  // the sender is done: the last save, then the saver ends
    std::optional<sqlite::Error> dbError;
    RoundStats sent;         // the sender's counters: claimed, tokenRefreshes, clockOffsetMs, noAnswerStreak, linkDown, cancelled

    // --- saver thread only ---
    RoundStats saved;  // what record() counts: synced, retried, attention, answered, noResponse, lastCause
    int taken = 0;     // rows taken from the outbox
    std::int64_t claimedUpToSeq = std::numeric_limits<std::int64_t>::min();

    // --- sender (caller) thread only ---
    std::string token;
    std::unordered_map<std::size_t, Entry> inFlight;  // stream index -> entry
    std::size_t handedOut = 0;                        // requests given to the current stream
    std::vector<Entry> authRetry;                     // answered 401 with the first token
    std::deque<Entry> followUps;                      // deletions whose lookup found the record: DELETE next
    // First-write scopes asked this drain: an empty answer lets every record
    // of the scope skip its own lookup. The answer lasts one drain only.
    enum class Scope { Asked, Empty, Occupied };
    std::unordered_map<std::string, Scope> scopes;
    std::unordered_map<std::string, std::deque<Entry>> parked;  // first writes waiting for their scope's answer
    std::size_t parkedCount = 0;
    // Endpoints assumed from an earlier process's discovery (docs/edfi.md,
    // "Discovery"): the discovery GET goes first in the first flight, and
    // until it confirms them no write leaves and no answer is read.
    enum class Confirm { Done, ToAsk, Asked, Failed };
    Confirm confirm = Confirm::Done;
    std::size_t confirmIndex = 0;
    std::vector<std::pair<std::size_t, transport::Outcome>> early;  // answers that came before the confirmation's
    std::deque<Entry> held;                  // writes waiting for the confirmation
    std::optional<std::size_t> staleBelow;   // this stream's requests sent to endpoints that changed
    std::string lastDate;  // the last Date header read for the clock offset
    int noAnswerRun = 0;
    int refreshes = 0;
    bool pausedFor401 = false;
    bool renewToken = false;
    bool refusedAgain = false;

    Run(Uploader& u, Database& d, outbox::Uploads statements, const DrainOptions& o)
        : up(u), db(d), out(std::move(statements)), options(o) {}

    // Caller holds m.
    RoundStats totalLocked() const {
        RoundStats t = saved;
        t.claimed = sent.claimed;
        t.tokenRefreshes = sent.tokenRefreshes;
        t.clockOffsetMs = sent.clockOffsetMs;
        t.noAnswerStreak = sent.noAnswerStreak;
        t.linkDown = sent.linkDown;
        t.cancelled = sent.cancelled;
        return t;
    }

    std::size_t lowWater() const { return static_cast<std::size_t>(up.m_options.batchSize); }

    // --- the saver -----------------------------------------------------

    void saver() {
        std::unique_lock lock(m);
        for (;;) {
            auto due = [&] {
                return finishing || static_cast<int>(unsaved.size()) >= up.m_options.saveEvery ||
                       (!dry && !dbError && queue.size() < lowWater());
            };
            // Wait for a reason to write: enough outcomes, the oldest unsaved
            // outcome's interval over, claims running low, or the end.
            while (!due()) {
                if (!unsaved.empty() && up.m_options.saveInterval.count() > 0) {
                    if (toSaver.wait_until(lock, firstUnsavedAt + up.m_options.saveInterval) == std::cv_status::timeout) break;
                } else {
                    toSaver.wait(lock);
                }
            }
            if (dbError) {
                // Nothing more is written; the caller hands every claim back.
                toSaver.wait(lock, [&] { return finishing; });
                return;
            }
            const bool last = finishing;
            auto batch = std::move(unsaved);
            unsaved.clear();
            int want = 0;
            if (!last && !dry && queue.size() < lowWater()) {
                want = up.m_options.batchSize;
                if (options.maxRecords) want = std::min(want, *options.maxRecords - taken);
                if (want <= 0) {
                    want = 0;
                    dry = true;
                    toSender.notify_all();
                }
            }
            std::deque<Entry> giveBack;
            if (last) giveBack.swap(queue);  // claims never sent go back to the queue
            if (batch.empty() && want == 0 && giveBack.empty()) {
                if (last) return;
                continue;
            }
            lock.unlock();

            std::vector<outbox::Claim> claimed;
            auto status = saveAndClaim(batch, want, giveBack, claimed);

            lock.lock();
            if (!status) {
                dbError = status.error();
                toSender.notify_all();
                if (last) return;
                continue;
            }
            if (want > 0) {
                if (claimed.empty()) dry = true;
                taken += static_cast<int>(claimed.size());
                for (auto& c : claimed) queue.push_back(Entry{std::move(c), false, false, {}, false, false, {}, false, false, {}, {}, false});
                toSender.notify_all();
            }
            if (!batch.empty() && options.onSaved) {
                RoundStats total = totalLocked();
                lock.unlock();
                options.onSaved(total);
                lock.lock();
            }
            if (last) return;
        }
    }

    // One transaction: the outcomes, the next chunk of claims, the claims handed back.
    sqlite::Status saveAndClaim(const std::vector<std::pair<outbox::Claim, Disposition>>& batch, int want,
                                const std::deque<Entry>& giveBack, std::vector<outbox::Claim>& claimed) {
        auto tx = sqlite::Transaction::begin(db);
        if (!tx) return edsync::fail(tx.error());
        for (const auto& [claim, d] : batch)
            if (auto s = up.record(db, out, claim, d, saved); !s) return s;
        for (const Entry& e : giveBack)
            if (auto s = out.unclaim(e.claim.resource, e.claim.naturalKey, e.claim.version, e.claim.maybeDelivered); !s) return s;
        if (want > 0) {
            auto c = out.claimDue(options.dueByUnixMs.value_or(up.m_clock.unixMs()), want, claimedUpToSeq);
            if (!c) return edsync::fail(c.error());
            claimed = std::move(*c);
            // The next claim starts past these rows instead of stepping over
            // every row still in flight. A row rewritten meanwhile gets a
            // larger seq and is still found; one missed goes in the next drain.
            if (!claimed.empty()) claimedUpToSeq = claimed.back().seq;
        }
        return tx->commit();
    }

    // --- the sender ----------------------------------------------------

    bool halted() const {
        return pausedFor401 || renewToken || refusedAgain || sent.noAnswerStreak || sent.cancelled || confirm == Confirm::Failed;
    }

    void settle(const outbox::Claim& claim, Disposition d) {
        std::lock_guard lock(m);
        if (unsaved.empty()) {
            firstUnsavedAt = std::chrono::steady_clock::now();
            toSaver.notify_one();  // the saver starts the interval's clock
        }
        unsaved.emplace_back(claim, std::move(d));
        if (static_cast<int>(unsaved.size()) >= up.m_options.saveEvery) toSaver.notify_one();
    }

    std::optional<transport::Request> next() {
        for (;;) {
            if (halted()) return std::nullopt;
            if (!up.m_session.tokenStillValid(token)) {
                renewToken = true;  // renewed between streams: token() may need the network
                return std::nullopt;
            }
            if (confirm == Confirm::ToAsk) {
                confirm = Confirm::Asked;
                confirmIndex = handedOut++;
                return up.m_session.confirmationRequest();
            }
            // Writes wait for the confirmation; past a chunk of them, so does the claiming.
            if (confirm == Confirm::Asked && held.size() >= lowWater()) return std::nullopt;
            Entry e;
            if (!followUps.empty()) {
                e = std::move(followUps.front());
                followUps.pop_front();
            } else {
                std::unique_lock lock(m);
                // Records wait for their scope's answer: end this stream rather than the
                // answer's; the next stream sends them (the drain's loop).
                if (queue.empty() && parkedCount > 0) return std::nullopt;
                // Waits only when the saver has not claimed ahead fast enough (or at the start).
                toSender.wait(lock, [&] { return !queue.empty() || dry || dbError; });
                if (queue.empty() || dbError) return std::nullopt;
                e = std::move(queue.front());
                queue.pop_front();
                if (!e.resentAfter401 && !e.followUp) ++sent.claimed;
                if (queue.size() < lowWater() && !dry) toSaver.notify_one();
            }
            if (!isValidResourceName(e.claim.resource)) {
                // Refused locally: a resource name that cannot be a URL.
                Disposition d;
                d.verdict = Verdict::NeedsAttention;
                d.cause = "\"" + sanitizeText(e.claim.resource, 100) + "\" is not an Ed-Fi resource name";
                settle(e.claim, std::move(d));
                continue;
            }
            std::optional<transport::Request> request;
            e.lookup = e.scopeProbe = false;
            if (e.claim.op == outbox::Op::Upsert && e.after412) {
                // By its natural key when the row keeps one, else by the id the state gave it.
                if (!e.claim.identity.empty()) request = lookupRequest(up.m_session, e.claim.resource, e.claim.identity, token);
                else request = up.m_session.getRequest(up.m_session.resourceUrl(e.claim.resource) + "/" + percentEncode(e.claim.resourceId), token);
                if (!request) {
                    settle(e.claim, e.refusal);
                    continue;
                }
                e.lookup = true;
            } else if (e.claim.op == outbox::Op::Upsert) {
                const std::string ifMatch = !e.ifMatch.empty() ? e.ifMatch : ifMatchValue(e.claim.etag);
                if (ifMatch.empty() && !e.probed && !e.claim.acknowledgedBefore && !e.claim.identity.empty()) {
                    if (auto scope = firstWriteScope(e.claim.resource, e.claim.json)) {
                        auto known = scopes.find(scope->key);
                        if (known == scopes.end()) {
                            if ((request = lookupRequest(up.m_session, e.claim.resource, scope->queryJson, token))) {
                                e.lookup = e.scopeProbe = true;
                                e.scopeKey = scope->key;
                                scopes[scope->key] = Scope::Asked;
                            }
                        } else if (known->second == Scope::Asked) {
                            e.scopeKey = scope->key;
                            parked[scope->key].push_back(std::move(e));
                            ++parkedCount;
                            continue;
                        } else if (known->second == Scope::Empty) {
                            e.probed = true;  // none of the scope is at the state: POST
                        }
                    }
                    if (!request && !e.probed)
                        if ((request = lookupRequest(up.m_session, e.claim.resource, e.claim.identity, token))) e.lookup = true;
                }
                if (!request) {
                    request = up.m_session.upsertRequest(e.claim.resource, e.claim.json, token);
                    if (!ifMatch.empty()) request->headers.push_back({"If-Match", ifMatch});
                }
            } else {
                if (e.deleteId.empty()) e.deleteId = e.claim.resourceId;
                if (!e.deleteId.empty()) {
                    request = deleteRequest(up.m_session, e.claim.resource, e.deleteId, token);
                } else {
                    request = lookupRequest(up.m_session, e.claim.resource, e.claim.json, token);
                    e.lookup = true;
                }
                if (!request) {
                    Disposition d;
                    d.verdict = Verdict::NeedsAttention;
                    d.cause = "the record to delete has no natural key to look it up by";
                    settle(e.claim, std::move(d));
                    continue;
                }
            }
            if (confirm != Confirm::Done && !e.lookup) {
                held.push_back(std::move(e));  // built again once the endpoints are confirmed
                continue;
            }
            inFlight.emplace(handedOut++, std::move(e));
            return request;
        }
    }

    // A first write's lookup answered (docs/edfi.md, "Writers"): nothing
    // there (POST next), this very record (ours, its answer lost: done), or
    // another writer's record (a person decides; unless a request of ours
    // may have reached the server unanswered, when it is most likely our own
    // earlier version: replaced, guarded by the ETag just read).
    Disposition firstWriteLookedUp(Entry& e, const transport::Response& response) {
        Disposition d;
        d.httpStatus = response.status;
        FoundRecord found = foundInLookupPage(response.body);
        if (!found.readable) {
            d.verdict = Verdict::RetryLater;
            d.cause = "HTTP 200: the answer to the lookup before the first write could not be read";
            return d;
        }
        if (!found.item || (mayBeOurOwn(e.claim, *found.item) && !sameRecord(e.claim.json, *found.item))) {
            Entry next = e;
            next.followUp = true;
            next.probed = true;
            next.lookup = false;
            if (found.item) next.ifMatch = found.etag;
            followUps.push_back(std::move(next));
            d.verdict = Verdict::Synced;  // not saved: the POST's outcome is
            return d;
        }
        if (sameRecord(e.claim.json, *found.item)) {
            d.verdict = Verdict::Synced;
            if (!found.id.empty()) d.resourceId = found.id;
            if (!found.etag.empty()) d.etag = found.etag;
            return d;
        }
        d.verdict = Verdict::NeedsAttention;
        d.words.type = std::string(outbox::kAlreadyAtServer);
        d.cause = "the state already holds this record, written by another kiosk or system; this kiosk did not overwrite it. "
                  "Compare the two, then choose Retry to send this kiosk's version";
        return d;
    }

    // The scope's answer (docs/edfi.md, "Writers"). An empty page: this
    // record and every one parked behind it are POSTed without their own
    // lookups. A record there, or an answer that is not a readable page: each
    // is looked up by its own key, as if the question had not been asked. No
    // answer: the asking record settles as a lookup would; the parked go back
    // to the queue, looked up one by one.
    Disposition scopeAnswered(Entry& e, const transport::Outcome& outcome, std::int64_t now) {
        std::deque<Entry> waiting = std::move(parked[e.scopeKey]);
        parked.erase(e.scopeKey);
        parkedCount -= waiting.size();
        if (!outcome || outcome->status == 401) {
            // Not answered (the link, or the token): the record settles as its own lookup would.
            scopes[e.scopeKey] = Scope::Occupied;
            std::lock_guard lock(m);
            for (auto it = waiting.rbegin(); it != waiting.rend(); ++it) {
                it->followUp = true;  // claimed once already: not counted again
                queue.push_front(std::move(*it));
            }
            return classifyUpsert(outcome, now, up.m_options.backoff.cap.count());
        }
        // Any other answer but a readable page (a server that will not take the
        // question, a busy one): each record is looked up by its own key.
        FoundRecord found;
        if (outcome->status == 200) found = foundInLookupPage(outcome->body);
        bool empty = found.readable && !found.item;
        scopes[e.scopeKey] = empty ? Scope::Empty : Scope::Occupied;
        waiting.push_front(e);
        for (Entry& next : waiting) {
            next.followUp = true;
            next.lookup = next.scopeProbe = false;
            next.probed = empty;
            followUps.push_back(std::move(next));
        }
        Disposition d;
        d.verdict = Verdict::Synced;  // not saved: the POST's (or the lookup's) outcome is
        return d;
    }

    // After a 412: the state may hold exactly this record already (another
    // machine of the site, or a USB import, wrote the same picture); then it
    // is done, with the state's ETag. When a request of ours may have reached
    // the server unanswered (the kiosk was killed after a POST), what is
    // there is most likely our own earlier version: replaced, guarded
    // by the ETag just read. Anything else stays the 412.
    Disposition verifiedAfter412(Entry& e, const transport::Response& response) {
        FoundRecord found = foundInAnswer(response.body);
        Disposition d;
        d.httpStatus = response.status;
        if (found.readable && found.item && sameRecord(e.claim.json, *found.item)) {
            d.verdict = Verdict::Synced;
            if (!found.id.empty()) d.resourceId = found.id;
            if (!found.etag.empty()) d.etag = found.etag;
            return d;
        }
        if (found.readable && found.item && mayBeOurOwn(e.claim, *found.item) && !found.etag.empty() &&
            e.replacesAfter412 < kMaxReplacesAfter412) {
            Entry next = e;
            next.after412 = false;
            ++next.replacesAfter412;
            next.probed = true;
            next.ifMatch = found.etag;
            followUps.push_back(std::move(next));
            d.verdict = Verdict::Synced;  // not saved: the POST's outcome is
            return d;
        }
        if (!found.readable) {
            // Nothing learnt: the 412 comes back to be looked at again.
            d.verdict = Verdict::RetryLater;
            d.cause = "HTTP 200: the answer to the look after a 412 could not be read";
            return d;
        }
        Disposition refusal = e.refusal;
        if (!found.item)
            refusal.cause = "HTTP 412: the state no longer holds the record this kiosk last wrote (another writer removed it); "
                            "it was not written again";
        return refusal;
    }

    // A deletion's lookup answered: the record's id (DELETE it next), nothing
    // there (done), or a page we cannot read.
    Disposition lookedUp(Entry& e, const transport::Outcome& outcome, std::int64_t now) {
        if (e.scopeProbe) return scopeAnswered(e, outcome, now);
        if (e.after412 && (!outcome || outcome->status != 200)) {
            // The look after a 412 went unanswered (the link, a busy or
            // restarting server, the token): nothing is known yet, so the row
            // waits and its 412 comes back to be looked at again. A clear
            // answer (the record is gone, the question refused) stands.
            bool unanswered = !outcome || outcome->status == 401 || outcome->status == 408 || outcome->status == 429 || outcome->status >= 500;
            return unanswered ? classifyUpsert(outcome, now, up.m_options.backoff.cap.count()) : e.refusal;
        }
        if (!outcome || outcome->status != 200) return classifyUpsert(outcome, now, up.m_options.backoff.cap.count());
        if (e.after412) return verifiedAfter412(e, *outcome);
        if (e.claim.op == outbox::Op::Upsert) return firstWriteLookedUp(e, *outcome);
        Disposition d;
        d.httpStatus = 200;
        LookupResult found = idFromLookupPage(outcome->body);
        if (found.readable && found.id) {
            Entry next{e.claim, e.resentAfter401, true, *found.id, false, false, {}, false, 0, {}, {}, false};
            followUps.push_back(std::move(next));
            d.verdict = Verdict::Synced;  // not saved: the DELETE's outcome is
            return d;
        }
        if (found.readable) {
            d.verdict = Verdict::Synced;  // the server has no such record: nothing to delete
            return d;
        }
        d.verdict = Verdict::RetryLater;
        d.cause = "HTTP 200: the answer to the lookup of the record to delete could not be read";
        return d;
    }

    // An answer from endpoints that turned out stale, or that came before a
    // confirmation that never came, means nothing: the entry is asked again
    // (a scope's question with the records parked behind it).
    void askAgain(std::size_t index) {
        auto it = inFlight.find(index);
        if (it == inFlight.end()) return;
        Entry e = std::move(it->second);
        inFlight.erase(it);
        if (e.scopeProbe) {
            scopes.erase(e.scopeKey);
            if (auto waiting = parked.find(e.scopeKey); waiting != parked.end()) {
                parkedCount -= waiting->second.size();
                for (Entry& p : waiting->second) followUps.push_back(std::move(p));
                parked.erase(waiting);
            }
        }
        e.lookup = e.scopeProbe = false;
        followUps.push_back(std::move(e));
    }

    // The discovery GET answered (or failed): the answers that waited for it
    // are read now, or asked again when the endpoints changed; the held
    // writes go next. No answer: the link is gone, as a failed look says.
    void confirmed(transport::Outcome&& outcome) {
        const auto result = up.m_session.confirm(outcome);
        auto answers = std::move(early);
        early.clear();
        if (result == Session::Confirmation::NoAnswer) {
            confirm = Confirm::Failed;
            for (auto& [index, ignored] : answers) askAgain(index);
            std::lock_guard lock(m);
            if (outcome.error().kind == transport::FailureKind::Cancelled) sent.cancelled = true;
            else sent.noAnswerStreak = true;
            if (outcome.error().kind == transport::FailureKind::LinkDown) sent.linkDown = true;
            return;
        }
        confirm = Confirm::Done;
        for (Entry& e : held) followUps.push_back(std::move(e));
        held.clear();
        if (result == Session::Confirmation::Changed) {
            staleBelow = handedOut;
            for (auto& [index, ignored] : answers) askAgain(index);
            return;
        }
        for (auto& [index, answer] : answers) answered(index, std::move(answer));
    }

    void done(std::size_t index, transport::Outcome&& outcome) {
        if (confirm == Confirm::Asked) {
            if (index == confirmIndex) confirmed(std::move(outcome));
            else early.emplace_back(index, std::move(outcome));
            return;
        }
        if (confirm == Confirm::Failed || (staleBelow && index < *staleBelow)) {
            askAgain(index);
            return;
        }
        answered(index, std::move(outcome));
    }

    void answered(std::size_t index, transport::Outcome&& outcome) {
        auto it = inFlight.find(index);
        if (it == inFlight.end()) return;  // a transport reporting twice, or an index it was never given
        Entry e = std::move(it->second);
        inFlight.erase(it);
        const std::int64_t now = up.m_clock.unixMs();
        std::optional<std::int64_t> offset;
        if (outcome) {
            // The Date header changes once a second: parse it only then.
            if (auto date = outcome->header("date"); date && *date != lastDate) {
                lastDate = std::string(*date);
                offset = clockOffsetMs(*outcome, now);
            }
        }
        const std::size_t followUpsBefore = followUps.size();
        Disposition d = e.lookup                          ? lookedUp(e, outcome, now)
                        : e.claim.op == outbox::Op::Delete ? classifyDelete(outcome, now, up.m_options.backoff.cap.count())
                                                           : classifyUpsert(outcome, now, up.m_options.backoff.cap.count());
        d.writeUnanswered = !e.lookup && !outcome;
        // libcurl itself sends a request again when the reused connection it
        // went out on died before any answer (the server may have stored it
        // and closed): any answer but a 2xx may follow a stored copy.
        const bool answered2xx = outcome && outcome->status >= 200 && outcome->status < 300;
        d.writeMayLandLate = (!e.lookup && (!answered2xx || outcome->sentTwice)) || e.wroteMaybeLanded;
        // Every 412 is looked at, however many replacements came before: the
        // state may hold exactly this version (a copy of it landed first).
        // The limit bounds the replacing, in verifiedAfter412.
        if (d.verdict == Verdict::NeedsAttention && d.httpStatus == 412 && !e.lookup &&
            (!e.claim.identity.empty() || !e.claim.resourceId.empty())) {
            Entry next = e;
            next.followUp = true;
            next.after412 = true;
            next.refusal = d;
            next.wroteMaybeLanded = d.writeMayLandLate;
            followUps.push_back(std::move(next));
        }
        if (followUps.size() > followUpsBefore) {
            // Found: the DELETE that follows settles the row.
            up.m_session.tokenAccepted();
            noAnswerRun = 0;
            return;
        }
        if (d.verdict == Verdict::Unauthorized) {
            if (refreshes == 0 && !e.resentAfter401) {
                // The token died (expired early, revoked, server restarted): send
                // nothing more with it; once the stream is empty, one new token.
                authRetry.push_back(std::move(e));
                pausedFor401 = true;
                noAnswerRun = 0;
                return;
            }
            // A fresh token was refused too: back off rather than burn tokens.
            // The state's fault, not the record's: the session's auth back-off
            // holds every request; the record is not pushed out on its own
            // (the site run saw records wait an hour after two such faults).
            refusedAgain = true;
            d.verdict = Verdict::RetryLater;
            d.authPause = true;
            d.cause = "HTTP 401 again with a new token; waiting before asking for another";
        }
        if (d.verdict == Verdict::Synced) up.m_session.tokenAccepted();
        if (d.httpStatus) noAnswerRun = 0;
        {
            std::lock_guard lock(m);
            if (offset) sent.clockOffsetMs = offset;
            if (d.noResponse && ++noAnswerRun >= up.m_options.offlineAfter) sent.noAnswerStreak = true;
            // The transport already probed a fresh connection and heard nothing: offline now, not after a run.
            if (!outcome && outcome.error().kind == transport::FailureKind::LinkDown) sent.noAnswerStreak = sent.linkDown = true;
            if (d.immediate) sent.cancelled = true;
        }
        settle(e.claim, std::move(d));
    }

    // A transport that never reported some request must not strand its row in flight.
    void settleUnreported() {
        for (auto& [index, e] : inFlight) {
            Disposition d;
            d.verdict = Verdict::RetryLater;
            d.immediate = true;
            d.cause = "no outcome was reported for the request";
            d.writeUnanswered = !e.lookup;
            d.writeMayLandLate = !e.lookup || e.wroteMaybeLanded;
            settle(e.claim, std::move(d));
        }
        inFlight.clear();
    }

    void stream() {
        handedOut = 0;
        staleBelow.reset();
        up.m_http.performStream([this] { return next(); },
                                [this](std::size_t index, transport::Outcome&& outcome) { done(index, std::move(outcome)); });
        settleUnreported();
    }

    bool failed() {
        std::lock_guard lock(m);
        return dbError.has_value();
    }
};

ApiResult<RoundStats> Uploader::drain(Database& db, const DrainOptions& options) {
    // A token first: claiming rows we cannot send would only churn them.
    auto first = m_session.token();
    if (!first) return fail(first.error());
    auto statements = outbox::Uploads::prepare(db);
    if (!statements) return fail(ApiError{ApiError::Kind::Database, std::nullopt, 0, statements.error().describe(), std::nullopt});

    Run run(*this, db, std::move(*statements), options);
    run.token = *first;
    if (m_session.endpointsProvisional()) run.confirm = Run::Confirm::ToAsk;
    std::thread saver([&run] { run.saver(); });
    for (;;) {
        run.stream();
        if (run.failed() || run.sent.cancelled || run.sent.noAnswerStreak || run.refusedAgain) break;
        if (!run.authRetry.empty()) {
            // One new token and one resend of what the old one was refused for.
            run.pausedFor401 = false;
            m_session.tokenRejected(run.token);
            auto fresh = m_session.token();
            if (!fresh) {
                for (Run::Entry& e : run.authRetry) {
                    Disposition d;
                    d.verdict = Verdict::RetryLater;
                    d.httpStatus = 401;
                    d.cause = "HTTP 401, and no new token: " + fresh.error().describe();
                    run.settle(e.claim, std::move(d));
                }
                run.authRetry.clear();
                break;
            }
            run.token = *fresh;
            std::lock_guard lock(run.m);
            ++run.sent.tokenRefreshes;
            ++run.refreshes;
            for (auto it = run.authRetry.rbegin(); it != run.authRetry.rend(); ++it) {
                it->resentAfter401 = true;
                run.queue.push_front(std::move(*it));
            }
            run.authRetry.clear();
            continue;
        }
        if (run.renewToken) {
            // The token is near its end during a long drain: renew it between streams.
            run.renewToken = false;
            if (run.handedOut == 0) break;  // not even a fresh token lasted one request: let the caller look
            auto fresh = m_session.token();
            if (!fresh) break;  // the caller's next drain reports why
            run.token = *fresh;
            continue;
        }
        if (!run.followUps.empty()) continue;  // deletions whose lookup found the record
        break;                                 // nothing more is due
    }
    if (run.refusedAgain) m_session.refreshDidNotHelp();
    {
        std::lock_guard lock(run.m);
        // Stopped before their resend (interrupt, offline, a database error): back to the queue.
        for (auto it = run.authRetry.rbegin(); it != run.authRetry.rend(); ++it) run.queue.push_front(std::move(*it));
        run.authRetry.clear();
        for (auto& e : run.followUps) run.queue.push_front(std::move(e));  // looked up again next time
        run.followUps.clear();
        for (auto& e : run.held) run.queue.push_front(std::move(e));  // the endpoints were never confirmed
        run.held.clear();
        for (auto& [key, waiting] : run.parked)
            for (auto& e : waiting) run.queue.push_front(std::move(e));
        run.parked.clear();
        run.parkedCount = 0;
        run.finishing = true;
    }
    run.toSaver.notify_all();
    saver.join();  // every outcome is saved (or the save failed) before we return

    if (run.dbError) {
        // Rows whose outcome could not be saved stay claimed; hand them back
        // (if even that fails, the next start releases them: sent again, an upsert).
        (void)outbox::releaseInFlight(db);
        return fail(ApiError{ApiError::Kind::Database, std::nullopt, 0, run.dbError->describe(), std::nullopt});
    }
    return run.totalLocked();
}

ApiResult<RoundStats> Uploader::runRound(Database& db, std::optional<std::int64_t> dueByUnixMs) {
    DrainOptions options;
    options.dueByUnixMs = dueByUnixMs;
    options.maxRecords = m_options.batchSize;
    return drain(db, options);
}

} // namespace edsync::edfi

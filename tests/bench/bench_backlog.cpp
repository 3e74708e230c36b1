// bench_backlog: a kiosk that was offline for a long time drains its outbox.
//
//   bench_backlog prepare DIR [records=100000] [students=1000] [first_session=1]
//     (a later first session: other records of the same assessments and school,
//     as a later day's sittings would be)
//     A kiosk store DIR/backlog.db whose outbox holds `records`
//     studentAssessments (real mapping: checked in, out, accommodations), the
//     same bodies one per line in DIR/bodies.jsonl (for wrk), and
//     DIR/seed.json: the students they reference, for the Ed-Fi double.
//   bench_backlog drain DIR BASE_URL CA_PEM
//     The SyncEngine, with the configuration a kiosk runs (8 requests in
//     flight), drains DIR/backlog.db to the double over TLS. Prints records/s
//     and the peak RSS of this, the draining process.
//
// tests/bench/run-all.sh runs both around a wrk run against the same double
// and prints the ratio (DESIGN.md §8: at least half of wrk's rate, RSS under
// 64 MB). A program that prints figures: it never passes or fails on time.
#include "bench_util.hpp"

#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/store/store.hpp"
#include "sync/edfi/engine.hpp"
#include "sync/outbox/outbox.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <thread>

using namespace kiosk;
using namespace kiosk::bench;
using namespace std::chrono_literals;

namespace {

int fail(const std::string& what) {
    std::fprintf(stderr, "bench_backlog: %s\n", what.c_str());
    return 1;
}

int prepare(const std::filesystem::path& dir, int records, int students, int firstSession) {
    std::filesystem::create_directories(dir);
    const auto file = dir / "backlog.db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
    auto s = store::Store::open(file);
    if (!s) return fail(s.error().describe());

    nlohmann::json seed;
    seed["students"] = nlohmann::json::array();
    for (int i = 0; i < students; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "B%06d", i + 1);
        seed["students"].push_back({{"studentUniqueId", id}, {"firstName", "Zoë"}, {"lastSurname", "Ñúñez"}, {"birthDate", "2008-04-02"}});
    }
    std::ofstream(dir / "seed.json") << seed.dump();

    std::ofstream bodies(dir / "bodies.jsonl");
    const auto start = *domain::parseIso8601("2026-03-02T13:00:00Z");
    auto tx = edsync::sqlite::Transaction::begin(s->db());
    if (!tx) return fail(tx.error().describe());
    const int sessions = (records + students - 1) / students;
    std::int64_t seq = 0;
    for (int k = 0; k < sessions && seq < records; ++k) {
        domain::SessionInfo session;
        session.sessionId = "BENCH-2026-WK-" + std::to_string(k + firstSession);
        session.assessmentIdentifier = k % 2 ? "WK-APPLIED-MATH" : "WK-WORKPLACE-DOCS";
        session.assessmentNamespace = "uri://testsite.example.org/assessment";
        session.assigningEdOrgId = 255901;
        session.schoolId = 255901001;
        session.scheduledStart = start + std::chrono::hours{24 * (k + firstSession - 1)};
        for (int i = 0; i < students && seq < records; ++i) {
            char id[16];
            std::snprintf(id, sizeof id, "B%06d", i + 1);
            domain::Attendance a;
            a.presence = domain::Presence::CheckedOut;
            a.checkedInAt = session.scheduledStart + std::chrono::minutes{i % 20};
            a.checkedOutAt = *a.checkedInAt + std::chrono::minutes{95 + i % 30};
            if (i % 7 == 0) a.accommodations.push_back({"e", std::string(domain::kAccommodationNs) + "Test administration", *a.checkedInAt});
            std::string body = store::studentAssessmentJson(session, id, a).dump();
            ++seq;
            // With the identity, as the kiosk writes: each first write is looked up before its POST.
            const std::string identity = store::studentAssessmentIdentity(session, id).dump();
            if (auto v = edsync::outbox::put(s->db(), store::kStudentAssessments, store::studentAssessmentKey(session, id), body, seq,
                                             identity);
                !v)
                return fail(v.error().describe());
            bodies << body << '\n';
        }
    }
    if (auto c = tx->commit(); !c) return fail(c.error().describe());
    std::printf("prepared %lld studentAssessments for %d students in %s\n", static_cast<long long>(seq), students, dir.c_str());
    return 0;
}

bool anyWaiting(edsync::sqlite::Database& db) {
    // The outbox's partial index on waiting rows answers this without a scan.
    auto stmt = db.prepare("SELECT 1 FROM outbox WHERE local_version > synced_version LIMIT 1;");
    return stmt && stmt->step().value_or(true);
}

int drain(const std::filesystem::path& dir, const std::string& baseUrl, const std::filesystem::path& ca) {
    const auto file = dir / "backlog.db";
    auto watch = edsync::sqlite::Database::open(file);
    if (!watch) return fail(watch.error().describe());
    auto total = edsync::outbox::counts(*watch);
    if (!total) return fail(total.error().describe());
    const std::int64_t records = total->pending;

    edsync::edfi::SyncConfig config;  // what a kiosk runs; only the address and secrets differ
    config.baseUrl = baseUrl;
    config.clientKey = "kiosk";
    config.clientSecret = "kiosk-secret";
    config.caBundle = ca;
    // Experiments only (run-all.sh leaves them unset): BACKLOG_BATCH rows claimed ahead per claim, BACKLOG_CONCURRENCY in flight.
    if (const char* b = std::getenv("BACKLOG_BATCH")) config.batchSize = std::atoi(b);
    if (const char* c = std::getenv("BACKLOG_CONCURRENCY")) config.concurrency = std::atoi(c);
    auto engine = edsync::edfi::SyncEngine::create(config, file, nullptr);
    if (!engine) return fail(engine.error().describe());

    const long rssBefore = procStatusKb("VmRSS");
    const auto started = SteadyClock::now();
    if (auto s = (*engine)->start(); !s) return fail(s.error().describe());
    (*engine)->wake();
    long peakSeen = 0;
    const auto deadline = started + 30min;
    while (anyWaiting(*watch) && SteadyClock::now() < deadline) {
        std::this_thread::sleep_for(250ms);
        peakSeen = std::max(peakSeen, procStatusKb("VmRSS"));
        auto st = (*engine)->status();
        if (st.counts.needsAttention > 0) return fail("the double refused records: " + st.lastError);
    }
    const double seconds = microsSince(started) / 1e6;
    const bool drained = !anyWaiting(*watch);
    (*engine)->stop();
    auto after = edsync::outbox::counts(*watch);
    const long peak = procStatusKb("VmHWM");

    header("bench_backlog: drain a backlog of studentAssessments to the Ed-Fi double over TLS (SyncEngine)");
    row("records in the outbox", std::to_string(records), "100,000", nullptr);
    row("requests in flight / rows claimed ahead per claim", std::to_string(config.concurrency) + " / " +
        std::to_string(config.batchSize > 0 ? config.batchSize : 16 * config.concurrency), "", nullptr);
    row("drained", drained ? "yes" : "NO (timed out)", "", nullptr);
    row("synced afterwards", std::to_string(after ? after->synced : -1), "", nullptr);
    row("time to drain", fixed(seconds, "s", 2), "", nullptr);
    const double rate = seconds > 0 ? static_cast<double>(records) / seconds : 0;
    row("drain rate", fixed(rate, "records/s", 0), ">= 0.5 x wrk (run-all.sh)", nullptr);
    row("RSS before the engine started", fixed(static_cast<double>(rssBefore) / 1024.0, "MB"), "", nullptr);
    const bool rssWithin = peak < 64 * 1024;
    row("peak RSS of the draining process (VmHWM)", fixed(static_cast<double>(peak) / 1024.0, "MB"), "< 64 MB", &rssWithin);
    metric("backlog_records", static_cast<double>(records), "records");
    metric("backlog_seconds", seconds, "s");
    metric("backlog_rate_per_s", drained ? rate : 0.0, "records/s");
    metric("backlog_peak_rss_mb", static_cast<double>(peak) / 1024.0, "MB");
    return drained ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "prepare" && argc >= 3)
        return prepare(argv[2], argc > 3 ? std::atoi(argv[3]) : 100000, argc > 4 ? std::atoi(argv[4]) : 1000,
                       argc > 5 ? std::max(1, std::atoi(argv[5])) : 1);
    if (mode == "drain" && argc == 5) return drain(argv[2], argv[3], argv[4]);
    std::fprintf(stderr, "usage: bench_backlog prepare DIR [records] [students] [first_session] | drain DIR BASE_URL CA_PEM\n");
    return 2;
}

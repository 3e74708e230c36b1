// The site event log over loopback (DESIGN.md §8): prints figures, asserts nothing.
//  1. latency from a commit+enqueue on kiosk A to the apply on kiosk B (SiteLink on both);
//  2. 30 publishers x 1,000 events into the hub: the hub's RSS and CPU meanwhile;
//  3. a fresh kiosk catching up with those 30,000 events (durable applies: one transaction per
//     fetched batch, then one per event);
//  4. the resident memory a site link adds to a kiosk process.
// usage: bench_site_log <work dir> [publishers=30] [events each=1000] [latency samples=500]
#include "bench_util.hpp"
#include "site_test_util.hpp"
#include "support/nats_hub.hpp"
#include "sync/site/publisher.hpp"
#include "sync/site/site_link.hpp"

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace kiosk::bench;
using namespace site_test;

namespace {

struct ProcSample {
    long rssKb = -1;
    long hwmKb = -1;
    double cpuSeconds = 0;
};

ProcSample sampleProc(pid_t pid) {
    ProcSample s;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) s.rssKb = std::stol(line.substr(6));
        if (line.rfind("VmHWM:", 0) == 0) s.hwmKb = std::stol(line.substr(6));
    }
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto close = all.rfind(')');
    if (close != std::string::npos) {
        std::istringstream rest(all.substr(close + 2));
        std::string field;
        unsigned long utime = 0, stime = 0;
        for (int i = 3; i <= 15 && rest >> field; ++i) {
            if (i == 14) utime = std::stoul(field);
            if (i == 15) stime = std::stoul(field);
        }
        s.cpuSeconds = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    }
    return s;
}

edsync::site::SiteLogConfig config(const kiosk::test::NatsHub& hub, const std::string& kiosk) {
    edsync::site::SiteLogConfig c;
    c.servers = {hub.url()};
    c.siteId = "bench-site";
    c.kioskId = kiosk;
    return c;
}

std::int64_t steadyNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count();
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_site_log <work dir> [publishers=30] [events each=1000] [latency samples=500]\n");
        return 2;
    }
    const std::filesystem::path work = std::filesystem::path(argv[1]) / ("site-" + std::to_string(::getpid()));
    const int publishers = argc > 2 ? std::atoi(argv[2]) : 30;
    const int perPublisher = argc > 3 ? std::atoi(argv[3]) : 1000;
    const int samples = argc > 4 ? std::atoi(argv[4]) : 500;
    std::filesystem::create_directories(work);
    std::printf("site log benchmark (%s build), work dir %s\n", buildType(), work.c_str());

    kiosk::test::NatsHub hub(work / "hub");
    if (!hub.start()) {
        std::fprintf(stderr, "hub: %s\n", hub.error().c_str());
        return 1;
    }
    const ProcSample hubIdle = sampleProc(hub.pid());

    // 1. Latency A -> B.
    {
        const long rssBefore = procStatusKb("VmRSS");
        auto a = Database::open(work / "lat-a.db");
        auto b = Database::open(work / "lat-b.db");
        if (!a || !b || !prepareKiosk(*a) || !prepareKiosk(*b)) return 1;
        std::mutex mutex;
        std::vector<double> latenciesMs;
        ApplyCounters ca, cb;
        auto applyB = applier(cb);
        edsync::site::ApplyFn timed = [&](Database& db, const edsync::site::SiteMessage& m) {
            auto r = applyB(db, m);
            if (r && !m.fromThisKiosk) {
                std::int64_t sent = std::atoll(m.payload.c_str());
                std::lock_guard lock(mutex);
                latenciesMs.push_back(static_cast<double>(steadyNs() - sent) / 1e6);
            }
            return r;
        };
        auto linkA = edsync::site::SiteLink::create(config(hub, "lat-A"), work / "lat-a.db", applier(ca));
        auto linkB = edsync::site::SiteLink::create(config(hub, "lat-B"), work / "lat-b.db", timed);
        if (!linkA || !linkB) return 1;
        (*linkA)->start();
        (*linkB)->start();
        const long rssWithLinks = procStatusKb("VmRSS");
        waitUntil([&] { return (*linkA)->status().connected && (*linkB)->status().connected; });
        for (int i = 0; i < samples; ++i) {
            // The payload carries the commit's start time (one process, one steady clock).
            std::string payload = std::to_string(steadyNs());
            commitEvent(*a, eventId("lat-A", i), "work.entry", payload);
            (*linkA)->notify();
            pause(10);  // a kiosk's pace, not a flood
        }
        waitUntil([&] { return cb.applied == samples; }, std::chrono::seconds(60));
        const long rssAfter = procStatusKb("VmRSS");
        (*linkA)->stop();
        (*linkB)->stop();
        std::printf("%-62s p50 %7.2f ms  p99 %7.2f ms  (%zu samples; budget p99 < 1000 ms)\n",
                    "commit on A -> applied on B (loopback)", percentile(latenciesMs, 50), percentile(latenciesMs, 99),
                    latenciesMs.size());
        std::printf("%-62s %ld kB at start, %ld kB after %d events (two links in one process)\n",
                    "resident memory the site links add", rssWithLinks - rssBefore, rssAfter - rssBefore, samples);
    }

    // 2. 30 publishers x 1,000 events, concurrently, while sampling the hub.
    {
        std::vector<std::thread> threads;
        std::vector<Database> dbs;
        for (int p = 0; p < publishers; ++p) {
            auto db = Database::open(work / ("pub-" + std::to_string(p) + ".db"));
            if (!db || !prepareKiosk(*db)) return 1;
            // Commit everything first: this measures the hub, not SQLite.
            auto tx = Transaction::begin(*db);
            for (int i = 0; i < perPublisher; ++i)
                (void)edsync::site::enqueue(*db, eventId("pub" + std::to_string(p), i), "attendance.checkin",
                                            "{\"kind\":\"check-in\",\"seat\":\"" + std::to_string(i % 40) +
                                                "\",\"session\":\"bench\",\"hlc\":" + std::to_string(i) + "}");
            (void)tx->commit();
            dbs.push_back(std::move(*db));
        }
        const ProcSample before = sampleProc(hub.pid());
        const auto start = SteadyClock::now();
        for (int p = 0; p < publishers; ++p) {
            threads.emplace_back([&, p] {
                auto conn = edsync::site::SiteConnection::connect(config(hub, "pub" + std::to_string(p)));
                if (!conn) return;
                edsync::site::Publisher pub(**conn, dbs[static_cast<std::size_t>(p)]);
                for (int attempt = 0; attempt < 50; ++attempt) {
                    (void)pub.publishPending();
                    auto st = edsync::site::outboxStatus(dbs[static_cast<std::size_t>(p)]);
                    if (st && st->unpublished == 0) break;
                }
            });
        }
        ProcSample peak = before;
        bool done = false;
        std::thread sampler([&] {
            while (!done) {
                ProcSample s = sampleProc(hub.pid());
                if (s.rssKb > peak.rssKb) peak.rssKb = s.rssKb;
                pause(50);
            }
        });
        for (auto& t : threads) t.join();
        const double seconds = microsSince(start) / 1e6;
        done = true;
        sampler.join();
        const ProcSample after = sampleProc(hub.pid());
        std::printf("%-62s %.2f s  (%.0f events/s)\n", "30 publishers x 1,000 events into the hub",
                    seconds, publishers * perPublisher / seconds);
        std::printf("%-62s idle %ld kB, peak %ld kB, after %ld kB (VmHWM %ld kB)\n", "hub resident memory",
                    hubIdle.rssKb, peak.rssKb, after.rssKb, after.hwmKb);
        std::printf("%-62s %.2f s of CPU in %.2f s (%.0f%% of one core)\n", "hub CPU while publishing",
                    after.cpuSeconds - before.cpuSeconds, seconds,
                    100.0 * (after.cpuSeconds - before.cpuSeconds) / seconds);
    }

    // 3. A fresh kiosk catching up with all of it.
    {
        const int total = publishers * perPublisher + samples;
        for (auto mode : {edsync::site::ApplyMode::BatchTransaction, edsync::site::ApplyMode::CallbackTransaction}) {
        const bool batch = mode == edsync::site::ApplyMode::BatchTransaction;
        auto fresh = Database::open(work / (batch ? "fresh-batch.db" : "fresh-each.db"));
        if (!fresh || !prepareKiosk(*fresh)) return 1;
        auto conn = edsync::site::SiteConnection::connect(config(hub, batch ? "fresh-batch" : "fresh-each"));
        if (!conn) return 1;
        auto consumer = edsync::site::Consumer::open(**conn, *fresh);
        if (!consumer) return 1;
        ApplyCounters counters;
        auto apply = batch ? applierWithin(counters) : applier(counters);
        const ProcSample before = sampleProc(hub.pid());
        const auto start = SteadyClock::now();
        waitUntil([&] {
            if (batch) (void)(*consumer)->fetchInTransaction(apply);
            else (void)(*consumer)->fetch(apply);
            return counters.applied >= total;
        }, std::chrono::seconds(600));
        const double seconds = microsSince(start) / 1e6;
        const ProcSample after = sampleProc(hub.pid());
        std::printf("%-62s %.2f s for %d events (%.0f/s; budget < 10 s)\n",
                    batch ? "fresh kiosk catching up, one transaction per fetched batch"
                          : "fresh kiosk catching up, one transaction per event",
                    seconds, counters.applied.load(), counters.applied / seconds);
        std::printf("%-62s %.2f s of CPU\n", "  hub CPU meanwhile", after.cpuSeconds - before.cpuSeconds);
        }
    }
    hub.kill();
    std::error_code ec;
    std::filesystem::remove_all(work, ec);
    return 0;
}

// A fresh kiosk catching up with a whole site through the real applier
// (DESIGN.md §8: 30 kiosks x 1,000 events in under 10 s). bench_site_log
// times the site log and a minimal applier; this one times what a kiosk
// really does with each fact: decode, insert into its log, rebuild the
// projections and the records for the state. The facts come from N kiosks
// of one site (student stations logging, submitting and having tasks
// approved), made through the services as the window makes them; the fresh
// kiosk applies them in the site log's way (one transaction per fetched
// batch of 256). Prints figures, asserts nothing.
// usage: bench_site_catchup <work dir> [kiosks=30] [events each=1000]
#include "bench_util.hpp"

#include "kiosk/service/security_service.hpp"
#include "kiosk/service/site_apply.hpp"
#include "kiosk/service/work_service.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/site_facts.hpp"
#include "kiosk/store/store.hpp"
#include "sync/outbox/outbox.hpp"
#include "sync/sqlite/database.hpp"

#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <filesystem>
#include <string>
#include <vector>

using namespace kiosk;
using namespace kiosk::bench;

namespace {

[[noreturn]] void die(const std::string& why) {
    std::fprintf(stderr, "bench_site_catchup: %s\n", why.c_str());
    std::exit(1);
}

constexpr int kBatch = 256;  // what one fetch of the site link hands the applier

std::string isoDate(domain::Timestamp t) {
    const auto days = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{days};
    char out[16];
    std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return out;
}

struct Station {
    store::Store store;
    service::SecurityService security;
    service::WorkService work;
    std::vector<std::string> published;

    Station(const std::filesystem::path& file, const store::DemoOptions& demo, const std::filesystem::path& catalogue)
        : store(open(file)), security(store, [] { return domain::systemNow(); }),
          work(store, [] { return domain::systemNow(); }, security) {
        if (auto s = store::loadDemo(store, demo); !s) die("demo: " + s.error().describe());
        if (auto problem = work.loadCatalogue(catalogue)) die("catalogue: " + *problem);
    }
    static store::Store open(const std::filesystem::path& file) {
        auto s = store::Store::open(file);
        if (!s) die("open " + file.string() + ": " + s.error().describe());
        return std::move(*s);
    }
};

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) die("usage: bench_site_catchup <work dir> [kiosks=30] [events each=1000]");
    const std::filesystem::path work = std::filesystem::path(argv[1]) / ("catchup-" + std::to_string(::getpid()));
    const int kiosks = argc > 2 ? std::atoi(argv[2]) : 30;
    const int eventsEach = argc > 3 ? std::atoi(argv[3]) : 1000;
    std::filesystem::create_directories(work);
    const std::filesystem::path catalogue = std::filesystem::path(KIOSK_ASSETS_DIR) / "tasks" / "work-readiness.json";
    store::DemoOptions demo;
    demo.now = domain::systemNow();
    const auto roster = store::makeDemoRoster(demo).students;
    std::printf("site catch-up benchmark (%s build), work dir %s\n", buildType(), work.c_str());

    // The site's facts: each station logs tasks for students and submits
    // them, and a proctor approves some, dated over the last two weeks so
    // no student's day overflows.
    std::vector<std::string> facts;
    const auto makeStart = SteadyClock::now();
    for (int k = 0; k < kiosks; ++k) {
        Station station(work / ("station-" + std::to_string(k) + ".db"), demo, catalogue);
        station.store.setFactSink([&](store::Database&, const store::SiteFact& f) -> store::Status {
            facts.push_back(f.json);
            return {};
        });
        const std::size_t before = facts.size();
        for (int n = 0; facts.size() - before < static_cast<std::size_t>(eventsEach); ++n) {
            const auto& student = roster[static_cast<std::size_t>(k * 7 + n) % roster.size()].studentUniqueId;
            const std::string date = isoDate(demo.now - std::chrono::days{(k + n) % 14});
            auto draft = station.work.saveDraft(student, "", {"comm-customer", date, 30, "Riverbend Hardware", "Helped customers find parts."});
            if (!draft.saved) die("draft: " + draft.message);
            auto submitted = station.work.submit(student, draft.eventId);
            if (!submitted.saved) die("submit: " + submitted.message);
            if (n % 30 != 0) continue;  // a PIN check is slow on purpose (Argon2): approvals are the few
            auto approved = station.work.review(draft.eventId, service::Review::Approve, std::string(store::kDemoProctorId),
                                                std::string(store::kDemoProctorPin), "");
            if (!approved.saved) die("approve: " + approved.message);
        }
    }
    std::printf("%-62s %zu facts from %d kiosks in %.1f s (not part of the figure)\n", "site made through the services", facts.size(),
                kiosks, microsSince(makeStart) / 1e6);

    // The fresh kiosk: the same roster and catalogue, an empty log.
    Station fresh(work / "fresh.db", demo, catalogue);
    service::SiteApplier applier{fresh.store, [&] { return fresh.work.catalogue().get(); }};
    const long rssBefore = procStatusKb("VmRSS");
    const auto start = SteadyClock::now();
    std::size_t applied = 0, refused = 0;
    for (std::size_t at = 0; at < facts.size(); at += kBatch) {
        auto tx = edsync::sqlite::Transaction::begin(fresh.store.db());
        if (!tx) die("begin: " + tx.error().describe());
        for (std::size_t i = at; i < facts.size() && i < at + kBatch; ++i) {
            auto outcome = applier.applyWithin(facts[i]);
            if (outcome.what == service::ApplyOutcome::What::Failed) die("apply: " + outcome.detail);
            // Kept: another kiosk's audit head, which the hub keeps; nothing to store here.
            const bool took = outcome.what == service::ApplyOutcome::What::Applied || outcome.what == service::ApplyOutcome::What::Duplicate ||
                              outcome.what == service::ApplyOutcome::What::Kept;
            took ? ++applied : ++refused;

        }
        if (auto s = tx->commit(); !s) die("commit: " + s.error().describe());
    }
    const double seconds = microsSince(start) / 1e6;
    auto counts = edsync::outbox::counts(fresh.store.db());
    if (!counts) die(counts.error().describe());
    std::printf("%-62s %.2f s for %zu facts (%.0f/s; budget < 10 s), %zu refused or parked\n",
                "fresh kiosk catching up through the real applier", seconds, facts.size(), static_cast<double>(facts.size()) / seconds,
                refused);
    std::printf("%-62s %lld records for the state waiting, %zu facts applied\n", "  what it then holds",
                static_cast<long long>(counts->pending), applied);
    std::printf("%-62s %ld kB more resident memory\n", "  memory", procStatusKb("VmRSS") - rssBefore);
    std::error_code ec;
    std::filesystem::remove_all(work, ec);
    return 0;
}

// bench_rural_link: the kiosk's side of tests/bench/bench_rural_link.sh, run
// inside a network namespace whose only way out is a slow, far link.
//
//   bench_rural_link drain DIR BASE_URL CA_PEM [TOKEN_FILE]
//     One pass (what `testsite-kioskctl sync` does) over DIR/backlog.db
//     (made by `bench_backlog prepare`): prints key=value figures. With
//     TOKEN_FILE the token is kept there between passes, as the kiosk keeps
//     it (sync/edfi/token_file.hpp): a pass after an earlier one within the
//     token's life does not ask for one.
//   bench_rural_link keep-endpoints FROM_DIR TO_DIR
//     Copies the endpoints a pass over FROM_DIR discovered into TO_DIR's
//     database, as an earlier pass of the same kiosk would have left them
//     (docs/edfi.md, "Discovery"); the script's warm-up runs over an empty
//     outbox so that the records to drain stay queued.
//   bench_rural_link outage DIR BASE_URL CA_PEM CONTROL_DIR
//     The engine drains in the background; after a third of the rows it
//     creates CONTROL_DIR/cut and waits for the script to cut the link
//     (CONTROL_DIR/cut-at: Unix ms) and bring it back (restored-at). Prints
//     when "offline" showed after the cut, when the first record was stored
//     after the return, and when the last.
// A program that prints figures: it never passes or fails on time.
#include "sync/edfi/engine.hpp"
#include "sync/edfi/store.hpp"
#include "sync/edfi/token_file.hpp"
#include "sync/outbox/outbox.hpp"
#include "sync/transport/curl_transport.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::int64_t unixMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::optional<std::int64_t> readMs(const fs::path& file) {
    std::ifstream in(file);
    std::int64_t v = 0;
    if (in >> v) return v;
    return std::nullopt;
}

struct Kit {
    edsync::transport::CurlTransport* wire = nullptr;
    std::unique_ptr<edsync::edfi::SyncEngine> engine;
};

Kit makeEngine(const fs::path& dir, const std::string& base, const fs::path& ca, const fs::path& tokenFile = {}) {
    edsync::edfi::SyncConfig config;  // what a kiosk runs; only the address and secrets differ
    config.baseUrl = base;
    config.clientKey = "kiosk";
    config.clientSecret = "kiosk-secret";
    config.caBundle = ca;
    if (const char* c = std::getenv("RURAL_CAP")) config.concurrency = std::atoi(c);
    if (!tokenFile.empty()) config.tokenStore = std::make_shared<edsync::edfi::FileTokenStore>(tokenFile);
    auto options = edsync::edfi::SyncEngine::transportOptions(config);
    auto made = edsync::transport::CurlTransport::create(options);
    if (!made) {
        std::fprintf(stderr, "bench_rural_link: %s\n", made.error().describe().c_str());
        std::exit(1);
    }
    auto http = std::make_unique<edsync::transport::CurlTransport>(std::move(*made));
    Kit kit;
    kit.wire = http.get();
    kit.engine = std::make_unique<edsync::edfi::SyncEngine>(config, dir / "backlog.db", nullptr, std::move(http));
    return kit;
}

void printStats(const edsync::transport::TransportStats& s) {
    std::printf("http_version=%d\nwindow=%d\nconnections=%lld\nstalls=%d\nprobes=%d\nprobes_answered=%d\nresent=%d\nlink_downs=%d\n",
                s.httpVersion, s.window, s.connections, s.stalls, s.probes, s.probesAnswered, s.resent, s.linkDowns);
}

int drain(const fs::path& dir, const std::string& base, const fs::path& ca, const fs::path& tokenFile) {
    Kit kit = makeEngine(dir, base, ca, tokenFile);
    const auto started = std::chrono::steady_clock::now();
    auto report = kit.engine->runOnePass();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("result=%s\nsynced=%d\ndrain_seconds=%.3f\n", std::string(edsync::edfi::toString(report.result)).c_str(), report.synced,
                seconds);
    printStats(kit.wire->stats());
    return report.result == edsync::edfi::PassResult::AllSynced ? 0 : 1;
}

int keepEndpoints(const fs::path& from, const fs::path& to) {
    auto source = edsync::sqlite::Database::open(from / "backlog.db");
    auto target = edsync::sqlite::Database::open(to / "backlog.db");
    if (!source || !target) return 1;
    auto kept = edsync::edfi::loadDiscovery(*source);
    if (!kept || !*kept) {
        std::fprintf(stderr, "bench_rural_link: no endpoints kept in %s\n", from.c_str());
        return 1;
    }
    if (!edsync::edfi::migrate(*target) || !edsync::edfi::saveDiscovery(*target, **kept)) return 1;
    return 0;
}

int outage(const fs::path& dir, const std::string& base, const fs::path& ca, const fs::path& control) {
    Kit kit = makeEngine(dir, base, ca);
    auto& engine = *kit.engine;
    if (auto s = engine.start(); !s) {
        std::fprintf(stderr, "bench_rural_link: %s\n", s.error().describe().c_str());
        return 1;
    }
    engine.wake();
    auto waitFor = [&](auto pred, std::chrono::seconds limit) {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (!pred() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(2ms);
        return pred();
    };
    auto records = [&] {
        auto st = engine.status();
        return st.counts.pending + st.counts.synced + st.counts.needsAttention;
    };
    // The worker counts the outbox on its first turn: until then the total
    // reads 0 and "a third" would be reached before the first record.
    if (!waitFor([&] { return records() > 0; }, 60s)) return 1;
    const std::int64_t total = records();
    if (!waitFor([&] { return engine.status().counts.synced * 3 >= total; }, 300s)) return 1;
    std::ofstream(control / "cut") << unixMs() << "\n";
    if (!waitFor([&] { return readMs(control / "cut-at").has_value(); }, 60s)) return 1;
    const std::int64_t cutAt = readMs(control / "cut-at").value_or(0);
    const bool offline = waitFor([&] { return engine.status().connection == edsync::edfi::SyncStatus::Connection::Offline; }, 60s);
    const std::int64_t offlineAt = unixMs();
    if (!waitFor([&] { return readMs(control / "restored-at").has_value(); }, 120s)) return 1;
    const std::int64_t restoredAt = readMs(control / "restored-at").value_or(0);
    const std::int64_t syncedAtReturn = engine.status().counts.synced;
    waitFor([&] { return engine.status().counts.synced > syncedAtReturn; }, 120s);
    const std::int64_t firstStoredAt = unixMs();
    const bool drained = waitFor([&] { return engine.status().counts.pending == 0; }, 300s);
    const std::int64_t drainedAt = unixMs();
    auto st = engine.status();
    engine.stop();
    std::printf("offline_shown=%s\noffline_after_cut_ms=%lld\nfirst_stored_after_return_ms=%lld\nsynced=%lld\npending=%lld\n",
                offline ? "yes" : "no", static_cast<long long>(offlineAt - cutAt), static_cast<long long>(firstStoredAt - restoredAt),
                static_cast<long long>(st.counts.synced), static_cast<long long>(st.counts.pending));
    // The running kiosk's drain: what waited at the return, with the
    // discovery and the token it already held.
    if (drained)
        std::printf("left_at_return=%lld\ndrained_after_return_ms=%lld\n", static_cast<long long>(total - syncedAtReturn),
                    static_cast<long long>(drainedAt - restoredAt));
    printStats(kit.wire->stats());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "drain" && (argc == 5 || argc == 6)) return drain(argv[2], argv[3], argv[4], argc == 6 ? fs::path(argv[5]) : fs::path());
    if (mode == "outage" && argc == 6) return outage(argv[2], argv[3], argv[4], argv[5]);
    if (mode == "keep-endpoints" && argc == 4) return keepEndpoints(argv[2], argv[3]);
    std::fprintf(stderr, "usage: bench_rural_link drain DIR BASE_URL CA_PEM [TOKEN_FILE] | outage DIR BASE_URL CA_PEM CONTROL_DIR"
                         " | keep-endpoints FROM_DIR TO_DIR\n");
    return 2;
}

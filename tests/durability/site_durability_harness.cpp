// site-durability-harness: kill -9 across a whole site (issue 14). Three
// kiosks and a hub, each killed at seeded random moments and restarted; each
// kiosk's link to the hub cut and healed at random; the state behind the
// Ed-Fi fault proxy in random-faults mode the whole time. Then every kiosk
// must hold the same projection and the state each record once, at the
// site's latest picture: 0 lost, 0 duplicated, 0 stale.
//
//  1. Throwaway certificates; the Ed-Fi double (seeded with the demo roster)
//     and the fault proxy in front of it; a site key, the hub password
//     derived from it, nats-server with TLS and that password on its own
//     store (tests/support/nats_hub); a TcpRelay per kiosk in front of the hub.
//  2. Three durability-driver --site-config runs on three data directories
//     (kiosk 0 first, until its first fact is on the hub: the stream exists
//     before anyone reads it, see the nats-server 2.9.10 crash in
//     docs/architecture.md). Then until N kills: wait a seeded random time,
//     and kill -9 a random kiosk (restarted at once) or the hub (restarted
//     after a random outage), or cut a kiosk's relay for a random time (or
//     reset its connections). A hub that ends by itself is counted and
//     restarted, as its unit's Restart=on-failure does.
//  3. Everything restored (relays healed, hub up, the uplink clean: the
//     proxy passes everything), the workloads stopped with SIGKILL, three
//     durability-driver --final-sync runs (what `sync --now` does: records
//     a fault had put into a long back-off are due at once) until every
//     kiosk holds the same and nothing waits anywhere.
//  4. The checker: each kiosk's store holds every line that kiosk printed as
//     committed (integrity_check ok); every kiosk holds the same events,
//     projections and outbox bodies; the double holds each record of that
//     outbox once with its body, nothing else, and rejected no post.
//
// usage: site-durability-harness --kills N --seed S --driver EXE --double EXE
//          --proxy EXE --certs-script SH --catalogue FILE [--work DIR] [--keep]
//          [--min-ms 150] [--max-ms 1500] [--students 60] [--fault-rate 0.2]
//          [--no-partitions] [--driver-arg ARG]...
// Exit 0 when every check passed, 1 when one failed, 77 without nats-server.
#include "durability_checks.hpp"
#include "durability_common.hpp"
#include "harness_child.hpp"
#include "site_picture.hpp"
#include "tcp_relay.hpp"

#include "kiosk/app/site_key.hpp"
#include "kiosk/app/site_wiring.hpp"
#include "kiosk/store/demo_data.hpp"
#include "support/nats_hub.hpp"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>

using namespace kiosk;
using nlohmann::json;
using namespace std::chrono_literals;
namespace durability = kiosk::durability;
using durability::Child;
using durability::Control;
using durability::Verdict;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kKiosks = 3;

// A driver that crashed by itself leaves a core (main() lifts the limit) in
// this directory; with gdb installed, every thread's stack goes into the
// verdict and the core into the work directory, so a rare crash names its
// own cause (the CI log is all there is of a run on another machine).
std::string crashStacks(const std::string& exe, const std::filesystem::path& keepIn) {
    std::error_code ec;
    std::filesystem::path newest;
    std::filesystem::file_time_type newestAt{};
    for (const auto& entry : std::filesystem::directory_iterator(".", ec)) {
        const std::string name = entry.path().filename().string();
        if (name != "core" && name.rfind("core.", 0) != 0) continue;
        if (newest.empty() || entry.last_write_time(ec) > newestAt) {
            newest = entry.path();
            newestAt = entry.last_write_time(ec);
        }
    }
    if (newest.empty()) return "no core file (core_pattern: " + durability::tail("/proc/sys/kernel/core_pattern", 200) + ")";
    const std::filesystem::path kept = keepIn / ("driver-" + newest.filename().string());
    std::filesystem::rename(newest, kept, ec);
    if (ec) return "the core could not be moved: " + ec.message();
    // Our own paths only, quoted: nothing from outside reaches the shell.
    const std::string command = "gdb -batch -nx -ex 'thread apply all bt 25' '" + exe + "' '" + kept.string() + "' 2>&1";
    FILE* gdb = popen(command.c_str(), "r");
    if (!gdb) return "core kept in " + kept.string() + " (gdb did not start)";
    std::string out;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, gdb)) > 0;) out.append(buffer, n);
    const int status = pclose(gdb);
    if (status != 0 && out.find("#0") == std::string::npos) return "core kept in " + kept.string() + " (no gdb to read it)";
    return "core kept in " + kept.string() + "; stacks:\n" + (out.size() > 12000 ? out.substr(out.size() - 12000) : out);
}
constexpr const char* kSiteId = "255901001";  // the demo site's (store::loadDemo)

struct Options {
    int kills = 200;
    std::uint64_t seed = 1;
    std::string driver, edfiDouble, proxy, certsScript, catalogue;
    std::filesystem::path work;
    bool keep = false;
    int minMs = 150;
    int maxMs = 1500;
    int students = 60;
    double faultRate = 0.2;
    bool partitions = true;
    int convergeSeconds = 300;
    std::vector<std::string> driverExtra;  // --driver-arg, passed to every workload run
};

[[noreturn]] void usage(const std::string& why) {
    std::fprintf(stderr, "site-durability-harness: %s\n", why.c_str());
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage("missing value for " + a);
            return argv[++i];
        };
        if (a == "--kills") o.kills = std::stoi(value());
        else if (a == "--seed") o.seed = std::stoull(value());
        else if (a == "--driver") o.driver = value();
        else if (a == "--double") o.edfiDouble = value();
        else if (a == "--proxy") o.proxy = value();
        else if (a == "--certs-script") o.certsScript = value();
        else if (a == "--catalogue") o.catalogue = value();
        else if (a == "--work") o.work = value();
        else if (a == "--keep") o.keep = true;
        else if (a == "--min-ms") o.minMs = std::stoi(value());
        else if (a == "--max-ms") o.maxMs = std::stoi(value());
        else if (a == "--students") o.students = std::stoi(value());
        else if (a == "--fault-rate") o.faultRate = std::stod(value());
        else if (a == "--no-partitions") o.partitions = false;
        else if (a == "--converge-seconds") o.convergeSeconds = std::stoi(value());
        else if (a == "--driver-arg") o.driverExtra.push_back(value());
        else usage("unknown argument " + a);
    }
    if (o.driver.empty() || o.edfiDouble.empty() || o.proxy.empty() || o.certsScript.empty() || o.catalogue.empty())
        usage("--driver, --double, --proxy, --certs-script and --catalogue are required");
    return o;
}

void writePrivate(const std::filesystem::path& file, const std::string& text) {
    std::ofstream(file) << text;
    std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

double seconds(Clock::time_point from) { return std::chrono::duration<double>(Clock::now() - from).count(); }

struct Kiosk {
    int index = 0;
    std::filesystem::path data, config, log, err;
    std::unique_ptr<durability::TcpRelay> relay;
    std::unique_ptr<Child> process;
    int runs = 0;
    int kills = 0;
    int partitions = 0;
    int resets = 0;
    Clock::time_point healAt{};
    std::filesystem::path db() const { return data / "kiosk.db"; }
};

// Everything the kill phase counts, printed at the end.
struct Figures {
    int hubKills = 0;
    int hubCrashes = 0;       // the hub ended by itself and was restarted
    int exitedByItself = 0;   // a workload run that ended before its kill: a failure
    double killSeconds = 0, convergeSeconds = 0;
};

class Site {
public:
    Site(const Options& o, test::NatsHub& hub, Verdict& verdict) : m_o(o), m_hub(hub), m_v(verdict), m_rng(o.seed) {}

    std::vector<Kiosk> kiosks;
    Figures figures;
    std::string stateUrl;
    std::filesystem::path stateCa;
    std::int64_t demoNowMs = 0;

    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(m_rng); }
    int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(m_rng); }

    void startWorkload(Kiosk& k) {
        std::vector<std::string> args{m_o.driver,     "--data-dir",    k.data.string(),     "--catalogue",        m_o.catalogue,
                                      "--site-config", k.config.string(), "--students",      std::to_string(m_o.students),
                                      "--demo-now-ms", std::to_string(demoNowMs), "--max-seconds", "3600",
                                      "--seed", std::to_string(m_o.seed * 1'000'003 + static_cast<std::uint64_t>(k.index) * 100'003 +
                                                               static_cast<std::uint64_t>(k.runs))};
        args.insert(args.end(), m_o.driverExtra.begin(), m_o.driverExtra.end());
        ++k.runs;
        k.process = std::make_unique<Child>(args, k.log, k.err, false);
    }

    void killKiosk(Kiosk& k) {
        k.process->stop(SIGKILL);
        ++k.kills;
        startWorkload(k);
    }

    // Between actions: a workload run that ended by itself is a failure (it
    // is restarted so the run goes on); a hub that crashed is restarted.
    void watch() {
        for (auto& k : kiosks) {
            if (!k.process || !k.process->exited()) continue;
            ++figures.exitedByItself;
            const int status = k.process->wait();
            const std::string how = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
                                                              strsignal(WTERMSIG(status)) + ")"
                                                        : "exit status " + std::to_string(WEXITSTATUS(status));
            std::string stacks;
            if (WIFSIGNALED(status) && WCOREDUMP(status)) stacks = "\n" + crashStacks(m_o.driver, m_o.work);
            m_v.fail("kiosk " + std::to_string(k.index) + " workload ended by itself, " + how + ": " + durability::tail(k.err, 600) + stacks);
            startWorkload(k);
        }
        if (m_hubDownUntil == Clock::time_point{} && m_hub.exitedByItself()) {
            ++figures.hubCrashes;
            std::printf("  the hub ended by itself (%s); restarting it\n", m_hub.logTail().substr(0, 200).c_str());
            restartHub();
        }
        if (m_hubDownUntil != Clock::time_point{} && Clock::now() >= m_hubDownUntil) restartHub();
        for (auto& k : kiosks)
            if (k.relay->isCut() && Clock::now() >= k.healAt) k.relay->heal();
    }

    void killHub(int outageMs) {
        m_hub.kill();
        ++figures.hubKills;
        m_hubDownUntil = Clock::now() + std::chrono::milliseconds{outageMs};
    }
    bool hubDown() const { return m_hubDownUntil != Clock::time_point{}; }

    void restartHub() {
        m_hubDownUntil = {};
        if (!m_hub.start()) {
            m_v.fail("the hub did not restart: " + m_hub.error());
            std::printf("  FAIL: the hub did not restart: %s\n", m_hub.error().c_str());
        }
    }

    void partition(Kiosk& k) {
        k.healAt = Clock::now() + std::chrono::milliseconds{between(300, 5000)};
        // Mostly a silent partition; sometimes every connection reset at once.
        if (pick(4) == 0) {
            k.relay->reset();
            ++k.resets;
        } else {
            k.relay->cut();
            ++k.partitions;
        }
    }

    void restoreAll() {
        for (auto& k : kiosks) k.relay->heal();
        if (hubDown() || !m_hub.running()) restartHub();
    }

private:
    const Options& m_o;
    test::NatsHub& m_hub;
    Verdict& m_v;
    std::mt19937_64 m_rng;
    Clock::time_point m_hubDownUntil{};
};

std::string kioskToml(const Site& site, const Kiosk& k, const std::filesystem::path& siteDir, const test::NatsHub& hub) {
    std::string t;
    t += "[state]\n";
    t += "base_url = \"" + site.stateUrl + "\"\n";
    t += "credentials_file = \"" + (siteDir / "credentials").string() + "\"\n";
    t += "ca_bundle = \"" + site.stateCa.string() + "\"\n";
    t += "[kiosk]\nname = \"durability kiosk " + std::to_string(k.index) + "\"\n";
    t += "[site]\nid = \"" + std::string(kSiteId) + "\"\nname = \"Riverbend High School\"\n";
    t += "key_file = \"" + (siteDir / "site.key").string() + "\"\n";
    t += "[hub]\nservers = [\"tls://127.0.0.1:" + std::to_string(k.relay->port()) + "\"]\n";
    t += "ca_file = \"" + hub.caFile().string() + "\"\n";
    return t;
}

void printPictures(const std::vector<durability::KioskPicture>& pictures, const char* indent) {
    for (std::size_t i = 0; i < pictures.size(); ++i)
        std::printf("%skiosk %zu: events %zu, outbox %zu, pending %lld, attention %lld, unpublished %lld, parked %lld %s\n", indent, i,
                    pictures[i].events.size(), pictures[i].outbox.size(), static_cast<long long>(pictures[i].pending),
                    static_cast<long long>(pictures[i].attention), static_cast<long long>(pictures[i].unpublished),
                    static_cast<long long>(pictures[i].parked), pictures[i].error.c_str());
    std::fflush(stdout);
}

enum class Convergence { Settled, Stuck, NotYet };

// Until every kiosk holds the same and nothing waits anywhere, twice in a row
// (Settled). Stuck: every kiosk holds the same, nothing waits for the hub,
// one kiosk (the uploader) has nothing waiting for the state, yet another
// still counts records waiting, unchanged for 15 s: nothing in the site
// would ever settle them (the checker reports it). Bounded by `limitSeconds`.
Convergence converge(Site& site, int limitSeconds, std::vector<durability::KioskPicture>& last) {
    const auto deadline = Clock::now() + std::chrono::seconds{limitSeconds};
    int agreeing = 0;
    std::vector<std::int64_t> stuckPending;
    auto stuckSince = Clock::now();
    auto nextNote = Clock::now() + 30s;
    while (Clock::now() < deadline) {
        std::this_thread::sleep_for(500ms);
        site.watch();  // a hub that crashes now is restarted too
        last.clear();
        bool same = true, settled = true, oneUploaderDone = false;
        std::vector<std::int64_t> pending;
        for (auto& k : site.kiosks) {
            last.push_back(durability::readPicture(k.db()));
            const auto& p = last.back();
            if (!p.error.empty() || p.unpublished != 0 || p.parked != 0 || p.attention != 0) same = false;
            if (!p.settled()) settled = false;
            if (p.pending == 0) oneUploaderDone = true;
            pending.push_back(p.pending);
        }
        for (int i = 1; i < kKiosks && same; ++i)
            if (!durability::differences(last[0], last[static_cast<std::size_t>(i)], 1).empty()) same = false;
        agreeing = same && settled ? agreeing + 1 : 0;
        if (agreeing >= 2) return Convergence::Settled;
        if (!(same && oneUploaderDone) || pending != stuckPending) {
            stuckPending = same && oneUploaderDone ? pending : std::vector<std::int64_t>{};
            stuckSince = Clock::now();
        } else if (Clock::now() - stuckSince > 15s) {
            return Convergence::Stuck;
        }
        if (Clock::now() > nextNote) {
            nextNote += 30s;
            printPictures(last, "    ");
        }
    }
    return Convergence::NotYet;
}

} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    // Drivers inherit it: a crash leaves a core for crashStacks().
    if (struct rlimit core; getrlimit(RLIMIT_CORE, &core) == 0) {
        core.rlim_cur = core.rlim_max;
        (void)setrlimit(RLIMIT_CORE, &core);  // a limit we cannot lift only costs the stacks of a crash
    }
    Options o = parse(argc, argv);
    if (test::natsServerPath().empty()) {
        std::printf("site-durability-harness: nats-server is not installed (packaging/install-deps.sh installs it); skipped\n");
        return 77;
    }
    if (sodium_init() < 0) usage("libsodium did not start");
    bool madeWork = false;
    if (o.work.empty()) {
        std::string pattern = (std::filesystem::temp_directory_path() / "site-durability-XXXXXX").string();
        if (!mkdtemp(pattern.data())) usage("cannot make a work directory");
        o.work = pattern;
        madeWork = true;
    }
    std::filesystem::remove_all(o.work);
    std::filesystem::create_directories(o.work);
    const auto certs = o.work / "certs";
    const auto siteDir = o.work / "site";
    std::filesystem::create_directories(siteDir);

    if (std::system(("sh '" + o.certsScript + "' '" + certs.string() + "' >/dev/null 2>&1").c_str()) != 0) usage("make-test-certs failed");
    store::DemoOptions demo;
    demo.students = o.students;
    demo.seed = durability::kRosterSeed;
    json seed;
    seed["students"] = json::array();
    for (const auto& s : store::makeDemoRoster(demo).students)
        seed["students"].push_back({{"studentUniqueId", s.studentUniqueId}, {"firstName", s.firstName}, {"lastSurname", s.lastSurname},
                                    {"birthDate", s.birthDate}});
    std::ofstream(o.work / "seed.json") << seed.dump();

    // The state: the double, and the fault proxy in front of it. A kill
    // while a token was being fetched leaves a live token the kiosk never
    // saw, and the state allows a client 15; a run that packs hundreds of
    // kills into minutes packs their tokens' lifetimes too (a minute, not
    // the state's half hour), so leaked ones lapse as they would over days.
    Child edfiDouble({o.edfiDouble, "--port", "0", "--cert", (certs / "server.pem").string(), "--key", (certs / "server.key").string(),
                      "--client-id", std::string(durability::kClientId), "--client-secret", std::string(durability::kClientSecret),
                      "--seed", (o.work / "seed.json").string(), "--token-ttl", "60", "--quiet"},
                     {}, o.work / "double.stderr", true);
    const int doublePort = edfiDouble.port();
    if (doublePort <= 0) usage("the Ed-Fi double did not start: " + durability::tail(o.work / "double.stderr"));
    const std::string doubleUrl = "https://127.0.0.1:" + std::to_string(doublePort);
    Child proxy({o.proxy, "--port", "0", "--cert", (certs / "server.pem").string(), "--key", (certs / "server.key").string(), "--upstream",
                 doubleUrl, "--ca", (certs / "ca.pem").string(), "--quiet"},
                {}, o.work / "proxy.stderr", true);
    const int proxyPort = proxy.port();
    if (proxyPort <= 0) usage("the fault proxy did not start: " + durability::tail(o.work / "proxy.stderr"));
    const std::string proxyUrl = "https://127.0.0.1:" + std::to_string(proxyPort);
    auto control = std::make_unique<Control>(certs / "ca.pem", doubleUrl);
    auto proxyControl = std::make_unique<Control>(certs / "ca.pem", proxyUrl);
    const json faults{{"mode", "random"}, {"rate", o.faultRate}, {"seed", o.seed}, {"stallSeconds", 3}, {"retryAfter", 1}};
    if (!proxyControl->call(edsync::transport::Method::Post, "/_proxy/mode", faults.dump())) usage("the fault proxy refused random mode");

    // The site: its key, the hub's password derived from it, the hub.
    const auto siteKey = app::deriveSiteKey(kSiteId, durability::kClientId, durability::kClientSecret);
    writePrivate(siteDir / "site.key", app::formatSiteKey(siteKey) + "\n");
    writePrivate(siteDir / "credentials",
                 "key=" + std::string(durability::kClientId) + "\nsecret=" + std::string(durability::kClientSecret) + "\n");
    // The kiosks' credential key (PINs sealed at rest) is this run's, never the user's.
    ::setenv("TESTSITE_KIOSK_KEY_FILE", (siteDir / "credential.key").c_str(), 1);
    test::NatsHub hub(o.work / "hub", {true, app::kHubUser, app::hubPassword(siteKey)});
    if (!hub.start()) usage("the hub did not start: " + hub.error());

    Verdict v;
    Site site(o, hub, v);
    site.stateUrl = proxyUrl;
    site.stateCa = certs / "ca.pem";
    // Every kiosk places the demo sessions at the same times (the records' bodies name them).
    site.demoNowMs = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count() -
                     40 * 60 * 1000;
    site.kiosks.resize(kKiosks);
    for (int i = 0; i < kKiosks; ++i) {
        Kiosk& k = site.kiosks[static_cast<std::size_t>(i)];
        k.index = i;
        k.data = o.work / ("kiosk-" + std::to_string(i));
        std::filesystem::create_directories(k.data);
        k.config = k.data / "kiosk.toml";
        k.log = o.work / ("kiosk-" + std::to_string(i) + ".log");
        k.err = o.work / ("kiosk-" + std::to_string(i) + ".stderr");
        k.relay = std::make_unique<durability::TcpRelay>(hub.port());
        std::ofstream(k.config) << kioskToml(site, k, siteDir, hub);
    }

    std::printf("site durability: %d kills over %d kiosks and a hub, partitions %s, fault rate %.2f, seed %llu, work %s\n", o.kills,
                kKiosks, o.partitions ? "on" : "off", o.faultRate, static_cast<unsigned long long>(o.seed), o.work.c_str());
    std::fflush(stdout);
    const auto started = Clock::now();

    // Kiosk 0 first, until one of its facts is on the hub: the stream exists
    // before three kiosks read it at once.
    site.startWorkload(site.kiosks[0]);
    const bool streamMade = [&] {
        const auto until = Clock::now() + 60s;
        while (Clock::now() < until) {
            std::this_thread::sleep_for(100ms);
            site.watch();
            auto p = durability::readPicture(site.kiosks[0].db());
            if (p.error.empty() && p.published > 0) return true;
        }
        return false;
    }();
    if (!streamMade) v.fail("kiosk 0 published nothing to the hub within 60 s: " + durability::tail(site.kiosks[0].err, 600));
    for (int i = 1; i < kKiosks; ++i) site.startWorkload(site.kiosks[static_cast<std::size_t>(i)]);

    int kills = 0, nextReport = 50;
    while (streamMade && kills < o.kills) {
        const auto until = Clock::now() + std::chrono::milliseconds{site.between(o.minMs, o.maxMs)};
        while (Clock::now() < until) {
            site.watch();
            std::this_thread::sleep_for(5ms);
        }
        const int roll = site.pick(100);
        if (o.partitions && roll < 25) {
            Kiosk& k = site.kiosks[static_cast<std::size_t>(site.pick(kKiosks))];
            if (!k.relay->isCut()) site.partition(k);
            continue;
        }
        // A quarter of the kills go to the hub (if it is up), the rest to a kiosk.
        if (roll < 45 && !site.hubDown()) site.killHub(site.between(0, 1500));
        else site.killKiosk(site.kiosks[static_cast<std::size_t>(site.pick(kKiosks))]);
        if (++kills >= nextReport) {
            std::printf("  %d kills (%.0f s)...\n", kills, seconds(started));
            std::fflush(stdout);
            nextReport += 50;
        }
    }
    site.figures.killSeconds = seconds(started);

    // Restore everything; stop the workloads (kill -9 like the rest); converge.
    // The uplink is back too: a record that met ten faults in a row waits out
    // minutes of back-off otherwise, which says nothing about the site.
    site.restoreAll();
    if (!proxyControl->call(edsync::transport::Method::Post, "/_proxy/mode", json{{"mode", "pass"}}.dump()))
        v.fail("the fault proxy refused pass mode for the final sync");
    for (auto& k : site.kiosks) k.process->stop(SIGKILL);
    std::printf("  kill phase took %.1f s; final sync of every kiosk...\n", site.figures.killSeconds);
    std::fflush(stdout);
    const auto convergeStart = Clock::now();
    for (auto& k : site.kiosks)
        k.process = std::make_unique<Child>(
            std::vector<std::string>{o.driver, "--data-dir", k.data.string(), "--site-config", k.config.string(), "--final-sync",
                                     "--max-seconds", std::to_string(o.convergeSeconds + 60)},
            k.log, k.err, false);
    std::vector<durability::KioskPicture> pictures;
    const Convergence convergence = converge(site, o.convergeSeconds, pictures);
    const bool converged = convergence != Convergence::NotYet;
    site.figures.convergeSeconds = seconds(convergeStart);
    for (auto& k : site.kiosks) {
        const int status = k.process->stopWithin(30s);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            v.fail("kiosk " + std::to_string(k.index) + " final sync ended with status " + std::to_string(status) + ": " +
                   durability::tail(k.err, 600));
    }
    if (!converged) {
        v.fail("the site did not converge within " + std::to_string(o.convergeSeconds) + " s");
        printPictures(pictures, "  ");
    }

    // The checker, on the stores at rest.
    durability::CheckReport total;
    std::vector<durability::KioskPicture> finals;
    for (auto& k : site.kiosks) {
        int malformed = 0;
        auto committed = durability::readCommitted(k.log, malformed);
        if (malformed) v.fail(std::to_string(malformed) + " malformed committed line(s) from kiosk " + std::to_string(k.index));
        auto s = store::Store::open(k.db());
        if (!s) {
            v.fail("kiosk " + std::to_string(k.index) + "'s store does not open: " + s.error().describe());
            continue;
        }
        durability::CheckReport rep;
        durability::checkStoreAgainstLog(s->db(), committed, rep, v);
        if (rep.integrity != "ok") v.fail("kiosk " + std::to_string(k.index) + " integrity_check: " + rep.integrity);
        total.committedLines += rep.committedLines;
        total.events += rep.events;
        total.workEvents += rep.workEvents;
        total.outboxVersions += rep.outboxVersions;
        total.other += rep.other;
        total.lost += rep.lost;
        total.duplicated += rep.duplicated;
        finals.push_back(durability::readPicture(k.db()));
        if (!finals.back().error.empty()) v.fail("kiosk " + std::to_string(k.index) + " cannot be read: " + finals.back().error);
        if (finals.back().parked) v.fail("kiosk " + std::to_string(k.index) + " holds " + std::to_string(finals.back().parked) + " parked site fact(s)");
        if (finals.back().attention) v.fail("kiosk " + std::to_string(k.index) + " holds records the state refused");
        if (finals.back().pending)
            v.fail("kiosk " + std::to_string(k.index) + " still counts " + std::to_string(finals.back().pending) +
                   " record(s) waiting for the state after the site settled; nothing would ever send or settle them");
    }
    std::size_t divergent = 0;
    for (std::size_t i = 1; i < finals.size(); ++i)
        for (const auto& d : durability::differences(finals[0], finals[i])) {
            ++divergent;
            v.fail("kiosk " + std::to_string(i) + " differs from kiosk 0: " + d);
        }
    if (!finals.empty()) {
        // Every kiosk holds the same outbox bodies (or the difference is
        // reported above), so one is the site's picture: the one with the
        // fewest waiting (the last uploader's). Checked even when the site
        // did not settle: what the state holds then is the figure that matters.
        std::size_t uploader = 0;
        for (std::size_t i = 1; i < finals.size(); ++i)
            if (finals[i].pending < finals[uploader].pending) uploader = i;
        auto s = store::Store::open(site.kiosks[uploader].db());
        if (s) durability::checkServer(s->db(), *control, total, v);
    }
    auto proxyStats = proxyControl->call(edsync::transport::Method::Get, "/_proxy/stats");
    control.reset();  // their keep-alive connections would hold the servers' shutdown
    proxyControl.reset();
    proxy.stopWithin(5s);
    edfiDouble.stopWithin(5s);
    hub.stop();

    int kioskKills = 0, partitions = 0, resets = 0;
    for (const auto& k : site.kiosks) {
        kioskKills += k.kills;
        partitions += k.partitions;
        resets += k.resets;
    }
    std::printf("site durability summary\n");
    std::printf("  kills (SIGKILL)                   %d: hub %d", kioskKills + site.figures.hubKills, site.figures.hubKills);
    for (const auto& k : site.kiosks) std::printf(", kiosk %d %d", k.index, k.kills);
    std::printf("\n  hub crashes restarted              %d\n", site.figures.hubCrashes);
    std::printf("  partitions (silent cuts, resets)   %d, %d\n", partitions, resets);
    std::printf("  faults injected by the proxy       %s\n",
                proxyStats ? std::to_string(proxyStats->value("injectedTotal", 0)).c_str() : "unknown");
    std::printf("  committed records checked          %zu (events %zu, work events %zu, outbox versions %zu, other %zu)\n",
                total.committedLines, total.events, total.workEvents, total.outboxVersions, total.other);
    if (!finals.empty())
        std::printf("  site picture on every kiosk        %zu events, %zu work events, %zu attendance, %zu work entries, %zu outbox records\n",
                    finals[0].events.size(), finals[0].workEvents.size(), finals[0].attendance.size(), finals[0].workEntries.size(),
                    finals[0].outbox.size());
    for (const auto& [resource, counts] : total.onServer)
        std::printf("  at the state: %-26s %zu records, %lld posts\n", resource.c_str(), counts.first, static_cast<long long>(counts.second));
    std::printf("  lost %zu, duplicated %zu, stale %zu, divergent %zu (deletions checked gone: %zu)\n", total.lost, total.duplicated,
                total.stale, divergent, total.deletions);
    std::printf("  time: kill phase %.1f s, convergence %.1f s\n", site.figures.killSeconds, site.figures.convergeSeconds);
    for (const auto& n : v.notes) std::printf("  FAIL: %s\n", n.c_str());
    const bool ok = v.failures == 0 && total.committedLines > 0 && converged;
    if (total.committedLines == 0) std::printf("  FAIL: no record was reported committed; the workload did nothing\n");
    std::printf("site durability: %d passed, %d failed\n", ok ? 1 : 0, ok ? 0 : 1);
    if (madeWork && ok && !o.keep) {
        std::filesystem::remove_all(o.work);
    } else {
        // The verdict stays beside the evidence: a run inside CTest keeps
        // its output only while nothing else runs.
        if (std::FILE* f = std::fopen((o.work / "verdict.txt").c_str(), "w")) {
            std::fprintf(f, "lost %zu, duplicated %zu, stale %zu, divergent %zu, converged %d\n", total.lost, total.duplicated,
                         total.stale, divergent, converged ? 1 : 0);
            for (const auto& n : v.notes) std::fprintf(f, "FAIL: %s\n", n.c_str());
            std::fclose(f);
        }
        std::printf("work directory kept: %s\n", o.work.c_str());
    }
    return ok ? 0 : 1;
}

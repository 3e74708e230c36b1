// durability-harness: kill -9 at random points of a mixed workload, then
// prove nothing acknowledged was lost and nothing arrived twice (DESIGN.md §7,
// tier 5).
//
//  1. Throwaway certificates; the Ed-Fi double seeded with the demo roster.
//  2. N times: start durability-driver on one data directory, let it work for
//     a random time (seeded), SIGKILL it. Its stdout (one line per committed
//     record) is appended to a log.
//  3. Once more, unkilled: durability-driver --final-sync drains the outbox.
//  4. The checker: PRAGMA integrity_check is ok; every record the driver was
//     told is committed is in the store; every projection and outbox body is
//     what replaying the event log gives (so event, projection and outbox were
//     committed together); the double holds each StudentAssessment and
//     StudentProgramEvaluation exactly once, with the store's latest body.
//
// usage: durability-harness --kills N --seed S --driver EXE --double EXE
//          --certs-script SH --catalogue FILE [--work DIR] [--keep]
//          [--min-ms 30] [--max-ms 1200] [--students 90] [--driver-arg ARG]...
//          [--tamper]
// Exit status 0 when every check passed. Prints a summary; never asserts time.
// --tamper (for the checker's own test): after the final sync the double
// brings back one record the kiosk deleted there and loses one it holds; the
// checker must report both.
#include "durability_checks.hpp"
#include "durability_common.hpp"
#include "harness_child.hpp"

#include "kiosk/domain/attendance.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/store/event_log.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/store/work_repo.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

using namespace kiosk;
using nlohmann::json;
using namespace std::chrono_literals;
namespace durability = kiosk::durability;
using durability::Child;
using durability::CheckReport;
using durability::Control;
using durability::Verdict;
using durability::checkServer;
using durability::checkStoreAgainstLog;
using durability::readCommitted;
using durability::tail;

namespace {

struct Options {
    int kills = 50;
    std::uint64_t seed = 1;
    std::string driver, edfiDouble, certsScript, catalogue;
    std::filesystem::path work;
    bool keep = false;
    int minMs = 30;
    int maxMs = 1200;
    int students = durability::kDefaultStudents;
    std::vector<std::string> driverExtra;  // --driver-arg, passed to every killed run
    bool tamper = false;
};

[[noreturn]] void usage(const std::string& why) {
    std::fprintf(stderr, "durability-harness: %s\n", why.c_str());
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
        else if (a == "--certs-script") o.certsScript = value();
        else if (a == "--catalogue") o.catalogue = value();
        else if (a == "--work") o.work = value();
        else if (a == "--keep") o.keep = true;
        else if (a == "--min-ms") o.minMs = std::stoi(value());
        else if (a == "--max-ms") o.maxMs = std::stoi(value());
        else if (a == "--students") o.students = std::stoi(value());
        else if (a == "--driver-arg") o.driverExtra.push_back(value());
        else if (a == "--tamper") o.tamper = true;
        else usage("unknown argument " + a);
    }
    if (o.driver.empty() || o.edfiDouble.empty() || o.certsScript.empty() || o.catalogue.empty())
        usage("--driver, --double, --certs-script and --catalogue are required");
    return o;
}

// --- the checker ------------------------------------------------------------

// Every projection and outbox body is what replaying the log gives: the event,
// the projection and the outbox row were committed as one.
void checkProjections(store::Database& db, CheckReport& rep, Verdict& v) {
    auto rows = db.prepare("SELECT session_id, student_unique_id, last_seq, edfi_key, presence FROM attendance;");
    if (!rows) return v.fail(rows.error().describe());
    while (rows->step().value_or(false)) {
        std::string session = rows->getText(0), student = rows->getText(1), key = rows->getText(3), presence = rows->getText(4);
        std::int64_t lastSeq = rows->getInt(2);
        auto info = store::findSession(db, session);
        if (!info || !*info) {
            v.fail("a projection names an unknown session");
            continue;
        }
        auto events = store::eventsFor(db, session, student);
        if (!events) return v.fail(events.error().describe());
        std::int64_t maxSeq = 0;
        for (const auto& e : *events) maxSeq = std::max(maxSeq, e.seq);
        auto replayed = domain::replay(*events, (*info)->rules());
        if (replayed.refusal) v.fail("the event log of a student does not replay: " + replayed.refusal->message);
        if (maxSeq != lastSeq) v.fail("projection last_seq " + std::to_string(lastSeq) + " but the newest event is " + std::to_string(maxSeq));
        if (presence != domain::presenceCode(replayed.state.presence)) v.fail("projection presence differs from the replayed log");
        auto body = db.prepare("SELECT body, op FROM outbox WHERE resource = ?1 AND natural_key = ?2;");
        if (!body) return v.fail(body.error().describe());
        body->bind(1, store::kStudentAssessments).bind(2, key);
        const bool found = body->step().value_or(false);
        if (!store::hasSomethingToReport(replayed.state)) {
            // Nothing to report (every entry withdrawn): never queued, or
            // queued for deletion with the record's identity.
            ++rep.nothingToReport;
            if (found && (body->getText(1) != "delete" ||
                          json::parse(body->getText(0), nullptr, false) != store::studentAssessmentIdentity(**info, student)))
                v.fail("a sitting with nothing to report is not queued for deletion: " + key);
            ++rep.projectionsChecked;
            continue;
        }
        if (!found) {
            v.fail("no outbox row for a student with events");
            continue;
        }
        if (body->getText(1) != "upsert") v.fail("a sitting with something to report is queued for deletion: " + key);
        else if (json::parse(body->getText(0), nullptr, false) != store::studentAssessmentJson(**info, student, replayed.state))
            v.fail("outbox body differs from the replayed log for " + key);
        ++rep.projectionsChecked;
    }

    auto saved = store::savedCatalogue(db);
    if (!saved || !*saved) return;  // no work entries were ever possible
    auto doc = store::parseCatalogue(**saved);
    if (!doc.document) return v.fail("the saved catalogue does not parse: " + doc.error);
    auto entries = db.prepare("SELECT e.entry_id, e.last_seq, (SELECT max(seq) FROM work_event w WHERE w.entry_id = e.entry_id) FROM work_entry e;");
    if (!entries) return v.fail(entries.error().describe());
    while (entries->step().value_or(false))
        if (entries->getInt(1) != entries->getInt(2)) v.fail("work entry " + entries->getText(0) + " last_seq differs from its newest event");
    auto evals = db.prepare("SELECT natural_key, body FROM outbox WHERE resource = ?1;");
    if (!evals) return v.fail(evals.error().describe());
    evals->bind(1, store::kStudentProgramEvaluations);
    while (evals->step().value_or(false)) {
        json body = json::parse(evals->getText(1), nullptr, false);
        std::string student = body["studentReference"].value("studentUniqueId", "");
        std::string date = body.value("evaluationDate", "");
        auto all = store::workEntriesForStudent(db, student);
        if (!all) return v.fail(all.error().describe());
        auto day = domain::dayEvaluation(*all, student, date);
        if (store::programEvaluationKey(*doc.document, student, date) != evals->getText(0)) v.fail("a program evaluation has a foreign key");
        if (body != store::studentProgramEvaluationJson(*doc.document, day))
            v.fail("program evaluation body differs from the approved entries for " + evals->getText(0));
        ++rep.evaluationsChecked;
    }
}

// --tamper: the state undoes one of the kiosk's deletions (the record seeded
// again, as another writer might) and loses one record the kiosk holds.
void tamperWithState(Control& control, Verdict& v) {
    using edsync::transport::Method;
    auto received = control.call(Method::Get, "/_test/received?resource=" + std::string(store::kStudentAssessments));
    if (!received) return v.fail("--tamper: cannot read /_test/received");
    std::optional<json> gone, held;
    for (const auto& r : (*received)["records"]) {
        if (!r.value("present", true) && !gone) gone = r;
        if (r.value("present", false) && !held) held = r;
    }
    if (!gone || !held) return v.fail("--tamper: the state holds no deleted and no present record to tamper with");
    json seed{{std::string(store::kStudentAssessments), json::array({(*gone)["body"]})}};
    if (!control.call(Method::Post, "/_test/seed", seed.dump())) v.fail("--tamper: the double refused to bring back a deleted record");
    json drop{{"resource", std::string(store::kStudentAssessments)}, {"key", (*held)["key"]}};
    if (!control.call(Method::Post, "/_test/delete", drop.dump())) v.fail("--tamper: the double refused to delete a record");
    std::printf("  tampered: one deleted record brought back, one held record deleted\n");
}

} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    Options o = parse(argc, argv);
    bool madeWork = false;
    if (o.work.empty()) {
        std::string pattern = (std::filesystem::temp_directory_path() / "durability-XXXXXX").string();
        if (!mkdtemp(pattern.data())) usage("cannot make a work directory");
        o.work = pattern;
        madeWork = true;
    }
    std::filesystem::create_directories(o.work);
    const auto certs = o.work / "certs";
    const auto data = o.work / "data";
    const auto log = o.work / "committed.log";
    const auto errLog = o.work / "driver.stderr";
    std::filesystem::remove_all(data);
    std::filesystem::remove(log);
    std::filesystem::remove(errLog);

    if (std::system(("sh '" + o.certsScript + "' '" + certs.string() + "' >/dev/null 2>&1").c_str()) != 0) usage("make-test-certs failed");
    // The double knows the same students the kiosk's demo roster holds.
    store::DemoOptions demo;
    demo.students = o.students;
    demo.seed = durability::kRosterSeed;
    auto roster = store::makeDemoRoster(demo);
    json seed;
    seed["students"] = json::array();
    for (const auto& s : roster.students)
        seed["students"].push_back({{"studentUniqueId", s.studentUniqueId}, {"firstName", s.firstName}, {"lastSurname", s.lastSurname},
                                    {"birthDate", s.birthDate}});
    std::ofstream(o.work / "seed.json") << seed.dump();

    Child edfiDouble({o.edfiDouble, "--port", "0", "--cert", (certs / "server.pem").string(), "--key", (certs / "server.key").string(),
                      "--client-id", std::string(durability::kClientId), "--client-secret", std::string(durability::kClientSecret),
                      "--seed", (o.work / "seed.json").string(), "--quiet"},
                     {}, o.work / "double.stderr", true);
    const int port = edfiDouble.port();
    if (port <= 0) usage("the Ed-Fi double did not start: " + tail(o.work / "double.stderr"));
    const std::string base = "https://127.0.0.1:" + std::to_string(port);
    auto control = std::make_unique<Control>(certs / "ca.pem", base);

    std::mt19937_64 rng(o.seed);
    std::printf("durability: %d kills, seed %llu, work %s, double %s\n", o.kills, static_cast<unsigned long long>(o.seed),
                o.work.c_str(), base.c_str());
    std::fflush(stdout);
    const auto started = std::chrono::steady_clock::now();
    int killed = 0, exitedEarly = 0;
    std::vector<std::string> driverArgs{o.driver,       "--data-dir",  data.string(),         "--catalogue", o.catalogue,
                                        "--base-url",   base,          "--ca",                (certs / "ca.pem").string(),
                                        "--students",   std::to_string(o.students)};
    for (int i = 0; i < o.kills; ++i) {
        // A killed process's token dies with it; the double allows 15 live
        // tokens per client, and a kiosk killed 1,000 times in 30 minutes is
        // not what that limit is about (see README).
        (void)control->call(edsync::transport::Method::Post, "/_test/expire-tokens");
        auto args = driverArgs;
        args.insert(args.end(), o.driverExtra.begin(), o.driverExtra.end());
        args.push_back("--seed");
        args.push_back(std::to_string(o.seed * 100'003 + static_cast<std::uint64_t>(i)));
        const int delayMs = std::uniform_int_distribution<int>(o.minMs, o.maxMs)(rng);
        Child driver(args, log, errLog, false);
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds{delayMs};
        bool early = false;
        while (std::chrono::steady_clock::now() < until) {
            if (driver.exited()) {
                early = true;
                break;
            }
            std::this_thread::sleep_for(5ms);
        }
        if (early) {
            ++exitedEarly;
            int status = driver.wait();
            std::fprintf(stderr, "durability: run %d ended by itself (status %d) before its kill:\n%s\n", i, status,
                         tail(errLog).c_str());
            break;
        }
        driver.stop(SIGKILL);
        ++killed;
        if ((i + 1) % 100 == 0) {
            std::printf("  %d kills...\n", i + 1);
            std::fflush(stdout);
        }
    }

    const auto killsDone = std::chrono::steady_clock::now();
    std::printf("  kill phase took %.1f s; final sync...\n", std::chrono::duration<double>(killsDone - started).count());
    std::fflush(stdout);
    (void)control->call(edsync::transport::Method::Post, "/_test/expire-tokens");
    Child finalRun({o.driver, "--data-dir", data.string(), "--base-url", base, "--ca", (certs / "ca.pem").string(), "--final-sync"},
                   log, errLog, false);
    int finalStatus = finalRun.wait();
    bool finalOk = WIFEXITED(finalStatus) && WEXITSTATUS(finalStatus) == 0;
    std::printf("  final sync took %.1f s; checking...\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - killsDone).count());
    std::fflush(stdout);

    Verdict v;
    if (o.tamper && finalOk) tamperWithState(*control, v);
    if (exitedEarly) v.fail("a driver run ended by itself instead of being killed");
    if (!finalOk) v.fail("the final sync did not drain the outbox (status " + std::to_string(finalStatus) + "): " + tail(errLog, 800));
    int malformed = 0;
    auto committed = readCommitted(log, malformed);
    if (malformed) v.fail(std::to_string(malformed) + " malformed committed line(s)");
    CheckReport rep;
    {
        auto s = store::Store::open(data / "kiosk.db");
        if (!s) {
            v.fail("the store does not open after the kills: " + s.error().describe());
        } else {
            checkStoreAgainstLog(s->db(), committed, rep, v);
            checkProjections(s->db(), rep, v);
            if (finalOk) checkServer(s->db(), *control, rep, v);
        }
    }
    control.reset();  // its keep-alive connection would hold the double's shutdown
    edfiDouble.stopWithin(5s);

    std::printf("durability summary\n");
    std::printf("  kills (SIGKILL)                   %d\n", killed);
    std::printf("  committed records checked         %zu (events %zu, work events %zu, outbox versions %zu, other %zu)\n",
                rep.committedLines, rep.events, rep.workEvents, rep.outboxVersions, rep.other);
    std::printf("  projections replayed and matched  %zu attendance, %zu program evaluations\n", rep.projectionsChecked,
                rep.evaluationsChecked);
    std::printf("  integrity_check                   %s\n", rep.integrity.c_str());
    for (const auto& [resource, counts] : rep.onServer)
        std::printf("  on the double: %-26s %zu records, %lld posts\n", resource.c_str(), counts.first,
                    static_cast<long long>(counts.second));
    std::printf("  sittings with nothing to report   %zu\n", rep.nothingToReport);
    std::printf("  DELETEs the double served         %lld (%lld found nothing)\n", static_cast<long long>(rep.serverDeletes),
                static_cast<long long>(rep.serverMissedDeletes));
    std::printf("  lost %zu, duplicated %zu, stale %zu (deletions checked gone: %zu, %zu of them deleted at the state)\n", rep.lost,
                rep.duplicated, rep.stale, rep.deletions, rep.deletedAtState);
    // The workload withdraws every entry of some sittings, some after the
    // state took them: a run of 50 kills without a DELETE at the state has
    // not exercised the deletion path (the 1,000-kill runs before that
    // workload checked none, and passed).
    if (o.kills >= 50 && (rep.nothingToReport == 0 || rep.deletedAtState == 0))
        v.fail("no record was deleted at the state: the deletion path was not exercised");
    for (const auto& n : v.notes) std::printf("  FAIL: %s\n", n.c_str());
    const bool ok = v.failures == 0 && rep.committedLines > 0;
    if (rep.committedLines == 0) std::printf("  FAIL: no record was reported committed; the workload did nothing\n");
    std::printf("durability: %d passed, %d failed\n", ok ? 1 : 0, ok ? 0 : 1);
    if (madeWork && ok && !o.keep) std::filesystem::remove_all(o.work);
    else std::printf("work directory kept: %s\n", o.work.c_str());
    return ok ? 0 : 1;
}

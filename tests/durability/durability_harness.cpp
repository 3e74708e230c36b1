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
// Exit status 0 when every check passed. Prints a summary; never asserts time.
#include "durability_common.hpp"

#include "kiosk/domain/attendance.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/store/event_log.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/store/work_repo.hpp"
#include "sync/transport/curl_transport.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

using namespace kiosk;
using nlohmann::json;
using namespace std::chrono_literals;
namespace durability = kiosk::durability;

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
        else usage("unknown argument " + a);
    }
    if (o.driver.empty() || o.edfiDouble.empty() || o.certsScript.empty() || o.catalogue.empty())
        usage("--driver, --double, --certs-script and --catalogue are required");
    return o;
}

// A child process with stdout/stderr sent to files (or to a pipe for stdout).
class Child {
public:
    Child(const std::vector<std::string>& args, const std::filesystem::path& out, const std::filesystem::path& err, bool pipeOut) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        int fds[2] = {-1, -1};
        if (pipeOut) {
            if (pipe2(fds, O_CLOEXEC) != 0) std::abort();
            posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        } else {
            posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        }
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        int rc = posix_spawn(&m_pid, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (pipeOut) {
            close(fds[1]);
            m_out = fds[0];
        }
        if (rc != 0) {
            std::fprintf(stderr, "durability-harness: cannot start %s: %s\n", args[0].c_str(), std::strerror(rc));
            std::exit(2);
        }
    }
    ~Child() { stop(SIGTERM); }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    // "listening on https://127.0.0.1:PORT" on the piped stdout; -1 if it never comes.
    int port() {
        std::string text;
        auto end = std::chrono::steady_clock::now() + 20s;
        while (std::chrono::steady_clock::now() < end) {
            pollfd p{m_out, POLLIN, 0};
            if (poll(&p, 1, 100) <= 0) continue;
            char buf[256];
            ssize_t n = read(m_out, buf, sizeof buf);
            if (n <= 0) return -1;
            text.append(buf, static_cast<std::size_t>(n));
            auto at = text.find("https://127.0.0.1:");
            if (at != std::string::npos && text.find('\n', at) != std::string::npos) return std::stoi(text.substr(at + 18));
        }
        return -1;
    }
    // Whether it has already exited (and how), without waiting.
    std::optional<int> exited() {
        if (m_pid <= 0) return m_status;
        int status = 0;
        if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = -1;
            m_status = status;
        }
        return m_status;
    }
    int stop(int sig) {
        if (m_pid > 0) {
            kill(m_pid, sig);
            int status = 0;
            waitpid(m_pid, &status, 0);
            m_pid = -1;
            m_status = status;
        }
        if (m_out >= 0) {
            close(m_out);
            m_out = -1;
        }
        return m_status.value_or(0);
    }
    // SIGTERM, then SIGKILL if it has not gone within `limit`.
    int stopWithin(std::chrono::milliseconds limit) {
        if (m_pid > 0) {
            kill(m_pid, SIGTERM);
            auto end = std::chrono::steady_clock::now() + limit;
            while (!exited() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(10ms);
        }
        return stop(SIGKILL);
    }
    int wait() {
        if (m_pid > 0) {
            int status = 0;
            waitpid(m_pid, &status, 0);
            m_pid = -1;
            m_status = status;
        }
        return m_status.value_or(0);
    }

private:
    pid_t m_pid = -1;
    int m_out = -1;
    std::optional<int> m_status;
};

struct Committed {
    std::string kind;      // event, work_event, outbox, proctor
    std::string resource;  // outbox only
    std::string id;
    std::int64_t value = 0;
};

std::vector<Committed> readCommitted(const std::filesystem::path& log, int& malformed) {
    std::vector<Committed> out;
    std::ifstream in(log);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string first;
        words >> first;
        if (first != durability::kCommitted) continue;
        Committed c;
        words >> c.kind;
        if (c.kind == "outbox") words >> c.resource;
        words >> c.id >> c.value;
        if (!words || c.id.empty()) {
            ++malformed;
            continue;
        }
        out.push_back(std::move(c));
    }
    return out;
}

class Control {
public:
    Control(const std::filesystem::path& ca, std::string base) : m_base(std::move(base)) {
        edsync::transport::TransportOptions options;
        options.caBundle = ca;
        auto t = edsync::transport::CurlTransport::create(options);
        if (!t) usage("cannot set up libcurl");
        m_http = std::make_unique<edsync::transport::CurlTransport>(std::move(*t));
    }
    std::optional<json> call(edsync::transport::Method method, const std::string& path, const std::string& body = {}) {
        edsync::transport::Request r{method, m_base + path, {}, body};
        if (method == edsync::transport::Method::Post) r.headers = {{"Content-Type", "application/json"}};
        auto out = m_http->performOne(r);
        if (!out || out->status != 200) return std::nullopt;
        auto j = json::parse(out->body, nullptr, false);
        if (j.is_discarded()) return std::nullopt;
        return j;
    }

private:
    std::string m_base;
    std::unique_ptr<edsync::transport::CurlTransport> m_http;
};

std::string tail(const std::filesystem::path& file, std::size_t bytes = 2000) {
    std::ifstream in(file);
    std::stringstream buf;
    buf << in.rdbuf();
    std::string s = buf.str();
    return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

// --- the checker ------------------------------------------------------------

struct Verdict {
    int failures = 0;
    std::vector<std::string> notes;
    void fail(const std::string& what) {
        ++failures;
        if (notes.size() < 40) notes.push_back(what);
    }
};

// studentAssessments: the identifier; studentProgramEvaluations: date + student
// (the program evaluation is the same for every record of a kiosk).
std::string identity(std::string_view resource, const json& body) {
    if (resource == store::kStudentAssessments) return body.value("studentAssessmentIdentifier", "");
    return body.value("evaluationDate", "") + "|" + body["studentReference"].value("studentUniqueId", "") + "|" +
           body["programEvaluationReference"].dump();
}

struct CheckReport {
    std::size_t committedLines = 0, events = 0, workEvents = 0, outboxVersions = 0, other = 0;
    std::size_t lost = 0, duplicated = 0, stale = 0, projectionsChecked = 0, evaluationsChecked = 0;
    std::size_t deletions = 0;  // outbox rows that are deletions, checked gone from the server
    std::map<std::string, std::pair<std::size_t, std::int64_t>> onServer;  // resource -> (records, posts)
    std::string integrity;
};

void checkStoreAgainstLog(store::Database& db, const std::vector<Committed>& committed, CheckReport& rep, Verdict& v) {
    auto integrity = db.prepare("PRAGMA integrity_check;");
    if (!integrity) return v.fail(integrity.error().describe());
    while (integrity->step().value_or(false)) rep.integrity += (rep.integrity.empty() ? "" : "; ") + integrity->getText(0);
    if (rep.integrity != "ok") v.fail("integrity_check: " + rep.integrity);
    auto fk = db.prepare("PRAGMA foreign_key_check;");
    if (fk && fk->step().value_or(false)) v.fail("foreign_key_check found rows violating a reference (table " + fk->getText(0) + ")");

    std::map<std::int64_t, std::string> seqOwner;
    for (const auto& c : committed) {
        ++rep.committedLines;
        if (c.kind == "event" || c.kind == "work_event") {
            (c.kind == "event" ? rep.events : rep.workEvents)++;
            auto stmt = db.prepare("SELECT seq FROM " + c.kind + " WHERE event_id = ?1;");
            if (!stmt) return v.fail(stmt.error().describe());
            stmt->bind(1, c.id);
            if (!stmt->step().value_or(false)) {
                ++rep.lost;
                v.fail("lost: committed " + c.kind + " " + c.id + " (seq " + std::to_string(c.value) + ") is not in the store");
            } else if (stmt->getInt(0) != c.value) {
                ++rep.lost;
                v.fail(c.kind + " " + c.id + " has seq " + std::to_string(stmt->getInt(0)) + ", was told " + std::to_string(c.value));
            }
            auto [it, fresh] = seqOwner.emplace(c.value, c.id);
            if (!fresh && it->second != c.id) {
                ++rep.duplicated;
                v.fail("seq " + std::to_string(c.value) + " was reported for two events: " + it->second + " and " + c.id);
            }
        } else if (c.kind == "outbox") {
            ++rep.outboxVersions;
            auto stmt = db.prepare("SELECT local_version FROM outbox WHERE resource = ?1 AND natural_key = ?2;");
            if (!stmt) return v.fail(stmt.error().describe());
            stmt->bind(1, c.resource).bind(2, c.id);
            if (!stmt->step().value_or(false) || stmt->getInt(0) < c.value) {
                ++rep.lost;
                v.fail("lost: outbox " + c.resource + " " + c.id + " version " + std::to_string(c.value));
            }
        } else if (c.kind == "proctor") {
            ++rep.other;
            auto stmt = db.prepare("SELECT count(*) FROM proctor p JOIN credential c ON c.kind = 'proctor_pin' AND c.subject_id = p.proctor_id"
                                   " WHERE p.proctor_id = ?1;");
            if (!stmt) return v.fail(stmt.error().describe());
            stmt->bind(1, c.id);
            if (!stmt->step().value_or(false) || stmt->getInt(0) != 1) {
                ++rep.lost;
                v.fail("lost: proctor " + c.id + " or its PIN");
            }
        } else {
            v.fail("unknown committed kind " + c.kind);
        }
    }
}

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
        auto body = db.prepare("SELECT body FROM outbox WHERE resource = ?1 AND natural_key = ?2;");
        if (!body) return v.fail(body.error().describe());
        body->bind(1, store::kStudentAssessments).bind(2, key);
        const bool found = body->step().value_or(false);
        if (!store::hasSomethingToReport(replayed.state)) {
            // Nothing to report: never queued, or queued for deletion with the record's identity.
            if (found && json::parse(body->getText(0), nullptr, false) != store::studentAssessmentIdentity(**info, student))
                v.fail("a sitting with nothing to report is not queued for deletion: " + key);
            ++rep.projectionsChecked;
            continue;
        }
        if (!found) {
            v.fail("no outbox row for a student with events");
            continue;
        }
        if (json::parse(body->getText(0), nullptr, false) != store::studentAssessmentJson(**info, student, replayed.state))
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

void checkServer(store::Database& db, Control& control, CheckReport& rep, Verdict& v) {
    auto waiting = db.prepare("SELECT count(*) FROM outbox WHERE synced_version <> local_version;");
    if (waiting && waiting->step().value_or(false) && waiting->getInt(0) != 0)
        v.fail(std::to_string(waiting->getInt(0)) + " outbox row(s) not synced after the final sync");
    for (std::string_view resource : {store::kStudentAssessments, store::kStudentProgramEvaluations}) {
        auto received = control.call(edsync::transport::Method::Get, "/_test/received?resource=" + std::string(resource));
        if (!received) return v.fail("cannot read /_test/received for " + std::string(resource));
        std::map<std::string, std::vector<json>> byIdentity;
        for (const auto& r : (*received)["records"]) byIdentity[identity(resource, r["body"])].push_back(r);
        rep.onServer[std::string(resource)] = {(*received)["records"].size(), (*received).value("totalPosts", std::int64_t{0})};
        if ((*received).value("rejectedPosts", 0) != 0)
            v.fail(std::to_string((*received).value("rejectedPosts", 0)) + " " + std::string(resource) + " post(s) were rejected by the double");

        auto rows = db.prepare("SELECT natural_key, body, op FROM outbox WHERE resource = ?1;");
        if (!rows) return v.fail(rows.error().describe());
        rows->bind(1, resource);
        std::set<std::string> seen;
        while (rows->step().value_or(false)) {
            json body = json::parse(rows->getText(1), nullptr, false);
            std::string id = identity(resource, body);
            seen.insert(id);
            auto it = byIdentity.find(id);
            if (rows->getText(2) == "delete") {
                // Deleted: never sent, or no longer held (an orphan is a stale record).
                ++rep.deletions;
                if (it != byIdentity.end() && it->second.front().value("present", false)) {
                    ++rep.stale;
                    v.fail("orphan: the server still holds " + std::string(resource) + " " + rows->getText(0) + ", deleted by the store");
                }
                continue;
            }
            if (it != byIdentity.end() && !it->second.front().value("present", true)) {
                ++rep.lost;
                v.fail("lost: the server deleted " + std::string(resource) + " " + rows->getText(0) + ", which the store still holds");
                continue;
            }
            if (it == byIdentity.end()) {
                ++rep.lost;
                v.fail("lost on the way: " + std::string(resource) + " " + rows->getText(0) + " is not on the server");
                continue;
            }
            if (it->second.size() != 1) {
                ++rep.duplicated;
                v.fail("duplicated: " + std::string(resource) + " " + rows->getText(0) + " is on the server " +
                       std::to_string(it->second.size()) + " times");
            }
            if (it->second.front()["body"] != body) {
                ++rep.stale;
                v.fail("stale: the server's " + std::string(resource) + " " + rows->getText(0) + " is not the store's latest version");
            }
        }
        for (const auto& [id, records] : byIdentity)
            if (!seen.count(id)) {
                ++rep.duplicated;
                v.fail("the server holds a " + std::string(resource) + " the store never wrote");
            }
    }
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
    std::printf("  lost %zu, duplicated %zu, stale %zu (deletions checked gone: %zu)\n", rep.lost, rep.duplicated, rep.stale, rep.deletions);
    for (const auto& n : v.notes) std::printf("  FAIL: %s\n", n.c_str());
    const bool ok = v.failures == 0 && rep.committedLines > 0;
    if (rep.committedLines == 0) std::printf("  FAIL: no record was reported committed; the workload did nothing\n");
    std::printf("durability: %d passed, %d failed\n", ok ? 1 : 0, ok ? 0 : 1);
    if (madeWork && ok && !o.keep) std::filesystem::remove_all(o.work);
    else std::printf("work directory kept: %s\n", o.work.c_str());
    return ok ? 0 : 1;
}

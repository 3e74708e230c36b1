// durability-driver: a mixed kiosk workload through the real services, meant
// to be killed with SIGKILL at any moment (DESIGN.md §7, tier 5).
//
// It opens (or creates) the store in --data-dir, loads the demo roster once,
// sets a proctor PIN, opens both demo sessions, then loops: check-ins, ID
// checks, seats, breaks out/in, accommodations, irregularities, corrections,
// no-shows, check-outs, and work-readiness entries (draft, submit or delete, approve or
// send back with the proctor's PIN). A wrong student's sittings are
// withdrawn entry by entry every round, so the state's record must be
// deleted (withdrawalFor). Records go to the Ed-Fi double through the
// SyncEngine: its worker thread woken after each commit (as the kiosk does),
// or synchronous runOnePass() calls, chosen per run from the seed.
//
// After every COMMIT that returned, it prints what it was told is committed
// (see durability_common.hpp), one write(2) per line, so a line on stdout is a
// promise the checker holds the store to.
//
// --final-sync: no workload; drain the outbox to the double and exit 0 when
// nothing waits (exit 3 when the server refused records, 4 on a time-out).
//
// --site-config FILE: one kiosk of a site (site-durability-harness). The
// store shares every fact on the site log and sync is the kiosk's own
// wiring (app::makeSyncEngine: the hub link, the uploader lease, the
// acknowledgements on the site log), with the state and the hub named in the
// file. Every kiosk of the run loads the same demo roster (--demo-now-ms
// places its sessions identically), so check-ins for the same session and
// students happen on several kiosks. With --final-sync it keeps the link and
// the engine running, printing "site-status ..." every second, until SIGTERM
// (exit 0) or --max-seconds (exit 4): only the harness, which sees every
// kiosk, can tell the site has converged.
//
// usage: durability-driver --data-dir DIR --seed N --catalogue FILE
//          [--base-url URL --ca PEM] [--students N] [--mode auto|thread|pass|none]
//          [--max-actions N] [--max-seconds S] [--final-sync] [--lie]
//          [--site-config FILE --demo-now-ms MS]
// --lie (for the checker's own test) also prints committed lines for events
// that were never written: the harness must then fail.
#include "durability_common.hpp"

#include "kiosk/app/credential_key.hpp"
#include "kiosk/app/sync_wiring.hpp"
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/service/security_service.hpp"
#include "kiosk/service/session_queries.hpp"
#include "kiosk/service/work_service.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/store/work_repo.hpp"
#include "sync/edfi/engine.hpp"
#include "sync/outbox/outbox.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <unistd.h>

using namespace kiosk;
using namespace std::chrono_literals;
namespace durability = kiosk::durability;

namespace {

struct Options {
    std::filesystem::path dataDir;
    std::filesystem::path catalogue;
    std::uint64_t seed = 1;
    std::string baseUrl;
    std::filesystem::path ca;
    int students = durability::kDefaultStudents;
    std::string mode = "auto";
    long maxActions = 0;     // 0: until killed
    int maxSeconds = 120;    // a safety net if no one kills it
    bool finalSync = false;
    bool lie = false;  // the checker's own test: claims a commit that never happened
    std::filesystem::path siteConfig;  // set: a kiosk of a site (hub, lease, site log)
    std::int64_t demoNowMs = 0;        // where the demo sessions are placed; 0: now
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr, "durability-driver: %s\n", why);
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value for " + a).c_str());
            return argv[++i];
        };
        if (a == "--data-dir") o.dataDir = value();
        else if (a == "--catalogue") o.catalogue = value();
        else if (a == "--seed") o.seed = std::stoull(value());
        else if (a == "--base-url") o.baseUrl = value();
        else if (a == "--ca") o.ca = value();
        else if (a == "--students") o.students = std::stoi(value());
        else if (a == "--mode") o.mode = value();
        else if (a == "--max-actions") o.maxActions = std::stol(value());
        else if (a == "--max-seconds") o.maxSeconds = std::stoi(value());
        else if (a == "--final-sync") o.finalSync = true;
        else if (a == "--lie") o.lie = true;
        else if (a == "--site-config") o.siteConfig = value();
        else if (a == "--demo-now-ms") o.demoNowMs = std::stoll(value());
        else usage(("unknown argument " + a).c_str());
    }
    if (o.dataDir.empty()) usage("--data-dir is required");
    if (o.catalogue.empty() && !o.finalSync) usage("--catalogue is required");
    return o;
}

// One line, one write(2): a SIGKILL leaves either the whole line or none of it.
void say(const std::string& text) {
    std::string line = text + "\n";
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
        ssize_t n = ::write(STDOUT_FILENO, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            std::_Exit(5);
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "durability-driver: %s\n", what.c_str());
    // Not exit(): the sync engine's and the site link's threads still run,
    // and static destructors under them crashed the process (SIGSEGV).
    std::fflush(stderr);
    std::_Exit(1);
}

std::optional<edsync::edfi::SyncConfig> syncConfig(const Options& o) {
    if (o.baseUrl.empty()) return std::nullopt;
    edsync::edfi::SyncConfig c;
    c.baseUrl = o.baseUrl;
    c.clientKey = std::string(durability::kClientId);
    c.clientSecret = std::string(durability::kClientSecret);
    if (!o.ca.empty()) c.caBundle = o.ca;
    c.concurrency = 4;
    c.connectTimeout = 2'000ms;
    c.requestTimeout = 5'000ms;
    c.backoff = edsync::edfi::BackoffPolicy{100ms, 2'000ms, 50ms};
    c.probeBackoff = edsync::edfi::BackoffPolicy{100ms, 1'000ms, 50ms};
    c.idleRecheck = 1'000ms;
    // c.durability: the product default (the engine connection NORMAL, the kiosk FULL).
    return c;
}

// About one sitting in seven (chosen by its key, so every run agrees) is a
// wrong student's: every round (kStartsPerRound starts of the driver) it is
// checked in (or marked a no-show) and then every live entry is withdrawn,
// newest first, and left so until the next round checks it in again. So
// deletions happen all through a long run, and the last round's sittings
// end with nothing to report. The other sittings keep the ordinary mix.
// Per sitting and round, withdrawn either
//  AtOnce: in the same step, before sync has (mostly) sent the record, or
//  AfterSync: once the state holds its latest version, so the uploader must
//  DELETE it (by id, or by natural key after a kill lost the POST's answer).
enum class Withdrawal { None, AtOnce, AfterSync };
constexpr std::string_view kWithdrawReason = "recorded for the wrong student";
constexpr long kStartsPerRound = 50;

std::uint64_t fnv1a(const std::string& text) {  // the same in every build, unlike std::hash
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : text) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

Withdrawal withdrawalFor(const std::string& sessionId, const std::string& student, long round) {
    if (round < 0 || fnv1a(sessionId + "|" + student) % 100 >= 14) return Withdrawal::None;
    return fnv1a(sessionId + "|" + student + "|" + std::to_string(round)) % 2 ? Withdrawal::AtOnce : Withdrawal::AfterSync;
}

class Driver {
public:
    Driver(const Options& o, store::Store& s, const app::KioskConfig* site)
        : m_options(o), m_store(s), m_site(site), m_rng(o.seed), m_attendance(s, domain::systemNow), m_security(s, domain::systemNow),
          m_work(s, domain::systemNow, m_security), m_queries(s) {}

    void setUp();
    void startSync();
    void run();
    void stopSync() {
        if (m_engine && m_engine->running()) m_engine->stop();
        if (m_siteSync.engine && m_siteSync.engine->running()) m_siteSync.engine->stop();
        if (m_siteSync.site.link) m_siteSync.site.link->stop();
    }

private:
    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(m_rng); }
    bool chance(int percent) { return pick(100) < percent; }

    std::int64_t eventSeq(const std::string& table, const std::string& eventId);
    std::int64_t outboxVersion(std::string_view resource, const std::string& key);
    void reportAttendance(const domain::SessionInfo& session, const std::string& studentId, const service::ActionResult& r);
    void reportWork(const std::string& entryId);

    void attendanceStep();
    bool withdrawalStep(const domain::SessionInfo& info, const std::string& student, const service::StudentDetail& detail);
    void workDraft();
    void workSubmit();
    void workReview();
    void maybeSyncPass();

    const Options& m_options;
    store::Store& m_store;
    const app::KioskConfig* m_site;  // null: a kiosk on its own
    std::mt19937_64 m_rng;
    service::AttendanceService m_attendance;
    service::SecurityService m_security;
    service::WorkService m_work;
    service::SessionQueries m_queries;
    std::vector<domain::SessionInfo> m_sessions;
    std::vector<std::vector<std::string>> m_rosters;  // per session
    std::vector<std::string> m_students;
    std::unique_ptr<edsync::edfi::SyncEngine> m_engine;
    app::SyncSetup m_siteSync;  // a kiosk of a site: its own wiring
    bool m_passMode = false;
    int m_passes = 0;
    long m_actions = 0;
    long m_nextPassAt = 0;
    long m_round = 0;            // see withdrawalFor; -1: none withdrawn
    std::int64_t m_roundSeq = 0;  // the newest event seq when this round began
};

std::int64_t Driver::eventSeq(const std::string& table, const std::string& eventId) {
    auto stmt = m_store.db().prepare("SELECT seq FROM " + table + " WHERE event_id = ?1;");
    if (!stmt) die(stmt.error().describe());
    stmt->bind(1, eventId);
    auto row = stmt->step();
    if (!row || !*row) die("a committed event is not readable: " + eventId);
    return stmt->getInt(0);
}

std::int64_t Driver::outboxVersion(std::string_view resource, const std::string& key) {
    auto s = edsync::outbox::status(m_store.db(), resource, key);
    if (!s || !*s) die("a committed outbox row is not readable");
    return (*s)->localVersion;
}

void Driver::reportAttendance(const domain::SessionInfo& session, const std::string& studentId, const service::ActionResult& r) {
    say("committed event " + r.eventId + " " + std::to_string(eventSeq("event", r.eventId)));
    std::string key = store::studentAssessmentKey(session, studentId);
    say("committed outbox " + std::string(store::kStudentAssessments) + " " + key + " " +
        std::to_string(outboxVersion(store::kStudentAssessments, key)));
}

void Driver::reportWork(const std::string& entryId) {
    auto stmt = m_store.db().prepare("SELECT event_id, seq FROM work_event WHERE entry_id = ?1 ORDER BY seq DESC LIMIT 1;");
    if (!stmt) die(stmt.error().describe());
    stmt->bind(1, entryId);
    auto row = stmt->step();
    if (!row || !*row) die("a committed work event is not readable");
    say("committed work_event " + stmt->getText(0) + " " + std::to_string(stmt->getInt(1)));
}

void Driver::setUp() {
    auto done = store::getMeta(m_store.db(), "durability_setup");
    if (!done) die(done.error().describe());
    if (!*done) {
        // Session 1 started 50 minutes ago (late arrivals, no-shows allowed);
        // session 2 starts in a few hours.
        store::DemoOptions demo;
        demo.students = m_options.students;
        demo.seed = durability::kRosterSeed;
        demo.now = m_options.demoNowMs != 0 ? domain::Timestamp{std::chrono::milliseconds{m_options.demoNowMs}}
                                            : domain::systemNow() - std::chrono::minutes{40};
        if (auto s = store::loadDemo(m_store, demo); !s) die("demo roster: " + s.error().describe());
        auto p = m_security.setProctor(std::string(durability::kProctorId), std::string(durability::kProctorName),
                                       std::string(durability::kProctorPin));
        if (!p.saved) die("proctor: " + p.message);
        say("committed proctor " + std::string(durability::kProctorId) + " 1");
        if (auto s = store::setMeta(m_store.db(), "durability_setup", "1"); !s) die(s.error().describe());
    }
    if (auto problem = m_work.loadCatalogue(m_options.catalogue)) die(*problem);
    if (m_site) {
        m_round = -1;  // no withdrawn sittings: the kiosks of a site count their own starts and would not agree
    } else {
        // Starts counted in the store; a round's first start notes where the round begins.
        auto& db = m_store.db();
        auto tx = edsync::sqlite::Transaction::begin(db);
        if (!tx) die(tx.error().describe());
        auto starts = store::getMeta(db, "durability_starts");
        auto from = store::getMeta(db, "durability_round_seq");
        if (!starts || !from) die("durability meta is not readable");
        const long started = *starts ? std::stol(**starts) : 0;
        m_round = started / kStartsPerRound;
        m_roundSeq = *from ? std::stoll(**from) : 0;
        if (started % kStartsPerRound == 0) {
            auto newest = db.prepare("SELECT coalesce(max(seq), 0) FROM event;");
            if (!newest || !newest->step().value_or(false)) die("the newest event is not readable");
            m_roundSeq = newest->getInt(0);
            if (auto s = store::setMeta(db, "durability_round_seq", std::to_string(m_roundSeq)); !s) die(s.error().describe());
        }
        if (auto s = store::setMeta(db, "durability_starts", std::to_string(started + 1)); !s) die(s.error().describe());
        if (auto s = tx->commit(); !s) die(s.error().describe());
    }

    auto sessions = store::listSessions(m_store.db());
    if (!sessions || sessions->size() < 2) die("the demo sessions are missing");
    for (const auto& info : *sessions) {
        if (!info.openedAt) {
            auto r = m_attendance.openSession(info.sessionId, "Ms. Rivera");
            if (!r.saved) die("open session: " + r.message);
            say("committed event " + r.eventId + " " + std::to_string(eventSeq("event", r.eventId)));
        }
        auto roster = store::rosterForSession(m_store.db(), info.sessionId);
        if (!roster) die(roster.error().describe());
        std::vector<std::string> ids;
        for (const auto& row : *roster) {
            ids.push_back(row.student.studentUniqueId);
            m_students.push_back(row.student.studentUniqueId);
        }
        m_rosters.push_back(std::move(ids));
    }
    auto reread = store::listSessions(m_store.db());
    if (!reread) die(reread.error().describe());
    m_sessions = *reread;
}

void Driver::startSync() {
    if (m_site) {
        // The kiosk's own wiring, woken after each commit as the kiosk is.
        m_siteSync = app::makeSyncEngine(*m_site, m_store.db().path(), m_store.kioskId());
        if (!m_siteSync.engine) die("site sync: " + m_siteSync.error);
        if (!m_siteSync.start()) die("site sync start: " + m_siteSync.error);
        m_attendance.setOnCommitted([this] { m_siteSync.wake(); });
        m_work.setOnCommitted([this] { m_siteSync.wake(); });
        say("sync site");
        return;
    }
    auto config = syncConfig(m_options);
    if (!config) return;
    std::string mode = m_options.mode;
    if (mode == "auto") {
        int r = pick(10);
        mode = r < 5 ? "thread" : r < 9 ? "pass" : "none";
    }
    if (mode == "none") return;
    auto engine = edsync::edfi::SyncEngine::create(*config, m_store.db().path(), nullptr);
    if (!engine) die("sync engine: " + engine.error().describe());
    m_engine = std::move(*engine);
    if (mode == "thread") {
        if (auto s = m_engine->start(); !s) die("sync engine start: " + s.error().describe());
        m_attendance.setOnCommitted([this] { m_engine->wake(); });
        m_work.setOnCommitted([this] { m_engine->wake(); });
    } else {
        m_passMode = true;
        m_nextPassAt = 10 + pick(40);
    }
    say("sync " + mode);
}

void Driver::maybeSyncPass() {
    // Each pass is a new Ed-Fi session (a new token, of which the server
    // allows 15 live): a few passes per run.
    if (!m_passMode || m_actions < m_nextPassAt || m_passes >= 6) return;
    auto report = m_engine->runOnePass();
    ++m_passes;
    m_nextPassAt = m_actions + 20 + pick(60);
    say("pass " + std::string(edsync::edfi::toString(report.result)) + " synced " + std::to_string(report.synced));
}

void Driver::attendanceStep() {
    const std::size_t s = chance(70) ? 0 : 1;
    const auto& info = m_sessions[s];
    const auto& roster = m_rosters[s];
    if (roster.empty()) return;
    const std::string& student = roster[static_cast<std::size_t>(pick(static_cast<int>(roster.size())))];
    auto detail = m_queries.student(info.sessionId, student);
    if (!detail) die(detail.error().describe());
    const std::string proctor = "Ms. Rivera";

    // The last live (not withdrawn, not a correction) entry, to correct.
    std::string lastLive;
    for (const auto& h : detail->history)
        if (!h.withdrawn && h.event.kind != domain::EventKind::Corrected && h.event.kind != domain::EventKind::WalkInAdded)
            lastLive = h.event.id;

    if (withdrawalStep(info, student, *detail)) return;

    auto circumstances = domain::eventCircumstances();
    auto categories = domain::accommodationCategories();
    service::ActionResult r;
    switch (detail->attendance.presence) {
    case domain::Presence::Expected:
        if (s == 0 && chance(10)) {
            r = m_attendance.markNoShow(info.sessionId, student, proctor);
        } else {
            static constexpr domain::IdMethod kMethods[] = {domain::IdMethod::PhotoId, domain::IdMethod::SchoolId,
                                                            domain::IdMethod::StaffVouched};
            service::CheckInDetails d{kMethods[pick(3)], "", "A" + std::to_string(1 + pick(40)), chance(30) ? "bus was late" : ""};
            r = m_attendance.checkIn(info.sessionId, student, proctor, d);
        }
        break;
    case domain::Presence::Present: {
        int c = pick(100);
        if (c < 25) {
            service::IrregularityDetails d;
            d.circumstance = std::string(domain::kEventCircumstanceNs) +
                             std::string(circumstances[static_cast<std::size_t>(pick(static_cast<int>(circumstances.size())))]);
            d.description = "Noted by the proctor at action " + std::to_string(m_actions) + " (seed " + std::to_string(m_options.seed) + ")";
            r = m_attendance.recordIrregularity(info.sessionId, student, proctor, d);
        } else if (c < 40) {
            r = m_attendance.deliverAccommodation(
                info.sessionId, student, proctor,
                std::string(domain::kAccommodationNs) + std::string(categories[static_cast<std::size_t>(pick(static_cast<int>(categories.size())))]));
        } else if (c < 55) {
            r = m_attendance.breakOut(info.sessionId, student, proctor);
        } else if (c < 62) {
            r = m_attendance.assignSeat(info.sessionId, student, proctor, "B" + std::to_string(1 + pick(40)));
        } else if (c < 67) {
            r = m_attendance.recordIdCheck(info.sessionId, student, proctor, domain::IdMethod::PhotoId, "");
        } else if (c < 90) {
            r = m_attendance.checkOut(info.sessionId, student, proctor);
        } else if (!lastLive.empty()) {
            r = m_attendance.correct(info.sessionId, student, proctor, lastLive, "entered by mistake");
        }
        break;
    }
    case domain::Presence::OnBreak:
        if (chance(85)) r = m_attendance.breakIn(info.sessionId, student, proctor);
        else if (!lastLive.empty()) r = m_attendance.correct(info.sessionId, student, proctor, lastLive, "break was not taken");
        break;
    case domain::Presence::CheckedOut:
    case domain::Presence::NoShow:
        if (!lastLive.empty() && chance(60)) r = m_attendance.correct(info.sessionId, student, proctor, lastLive, "wrong student");
        break;
    }
    if (!r.saved) return;
    reportAttendance(info, student, r);
    if (detail->attendance.presence == domain::Presence::Expected && withdrawalFor(info.sessionId, student, m_round) == Withdrawal::AtOnce) {
        // Noticed at once: withdrawn before sync has (mostly) had a chance to send it.
        auto w = m_attendance.correct(info.sessionId, student, proctor, r.eventId, std::string(kWithdrawReason));
        if (w.saved) reportAttendance(info, student, w);
    }
}

// A wrong student's sitting (withdrawalFor). False: take the ordinary step
// (an Expected sitting is checked in or marked a no-show first; AfterSync
// waits for the state to hold the record).
bool Driver::withdrawalStep(const domain::SessionInfo& info, const std::string& student, const service::StudentDetail& detail) {
    const Withdrawal w = withdrawalFor(info.sessionId, student, m_round);
    if (w == Withdrawal::None || detail.history.empty()) return false;
    const auto& newest = detail.history.back().event;
    const bool begun = newest.kind == domain::EventKind::Corrected && newest.reason == kWithdrawReason;
    // Withdrawn in this round: left alone. Withdrawn before: checked in again.
    if (detail.attendance.presence == domain::Presence::Expected) return begun && newest.seq > m_roundSeq;
    if (w == Withdrawal::AfterSync && !begun && detail.stateCopy != service::StateCopy::Synced) return false;
    // Every live entry, newest first: each correction leaves a valid prefix.
    std::vector<std::string> live;
    for (const auto& h : detail.history)
        if (!h.withdrawn && h.event.kind != domain::EventKind::Corrected && h.event.kind != domain::EventKind::WalkInAdded)
            live.push_back(h.event.id);
    for (auto it = live.rbegin(); it != live.rend(); ++it) {
        auto r = m_attendance.correct(info.sessionId, student, "Ms. Rivera", *it, std::string(kWithdrawReason));
        if (!r.saved) break;
        reportAttendance(info, student, r);
    }
    return true;
}

void Driver::workDraft() {
    auto doc = m_work.catalogue();
    if (!doc || m_students.empty()) return;
    const std::string& student = m_students[static_cast<std::size_t>(pick(static_cast<int>(m_students.size())))];
    const auto& tasks = doc->catalogue.tasks;
    domain::EntryFields f;
    f.taskId = tasks[static_cast<std::size_t>(pick(static_cast<int>(tasks.size())))].id;
    // Yesterday or the day before (UTC), so no entry is ever in the future.
    auto day = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) - std::chrono::days{1 + pick(2)};
    std::chrono::year_month_day ymd{day};
    char date[16];
    std::snprintf(date, sizeof date, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    f.date = date;
    f.minutes = 15 * (1 + pick(8));
    f.place = "Riverbend Hardware";
    f.reflection = "I learned to check the order before I packed it (seed " + std::to_string(m_options.seed) + ").";
    auto r = m_work.saveDraft(student, "", f);
    if (r.saved) reportWork(r.eventId);
}

void Driver::workSubmit() {
    if (m_students.empty()) return;
    const std::string& student = m_students[static_cast<std::size_t>(pick(static_cast<int>(m_students.size())))];
    auto list = m_work.entries(student);
    if (!list) die(list.error().describe());
    for (const auto& e : *list) {
        if (e.status != domain::EntryStatus::Draft && e.status != domain::EntryStatus::SentBack) continue;
        // Now and then the student deletes it instead: a discard event to keep too.
        auto r = chance(10) ? m_work.discard(student, e.entryId) : m_work.submit(student, e.entryId);
        if (r.saved) reportWork(e.entryId);
        return;
    }
}

void Driver::workReview() {
    auto waiting = m_work.awaitingReview();
    if (!waiting) die(waiting.error().describe());
    if (waiting->empty()) return;
    const auto& entry = (*waiting)[static_cast<std::size_t>(pick(static_cast<int>(waiting->size())))];
    const bool approve = chance(80);
    // Argon2id: about 0.3 s per PIN check, so reviews are rare.
    auto r = m_work.review(entry.entryId, approve ? service::Review::Approve : service::Review::SendBack,
                           std::string(durability::kProctorId), std::string(durability::kProctorPin), approve ? "" : "add the hours");
    if (!r.saved) return;
    reportWork(entry.entryId);
    if (approve) {
        std::string key = store::programEvaluationKey(*m_work.catalogue(), entry.studentId, entry.date);
        say("committed outbox " + std::string(store::kStudentProgramEvaluations) + " " + key + " " +
            std::to_string(outboxVersion(store::kStudentProgramEvaluations, key)));
    }
}

void Driver::run() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{m_options.maxSeconds};
    while (m_options.maxActions == 0 || m_actions < m_options.maxActions) {
        if (std::chrono::steady_clock::now() > deadline) break;
        int c = pick(1000);
        if (c < 600) attendanceStep();
        else if (c < 800) workDraft();
        else if (c < 985) workSubmit();
        else workReview();
        ++m_actions;
        // From the first action on: a loaded machine may kill a run before its 50th.
        if (m_options.lie && m_actions % 50 == 1)
            say("committed event 00000000-0000-7000-8000-" + std::to_string(100000000000 + m_actions) + " " + std::to_string(m_actions));
        maybeSyncPass();
    }
}

int finalSync(const Options& o, store::Store& s) {
    auto config = syncConfig(o);
    if (!config) die("--final-sync needs --base-url");
    auto engine = edsync::edfi::SyncEngine::create(*config, s.db().path(), nullptr);
    if (!engine) die("sync engine: " + engine.error().describe());
    if (auto r = (*engine)->start(); !r) die("sync engine start: " + r.error().describe());
    (*engine)->syncNow();
    const auto deadline = std::chrono::steady_clock::now() + 180s;
    int code = 4;
    while (std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(200ms);
        auto c = edsync::outbox::counts(s.db());
        if (!c) die(c.error().describe());
        if (c->needsAttention > 0) {
            code = 3;
            break;
        }
        if (c->pending == 0) {
            code = 0;
            break;
        }
    }
    (*engine)->stop();
    auto c = edsync::outbox::counts(s.db());
    if (code == 3)
        if (auto list = edsync::outbox::attentionList(s.db(), 5))
            for (const auto& a : *list) std::fprintf(stderr, "needs attention: %s %d %s\n", a.resource.c_str(), a.httpStatus, a.message.c_str());
    say("final " + std::string(code == 0 ? "all-synced" : code == 3 ? "needs-attention" : "timed-out") + " pending " +
        std::to_string(c ? c->pending : -1) + " synced " + std::to_string(c ? c->synced : -1) + " attention " +
        std::to_string(c ? c->needsAttention : -1));
    return code;
}

volatile std::sig_atomic_t g_stop = 0;
void onStop(int) { g_stop = 1; }

// A kiosk of a site after the kills: link and engine run until the harness,
// which sees every kiosk, says the site has converged (SIGTERM).
int finalSiteSync(const Options& o, store::Store& s, const app::KioskConfig& site) {
    std::signal(SIGTERM, onStop);
    // The outage is over, as a technician's `sync --now` says.
    const auto nowUnixMs = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
    if (auto due = edsync::outbox::expediteAllRetries(s.db(), nowUnixMs.count()); !due) die(due.error().describe());
    auto setup = app::makeSyncEngine(site, s.db().path(), s.kioskId());
    if (!setup.engine) die("site sync: " + setup.error);
    if (!setup.start()) die("site sync start: " + setup.error);
    setup.wake();
    setup.engine->syncNow();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{o.maxSeconds};
    auto nextReport = std::chrono::steady_clock::now();
    // Facts from other kiosks that change the outbox wake the engine in the
    // kiosk's own wiring (SiteSetup::afterApplied): nothing here does it.
    while (!g_stop && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
        if (std::chrono::steady_clock::now() < nextReport) continue;
        nextReport += 1s;
        auto link = setup.site.link->status();
        auto c = edsync::outbox::counts(s.db());
        if (!c) die(c.error().describe());
        say("site-status connected " + std::to_string(link.connected) + " lease " + std::to_string(link.holdsLease) + " unpublished " +
            std::to_string(link.unpublished) + " behind " + std::to_string(link.consumerPending) + " pending " +
            std::to_string(c->pending) + " attention " + std::to_string(c->needsAttention) + " apply-failures " +
            std::to_string(link.applyFailures) + (link.lastError.empty() ? "" : " error " + link.lastError));
    }
    setup.engine->stop();
    setup.site.link->stop();
    say(g_stop ? "final stopped" : "final timed-out");
    return g_stop ? 0 : 4;
}

} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    Options o = parse(argc, argv);
    // The checker's own test: one false claim before anything else, so even a
    // run killed while it sets up (a loaded machine) has told a lie to catch.
    if (o.lie && o.finalSync == false) say("committed event 00000000-0000-7000-8000-099999999999 1");
    std::error_code ec;
    std::filesystem::create_directories(o.dataDir, ec);
    auto s = store::Store::open(o.dataDir / "kiosk.db");
    if (!s) die("open store: " + s.error().describe());
    std::optional<app::KioskConfig> site;
    if (!o.siteConfig.empty()) {
        auto loaded = app::loadConfig(o.siteConfig);
        if (!loaded.config) die("site config: " + loaded.error);
        site = *loaded.config;
        if (!site->site || !site->hub || !site->state) die("site config: [site], [hub] and [state] are required");
        // As the kiosk does: the site link seals the PINs with the credential
        // key ($TESTSITE_KIOSK_KEY_FILE, the harness's), so this connection
        // needs it too to check a reviewer's PIN.
        if (std::string error; !app::attachCredentialKey(*s, error)) die("credential key: " + error);
        // Every fact this process commits goes on the site log with it.
        app::publishToSite(*s, *site);
        if (o.finalSync) return finalSiteSync(o, *s, *site);
    }
    if (o.finalSync) return finalSync(o, *s);
    say("start seed " + std::to_string(o.seed));
    Driver driver(o, *s, site ? &*site : nullptr);
    driver.setUp();
    driver.startSync();
    driver.run();
    driver.stopSync();
    say("stopped");
    return 0;
}

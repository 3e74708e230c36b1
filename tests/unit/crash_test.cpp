// Crash safety: a child process commits through AttendanceService, says
// "saved" on a pipe, and is killed with SIGKILL; the parent reopens the file
// and finds every acknowledged record, an intact database and the outbox row.
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "support/kiosk_fixture.hpp"
#include "support/temp_dir.hpp"
#include "sync/outbox/outbox.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <functional>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace kiosk;
using namespace kiosk::test;

namespace {

bool writeAll(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

[[noreturn]] void blockForever() {
    for (;;) ::pause();
}

// A child process running `body(writeFd)`; it never returns into doctest.
class Child {
public:
    explicit Child(const std::function<int(int)>& body) {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        m_pid = ::fork();
        REQUIRE(m_pid >= 0);
        if (m_pid == 0) {
            ::close(fds[0]);
            int code = body(fds[1]);
            ::_exit(code);
        }
        ::close(fds[1]);
        m_fd = fds[0];
    }
    ~Child() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
        if (m_fd >= 0) ::close(m_fd);
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    // Next line from the child, or nullopt on end of file or after 60 s.
    std::optional<std::string> readLine() {
        for (;;) {
            auto nl = m_buffer.find('\n');
            if (nl != std::string::npos) {
                std::string line = m_buffer.substr(0, nl);
                m_buffer.erase(0, nl + 1);
                return line;
            }
            pollfd p{m_fd, POLLIN, 0};
            int r = ::poll(&p, 1, 60000);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return std::nullopt;
            char buf[4096];
            ssize_t n = ::read(m_fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return std::nullopt;
            m_buffer.append(buf, static_cast<std::size_t>(n));
        }
    }

    // SIGKILL, then reap; true when the child died of that signal.
    bool kill9() {
        REQUIRE(::kill(m_pid, SIGKILL) == 0);
        int status = 0;
        REQUIRE(::waitpid(m_pid, &status, 0) == m_pid);
        m_pid = -1;
        return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    }

private:
    pid_t m_pid = -1;
    int m_fd = -1;
    std::string m_buffer;
};

// Prepared by the parent, then closed before the fork: a SQLite connection
// must never cross a fork.
void prepareStore(const std::filesystem::path& file, int demoStudents) {
    auto s = store::Store::open(file);
    REQUIRE(s.ok());
    if (demoStudents > 0) {
        store::DemoOptions options;
        options.students = demoStudents;
        options.now = atMinute(10);  // the demo's first session starts 10 minutes before "now"
        REQUIRE(store::loadDemo(*s, options).ok());
    } else {
        REQUIRE(store::writeRoster(s->db(), smallRoster()).ok());
    }
    ManualClock clock(atMinute(-10));
    service::AttendanceService svc(*s, clock.clock());
    auto opened = svc.openSession(kMathSession, kProctor);
    REQUIRE_MESSAGE(opened.saved, opened.message);
}

store::Store reopen(const std::filesystem::path& file) {
    auto s = store::Store::open(file);
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? std::string() : s.error().describe()));
    return std::move(s).value();
}

void checkConsistent(store::Database& db) {
    // Each projection row sits at its student's last event, and the outbox
    // row was bumped once per event: nothing was half-written.
    CHECK(queryInt(db, "SELECT count(*) FROM attendance a WHERE a.last_seq <> (SELECT max(seq) FROM event e"
                       " WHERE e.session_id = a.session_id AND e.student_unique_id = a.student_unique_id);") == 0);
    CHECK(queryInt(db, "SELECT count(*) FROM attendance a JOIN outbox o ON o.natural_key = a.edfi_key WHERE o.local_version <>"
                       " (SELECT count(*) FROM event e WHERE e.session_id = a.session_id AND e.student_unique_id = a.student_unique_id);") ==
          0);
    CHECK(queryInt(db, "SELECT count(*) FROM attendance a WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.natural_key = a.edfi_key);") ==
          0);
    CHECK(queryInt(db, "SELECT count(*) FROM event e WHERE e.student_unique_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM attendance a"
                       " WHERE a.session_id = e.session_id AND a.student_unique_id = e.student_unique_id);") == 0);
}

} // namespace

TEST_CASE("a check-in acknowledged as saved survives SIGKILL of the process") {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    prepareStore(file, 0);

    Child child([&](int fd) {
        auto s = store::Store::open(file);
        if (!s) return writeAll(fd, "error " + s.error().describe() + "\n") ? 2 : 3;
        ManualClock clock(atMinute(-2));
        service::AttendanceService svc(*s, clock.clock());
        auto r = svc.checkIn(kMathSession, "S100001", kProctor, {domain::IdMethod::PhotoId, "", "A1", ""});
        if (!r.saved) return writeAll(fd, "error " + r.message + "\n") ? 2 : 3;
        if (!writeAll(fd, "saved " + r.eventId + "\n")) return 3;
        // Then hold a transaction open with an uncommitted write, as if the
        // next action were half-way through when the power went.
        (void)s->db().exec("BEGIN IMMEDIATE; INSERT INTO kiosk_meta(key, value) VALUES ('uncommitted', 'x');");
        if (!writeAll(fd, "in transaction\n")) return 3;
        blockForever();
    });

    auto line = child.readLine();
    REQUIRE(line.has_value());
    REQUIRE_MESSAGE(line->rfind("saved ", 0) == 0, *line);
    const std::string eventId = line->substr(6);
    auto second = child.readLine();
    REQUIRE(second == std::string("in transaction"));
    CHECK(child.kill9());

    auto s = reopen(file);
    CHECK(queryText(s.db(), "PRAGMA integrity_check;") == "ok");
    CHECK(queryInt(s.db(), "SELECT count(*) FROM event WHERE event_id = " + sqlQuote(eventId) + ";") == 1);
    CHECK(queryText(s.db(), "SELECT kind FROM event WHERE event_id = " + sqlQuote(eventId) + ";") == "checked_in");
    CHECK(queryText(s.db(), "SELECT presence FROM attendance WHERE student_unique_id = 'S100001';") == "present");
    CHECK(queryText(s.db(), "SELECT seat FROM attendance WHERE student_unique_id = 'S100001';") == "A1");
    auto counts = edsync::outbox::counts(s.db());
    REQUIRE(counts.ok());
    CHECK(counts->pending == 1);
    auto session = store::findSession(s.db(), kMathSession);
    REQUIRE(session->has_value());
    auto st = edsync::outbox::status(s.db(), store::kStudentAssessments, store::studentAssessmentKey(**session, "S100001"));
    REQUIRE(st.ok());
    REQUIRE(st->has_value());
    CHECK((*st)->localVersion == 1);
    CHECK((*st)->state == edsync::outbox::State::Pending);
    // The transaction that was open at the kill left nothing, and holds no lock.
    CHECK(queryInt(s.db(), "SELECT count(*) FROM kiosk_meta WHERE key = 'uncommitted';") == 0);
    checkConsistent(s.db());

    service::AttendanceService svc(s, ManualClock(atMinute(60)).clock());
    auto out = svc.checkOut(kMathSession, "S100001", kProctor);
    CHECK_MESSAGE(out.saved, out.message);
    CHECK(edsync::outbox::status(s.db(), store::kStudentAssessments, store::studentAssessmentKey(**session, "S100001"))
              ->value()
              .localVersion == 2);
}

TEST_CASE("SIGKILL in the middle of a stream of check-ins loses nothing that was acknowledged") {
    for (int acknowledgedBeforeKill : {1, 17, 120}) {
        CAPTURE(acknowledgedBeforeKill);
        TempDir dir;
        const auto file = dir / "kiosk.db";
        prepareStore(file, 300);

        Child child([&](int fd) {
            auto s = store::Store::open(file);
            if (!s) return writeAll(fd, "error " + s.error().describe() + "\n") ? 2 : 3;
            auto roster = store::rosterForSession(s->db(), kMathSession);
            if (!roster) return 2;
            ManualClock clock(atMinute(-1));
            service::AttendanceService svc(*s, clock.clock());
            for (const auto& row : *roster) {
                auto r = svc.checkIn(kMathSession, row.student.studentUniqueId, kProctor, {});
                if (!r.saved) return writeAll(fd, "error " + r.message + "\n") ? 2 : 3;
                if (!writeAll(fd, "saved " + r.eventId + "\n")) return 3;
            }
            blockForever();
        });

        std::vector<std::string> acknowledged;
        while (static_cast<int>(acknowledged.size()) < acknowledgedBeforeKill) {
            auto line = child.readLine();
            REQUIRE(line.has_value());
            REQUIRE_MESSAGE(line->rfind("saved ", 0) == 0, *line);
            acknowledged.push_back(line->substr(6));
        }
        // Killed while it goes on writing.
        CHECK(child.kill9());

        auto s = reopen(file);
        CHECK(queryText(s.db(), "PRAGMA integrity_check;") == "ok");
        for (const auto& id : acknowledged) {
            CAPTURE(id);
            CHECK(queryInt(s.db(), "SELECT count(*) FROM event WHERE event_id = " + sqlQuote(id) + ";") == 1);
        }
        const auto checkedIn = queryInt(s.db(), "SELECT count(*) FROM event WHERE kind = 'checked_in';");
        CHECK(checkedIn >= static_cast<std::int64_t>(acknowledged.size()));
        MESSAGE(acknowledged.size() << " acknowledged before the kill, " << checkedIn << " committed");
        auto counts = edsync::outbox::counts(s.db());
        REQUIRE(counts.ok());
        CHECK(counts->pending == checkedIn);  // every committed check-in has its outbox record
        CHECK(queryInt(s.db(), "SELECT count(*) FROM attendance WHERE presence = 'present';") == checkedIn);
        checkConsistent(s.db());
    }
}

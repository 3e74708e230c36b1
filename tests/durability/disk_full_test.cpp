// Disk full: the kiosk's data directory on a small tmpfs mounted by the test.
// A filler file takes the last byte; then actions through the services fail
// with a message that names the disk, nothing stored before is damaged
// (integrity_check, every earlier event present, also after a reopen), and
// work resumes when space returns (filler deleted, or the tmpfs remounted
// larger). A schema upgrade that cannot fit changes nothing and runs later.
//
// Mounting needs root (CAP_SYS_ADMIN). Where the test cannot mount, it says
// so and exits 77, which CTest reports as skipped.
#define DOCTEST_CONFIG_IMPLEMENT
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/service/security_service.hpp"
#include "kiosk/service/session_queries.hpp"
#include "kiosk/service/work_service.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "sync/outbox/outbox.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <set>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

using namespace kiosk;

namespace {

std::filesystem::path g_mount;

bool mountTmpfs(const std::filesystem::path& at, const std::string& size, unsigned long flags = 0) {
    std::string options = "size=" + size + ",mode=0700";
    return ::mount("tmpfs", at.c_str(), "tmpfs", flags, options.c_str()) == 0;
}

std::uint64_t freeBytes(const std::filesystem::path& p) {
    struct statvfs st {};
    REQUIRE(::statvfs(p.c_str(), &st) == 0);
    return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

// Takes every free byte of the file system with one file.
std::filesystem::path fillDisk(const std::filesystem::path& dir) {
    auto file = dir / "filler";
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    REQUIRE_MESSAGE(fd >= 0, std::string(std::strerror(errno)));
    std::string chunk(64 * 1024, 'x');
    for (std::size_t size = chunk.size(); size > 0; size /= 2) {
        for (;;) {
            ssize_t n = ::write(fd, chunk.data(), size);
            if (n < 0) {
                REQUIRE(errno == ENOSPC);
                break;
            }
            if (static_cast<std::size_t>(n) < size) break;
        }
    }
    ::close(fd);
    CHECK(freeBytes(dir) == 0);
    return file;
}

std::int64_t scalar(store::Database& db, const std::string& sql) {
    auto stmt = db.prepare(sql);
    REQUIRE(stmt.ok());
    REQUIRE(stmt->step().value_or(false));
    return stmt->getInt(0);
}

std::string integrity(store::Database& db) {
    auto stmt = db.prepare("PRAGMA integrity_check;");
    REQUIRE(stmt.ok());
    std::string out;
    while (stmt->step().value_or(false)) out += stmt->getText(0);
    return out;
}

bool mentionsDisk(const std::string& message) { return message.find("disk") != std::string::npos; }

int countPresent(store::Database& db, const std::vector<std::string>& eventIds) {
    int present = 0;
    for (const auto& id : eventIds) {
        auto stmt = db.prepare("SELECT count(*) FROM event WHERE event_id = ?1;");
        REQUIRE(stmt.ok());
        stmt->bind(1, id);
        REQUIRE(stmt->step().value_or(false));
        present += static_cast<int>(stmt->getInt(0));
    }
    return present;
}

struct Site {
    explicit Site(const std::string& name) : data(g_mount / name) {}
    ~Site() {
        store.reset();
        std::error_code ec;
        std::filesystem::remove_all(data, ec);
    }
    std::filesystem::path data;
    std::optional<store::Store> store;
    std::string sessionId;
    std::vector<std::string> students;
    std::size_t next = 0;  // next student to check in
    std::vector<std::string> saved;  // event ids the kiosk said were saved

    void open() {
        store.reset();
        auto s = store::Store::open(data / "kiosk.db");
        REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().describe()));
        store.emplace(std::move(*s));
    }
    void setUp() {
        std::filesystem::create_directories(data);
        open();
        store::DemoOptions demo;
        demo.students = 600;
        demo.now = domain::systemNow();
        REQUIRE(store::loadDemo(*store, demo).ok());
        auto sessions = store::listSessions(store->db());
        REQUIRE(sessions.ok());
        sessionId = sessions->front().sessionId;
        auto roster = store::rosterForSession(store->db(), sessionId);
        REQUIRE(roster.ok());
        for (const auto& r : *roster) students.push_back(r.student.studentUniqueId);
        service::AttendanceService svc(*store, domain::systemNow);
        auto opened = svc.openSession(sessionId, "Ms. Rivera");
        REQUIRE(opened.saved);
        saved.push_back(opened.eventId);
    }
    // One check-in of the next student; the result as the proctor sees it.
    service::ActionResult checkInNext() {
        REQUIRE(next < students.size());
        service::AttendanceService svc(*store, domain::systemNow);
        auto r = svc.checkIn(sessionId, students[next], "Ms. Rivera", {domain::IdMethod::PhotoId, "", "", ""});
        if (r.saved) {
            saved.push_back(r.eventId);
            ++next;
        }
        return r;
    }
    void checkEverythingSavedIsThere() {
        CHECK(integrity(store->db()) == "ok");
        CHECK(countPresent(store->db(), saved) == static_cast<int>(saved.size()));
        CHECK(scalar(store->db(), "SELECT count(*) FROM event;") == static_cast<std::int64_t>(saved.size()));
        // Each saved check-in has its projection and its outbox row.
        CHECK(scalar(store->db(), "SELECT count(*) FROM attendance;") == static_cast<std::int64_t>(next));
        CHECK(scalar(store->db(), "SELECT count(*) FROM outbox;") == static_cast<std::int64_t>(next));
    }
};

// Acts until the disk refuses. Every refusal must name the disk; returns the
// first refusal's message.
std::string actUntilRefused(Site& site) {
    for (int i = 0; i < 400; ++i) {
        auto r = site.checkInNext();
        if (!r.saved) {
            CHECK_MESSAGE(mentionsDisk(r.message), r.message);
            return r.message;
        }
    }
    FAIL("400 check-ins were saved on a full disk");
    return {};
}

} // namespace

TEST_CASE("disk full: actions fail with a message about the disk, nothing saved is damaged, work resumes when the filler goes") {
    Site site("site-filler");
    site.setUp();
    for (int i = 0; i < 20; ++i) REQUIRE(site.checkInNext().saved);

    auto filler = fillDisk(g_mount);
    std::string message = actUntilRefused(site);
    MESSAGE("refused with: " << message);
    CHECK(message.find("disk is full") != std::string::npos);
    const std::size_t savedWhenFull = site.saved.size();

    // Further actions of every kind are refused the same way, and change nothing.
    service::AttendanceService svc(*site.store, domain::systemNow);
    for (int i = 0; i < 5; ++i) {
        auto r = site.checkInNext();
        if (!r.saved) CHECK_MESSAGE(mentionsDisk(r.message), r.message);
    }
    auto brk = svc.breakOut(site.sessionId, site.students[0], "Ms. Rivera");
    if (!brk.saved) CHECK_MESSAGE(mentionsDisk(brk.message), brk.message);
    else site.saved.push_back(brk.eventId);
    service::SecurityService security(*site.store, domain::systemNow);
    service::WorkService work(*site.store, domain::systemNow, security);
    auto catalogue = work.loadCatalogue(KIOSK_TASK_CATALOGUE);
    if (catalogue) CHECK_MESSAGE(mentionsDisk(*catalogue), *catalogue);

    // Reading still works while the disk is full.
    service::SessionQueries queries(*site.store);
    auto snapshot = queries.session(site.sessionId);
    REQUIRE(snapshot.ok());
    CHECK(snapshot->counts.present + snapshot->counts.onBreak == static_cast<int>(site.next));

    // Nothing already stored is damaged.
    site.checkEverythingSavedIsThere();
    CHECK(site.saved.size() >= savedWhenFull);

    // Space comes back: the next action is saved, on the same connection.
    std::filesystem::remove(filler);
    auto r = site.checkInNext();
    CHECK_MESSAGE(r.saved, r.message);
    site.checkEverythingSavedIsThere();

    // And after a restart, everything is still there.
    site.open();
    site.checkEverythingSavedIsThere();
    CHECK(site.checkInNext().saved);
}

TEST_CASE("disk full: a store closed before the disk filled is refused at open as a full disk and not as a disk I/O error") {
    Site site("site-closed");
    site.setUp();
    for (int i = 0; i < 5; ++i) REQUIRE(site.checkInNext().saved);
    site.store.reset();  // closed cleanly: no -wal, no -shm left
    auto filler = fillDisk(g_mount);
    auto reopened = store::Store::open(site.data / "kiosk.db");
    REQUIRE_FALSE(reopened.ok());  // its WAL index cannot be made
    CHECK(reopened.error().diskFull());
    CHECK_MESSAGE(reopened.error().describe().starts_with("The disk is full"), reopened.error().describe());
    std::filesystem::remove(filler);
    site.open();
    site.checkEverythingSavedIsThere();
}

TEST_CASE("disk full: a kiosk restarted on a full disk still opens, refuses writes clearly, and resumes after the volume grows") {
    Site site("site-remount");
    site.setUp();
    for (int i = 0; i < 10; ++i) REQUIRE(site.checkInNext().saved);
    auto filler = fillDisk(g_mount);
    actUntilRefused(site);

    // Restart while full: the store opens (nothing to migrate) and reads.
    site.store.reset();
    auto reopened = store::Store::open(site.data / "kiosk.db");
    if (!reopened) {
        // Opening may need to write (WAL index); then the message names the disk.
        CHECK_MESSAGE(mentionsDisk(reopened.error().describe()), reopened.error().describe());
    } else {
        site.store.emplace(std::move(*reopened));
        site.checkEverythingSavedIsThere();
        auto r = site.checkInNext();
        if (!r.saved) CHECK_MESSAGE(mentionsDisk(r.message), r.message);
    }

    // The technician grows the volume; the filler stays.
    REQUIRE(mountTmpfs(g_mount, "64m", MS_REMOUNT));
    CHECK(freeBytes(g_mount) > 0);
    site.open();
    site.checkEverythingSavedIsThere();
    auto r = site.checkInNext();
    CHECK_MESSAGE(r.saved, r.message);
    site.checkEverythingSavedIsThere();
    std::filesystem::remove(filler);
}

namespace {

std::string text(store::Database& db, const std::string& sql) {
    auto stmt = db.prepare(sql);
    REQUIRE(stmt.ok());
    std::string out;
    while (stmt->step().value_or(false)) out += stmt->getText(0) + "\n";
    return out;
}

// The outbox as a release before sync v8 left it: the same columns in a
// WITHOUT ROWID table keyed by (resource, natural key), its index and trigger
// as they are now, and the sync schema at 7 (what v9 to v11 added gone too).
void asBeforeV8(store::Database& db) {
    auto dropped = db.exec("ALTER TABLE outbox DROP COLUMN held_bodies; ALTER TABLE outbox DROP COLUMN at_state;"
                           " ALTER TABLE outbox DROP COLUMN unanswered_order; DROP TABLE site_unanswered;");
    REQUIRE_MESSAGE(dropped.ok(), (dropped.ok() ? "" : dropped.error().describe()));
    std::string table = text(db, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'outbox';");
    REQUIRE(table.size() > 2);
    table.resize(table.rfind(')'));
    table = "CREATE TABLE outbox_old" + table.substr(table.find('(')) + ", PRIMARY KEY (resource, natural_key)) WITHOUT ROWID;";
    const std::string others = text(db, "SELECT sql || ';' FROM sqlite_master WHERE tbl_name = 'outbox' AND type IN ('index', 'trigger')"
                                         " AND name <> 'outbox_key';");
    auto done = db.exec("BEGIN; " + table + " INSERT INTO outbox_old SELECT * FROM outbox; DROP TABLE outbox;"
                        " ALTER TABLE outbox_old RENAME TO outbox; " + others +
                        " DELETE FROM schema_migrations WHERE component = 'sync' AND version >= 8; COMMIT;");
    REQUIRE_MESSAGE(done.ok(), (done.ok() ? "" : done.error().describe()));
}

const std::string kOutboxDump = "SELECT json_array(resource, natural_key, body, local_version, synced_version, seq, first_queued_at)"
                                " FROM outbox ORDER BY resource, natural_key;";

} // namespace

TEST_CASE("disk full: an upgrade with no room for its copy leaves the older database as it was, and runs once there is room") {
    REQUIRE(mountTmpfs(g_mount, "64m", MS_REMOUNT));  // room for the queue and its copy, whatever ran before
    Site site("site-upgrade");
    site.setUp();
    for (int i = 0; i < 40; ++i) REQUIRE(site.checkInNext().saved);
    {
        // A long queue (~2 MB) besides: its copy cannot fit in what is left below.
        auto tx = edsync::sqlite::Transaction::begin(site.store->db());
        REQUIRE(tx.ok());
        for (int i = 0; i < 3000; ++i)
            REQUIRE(edsync::outbox::put(site.store->db(), "studentAssessments", "queued-" + std::to_string(i),
                                        "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(600, 'x') + "\"}", 100000 + i)
                        .ok());
        REQUIRE(tx->commit().ok());
    }
    asBeforeV8(site.store->db());
    const std::string before = text(site.store->db(), kOutboxDump);
    REQUIRE(text(site.store->db(), "SELECT count(*) FROM outbox;") == "3040\n");
    site.store.reset();

    // 256 KB left: room to open the file, not to copy the queue.
    const auto reserve = site.data / "reserve";
    {
        std::ofstream out(reserve, std::ios::binary);
        out << std::string(256 * 1024, 'r');
    }
    auto filler = fillDisk(g_mount);
    std::filesystem::remove(reserve);
    {
        auto opened = store::Store::open(site.data / "kiosk.db");
        CHECK_FALSE(opened.ok());
        if (!opened) {
            MESSAGE("refused with: " << opened.error().describe());
            CHECK_MESSAGE(mentionsDisk(opened.error().describe()), opened.error().describe());
        }
    }
    {
        auto db = store::Database::openReadOnly(site.data / "kiosk.db");
        REQUIRE(db.ok());
        CHECK(integrity(*db) == "ok");
        CHECK(text(*db, "SELECT max(version) FROM schema_migrations WHERE component = 'sync';") == "7\n");
        CHECK(text(*db, "SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master WHERE name = 'outbox';") == "1\n");
        CHECK(text(*db, kOutboxDump) == before);
    }

    std::filesystem::remove(filler);
    site.open();
    CHECK(text(site.store->db(), "SELECT max(version) FROM schema_migrations WHERE component = 'sync';") ==
          std::to_string(edsync::outbox::migrations().size()) + "\n");
    CHECK(text(site.store->db(), kOutboxDump) == before);
    CHECK(scalar(site.store->db(), "SELECT count(*) FROM outbox a JOIN outbox b ON a.seq < b.seq AND a.rowid > b.rowid;") == 0);
    CHECK(site.checkInNext().saved);
    CHECK(integrity(site.store->db()) == "ok");
}

int main(int argc, char** argv) {
    std::string pattern = (std::filesystem::temp_directory_path() / "disk-full-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) {
        std::perror("mkdtemp");
        return 1;
    }
    g_mount = pattern;
    // 8 MB: room for the database, not for much more.
    if (!mountTmpfs(g_mount, "8m")) {
        int e = errno;
        std::printf("SKIPPED: cannot mount a small tmpfs for the data directory (%s; needs root with CAP_SYS_ADMIN)\n", std::strerror(e));
        std::filesystem::remove(g_mount);
        return 77;
    }
    doctest::Context context(argc, argv);
    int result = context.run();
    if (::umount2(g_mount.c_str(), 0) != 0) ::umount2(g_mount.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove(g_mount, ec);
    return result;
}

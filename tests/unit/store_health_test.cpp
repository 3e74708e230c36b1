// A damaged store is refused before anything writes to it (overwritten pages,
// a foreign -wal, truncation to 0 and to half), a read-only or full disk is
// still read, and salvageRows keeps every readable row, counted.
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/ids.hpp"
#include "kiosk/store/schema.hpp"
#include "kiosk/store/store_health.hpp"
#include "support/temp_dir.hpp"
#include "sync/outbox/outbox.hpp"
#include "sync/sqlite/file_check.hpp"
#include "sync/sqlite/salvage.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace kiosk;
using kiosk::test::TempDir;
using edsync::sqlite::Database;

namespace {

std::string readAll(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void writeAll(const std::filesystem::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << bytes;
}

std::int64_t scalar(Database& db, const std::string& sql) {
    auto stmt = db.prepare(sql);
    REQUIRE(stmt.ok());
    REQUIRE(stmt->step().value_or(false));
    return stmt->getInt(0);
}

// A store with a demo roster and `pending` outbox records, closed (its -wal
// checkpointed away).
std::string makeStore(const std::filesystem::path& file, int students, int pending) {
    auto store = store::Store::open(file);
    REQUIRE(store.ok());
    store::DemoOptions demo;
    demo.students = students;
    demo.now = domain::systemNow();
    REQUIRE(store::loadDemo(*store, demo).ok());
    {
        auto tx = edsync::sqlite::Transaction::begin(store->db());
        REQUIRE(tx.ok());
        for (int i = 0; i < pending; ++i)
            REQUIRE(edsync::outbox::put(store->db(), "studentAssessments", "key-" + std::to_string(i), R"({"n":)" + std::to_string(i) + "}", i + 1).ok());
        REQUIRE(tx->commit().ok());
    }
    return store->kioskId();
}

void requireDamaged(const std::filesystem::path& file, const std::string& mentions) {
    const std::string before = readAll(file);
    auto opened = store::Store::open(file);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().damaged());
    INFO(opened.error().message);
    CHECK(opened.error().message.find(mentions) != std::string::npos);
    // Refused before any write: the file is byte for byte what it was.
    CHECK(readAll(file) == before);
    auto reading = store::Store::openReadOnly(file);
    REQUIRE_FALSE(reading.ok());
    CHECK(reading.error().damaged());
    CHECK(readAll(file) == before);
}

// Overwrites `count` random pages after the first with random bytes.
// Random bytes over `count` pages of the file that hold rows and indexes. The
// schema's own pages are spared: where it lies depends on the migrations'
// history, and damage there leaves nothing to salvage (docs/architecture.md).
void overwritePages(const std::filesystem::path& file, int count, unsigned seed) {
    std::set<std::size_t> schemaPages;
    {
        auto db = Database::openReadOnly(file);
        REQUIRE(db.ok());
        auto stmt = db->prepare("SELECT pageno FROM dbstat WHERE name = 'sqlite_schema';");
        REQUIRE(stmt.ok());
        while (stmt->step().value_or(false)) schemaPages.insert(static_cast<std::size_t>(stmt->getInt(0)));
        REQUIRE(schemaPages.count(1) == 1);
    }
    std::string bytes = readAll(file);
    const std::size_t page = 4096;
    const std::size_t pages = bytes.size() / page;
    REQUIRE(pages > static_cast<std::size_t>(count) + schemaPages.size() + 2);
    std::mt19937 rng(seed);
    for (int i = 0; i < count;) {
        const std::size_t p = rng() % pages;  // 0-based; SQLite numbers pages from 1
        if (schemaPages.count(p + 1) != 0) continue;
        for (std::size_t b = 0; b < page; ++b) bytes[p * page + b] = static_cast<char>(rng());
        ++i;
    }
    writeAll(file, bytes);
}

struct Tmpfs {
    std::filesystem::path at;
    bool mounted = false;
    explicit Tmpfs(const std::filesystem::path& where, const std::string& size) : at(where) {
        std::filesystem::create_directories(at);
        std::string options = "size=" + size + ",mode=0700";
        mounted = ::mount("tmpfs", at.c_str(), "tmpfs", 0, options.c_str()) == 0;
        if (!mounted) MESSAGE("cannot mount a tmpfs here (" << std::strerror(errno) << "): the read-only and full-disk cases are skipped");
    }
    bool remountReadOnly() {
        std::string options = "mode=0700";
        return ::mount("tmpfs", at.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, options.c_str()) == 0;
    }
    ~Tmpfs() {
        if (mounted) ::umount2(at.c_str(), MNT_DETACH);
    }
};

} // namespace

TEST_CASE("a new store gets kiosk.db.id, and a healthy store opens and passes integrity_check") {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    const auto id = makeStore(file, 20, 5);
    CHECK(store::readIdentity(file) == id);
    auto store = store::Store::open(file);
    REQUIRE(store.ok());
    CHECK(store->kioskId() == id);
    auto full = store->db().checkIntegrity(Database::Check::Full);
    REQUIRE(full.ok());
    CHECK(full->empty());
}

TEST_CASE("kiosk.db.id is replaced whole (0600, the id and a newline, no temporary left), and a writer killed at any moment leaves one whole id") {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    const auto marker = store::identityFile(file);
    const std::string a = "0190f6a4-1111-7000-8000-00000000000a";
    const std::string b = "0190f6a4-2222-7000-8000-00000000000b";
    auto mode = [&] {
        struct stat st {};
        REQUIRE(::stat(marker.c_str(), &st) == 0);
        return st.st_mode & 0777;
    };
    auto entries = [&] {
        std::vector<std::string> names;
        for (const auto& e : std::filesystem::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
        return names;
    };
    store::writeIdentity(file, a);
    CHECK(readAll(marker) == a + "\n");
    CHECK(mode() == 0600);
    // Over a longer file with wider bits (a hand edit): nothing of it is left.
    writeAll(marker, std::string(100, 'x'));
    REQUIRE(::chmod(marker.c_str(), 0644) == 0);
    store::writeIdentity(file, b);
    CHECK(readAll(marker) == b + "\n");
    CHECK(mode() == 0600);
    CHECK(entries() == std::vector<std::string>{"kiosk.db.id"});
    CHECK(store::readIdentity(file) == b);

    // A writer rewriting it as fast as it can, killed at 20 moments: the
    // marker always holds one of the two ids whole (a killed writer may leave
    // its own temporary file, never a torn marker).
    for (int round = 0; round < 20; ++round) {
        pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            for (unsigned i = 0;; ++i) store::writeIdentity(file, i % 2 ? a : b);
        }
        ::usleep(static_cast<useconds_t>(2000 + 700 * round));
        ::kill(child, SIGKILL);
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        const std::string text = readAll(marker);
        CHECK_MESSAGE((text == a + "\n" || text == b + "\n"), "round " << round << ": \"" << text << "\"");
        CHECK(mode() == 0600);
    }
}

TEST_CASE("overwritten pages: refused by every open, file untouched") {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    makeStore(file, 400, 50);
    overwritePages(file, 6, 7);
    requireDamaged(file, "kiosk.db");
}

TEST_CASE("a 0-byte kiosk.db where a store was is refused, and with no trace of one it is a new kiosk") {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    const auto id = makeStore(file, 20, 3);
    writeAll(file, "");
    requireDamaged(file, id);

    TempDir fresh;
    writeAll(fresh / "kiosk.db", "");
    auto opened = store::Store::open(fresh / "kiosk.db");
    REQUIRE(opened.ok());
    CHECK(store::readIdentity(fresh / "kiosk.db") == opened->kioskId());
}

TEST_CASE("a kiosk.db cut to half is refused") {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    makeStore(file, 400, 50);
    std::string bytes = readAll(file);
    writeAll(file, bytes.substr(0, bytes.size() / 2 + 100));
    requireDamaged(file, "cut short");
    // Cut at a page boundary: the page count in its header still tells.
    writeAll(file, bytes.substr(0, (bytes.size() / 4096 / 2) * 4096));
    requireDamaged(file, "pages are there");
}

TEST_CASE("a missing kiosk.db where kiosk.db.id says a store was is refused, not silently recreated") {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    makeStore(file, 10, 1);
    std::filesystem::remove(file);
    auto opened = store::Store::open(file);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().damaged());
    CHECK_FALSE(std::filesystem::exists(file));
}

TEST_CASE("another kiosk's -wal beside kiosk.db is refused and stays as it was") {
    TempDir dir;
    const auto a = dir / "a" / "kiosk.db";
    const auto b = dir / "b" / "kiosk.db";
    std::filesystem::create_directories(a.parent_path());
    std::filesystem::create_directories(b.parent_path());
    makeStore(a, 30, 3);
    makeStore(b, 30, 3);
    std::string foreignWal;
    {
        // B's -wal with changes not yet in B's file (copied while B is open).
        auto store = store::Store::open(b);
        REQUIRE(store.ok());
        REQUIRE(store->db().deferCheckpoints().ok());
        REQUIRE(store->setSite("site-b", "Site B").ok());
        foreignWal = readAll(b.string() + "-wal");
    }
    REQUIRE(foreignWal.size() > 32);
    writeAll(a.string() + "-wal", foreignWal);
    requireDamaged(a, "another");
    CHECK(readAll(a.string() + "-wal") == foreignWal);
}

TEST_CASE("a -wal whose header does not match the database is refused (file check)") {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    makeStore(file, 10, 1);
    std::string wal;
    {
        // Write a 1024-byte page database in WAL mode by hand.
        auto odb = Database::open(dir / "small.db", edsync::sqlite::Durability::Normal);
        REQUIRE(odb.ok());
        REQUIRE(odb->exec("PRAGMA journal_mode = DELETE; PRAGMA page_size = 1024; VACUUM; PRAGMA journal_mode = WAL;").ok());
        REQUIRE(odb->exec("PRAGMA wal_autocheckpoint = 0; CREATE TABLE t(x); INSERT INTO t VALUES (1);").ok());
        wal = readAll(dir / "small.db-wal");
    }
    REQUIRE(wal.size() > 32);
    writeAll(file.string() + "-wal", wal);
    auto finding = edsync::sqlite::inspectDatabaseFiles(file);
    REQUIRE(finding.has_value());
    CHECK(finding->problem.find("another database") != std::string::npos);
    requireDamaged(file, "kiosk.db-wal");
    // Bytes that are not a WAL at all.
    writeAll(file.string() + "-wal", std::string(4096, 'x'));
    requireDamaged(file, "not a SQLite write-ahead log");
}

TEST_CASE("salvageRows copies every readable row of a damaged store and counts it") {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    makeStore(file, 2000, 300);
    std::int64_t students = 0;
    {
        auto db = Database::openReadOnly(file);
        REQUIRE(db.ok());
        students = scalar(*db, "SELECT count(*) FROM student;");
    }
    overwritePages(file, 3, 11);
    auto from = Database::openReadOnly(file);
    REQUIRE(from.ok());
    auto into = Database::open(dir / "rescued.db");
    REQUIRE(into.ok());
    REQUIRE(store::migrateAll(*into).ok());
    REQUIRE(into->exec("DELETE FROM kiosk_meta;").ok());
    auto tallies = edsync::sqlite::salvageRows(*from, *into, {"schema_migrations"});
    REQUIRE(tallies.ok());
    std::int64_t copied = 0;
    for (const auto& t : *tallies) {
        CAPTURE(t.table);
        CHECK(t.copied == scalar(*into, "SELECT count(*) FROM \"" + t.table + "\";"));
        if (t.counted) CHECK(t.copied + t.duplicates <= *t.counted);
        copied += t.copied;
        if (t.table == "student") CHECK(t.copied <= students);
    }
    CHECK(copied > 0);
    auto check = into->checkIntegrity(Database::Check::Full);
    REQUIRE(check.ok());
    CHECK(check->empty());
}

TEST_CASE("salvageRows from a sound store keeps everything, every pending record included") {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    makeStore(file, 200, 40);
    auto from = Database::openReadOnly(file);
    REQUIRE(from.ok());
    auto into = Database::open(dir / "rescued.db");
    REQUIRE(into.ok());
    REQUIRE(store::migrateAll(*into).ok());
    REQUIRE(into->exec("DELETE FROM kiosk_meta;").ok());
    auto tallies = edsync::sqlite::salvageRows(*from, *into, {"schema_migrations"});
    REQUIRE(tallies.ok());
    for (const auto& t : *tallies) {
        CAPTURE(t.table);
        REQUIRE(t.counted.has_value());
        CHECK(t.copied == *t.counted);
        CHECK(t.unreadable == 0);
    }
    auto counts = edsync::outbox::counts(*into);
    REQUIRE(counts.ok());
    CHECK(counts->pending == 40);
}

TEST_CASE("a read-only mount: Store::open cannot write, openReadOnly reads everything, even with a -wal and no -shm") {
    TempDir dir;
    Tmpfs fs(dir / "mnt", "16m");
    if (!fs.mounted) return;
    const auto file = fs.at / "kiosk.db";
    makeStore(file, 50, 7);
    // Changes left in the -wal only: written while a copy of the -wal is
    // taken, then the files put back as a crash would leave them.
    std::string dbBytes, walBytes;
    {
        auto store = store::Store::open(file);
        REQUIRE(store.ok());
        REQUIRE(store->db().deferCheckpoints().ok());
        auto tx = edsync::sqlite::Transaction::begin(store->db());
        REQUIRE(tx.ok());
        REQUIRE(edsync::outbox::put(store->db(), "studentAssessments", "late", "{}", 100).ok());
        REQUIRE(tx->commit().ok());
        dbBytes = readAll(file);
        walBytes = readAll(file.string() + "-wal");
    }
    writeAll(file, dbBytes);
    writeAll(file.string() + "-wal", walBytes);
    std::filesystem::remove(file.string() + "-shm");
    REQUIRE(fs.remountReadOnly());

    auto rw = store::Store::open(file);
    REQUIRE_FALSE(rw.ok());
    CHECK_FALSE(rw.error().damaged());
    CHECK(rw.error().cannotWrite());

    auto ro = store::Store::openReadOnly(file);
    REQUIRE(ro.ok());
    CHECK(ro->db().readOnly());
    CHECK(ro->db().readOnlyNote().find("private copy") != std::string::npos);
    auto counts = edsync::outbox::counts(ro->db());
    REQUIRE(counts.ok());
    CHECK(counts->pending == 8);  // the 7, and the one only in the -wal
    CHECK_FALSE(std::filesystem::exists(file.string() + "-shm"));
}

TEST_CASE("a read-only mount after a clean close: read as immutable") {
    TempDir dir;
    Tmpfs fs(dir / "mnt", "16m");
    if (!fs.mounted) return;
    const auto file = fs.at / "kiosk.db";
    makeStore(file, 50, 7);
    REQUIRE_FALSE(std::filesystem::exists(file.string() + "-wal"));
    REQUIRE(fs.remountReadOnly());
    auto ro = store::Store::openReadOnly(file);
    REQUIRE(ro.ok());
    CHECK(ro->db().readOnlyNote().find("immutable") != std::string::npos);
    auto counts = edsync::outbox::counts(ro->db());
    REQUIRE(counts.ok());
    CHECK(counts->pending == 7);
}

TEST_CASE("a full disk: the store is still read") {
    TempDir dir;
    Tmpfs fs(dir / "mnt", "4m");
    if (!fs.mounted) return;
    const auto file = fs.at / "kiosk.db";
    makeStore(file, 100, 9);
    {
        int fd = ::open((fs.at / "filler").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        REQUIRE(fd >= 0);
        std::string chunk(64 * 1024, 'x');
        for (std::size_t size = chunk.size(); size > 0; size /= 2)
            while (::write(fd, chunk.data(), size) == static_cast<ssize_t>(size)) {}
        ::close(fd);
    }
    struct statvfs vfs {};
    REQUIRE(::statvfs(fs.at.c_str(), &vfs) == 0);
    CHECK(vfs.f_bavail == 0);
    auto ro = store::Store::openReadOnly(file);
    REQUIRE(ro.ok());
    auto counts = edsync::outbox::counts(ro->db());
    REQUIRE(counts.ok());
    CHECK(counts->pending == 9);
}

namespace {

// This process's POSIX locks on `file` (/proc/locks: pid and device:inode).
int locksHeld(const std::filesystem::path& file) {
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    const std::string pid = " " + std::to_string(::getpid()) + " ";
    const std::string inode = ":" + std::to_string(st.st_ino) + " ";
    std::ifstream in("/proc/locks");
    int n = 0;
    for (std::string line; std::getline(in, line);)
        if (line.find(pid) != std::string::npos && line.find(inode) != std::string::npos) ++n;
    return n;
}

} // namespace

TEST_CASE("the checks at open keep this process's locks on kiosk.db (a plain open/close would drop them)") {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    makeStore(file, 10, 2);
    auto first = store::Store::open(file);
    REQUIRE(first.ok());
    REQUIRE(edsync::outbox::counts(first->db()).ok());
    // The fewest locks seen: under load SQLite may hold one more for a moment
    // (a CI run saw 2, then 1); the ones that last are what must survive.
    int before = locksHeld(file);
    for (int i = 0; i < 3; ++i) before = std::min(before, locksHeld(file));
    REQUIRE(before > 0);  // WAL mode: a shared lock for as long as the connection lives
    {
        auto second = store::Store::open(file);
        REQUIRE(second.ok());
        auto reader = store::Store::openReadOnly(file);
        REQUIRE(reader.ok());
    }
    CHECK(locksHeld(file) >= before);  // a plain close would leave none
}

// Two processes on one kiosk database: the kiosk (its own connection plus the
// sync engine's) and a technician's `testsite-kioskctl status` that opens,
// reads and closes. SQLite in WAL mode keeps a shared POSIX lock on the
// database file for as long as a connection is open; closing ANY descriptor
// of that file in the process drops all of the process's locks on it. A
// second connection whose open did that would let the other process believe
// it was the last user: its close then checkpoints and DELETES the WAL and
// the shared-memory index the kiosk is still writing into, and every later
// commit of the kiosk lands in an unlinked file (lost at the next restart).
//
// The test runs the "other process" as this same binary re-executed
// (--child-count FILE), never via fork with live SQLite state.
#define DOCTEST_CONFIG_IMPLEMENT
#include "sync/sqlite/database.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

using edsync::sqlite::Database;

namespace {

std::string g_self;

// Another process opens the database, counts the rows, closes: what
// `kioskctl status` does. Returns the count it saw, or -1.
long countInAnotherProcess(const std::filesystem::path& file) {
    std::string out = (file.parent_path() / "child.out").string();
    std::vector<std::string> args{g_self, "--child-count", file.string(), out};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    REQUIRE(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    FILE* f = std::fopen(out.c_str(), "r");
    REQUIRE(f != nullptr);
    long n = -1;
    if (std::fscanf(f, "%ld", &n) != 1) n = -1;
    std::fclose(f);
    return n;
}

long count(Database& db) {
    auto stmt = db.prepare("SELECT count(*) FROM t;");
    REQUIRE(stmt.ok());
    REQUIRE(stmt->step().value_or(false));
    return static_cast<long>(stmt->getInt(0));
}

int childCount(const char* file, const char* out) {
    auto db = Database::open(file);
    if (!db) return 2;
    auto stmt = db->prepare("SELECT count(*) FROM t;");
    if (!stmt || !stmt->step().value_or(false)) return 3;
    FILE* f = std::fopen(out, "w");
    if (!f) return 4;
    std::fprintf(f, "%ld\n", static_cast<long>(stmt->getInt(0)));
    std::fclose(f);
    return 0;
}

} // namespace

TEST_CASE("another process opening and closing the database never removes the WAL a kiosk with two connections writes into") {
    char pattern[] = "/tmp/wal-sharing-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    const std::filesystem::path file = std::filesystem::path(pattern) / "kiosk.db";
    const std::filesystem::path wal = file.string() + "-wal";
    {
        // The kiosk: its own connection, then the sync engine's.
        auto kiosk = Database::open(file);
        REQUIRE(kiosk.ok());
        REQUIRE(kiosk->exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);").ok());
        auto engine = Database::open(file);
        REQUIRE(engine.ok());
        REQUIRE(std::filesystem::exists(wal));

        // kioskctl status, while the kiosk runs.
        CHECK(countInAnotherProcess(file) == 1);
        CHECK_MESSAGE(std::filesystem::exists(wal), "the other process deleted the kiosk's WAL");

        // The kiosk goes on committing; another process sees every commit.
        for (int i = 0; i < 5; ++i) REQUIRE(kiosk->exec("INSERT INTO t VALUES (2);").ok());
        CHECK(count(*engine) == 6);
        CHECK(countInAnotherProcess(file) == 6);
        CHECK(std::filesystem::exists(wal));
        REQUIRE(engine->exec("INSERT INTO t VALUES (3);").ok());
        CHECK(countInAnotherProcess(file) == 7);
    }
    // And after everything closed, nothing committed is missing.
    auto reopened = Database::open(file);
    REQUIRE(reopened.ok());
    CHECK(count(*reopened) == 7);
    std::error_code ec;
    std::filesystem::remove_all(pattern, ec);
}

TEST_CASE("a new database file is created 0600 from the first byte") {
    char pattern[] = "/tmp/wal-sharing-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    const std::filesystem::path file = std::filesystem::path(pattern) / "kiosk.db";
    {
        auto db = Database::open(file);
        REQUIRE(db.ok());
        REQUIRE(db->exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);").ok());
        auto perms = std::filesystem::status(file).permissions();
        CHECK((perms & std::filesystem::perms::all) == (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
        auto walPerms = std::filesystem::status(file.string() + "-wal").permissions();
        CHECK((walPerms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) == std::filesystem::perms::none);
    }
    std::error_code ec;
    std::filesystem::remove_all(pattern, ec);
}

int main(int argc, char** argv) {
    if (argc == 4 && std::string(argv[1]) == "--child-count") return childCount(argv[2], argv[3]);
    g_self = std::filesystem::canonical("/proc/self/exe").string();
    doctest::Context context(argc, argv);
    return context.run();
}

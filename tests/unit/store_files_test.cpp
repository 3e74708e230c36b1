// kiosk.db, its -wal or its -shm removed or replaced under an open
// connection: the change is found, and saveAfterChange leaves every commit
// in a file the next process opens (kiosk/store/store_files.hpp). Each
// check copies that file alone and reads the copy, as a new process would
// find it: without the -wal the connection still writes to.
#include "kiosk/store/store_files.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace kiosk;
using edsync::sqlite::Database;
using kiosk::test::TempDir;

namespace {

void insertRows(Database& db, int from, int to) {
    for (int i = from; i < to; ++i) {
        auto stmt = db.prepare("INSERT INTO fact (n) VALUES (?1);");
        REQUIRE(stmt.ok());
        stmt->bind(1, i);
        REQUIRE(stmt->step().ok());
    }
}

// Rows in `file` read on its own: copied without any -wal or -shm, then opened.
std::int64_t rowsInFileAlone(const TempDir& dir, const std::filesystem::path& file) {
    auto copy = dir / "alone.db";
    std::filesystem::remove(copy);
    std::filesystem::copy_file(file, copy);
    auto db = Database::openReadOnly(copy);
    REQUIRE(db.ok());
    auto stmt = db->prepare("SELECT count(*) FROM fact;");
    REQUIRE(stmt.ok());
    REQUIRE(stmt->step().value_or(false));
    return stmt->getInt(0);
}

// An open store as the window keeps it: WAL, checkpoints left to the owner.
Database openStore(const std::filesystem::path& file) {
    auto db = Database::open(file);
    REQUIRE(db.ok());
    REQUIRE(db->deferCheckpoints().ok());
    REQUIRE(db->exec("CREATE TABLE fact (n INTEGER NOT NULL);").ok());
    REQUIRE(db->checkpointAll().ok());  // the table in the file: what follows lives in the -wal
    return std::move(*db);
}

std::filesystem::path withSuffix(std::filesystem::path p, const char* suffix) {
    p += suffix;
    return p;
}

} // namespace

TEST_CASE("store files: nothing is found while the three files stay, and each one removed is named") {
    TempDir dir;
    auto file = dir / "kiosk.db";
    auto db = openStore(file);
    insertRows(db, 0, 10);
    auto taken = store::identifyStoreFiles(file);
    REQUIRE(taken.database);
    REQUIRE(taken.wal);
    REQUIRE(taken.shm);
    CHECK_FALSE(store::changedStoreFile(file, taken));
    insertRows(db, 10, 20);  // writes and checkpoints change no identity
    REQUIRE(db.checkpointAll().ok());
    CHECK_FALSE(store::changedStoreFile(file, taken));

    SUBCASE("the -shm") {
        std::filesystem::remove(withSuffix(file, "-shm"));
        CHECK(store::changedStoreFile(file, taken) == withSuffix(file, "-shm"));
    }
    SUBCASE("the -wal, even with a new one in its place") {
        std::filesystem::remove(withSuffix(file, "-wal"));
        CHECK(store::changedStoreFile(file, taken) == withSuffix(file, "-wal"));
        std::ofstream(withSuffix(file, "-wal")) << "";
        CHECK(store::changedStoreFile(file, taken) == withSuffix(file, "-wal"));
    }
}

TEST_CASE("store files: a -wal removed under the open store: saving copies every commit into kiosk.db itself") {
    TempDir dir;
    auto file = dir / "kiosk.db";
    auto db = openStore(file);
    auto taken = store::identifyStoreFiles(file);
    insertRows(db, 0, 40);
    std::filesystem::remove(withSuffix(file, "-wal"));
    insertRows(db, 40, 50);  // committed into the -wal nobody else can open
    REQUIRE(store::changedStoreFile(file, taken) == withSuffix(file, "-wal"));
    CHECK(rowsInFileAlone(dir, file) == 0);  // the danger: kiosk.db alone holds none of them

    auto saved = store::saveAfterChange(db, file, taken, "2026-12-06T13-30-00");
    REQUIRE(saved.ok());
    CHECK(saved->inPlace);
    CHECK(saved->file == file);
    CHECK(rowsInFileAlone(dir, file) == 50);
    CHECK_FALSE(std::filesystem::exists(withSuffix(file, "-wal")));  // nothing made at the path
}

TEST_CASE("store files: kiosk.db removed under the open store: saving writes it all out again at its path") {
    TempDir dir;
    auto file = dir / "kiosk.db";
    auto db = openStore(file);
    auto taken = store::identifyStoreFiles(file);
    insertRows(db, 0, 30);
    std::filesystem::remove(file);
    insertRows(db, 30, 35);
    REQUIRE(store::changedStoreFile(file, taken) == file);

    auto saved = store::saveAfterChange(db, file, taken, "2026-12-06T13-30-00");
    REQUIRE(saved.ok());
    CHECK(saved->inPlace);
    CHECK(saved->file == file);
    CHECK(rowsInFileAlone(dir, file) == 35);
}

TEST_CASE("store files: kiosk.db replaced by another file: saving leaves that file alone and writes a copy beside it") {
    TempDir dir;
    auto file = dir / "kiosk.db";
    auto db = openStore(file);
    auto taken = store::identifyStoreFiles(file);
    insertRows(db, 0, 25);
    {
        std::ofstream other(dir / "restored.db", std::ios::binary);
        other << "another file, restored over the store";
    }
    std::filesystem::rename(dir / "restored.db", file);
    REQUIRE(store::changedStoreFile(file, taken) == file);

    auto saved = store::saveAfterChange(db, file, taken, "2026-12-06T13-30-00");
    REQUIRE(saved.ok());
    CHECK_FALSE(saved->inPlace);
    CHECK(saved->file == dir / "kiosk-saved-2026-12-06T13-30-00.db");
    CHECK(rowsInFileAlone(dir, saved->file) == 25);
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text == "another file, restored over the store");
}

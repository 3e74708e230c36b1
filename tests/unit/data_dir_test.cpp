// The data directory: created 0700 when new, never re-moded when not ours,
// refused when others can write into it.
#include "kiosk/app/data_dir.hpp"

#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using kiosk::app::prepareDataDir;

namespace {
mode_t modeOf(const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}
} // namespace

TEST_CASE("a new data directory is created 0700") {
    kiosk::test::TempDir dir;
    std::string error;
    auto d = prepareDataDir(dir / "a" / "testsite-kiosk", error);
    REQUIRE(d);
    CHECK(modeOf(d->root) == 0700);
}

TEST_CASE("a shared directory (mode 1777, like /tmp) is refused and left as it was") {
    kiosk::test::TempDir dir;
    auto shared = dir / "shared";
    std::filesystem::create_directory(shared);
    REQUIRE(::chmod(shared.c_str(), 01777) == 0);
    std::string error;
    CHECK_FALSE(prepareDataDir(shared, error));
    CHECK(modeOf(shared) == 01777);
    CHECK(error.find(shared.string()) != std::string::npos);
    CHECK(error.find("1777") != std::string::npos);
    CHECK(error.find("--data-dir") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(shared / "kiosk.db"));

    REQUIRE(::chmod(shared.c_str(), 0777) == 0);
    CHECK_FALSE(prepareDataDir(shared, error));
    CHECK(modeOf(shared) == 0777);
}

TEST_CASE("--data-dir /tmp is refused") {
    std::string error;
    auto before = modeOf("/tmp");
    CHECK_FALSE(prepareDataDir(std::filesystem::path("/tmp"), error));
    CHECK(error.find("/tmp") != std::string::npos);
    CHECK(modeOf("/tmp") == before);
}

TEST_CASE("an existing private directory of ours is used without changing its mode") {
    kiosk::test::TempDir dir;
    auto mine = dir / "mine";
    std::filesystem::create_directory(mine);
    REQUIRE(::chmod(mine.c_str(), 0750) == 0);
    std::string error;
    CHECK(prepareDataDir(mine, error));
    CHECK(modeOf(mine) == 0750);
}

TEST_CASE("a directory of another user is refused, with what to do") {
    auto why = kiosk::app::unsafeDataDir("/srv/other", ::geteuid() + 1, 0700);
    REQUIRE(why);
    CHECK(why->find("another user") != std::string::npos);
    CHECK(why->find("--data-dir") != std::string::npos);
    CHECK_FALSE(kiosk::app::unsafeDataDir("/srv/mine", ::geteuid(), 0700));
}

TEST_CASE("a file where the directory should be is refused") {
    kiosk::test::TempDir dir;
    std::ofstream(dir / "file") << "x";
    std::string error;
    CHECK_FALSE(prepareDataDir(dir / "file", error));
    CHECK(error.find("not a directory") != std::string::npos);
}

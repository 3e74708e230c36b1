// The shared file helpers (sync/core/files.hpp): bounded reads, secret
// files checked on the open descriptor, atomic writes.
#include "sync/core/files.hpp"

#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace edsync::files;

namespace {

void writeText(const std::filesystem::path& p, const std::string& text, mode_t mode = 0600) {
    std::ofstream(p, std::ios::binary) << text;
    ::chmod(p.c_str(), mode);
}

mode_t modeOf(const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

} // namespace

TEST_CASE("a 1 GiB file with the right header is refused by its size, before its body is read") {
    kiosk::test::TempDir dir;
    auto big = dir / "huge.tsk";
    writeText(big, "TSKUSB01");
    // Sparse: a gibibyte on paper, a few bytes on disk. Reading it whole
    // would allocate 1 GiB; the size check refuses it first.
    REQUIRE(::truncate(big.c_str(), off_t{1} << 30) == 0);
    auto r = readBounded(big, {.maxBytes = 256u << 20, .magic = "TSKUSB01", .jsonObject = false});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().find("too large") != std::string::npos);
    CHECK(r.error().find("1024 MiB") != std::string::npos);
}

TEST_CASE("the header is checked before the body") {
    kiosk::test::TempDir dir;
    writeText(dir / "a.tsk", "NOTMAGIC and more");
    auto r = readBounded(dir / "a.tsk", {.maxBytes = 1024, .magic = "TSKUSB01", .jsonObject = false});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().find("TSKUSB01") != std::string::npos);
    writeText(dir / "b.tsk", "TSKUSB01payload");
    auto ok = readBounded(dir / "b.tsk", {.maxBytes = 1024, .magic = "TSKUSB01", .jsonObject = false});
    REQUIRE(ok.ok());
    CHECK(ok.value() == "TSKUSB01payload");
}

TEST_CASE("a JSON file must open with an object") {
    kiosk::test::TempDir dir;
    writeText(dir / "ok.json", "\xEF\xBB\xBF  \n{\"a\": 1}");
    CHECK(readBounded(dir / "ok.json", {.maxBytes = 1024, .magic = {}, .jsonObject = true}).ok());
    writeText(dir / "bin.json", std::string("\x7f" "ELF\0\0", 6));
    CHECK_FALSE(readBounded(dir / "bin.json", {.maxBytes = 1024, .magic = {}, .jsonObject = true}).ok());
    writeText(dir / "empty.json", "");
    CHECK_FALSE(readBounded(dir / "empty.json", {.maxBytes = 1024, .magic = {}, .jsonObject = true}).ok());
}

TEST_CASE("a limit is a limit, and only regular files are read") {
    kiosk::test::TempDir dir;
    writeText(dir / "five", "12345");
    CHECK(readBounded(dir / "five", {.maxBytes = 5, .magic = {}, .jsonObject = false}).ok());
    CHECK_FALSE(readBounded(dir / "five", {.maxBytes = 4, .magic = {}, .jsonObject = false}).ok());
    auto r = readBounded(dir.path(), {.maxBytes = 1024, .magic = {}, .jsonObject = false});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().find("not a regular file") != std::string::npos);
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    CHECK_FALSE(readBounded(dir / "fifo", {.maxBytes = 1024, .magic = {}, .jsonObject = false}).ok());  // does not hang either
    CHECK_FALSE(readBounded(dir / "missing", {.maxBytes = 1024, .magic = {}, .jsonObject = false}).ok());
}

TEST_CASE("a secret file is checked on the descriptor it is read from") {
    kiosk::test::TempDir dir;
    writeText(dir / "creds", "key=k\nsecret=s\n", 0600);
    auto ok = readSecretFile(dir / "creds", "the credentials file");
    REQUIRE(ok.ok());
    CHECK(ok.value() == "key=k\nsecret=s\n");

    writeText(dir / "open", "key=k\n", 0640);
    auto open = readSecretFile(dir / "open", "the credentials file");
    REQUIRE_FALSE(open.ok());
    CHECK(open.error().find("chmod 600") != std::string::npos);

    // A symbolic link is not followed (someone could point it anywhere).
    std::filesystem::create_symlink(dir / "creds", dir / "link");
    CHECK_FALSE(readSecretFile(dir / "link", "the credentials file").ok());

    writeText(dir / "big", std::string(70000, 'x'), 0600);
    CHECK_FALSE(readSecretFile(dir / "big", "the site key").ok());

    if (::geteuid() == 0) {
        // Owned by someone else (nobody) while we are root: refused.
        REQUIRE(::chown((dir / "creds").c_str(), 65534, 65534) == 0);
        auto other = readSecretFile(dir / "creds", "the credentials file");
        REQUIRE_FALSE(other.ok());
        CHECK(other.error().find("another user") != std::string::npos);
    }
}

TEST_CASE("an atomic write replaces the whole file with the mode asked, and leaves no temporary file") {
    kiosk::test::TempDir dir;
    auto target = dir / "report.csv";
    writeText(target, "old", 0644);
    REQUIRE(writeAtomically(target, "new contents", 0600).ok());
    std::ifstream in(target);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text == "new contents");
    CHECK(modeOf(target) == 0600);
    int entries = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) entries += e.is_regular_file() ? 1 : 0;
    CHECK(entries == 1);
}

TEST_CASE("a staged file that is never committed leaves the target as it was") {
    kiosk::test::TempDir dir;
    auto target = dir / "kiosk.toml";
    writeText(target, "working", 0644);
    {
        auto staged = stageFile(target, "half of a new enrolment", 0644);
        REQUIRE(staged.ok());
    }
    std::ifstream in(target);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text == "working");
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()) == 1);
    CHECK_FALSE(writeAtomically(dir / "no-such-dir" / "x", "y", 0600).ok());
}

// libFuzzer: what kiosk.db and its -wal say before SQLite is asked
// (sync/sqlite/file_check.hpp: statDatabaseFiles, inspectDatabaseFiles), and
// then the whole check a store runs before anything writes to it
// (kiosk::store::checkStoreFiles: the file check, a read-only open,
// quick_check, the kiosk id against kiosk.db.id), over files in a temporary
// folder built from the input. A copied or damaged data directory can hold
// any bytes.
//
// Input: a flags byte, the database part's length (2 bytes, big-endian), the
// database's bytes, then the -wal's bytes. Flags: 1 no kiosk.db at all;
// 2 a -wal even when its part is empty; 4 the -wal header's checksum made
// right (mutation cannot find a 64-bit checksum); 8 the database padded with
// zeros to a whole number of the pages its header names; 16 a kiosk.db.id
// beside it.
//
// What must hold: a finding names kiosk.db or its -wal and says what is
// wrong; no kiosk.db, no finding; checkStoreFiles refuses (damaged) whatever
// the file check found, calls nothing Existing without a database, and
// changes neither file (a refused -wal is never folded into the database).
#include "kiosk/store/store_health.hpp"
#include "sync/sqlite/file_check.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

const std::filesystem::path& folder() {
    static const std::filesystem::path dir = [] {
        std::string d = (std::filesystem::temp_directory_path() / "fuzz-store-XXXXXX").string();
        if (!::mkdtemp(d.data())) __builtin_trap();
        static std::string made = d;
        std::atexit([] { std::error_code ec; std::filesystem::remove_all(made, ec); });  // libFuzzer ends with exit()
        return std::filesystem::path(d);
    }();
    return dir;
}

void put(const std::filesystem::path& file, std::string_view bytes) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) __builtin_trap();
}

std::string get(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::uint32_t be32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

void putBe32(std::string& s, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) s[at + static_cast<std::size_t>(i)] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
}

// SQLite's -wal header checksum over its first 24 bytes, in the byte order its magic names.
void fixWalChecksum(std::string& wal) {
    if (wal.size() < 32) return;
    const auto* h = reinterpret_cast<const unsigned char*>(wal.data());
    const bool big = be32(h) == 0x377f0683;
    auto word = [&](std::size_t i) { return big ? be32(h + i) : (std::uint32_t{h[i + 3]} << 24) | (std::uint32_t{h[i + 2]} << 16) | (std::uint32_t{h[i + 1]} << 8) | h[i]; };
    std::uint32_t s0 = 0, s1 = 0;
    for (std::size_t i = 0; i < 24; i += 8) {
        s0 += word(i) + s1;
        s1 += word(i + 4) + s0;
    }
    putBe32(wal, 24, s0);
    putBe32(wal, 28, s1);
}

void padToPages(std::string& db) {
    if (db.size() < 100) return;
    std::uint32_t page = (std::uint32_t{static_cast<unsigned char>(db[16])} << 8) | static_cast<unsigned char>(db[17]);
    if (page == 1) page = 65536;
    if (page < 512 || page > 65536 || (page & (page - 1)) != 0) return;
    const std::size_t whole = (db.size() + page - 1) / page * page;
    if (whole <= 256 * 1024) db.resize(whole, '\0');
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const unsigned flags = data[0];
    std::size_t dbLength = (std::size_t{data[1]} << 8) | data[2];
    std::string_view rest(reinterpret_cast<const char*>(data) + 3, size - 3);
    dbLength = std::min(dbLength, rest.size());
    std::string db(rest.substr(0, dbLength));
    std::string wal(rest.substr(dbLength));
    if (flags & 4) fixWalChecksum(wal);
    if (flags & 8) padToPages(db);

    const auto dir = folder();
    const auto file = dir / "kiosk.db";
    auto walFile = file;
    walFile += "-wal";
    for (const char* name : {"kiosk.db", "kiosk.db-wal", "kiosk.db-shm", "kiosk.db.id"}) std::filesystem::remove(dir / name);
    const bool hasDb = !(flags & 1);
    if (hasDb) put(file, db);
    if (!wal.empty() || (flags & 2)) put(walFile, wal);
    if (flags & 16) put(kiosk::store::identityFile(file), "0190f6a4-1111-7000-8000-00000000000a\n");

    const auto stat = edsync::sqlite::statDatabaseFiles(file);
    if (stat.exists != hasDb || stat.bytes != (hasDb ? db.size() : 0)) __builtin_trap();
    const auto finding = edsync::sqlite::inspectDatabaseFiles(file);
    if (finding) {
        if (!hasDb || finding->problem.empty()) __builtin_trap();
        if (finding->file != file && finding->file != walFile) __builtin_trap();
    }

    const std::string dbBefore = hasDb ? get(file) : std::string();
    const std::string walBefore = get(walFile);
    auto checked = kiosk::store::checkStoreFiles(file);
    if (finding && (checked.ok() || !checked.error().damaged())) __builtin_trap();
    if (checked.ok() && *checked == kiosk::store::StoreState::Existing && (!hasDb || db.empty())) __builtin_trap();
    if (!checked.ok() && checked.error().message.empty()) __builtin_trap();
    // Read only: neither file changed (SQLite may add a -shm, its shared index).
    if (hasDb && get(file) != dbBefore) __builtin_trap();
    if (get(walFile) != walBefore) __builtin_trap();
    return 0;
}

#include "sync/sqlite/file_check.hpp"

#include "sync/core/files.hpp"

#include <sqlite3.h>

#include <array>
#include <vector>
#include <cstring>
#include <fstream>

namespace edsync::sqlite {

namespace {

std::uint32_t be32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

std::uint32_t le32(const unsigned char* p) {
    return (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[1]} << 8) | std::uint32_t{p[0]};
}

// The database file is read through SQLite's own VFS, never a plain
// open/close: closing any descriptor of a file drops every POSIX lock this
// process holds on it (a connection's SHARED lock among them), and another
// process would then take itself for the last connection and delete the
// -wal. SQLite's unix VFS keeps such a descriptor open until the locks go.
bool readDatabaseHead(const std::filesystem::path& file, std::array<unsigned char, 100>& into) {
    sqlite3_vfs* vfs = sqlite3_vfs_find(nullptr);
    if (!vfs) return false;
    std::vector<sqlite3_int64> mem(static_cast<std::size_t>(vfs->szOsFile) / sizeof(sqlite3_int64) + 1);
    auto* f = reinterpret_cast<sqlite3_file*>(mem.data());
    // A VFS reads URI parameters after the name's terminating NUL: end it with several.
    std::string name = std::filesystem::absolute(file).string();
    name.append(4, '\0');
    int outFlags = 0;
    if (vfs->xOpen(vfs, name.c_str(), f, SQLITE_OPEN_READONLY | SQLITE_OPEN_MAIN_DB, &outFlags) != SQLITE_OK) {
        if (f->pMethods) f->pMethods->xClose(f);
        return false;
    }
    int rc = f->pMethods->xRead(f, into.data(), static_cast<int>(into.size()), 0);
    f->pMethods->xClose(f);
    return rc == SQLITE_OK;
}

// The -wal holds no POSIX locks (SQLite locks the -shm), so a plain read is safe.
template <std::size_t N>
std::size_t readHead(const std::filesystem::path& file, std::array<unsigned char, N>& into) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return 0;
    in.read(reinterpret_cast<char*>(into.data()), static_cast<std::streamsize>(N));
    return static_cast<std::size_t>(in.gcount());
}

using edsync::files::sizeOr0;

bool validPageSize(std::uint32_t size) { return size >= 512 && size <= 65536 && (size & (size - 1)) == 0; }

// The -wal header checksum (sqlite.org/fileformat2.html#walformat): pairs of
// 32-bit words in the byte order the magic number names.
bool walHeaderChecksumOk(const std::array<unsigned char, 32>& h, bool bigEndian) {
    std::uint32_t s0 = 0, s1 = 0;
    for (std::size_t i = 0; i < 24; i += 8) {
        std::uint32_t x0 = bigEndian ? be32(&h[i]) : le32(&h[i]);
        std::uint32_t x1 = bigEndian ? be32(&h[i + 4]) : le32(&h[i + 4]);
        s0 += x0 + s1;
        s1 += x1 + s0;
    }
    return s0 == be32(&h[24]) && s1 == be32(&h[28]);
}

} // namespace

DatabaseFiles statDatabaseFiles(const std::filesystem::path& file) {
    DatabaseFiles f;
    std::error_code ec;
    f.exists = std::filesystem::is_regular_file(file, ec);
    f.bytes = f.exists ? sizeOr0(file) : 0;
    auto wal = file;
    wal += "-wal";
    f.walBytes = sizeOr0(wal);
    return f;
}

std::optional<FileFinding> inspectDatabaseFiles(const std::filesystem::path& file) {
    const auto files = statDatabaseFiles(file);
    if (!files.exists) return std::nullopt;
    std::uint32_t pageSize = 0;
    if (files.bytes > 0) {
        std::array<unsigned char, 100> h{};
        if (files.bytes < h.size() || !readDatabaseHead(file, h)) return FileFinding{file, "is cut short: " + std::to_string(files.bytes) + " bytes, less than a database header"};
        if (std::memcmp(h.data(), "SQLite format 3", 16) != 0) return FileFinding{file, "is not a database (its first bytes are not SQLite's header)"};
        pageSize = (std::uint32_t{h[16]} << 8) | h[17];
        if (pageSize == 1) pageSize = 65536;
        if (!validPageSize(pageSize)) return FileFinding{file, "has a damaged header (page size " + std::to_string(pageSize) + ")"};
        if (files.bytes % pageSize != 0)
            return FileFinding{file, "is cut short: " + std::to_string(files.bytes) + " bytes is not a whole number of " + std::to_string(pageSize) +
                                         "-byte pages"};
        // The page count in the header is trusted by SQLite when the change
        // counter matches "version valid for". A -wal with frames may be in the
        // middle of a checkpoint, which writes page 1 first: only without one
        // is a shorter file certainly cut.
        const std::uint32_t pages = be32(&h[28]);
        if (files.walBytes == 0 && be32(&h[24]) == be32(&h[92]) && pages > 0 && files.bytes < std::uintmax_t{pages} * pageSize)
            return FileFinding{file, "is cut short: " + std::to_string(files.bytes / pageSize) + " of its " + std::to_string(pages) + " pages are there"};
    }
    // A -wal shorter than its header holds no commit (SQLite writes the header
    // with the first frame) and SQLite ignores it: nothing to say.
    if (files.walBytes >= 32) {
        auto wal = file;
        wal += "-wal";
        std::array<unsigned char, 32> w{};
        if (readHead(wal, w) < w.size()) return std::nullopt;
        const std::uint32_t magic = be32(&w[0]);
        if (magic != 0x377f0682 && magic != 0x377f0683)
            return FileFinding{wal, "is not a SQLite write-ahead log (damaged, or another program's file)"};
        if (be32(&w[4]) != 3007000) return FileFinding{wal, "has a damaged header (unknown format version)"};
        if (!walHeaderChecksumOk(w, magic == 0x377f0683)) return FileFinding{wal, "has a damaged header (checksum)"};
        const std::uint32_t walPageSize = be32(&w[8]);
        if (pageSize != 0 && walPageSize != pageSize)
            return FileFinding{wal, "belongs to another database: its pages are " + std::to_string(walPageSize) + " bytes, the database's " +
                                        std::to_string(pageSize)};
        if (files.bytes == 0) return FileFinding{file, "is empty but a -wal with changes lies beside it: the database file was cut or replaced"};
    }
    return std::nullopt;
}

} // namespace edsync::sqlite

#pragma once
// What the bytes on disk say before SQLite is asked: a database header that
// is not SQLite's, a file shorter than its own header says, or a -wal that
// cannot belong to the file beside it. SQLite itself would read such files
// wrongly (a foreign -wal is replayed over the database) or give only
// "disk image is malformed" without naming the file.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace edsync::sqlite {

struct FileFinding {
    std::filesystem::path file;  // the database or its -wal
    std::string problem;         // a sentence without the file's name
};

struct DatabaseFiles {
    bool exists = false;
    std::uintmax_t bytes = 0;     // the database file
    std::uintmax_t walBytes = 0;  // its -wal (0 when absent)
};

DatabaseFiles statDatabaseFiles(const std::filesystem::path& file);

// Reads the first 100 bytes of the database and the 32-byte header of its
// -wal. Nothing for a file that is absent or empty (a database not yet
// written) or whose headers agree; a finding otherwise.
std::optional<FileFinding> inspectDatabaseFiles(const std::filesystem::path& file);

} // namespace edsync::sqlite

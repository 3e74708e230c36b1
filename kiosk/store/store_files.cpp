#include "kiosk/store/store_files.hpp"

#include <sqlite3.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kiosk::store {

using edsync::fail;
using edsync::sqlite::Database;
using edsync::sqlite::Error;

namespace {

std::filesystem::path sibling(const std::filesystem::path& database, const char* suffix) {
    auto p = database;
    p += suffix;
    return p;
}

// nullopt: not there. A file that cannot be looked at for another reason
// (a folder made unreadable) reads as `unknown`: no finding either way.
struct Look {
    std::optional<FileId> id;
    bool unknown = false;
};

Look look(const std::filesystem::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0) return {FileId{st.st_dev, st.st_ino}, false};
    return {std::nullopt, errno != ENOENT};
}

// VACUUM INTO does not fsync what it writes.
bool syncFile(const std::filesystem::path& file) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = ::fsync(fd) == 0;
    ::close(fd);
    int dir = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return false;
    ok = (::fsync(dir) == 0 || errno == EINVAL) && ok;
    ::close(dir);
    return ok;
}

} // namespace

StoreFileIds identifyStoreFiles(const std::filesystem::path& database) {
    return {look(database).id, look(sibling(database, "-wal")).id, look(sibling(database, "-shm")).id};
}

std::optional<std::filesystem::path> changedStoreFile(const std::filesystem::path& database, const StoreFileIds& taken) {
    const std::pair<const char*, const std::optional<FileId>*> files[] = {{"", &taken.database}, {"-wal", &taken.wal}, {"-shm", &taken.shm}};
    for (const auto& [suffix, id] : files) {
        if (!*id) continue;
        auto file = sibling(database, suffix);
        auto now = look(file);
        if (!now.unknown && now.id != *id) return file;
    }
    return std::nullopt;
}

edsync::sqlite::Result<SavedStore> saveAfterChange(Database& db, const std::filesystem::path& database, const StoreFileIds& taken,
                                                   const std::string& stamp) {
    // The -wal's frames go into the file this connection has open, whichever
    // -wal is at the path now: the connection still holds its own.
    auto whole = db.checkpointAll();
    auto now = look(database);
    if (whole && taken.database && now.id == taken.database) {
        db.stopCheckpoints();
        return SavedStore{database, true};
    }
    // kiosk.db is another file now, or gone (or the -wal could not be copied
    // whole): the connection writes out everything it reaches.
    std::filesystem::path target = database;
    if (now.id || now.unknown) target = database.parent_path() / ("kiosk-saved-" + stamp + ".db");
    std::error_code ec;
    std::filesystem::create_directories(target.parent_path(), ec);  // the whole folder may have gone
    auto stmt = db.prepare("VACUUM INTO ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, target.string());
    if (auto done = stmt->step(); !done) return fail(done.error());
    db.stopCheckpoints();
    if (!syncFile(target)) {
        Error e;
        e.code = SQLITE_IOERR;
        e.extendedCode = SQLITE_IOERR_FSYNC;
        e.message = "cannot flush " + target.string() + " to the disk: " + std::strerror(errno);
        return fail(e);
    }
    return SavedStore{target, target == database};
}

} // namespace kiosk::store

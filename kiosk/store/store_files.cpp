#include "kiosk/store/store_files.hpp"

#include <cerrno>
#include <sys/stat.h>

namespace kiosk::store {

using edsync::fail;
using edsync::sqlite::Database;

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
    if (auto copied = db.writeCopy(target); !copied) return fail(copied.error());
    db.stopCheckpoints();
    return SavedStore{target, target == database};
}

} // namespace kiosk::store

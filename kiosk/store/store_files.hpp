#pragma once
// kiosk.db, its -wal and its -shm belong to SQLite while the kiosk runs. One
// of them removed or replaced under a running process (by hand, a clean-up
// script, a copy restored over it) parts this process's connections from
// the files the next process opens: what was committed since the last
// checkpoint would live only in a file nobody can open again. The window and
// `serve` take the three files' identities once the store is open, compare
// them every second, and on a change save what the connection still reaches
// and stop writing (docs/architecture.md, "Database health").
#include "sync/sqlite/database.hpp"

#include <filesystem>
#include <optional>
#include <string>

#include <sys/types.h>

namespace kiosk::store {

struct FileId {
    dev_t device = 0;
    ino_t inode = 0;
    bool operator==(const FileId&) const = default;
};

// The identities of kiosk.db, kiosk.db-wal and kiosk.db-shm; nullopt for a
// file that is not there.
struct StoreFileIds {
    std::optional<FileId> database, wal, shm;
};
StoreFileIds identifyStoreFiles(const std::filesystem::path& database);

// The first of the three whose identity is not the one taken (removed, or
// another file in its place); nullopt while they are the same. A file that
// was not there when the identities were taken is not watched.
std::optional<std::filesystem::path> changedStoreFile(const std::filesystem::path& database, const StoreFileIds& taken);

// Where what the connection reaches was saved after a change.
struct SavedStore {
    std::filesystem::path file;  // kiosk.db itself, or a copy beside it
    bool inPlace = false;        // kiosk.db holds everything committed
};

// Saves everything committed that `db` (a read-write connection opened
// before the change) still reaches, then stops its checkpoints: the -wal
// is copied into kiosk.db (a whole checkpoint) when kiosk.db is still the
// file this connection has open; otherwise, or if that checkpoint cannot
// finish, the connection's whole database is written out (VACUUM INTO) to
// kiosk.db when nothing is at that path any more, else to a copy
// `kiosk-saved-<stamp>.db` beside it (`stamp`: the caller's clock, UTC,
// safe in a file name). Nothing is written to the connection after this.
edsync::sqlite::Result<SavedStore> saveAfterChange(edsync::sqlite::Database& db, const std::filesystem::path& database,
                                                   const StoreFileIds& taken, const std::string& stamp);

} // namespace kiosk::store

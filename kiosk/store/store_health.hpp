#pragma once
// Is kiosk.db the store it should be, before anything writes to it?
//
// The rules (docs/architecture.md, Operations):
// - kiosk.db.id beside the database names the kiosk whose store it is; it is
//   written when a store is made (or first opened by a release that has it).
// - A missing or 0-byte kiosk.db is a new kiosk only when neither
//   kiosk.db.id nor a -wal with changes says a store was there.
// - The file and -wal headers must agree (file_check.hpp), SQLite's
//   quick_check must pass, and the kiosk id inside must be the one in
//   kiosk.db.id: another kiosk's file, or another database's -wal replayed
//   over this one, is refused.
// Every check reads through a read-only connection that never checkpoints,
// so a refused -wal is not folded into the database on close.
#include "sync/sqlite/database.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace kiosk::store {

enum class StoreState { New, Existing };

// kiosk.db -> kiosk.db.id
std::filesystem::path identityFile(const std::filesystem::path& database);
std::optional<std::string> readIdentity(const std::filesystem::path& database);
// Best effort (a full disk leaves it for the next open): written 0600 with
// edsync::files::writeAtomically (temporary file, fsync, rename, fsync of the
// directory), so a reader, or a restart after a crash, sees all of it or none.
void writeIdentity(const std::filesystem::path& database, const std::string& kioskId);

// New when there is nothing to check; Existing when the store passed; a
// damaged() error naming the file and the problem otherwise.
edsync::sqlite::Result<StoreState> checkStoreFiles(const std::filesystem::path& database);

// The same checks on a connection already open (read-only, for readers).
edsync::sqlite::Status checkOpenStore(edsync::sqlite::Database& db);

// A damaged() error: "<file> <problem>".
edsync::sqlite::Error damagedStore(const std::filesystem::path& file, const std::string& problem);

} // namespace kiosk::store

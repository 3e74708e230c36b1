#pragma once
#include "sync/sqlite/database.hpp"

namespace kiosk::store {

// Applies the kiosk's numbered migrations (component "kiosk") and the
// outbox's (component "sync"). Returns the kiosk schema version.
edsync::sqlite::Result<int> migrateAll(edsync::sqlite::Database& db);
// The same, stopping at kiosk schema `kioskVersion`: how an upgrade test makes
// the database an older release wrote (only that release's migration SQL).
edsync::sqlite::Result<int> migrateTo(edsync::sqlite::Database& db, int kioskVersion);
int latestSchemaVersion();

} // namespace kiosk::store

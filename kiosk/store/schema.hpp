#pragma once
#include "sync/sqlite/database.hpp"

namespace kiosk::store {

// Applies the kiosk's numbered migrations (component "kiosk") and the
// outbox's (component "sync"). Returns the kiosk schema version.
edsync::sqlite::Result<int> migrateAll(edsync::sqlite::Database& db);
int latestSchemaVersion();

} // namespace kiosk::store

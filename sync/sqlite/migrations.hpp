#pragma once
// Numbered, forward-only schema migrations per component ("sync", "kiosk", ...),
// each applied in its own transaction and recorded in schema_migrations.
#include "sync/sqlite/database.hpp"

#include <span>
#include <string_view>

namespace edsync::sqlite {

struct Migration {
    int version;          // 1, 2, 3 ... with no gaps
    std::string_view sql;  // may hold several statements
};

// Applies every migration of `component` newer than the stored version.
// Returns the version the component is at afterwards. A database written by
// a newer build (stored version above the newest known) is refused.
Result<int> migrate(Database& db, std::string_view component, std::span<const Migration> migrations);
Result<int> schemaVersion(Database& db, std::string_view component);

} // namespace edsync::sqlite

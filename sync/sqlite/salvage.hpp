#pragma once
// Row-by-row copy from a damaged (or recovered) database into a fresh one
// made by the current migrations: what `testsite-kioskctl rescue` keeps.
#include "sync/sqlite/database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace edsync::sqlite {

struct TableSalvage {
    std::string table;
    std::int64_t copied = 0;       // rows now in the new database
    std::int64_t duplicates = 0;   // rows whose key was already there (the same row read twice)
    std::int64_t refused = 0;      // rows the new table refused (a NOT NULL or CHECK a damaged row breaks)
    std::int64_t unreadable = 0;   // read errors skipped (each may hide many rows)
    std::optional<std::int64_t> counted;  // rows the damaged file says it had (SELECT count(*)), when it can say
};

// For each table of `into` (but those in `skip`) that `from` also has: the
// columns both have, every row `from` still yields, in one transaction with
// foreign keys off (a parent row may be among the lost). A read error skips
// ahead by rowid where the table has one; a WITHOUT ROWID table is read
// again from the far end of its key up to the damage. `counted` comes from a
// separate count(*).
Result<std::vector<TableSalvage>> salvageRows(Database& from, Database& into, const std::vector<std::string>& skip);

} // namespace edsync::sqlite

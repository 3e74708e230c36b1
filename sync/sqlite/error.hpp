#pragma once
#include "sync/core/result.hpp"

#include <string>

namespace edsync::sqlite {

// A SQLite outcome kept with its raw codes for diagnostics.
struct Error {
    int code = 0;          // primary result code (SQLITE_FULL, SQLITE_BUSY, ...)
    int extendedCode = 0;  // extended code, e.g. SQLITE_IOERR_FSYNC
    std::string message;   // sqlite3_errmsg at the time of failure

    bool diskFull() const;
    bool busy() const;
    bool constraint() const;
    // The file is damaged, not a database, or failed an integrity check.
    bool damaged() const;
    // The file or its folder cannot be written (read-only mount, full disk,
    // permissions): a reader may still open it read-only.
    bool cannotWrite() const;
    // A damaged() error for a file found wrong outside SQLite (headers,
    // identity): `message` names the file and the problem.
    static Error damagedFile(std::string message);
    // A sentence a proctor or technician can act on.
    std::string describe() const;
};

template <class T>
using Result = edsync::Result<T, Error>;
using Status = edsync::Result<void, Error>;

} // namespace edsync::sqlite

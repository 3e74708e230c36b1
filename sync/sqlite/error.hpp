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
    // A sentence a proctor or technician can act on.
    std::string describe() const;
};

template <class T>
using Result = edsync::Result<T, Error>;
using Status = edsync::Result<void, Error>;

} // namespace edsync::sqlite

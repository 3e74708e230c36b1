#pragma once
// The exit codes of testsite-kioskctl and the window (testsite-kiosk): one
// table, each code one meaning. README.md ("Exit codes") lists exactly this
// table, and tests/packaging/cli_contract_test.cpp checks both, and that
// command code returns only these names. Codes 0-5 are shared by all
// commands; the rest come from talking to the state, reading an export file,
// a damaged store or (the window only) a display.
#include "kiosk/app/enrolment.hpp"
#include "kiosk/app/pending_bundle.hpp"
#include "sync/edfi/engine.hpp"

#include <array>
#include <string>
#include <string_view>

namespace kiosk::app::ctl {

enum Exit : int {
    Ok = 0,
    Usage = 1,               // bad command line, or the kiosk is not enrolled for what was asked
    Partial = 2,             // done, with items skipped (each one reported)
    InputError = 3,          // a file or argument cannot be used
    DataError = 4,           // the data directory or database cannot be used
    AuditBroken = 5,         // the audit chain is broken
    CredentialsRefused = 6,  // the state refused the client key or secret
    Pending = 7,             // records still wait for the state (retry later)
    NeedsAttention = 8,      // the state refused records for good
    Offline = 9,             // the state's server could not be reached
    ServiceAsked = 10,       // the background service syncs; it was asked to sync now
    TlsUntrusted = 11,       // the server's certificate is not trusted
    NotEdFi = 12,            // the server answered, but not as an Ed-Fi API
    ServerError = 13,        // the server answered with an error (5xx, 429)
    ForeignFile = 14,        // an export file made for another site
    DamagedFile = 15,        // an export file altered or damaged
    SiteStandby = 16,        // another machine of the site uploads (it holds the uploader lease)
    StoreDamaged = 17,       // the kiosk's database is damaged: nothing was written; `rescue` salvages it
    TokensRefused = 18,      // the state's server refuses more tokens for this client (429)
    DownloadFailed = 19,     // the roster download failed (each failure names its request)
    NoDisplay = 20,          // the window cannot open (no display, no OpenGL 3)
};

struct ExitCodeInfo {
    Exit code;
    std::string_view name;
    std::string_view meaning;  // as README.md says it
};

inline constexpr std::array kExitCodes{
    ExitCodeInfo{Ok, "Ok", "done"},
    ExitCodeInfo{Usage, "Usage", "bad command line, or the kiosk is not enrolled"},
    ExitCodeInfo{Partial, "Partial", "done, some items skipped (each is listed)"},
    ExitCodeInfo{InputError, "InputError", "a file or argument cannot be used"},
    ExitCodeInfo{DataError, "DataError", "the data directory or database cannot be used"},
    ExitCodeInfo{AuditBroken, "AuditBroken", "the audit chain is broken"},
    ExitCodeInfo{CredentialsRefused, "CredentialsRefused", "the state refused the client key or secret"},
    ExitCodeInfo{Pending, "Pending", "records still wait for the state (run again later)"},
    ExitCodeInfo{NeedsAttention, "NeedsAttention", "the state refused records for good (needs attention)"},
    ExitCodeInfo{Offline, "Offline", "the state's server could not be reached"},
    ExitCodeInfo{ServiceAsked, "ServiceAsked", "the background sync service was asked to sync now"},
    ExitCodeInfo{TlsUntrusted, "TlsUntrusted", "the server's certificate is not trusted (or not valid at this machine's time)"},
    ExitCodeInfo{NotEdFi, "NotEdFi", "the server answered, but not as an Ed-Fi API"},
    ExitCodeInfo{ServerError, "ServerError", "the server answered with an error (5xx, 429)"},
    ExitCodeInfo{ForeignFile, "ForeignFile", "an export file made for another site"},
    ExitCodeInfo{DamagedFile, "DamagedFile", "an export file that was altered or damaged"},
    ExitCodeInfo{SiteStandby, "SiteStandby", "another machine of the site uploads its records (it holds the uploader lease)"},
    ExitCodeInfo{StoreDamaged, "StoreDamaged", "the kiosk's database is damaged: nothing was written (see `rescue`)"},
    ExitCodeInfo{TokensRefused, "TokensRefused", "the state's server refuses more tokens for this client (429)"},
    ExitCodeInfo{DownloadFailed, "DownloadFailed", "the roster download failed (the request is named)"},
    ExitCodeInfo{NoDisplay, "NoDisplay", "the window (`testsite-kiosk`) cannot open: no display or no OpenGL 3"},
};

// "0 done, 1 bad command line...": the table for --help.
std::string exitCodeSummary();

// Every outcome a command can end with, mapped into the table.
Exit exitFor(edsync::edfi::PassResult result);
Exit exitFor(CheckOutcome outcome);
Exit exitFor(BundleError::Kind kind);

} // namespace kiosk::app::ctl

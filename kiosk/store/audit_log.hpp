#pragma once
// The append-only, hash-chained audit log: who did what, when, on which
// machine. Each entry's hash covers the previous entry's hash, so an edited,
// deleted or reordered row breaks the chain where it happened; the chain's
// head is kept in kiosk_meta too, so a deleted last row is caught as well.
// With the credential key on the connection (Database::setSealingKey) the
// hash is a keyed MAC ("k1:…"): rewriting the chain and its head needs the
// key, which is not in the database. Once an entry has a MAC, a later one
// without is a break.
#include "kiosk/domain/time.hpp"
#include "kiosk/store/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kiosk::store {

struct AuditEntry {
    std::int64_t seq = 0;
    std::string at;
    std::string kioskId;
    std::string actor;   // "proctor:P001", "student:S100001", "technician", "system"
    std::string action;  // "student.sign_in", "pin.failure", "kiosk.exit", ...
    std::string detail;  // JSON object
    std::string prevHash;
    std::string hash;
};

// Within the caller's transaction.
Status appendAudit(Database& db, const std::string& kioskId, domain::Timestamp at, std::string_view actor, std::string_view action,
                   std::string_view detailJson);

// The same, and the new head is shared with the site (Store::shareAuditHead)
// in the caller's transaction: what every service uses.
Status appendAudit(Store& store, domain::Timestamp at, std::string_view actor, std::string_view action, std::string_view detailJson);

// Records, sealed with the credential key, the entry from which every one
// must carry a MAC (once; a no-op without a key or when already marked).
Status markAuditKeyed(Database& db);

struct AuditVerdict {
    bool intact = true;
    std::int64_t entries = 0;
    std::optional<std::int64_t> brokenAtSeq;  // first entry that does not fit
    std::string problem;                      // what is wrong there
};
Result<AuditVerdict> verifyAudit(Database& db);

Result<std::vector<AuditEntry>> recentAudit(Database& db, int limit);

// How many entries record `action`, and the newest of them.
struct AuditActionSummary {
    std::int64_t count = 0;
    std::optional<AuditEntry> last;
};
Result<AuditActionSummary> auditActionSummary(Database& db, std::string_view action);

// The chain's head as printed on paper ("SEQ:HASH-PREFIX", 16 hex digits of
// the hash): a copy the database's owner cannot rewrite (docs/architecture.md,
// "Personal data at rest"). Empty for an empty chain.
Result<std::string> printableAuditHead(Database& db);
// Whether the chain still holds the entry a printed head names, unchanged.
// Returns the problem, or nothing when it matches.
Result<std::optional<std::string>> checkPrintedHead(Database& db, std::string_view printed);

// Whether the chain still holds entry `seq` with exactly `hash`, as the last
// head the site hub keeps for this kiosk says. The problem, or nothing.
Result<std::optional<std::string>> checkSiteHead(Database& db, std::int64_t seq, std::string_view hash);

// The hash an entry must have (hex BLAKE2b-256), bare or keyed with the
// audit key derived from the credential key; exposed for tests.
std::string auditHash(const AuditEntry& e);
std::string auditHash(const AuditEntry& e, const Database::SealingKey& credentialKey);

} // namespace kiosk::store

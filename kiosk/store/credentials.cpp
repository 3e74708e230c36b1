#include "kiosk/store/credentials.hpp"

#include <sodium.h>

#include <algorithm>

namespace kiosk::store {

using edsync::fail;

std::string_view credentialKindCode(CredentialKind k) {
    switch (k) {
    case CredentialKind::ProctorPin: return "proctor_pin";
    case CredentialKind::StudentPin: return "student_pin";
    case CredentialKind::StudentBirthDate: return "student_birth_date";
    }
    return "?";
}

std::optional<std::string> hashSecret(std::string_view secret, HashCost cost) {
    if (sodium_init() < 0) return std::nullopt;
    char out[crypto_pwhash_STRBYTES];
    unsigned long long ops = cost == HashCost::Interactive ? crypto_pwhash_OPSLIMIT_INTERACTIVE : 1;
    std::size_t mem = cost == HashCost::Interactive ? crypto_pwhash_MEMLIMIT_INTERACTIVE : 64 * 1024;
    if (crypto_pwhash_str_alg(out, secret.data(), secret.size(), ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0) return std::nullopt;
    return std::string(out);
}

bool verifySecret(const std::string& hash, std::string_view secret) {
    if (sodium_init() < 0) return false;
    // crypto_pwhash_str_verify compares in constant time.
    return crypto_pwhash_str_verify(hash.c_str(), secret.data(), secret.size()) == 0;
}

bool validPin(std::string_view pin) {
    return pin.size() >= 4 && pin.size() <= 8 && std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::chrono::seconds lockoutFor(int failures) {
    if (failures < kFailuresBeforeLockout) return std::chrono::seconds{0};
    int doublings = std::min(failures - kFailuresBeforeLockout, 7);
    return std::min(std::chrono::seconds{30 << doublings}, std::chrono::seconds{3600});
}

Status setCredential(Database& db, CredentialKind kind, std::string_view subject, std::string_view secret, HashCost cost,
                     domain::Timestamp now) {
    auto hash = hashSecret(secret, cost);
    if (!hash) {
        Error e;
        e.code = 1;
        e.message = "could not hash the secret (out of memory?)";
        return fail(e);
    }
    auto stmt = db.prepare(
        "INSERT INTO credential (kind, subject_id, hash, failures, locked_until, updated_at) VALUES (?1, ?2, ?3, 0, NULL, ?4)"
        " ON CONFLICT (kind, subject_id) DO UPDATE SET hash = excluded.hash, failures = 0, locked_until = NULL,"
        " updated_at = excluded.updated_at;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, credentialKindCode(kind)).bind(2, subject).bind(3, *hash).bind(4, domain::formatUtc(now));
    return stmt->run();
}

Result<bool> hasCredential(Database& db, CredentialKind kind, std::string_view subject) {
    auto stmt = db.prepare("SELECT 1 FROM credential WHERE kind = ?1 AND subject_id = ?2;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, credentialKindCode(kind)).bind(2, subject);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    return *row;
}

Result<CheckResult> checkCredential(Database& db, CredentialKind kind, std::string_view subject, std::string_view secret,
                                    domain::Timestamp now) {
    auto stmt = db.prepare("SELECT hash, failures, locked_until FROM credential WHERE kind = ?1 AND subject_id = ?2;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, credentialKindCode(kind)).bind(2, subject);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    CheckResult result;
    if (!*row) {
        // Spend the same effort as a real check, so an unknown ID is not faster.
        static const std::optional<std::string> decoy = hashSecret("decoy", HashCost::Bulk);
        if (decoy) (void)verifySecret(*decoy, secret);  // only the time it takes matters
        return result;  // Unknown
    }
    std::string hash = stmt->getText(0);
    result.failures = static_cast<int>(stmt->getInt(1));
    if (auto until = stmt->getOptionalText(2)) result.lockedUntil = domain::parseIso8601(*until);
    if (result.lockedUntil && *result.lockedUntil > now) {
        result.outcome = CheckOutcome::LockedOut;  // not even checked while locked
        return result;
    }
    bool ok = verifySecret(hash, secret);
    auto update = db.prepare("UPDATE credential SET failures = ?3, locked_until = ?4 WHERE kind = ?1 AND subject_id = ?2;");
    if (!update) return fail(update.error());
    if (ok) {
        result.outcome = CheckOutcome::Accepted;
        result.failures = 0;
        result.lockedUntil.reset();
        update->bind(1, credentialKindCode(kind)).bind(2, subject).bind(3, 0).bind(4, nullptr);
    } else {
        result.failures += 1;
        auto lock = lockoutFor(result.failures);
        result.outcome = lock.count() > 0 ? CheckOutcome::LockedOut : CheckOutcome::Wrong;
        if (lock.count() > 0) result.lockedUntil = now + lock;
        else result.lockedUntil.reset();
        update->bind(1, credentialKindCode(kind)).bind(2, subject).bind(3, result.failures);
        if (result.lockedUntil) update->bind(4, domain::formatUtc(*result.lockedUntil));
        else update->bind(4, nullptr);
    }
    if (auto s = update->run(); !s) return fail(s.error());
    return result;
}

} // namespace kiosk::store

#pragma once
// PINs and second factors: stored only as Argon2id hashes (libsodium),
// compared in constant time, locked out after five failures with a growing
// back-off that survives a restart.
//
// When the connection carries a sealing key (Database::setSealingKey; the
// app's credential.key, kept outside the data directory), each hash is
// sealed with it (XChaCha20-Poly1305, bound to the credential's kind and
// subject): a copied kiosk.db alone holds no salt and no hash to test a
// birth date or PIN against (docs/architecture.md, "Personal data at rest").
#include "kiosk/domain/time.hpp"
#include "kiosk/store/store.hpp"

#include <optional>
#include <string>

namespace kiosk::store {

enum class CredentialKind { ProctorPin, StudentPin, StudentBirthDate };
std::string_view credentialKindCode(CredentialKind k);

// Interactive cost for PINs; a lighter cost for roster second factors, which
// are hashed in bulk at import (their entropy is low either way: the
// lock-out, not the hash, is what stops guessing).
enum class HashCost { Interactive, Bulk };
std::optional<std::string> hashSecret(std::string_view secret, HashCost cost);
bool verifySecret(const std::string& hash, std::string_view secret);

// A stored value sealed with a key ("$tsk-sealed-v1$..."), or a bare hash.
bool isSealed(std::string_view stored);
// Seals (opens) any value with the key; `context` is bound to it, so a
// sealed value copied to another place does not open there.
std::optional<std::string> sealValue(const Database::SealingKey& key, std::string_view context, std::string_view value);
std::optional<std::string> openValue(const Database::SealingKey& key, std::string_view context, std::string_view sealed);
// Seals every bare hash with the connection's key, in one transaction; the
// number sealed. A store already sealed with another key is refused: its
// credentials could no longer be checked.
Result<int> sealCredentials(Database& db);

// A PIN is 4 to 8 digits.
bool validPin(std::string_view pin);

Status setCredential(Database& db, CredentialKind kind, std::string_view subject, std::string_view secret, HashCost cost,
                     domain::Timestamp now);
// A hash made elsewhere (another machine of the site: kiosk/store/roster_facts.hpp),
// stored sealed with this connection's key as setCredential would.
Status putCredentialHash(Database& db, CredentialKind kind, std::string_view subject, std::string_view bareHash, domain::Timestamp now);
// The bare hash on file (opened with the connection's key), for sharing it
// sealed with the site's key; nullopt when there is none.
Result<std::optional<std::string>> credentialHash(Database& db, CredentialKind kind, std::string_view subject);
std::optional<CredentialKind> credentialKindFromCode(std::string_view code);
Result<bool> hasCredential(Database& db, CredentialKind kind, std::string_view subject);

enum class CheckOutcome { Accepted, Wrong, LockedOut, Unknown };

struct CheckResult {
    CheckOutcome outcome = CheckOutcome::Unknown;
    int failures = 0;
    std::optional<domain::Timestamp> lockedUntil;
};

inline constexpr int kFailuresBeforeLockout = 5;
// 30 s after the fifth failure, doubling with each further one, at most an hour.
std::chrono::seconds lockoutFor(int failures);

// Within the caller's transaction (the failure count must persist).
Result<CheckResult> checkCredential(Database& db, CredentialKind kind, std::string_view subject, std::string_view secret,
                                    domain::Timestamp now);

// Whether `secret` matches the credential on file, without counting a miss
// toward a lock-out (a proctor checking what a student says at the door).
// nullopt: no such credential on file.
Result<std::optional<bool>> credentialMatches(Database& db, CredentialKind kind, std::string_view subject, std::string_view secret);

} // namespace kiosk::store

#include "kiosk/store/credentials.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <tuple>
#include <vector>

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

namespace {

constexpr std::string_view kSealedPrefix = "$tsk-sealed-v1$";
constexpr std::string_view kKeyIdMeta = "credential_key_id";

} // namespace

bool isSealed(std::string_view stored) { return stored.starts_with(kSealedPrefix); }

namespace {

// The key's public name: which key sealed this store, never the key.
std::string keyId(const Database::SealingKey& key) {
    unsigned char out[8];
    static constexpr unsigned char kLabel[] = "testsite-kiosk credential key id";
    crypto_generichash(out, sizeof out, kLabel, sizeof kLabel - 1, key.data(), key.size());
    char hex[sizeof out * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, out, sizeof out);
    return hex;
}

std::string associated(CredentialKind kind, std::string_view subject) {
    return std::string(credentialKindCode(kind)) + '\x1f' + std::string(subject);
}

} // namespace

std::optional<std::string> sealValue(const Database::SealingKey& key, std::string_view context, std::string_view hash) {
    std::string ad(context);
    if (sodium_init() < 0) return std::nullopt;
    std::vector<unsigned char> box(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + hash.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    unsigned char* nonce = box.data();
    randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    unsigned long long written = 0;
    if (crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &written,
                                                   reinterpret_cast<const unsigned char*>(hash.data()), hash.size(),
                                                   reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, nonce, key.data()) != 0)
        return std::nullopt;
    std::string text(sodium_base64_encoded_len(box.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(text.data(), text.size(), box.data(), box.size(), sodium_base64_VARIANT_ORIGINAL);
    text.resize(std::strlen(text.c_str()));
    return std::string(kSealedPrefix) + text;
}

std::optional<std::string> openValue(const Database::SealingKey& key, std::string_view context, std::string_view stored) {
    if (!isSealed(stored)) return std::nullopt;
    stored.remove_prefix(kSealedPrefix.size());
    std::vector<unsigned char> box(stored.size());
    std::size_t length = 0;
    if (sodium_base642bin(box.data(), box.size(), stored.data(), stored.size(), nullptr, &length, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
        return std::nullopt;
    const std::size_t overhead = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES;
    if (length <= overhead) return std::nullopt;
    std::string ad(context);
    std::string hash(length - overhead, '\0');
    unsigned long long opened = 0;
    const unsigned char* nonce = box.data();
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(hash.data()), &opened, nullptr,
                                                   nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                                   length - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                                   reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nonce, key.data()) != 0)
        return std::nullopt;
    hash.resize(opened);
    return hash;
}

namespace {

std::optional<std::string> seal(const Database::SealingKey& key, CredentialKind kind, std::string_view subject, const std::string& hash) {
    return sealValue(key, associated(kind, subject), hash);
}

std::optional<std::string> unseal(const Database::SealingKey& key, CredentialKind kind, std::string_view subject, std::string_view stored) {
    return openValue(key, associated(kind, subject), stored);
}

Error keyError(const std::string& why) {
    Error e;
    e.code = 1;
    e.message = "the PINs and birth dates in this kiosk's database are sealed with a credential key this kiosk " + why +
                " (credential.key, docs/architecture.md): proctors reset their PINs with `testsite-kioskctl set-proctor-pin` and the roster is "
                "imported again";
    return e;
}

std::optional<CredentialKind> kindFromCode(std::string_view code) {
    for (auto k : {CredentialKind::ProctorPin, CredentialKind::StudentPin, CredentialKind::StudentBirthDate})
        if (credentialKindCode(k) == code) return k;
    return std::nullopt;
}

} // namespace

Result<int> sealCredentials(Database& db) {
    if (sodium_init() < 0 || !db.sealingKey()) return 0;
    const auto& key = *db.sealingKey();
    // The bare hashes replaced here must not stay readable in freed space.
    if (auto s = db.exec("PRAGMA secure_delete = ON;"); !s) return fail(s.error());
    auto tx = edsync::sqlite::Transaction::begin(db);
    if (!tx) return fail(tx.error());
    auto known = getMeta(db, kKeyIdMeta);
    if (!known) return fail(known.error());
    if (*known && **known != keyId(key)) return fail(keyError("does not have (its credential.key is another one)"));
    if (!*known)
        if (auto s = setMeta(db, kKeyIdMeta, keyId(key)); !s) return fail(s.error());
    auto rows = db.prepare("SELECT kind, subject_id, hash FROM credential;");
    if (!rows) return fail(rows.error());
    std::vector<std::tuple<std::string, std::string, std::string>> bare;
    bool triedOne = false;
    for (;;) {
        auto row = rows->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        std::string hash = rows->getText(2);
        if (!isSealed(hash)) {
            bare.emplace_back(rows->getText(0), rows->getText(1), std::move(hash));
        } else if (!triedOne) {
            // One sealed row must open with this key, whatever the meta says.
            triedOne = true;
            auto kind = kindFromCode(rows->getText(0));
            if (kind && !unseal(key, *kind, rows->getText(1), hash)) return fail(keyError("cannot open with its credential.key (another kiosk's, or a new one)"));
        }
    }
    auto update = db.prepare("UPDATE credential SET hash = ?3 WHERE kind = ?1 AND subject_id = ?2;");
    if (!update) return fail(update.error());
    int sealed = 0;
    for (const auto& [code, subject, hash] : bare) {
        auto kind = kindFromCode(code);
        if (!kind) continue;  // a kind this release does not know: left as it is
        auto box = seal(key, *kind, subject, hash);
        if (!box) return fail(keyError("could not use"));
        update->reset();
        update->bind(1, code).bind(2, subject).bind(3, *box);
        if (auto s = update->run(); !s) return fail(s.error());
        ++sealed;
    }
    if (auto c = tx->commit(); !c) return fail(c.error());
    return sealed;
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
    if (auto st = deleteMeta(db, kDemoCredentialsMeta); !st) return st;
    auto hash = hashSecret(secret, cost);
    if (!hash) {
        Error e;
        e.code = 1;
        e.message = "could not hash the secret (out of memory?)";
        return fail(e);
    }
    return putCredentialHash(db, kind, subject, *hash, now);
}

Status putCredentialHash(Database& db, CredentialKind kind, std::string_view subject, std::string_view bareHash, domain::Timestamp now) {
    std::optional<std::string> hash{std::string(bareHash)};
    if (db.sealingKey()) hash = seal(*db.sealingKey(), kind, subject, *hash);
    if (!hash) {
        Error e;
        e.code = 1;
        e.message = "could not seal the credential (out of memory?)";
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

Result<std::optional<std::string>> credentialHash(Database& db, CredentialKind kind, std::string_view subject) {
    auto stmt = db.prepare("SELECT hash FROM credential WHERE kind = ?1 AND subject_id = ?2;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, credentialKindCode(kind)).bind(2, subject);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<std::string>();
    std::string hash = stmt->getText(0);
    if (isSealed(hash)) {
        if (!db.sealingKey()) return fail(keyError("does not have"));
        auto opened = unseal(*db.sealingKey(), kind, subject, hash);
        if (!opened) return fail(keyError("cannot open with its credential.key (another kiosk's, or a new one)"));
        hash = std::move(*opened);
    }
    return std::optional<std::string>(std::move(hash));
}

std::optional<CredentialKind> credentialKindFromCode(std::string_view code) { return kindFromCode(code); }

Result<bool> hasCredential(Database& db, CredentialKind kind, std::string_view subject) {
    auto stmt = db.prepare("SELECT 1 FROM credential WHERE kind = ?1 AND subject_id = ?2;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, credentialKindCode(kind)).bind(2, subject);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    return *row;
}

Result<std::optional<bool>> credentialMatches(Database& db, CredentialKind kind, std::string_view subject, std::string_view secret) {
    auto hash = credentialHash(db, kind, subject);
    if (!hash) return fail(hash.error());
    if (!*hash) return std::optional<bool>();
    return std::optional<bool>(verifySecret(**hash, secret));
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
    if (isSealed(hash)) {
        if (!db.sealingKey()) return fail(keyError("does not have"));
        auto opened = unseal(*db.sealingKey(), kind, subject, hash);
        if (!opened) return fail(keyError("cannot open with its credential.key (another kiosk's, or a new one)"));
        hash = std::move(*opened);
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

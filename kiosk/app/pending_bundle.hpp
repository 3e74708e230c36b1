#pragma once
// The USB fallback file: a kiosk's waiting outbox records, sealed so that
// another kiosk of the same site can check and read them, and nobody else.
//
//   "TSKUSB01" | u32 LE header length | header JSON (clear: format, version,
//   site id, kiosk id, created at, key id) | 24-byte nonce | XChaCha20-Poly1305
//   ciphertext of the payload JSON (additional data: everything before the
//   nonce) | Ed25519 signature over everything before it
//
// Keys, from the site key (site_key.hpp) with libsodium's crypto_kdf, context
// "TSKUSB01": subkey 1 encrypts, subkey 2 seeds the Ed25519 signing pair. The
// key id is the first 8 bytes of BLAKE2b of the public signing key: a file
// made under another site key is told apart from a damaged one. The
// signature lets anyone holding only the public key check a file is whole
// without being able to read it; the encryption keeps student records
// unreadable on a lost stick.
//
// The payload holds a manifest (kiosk, site, count, created at, and a BLAKE2b
// hash per record over resource, natural key, version, JSON and its write
// guard), the records themselves and the kiosk's facts (their count in the
// manifest); every hash and count is checked on opening.
#include "kiosk/app/site_key.hpp"
#include "sync/core/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::app {

// The first bytes of every export file (checked before the rest is read).
inline constexpr std::string_view kBundleMagic = "TSKUSB01";

struct BundleRecord {
    std::string resource;
    std::string naturalKey;
    std::int64_t version = 0;
    std::string json;
    // The write guard (docs/edfi.md, "Writers"): the ETag of the last write
    // the state acknowledged to the exporting kiosk, and the record's natural
    // key members; either may be empty (files from before they were kept).
    std::string etag{};
    std::string identity{};
};

struct BundleManifest {
    std::string kioskId;
    std::string kioskName;
    std::string siteId;
    std::string siteName;
    std::string createdAt;  // ISO 8601 UTC
};

struct PendingBundle {
    BundleManifest manifest;
    std::vector<BundleRecord> records;
    // The exporting kiosk's slice of the site log: every fact it held
    // (site_facts.hpp), in its order. An importing kiosk adds the ones it
    // lacks (by event id) and builds the records itself, so a file can never
    // carry an older picture than the events say. Empty in older files.
    std::vector<std::string> facts;
};

// Hex BLAKE2b-256 over the record's resource, natural key, version and JSON
// (and its ETag and identity, when it has them).
std::string recordHash(const BundleRecord& record);

// The key id a site key gives (hex, 16 characters).
std::string bundleKeyId(const SiteKey& key);

std::string sealBundle(const PendingBundle& bundle, const SiteKey& key);

struct BundleError {
    enum class Kind {
        NotABundle,  // not this format at all
        Foreign,     // made under another site key
        Tampered,    // right key, but altered or damaged
    };
    Kind kind = Kind::Tampered;
    std::string message;
};

edsync::Result<PendingBundle, BundleError> openBundle(std::string_view file, const SiteKey& key);

} // namespace kiosk::app

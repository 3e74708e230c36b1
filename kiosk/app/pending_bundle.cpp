#include "kiosk/app/pending_bundle.hpp"

#include "kiosk/app/hash_parts.hpp"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <array>
#include <cstdlib>

namespace kiosk::app {

namespace {

constexpr std::string_view kMagic = kBundleMagic;
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "TSKUSB01";
constexpr std::string_view kFormat = "testsite-kiosk pending records";
constexpr int kVersion = 1;
constexpr std::size_t kMaxHeader = 4096;

struct Keys {
    std::array<unsigned char, crypto_aead_xchacha20poly1305_ietf_KEYBYTES> aead{};
    std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> publicKey{};
    std::array<unsigned char, crypto_sign_SECRETKEYBYTES> secretKey{};
    Keys() = default;
    Keys(const Keys&) = delete;
    Keys& operator=(const Keys&) = delete;
    ~Keys() {
        sodium_memzero(aead.data(), aead.size());
        sodium_memzero(secretKey.data(), secretKey.size());
    }
};

void deriveKeys(const SiteKey& site, Keys& keys) {
    if (sodium_init() < 0) std::abort();  // no usable randomness: nothing safe to do
    static_assert(crypto_kdf_KEYBYTES == 32);
    crypto_kdf_derive_from_key(keys.aead.data(), keys.aead.size(), 1, kKdfContext, site.bytes.data());
    std::array<unsigned char, crypto_sign_SEEDBYTES> seed{};
    crypto_kdf_derive_from_key(seed.data(), seed.size(), 2, kKdfContext, site.bytes.data());
    crypto_sign_seed_keypair(keys.publicKey.data(), keys.secretKey.data(), seed.data());
    sodium_memzero(seed.data(), seed.size());
}

std::string hex(const unsigned char* bytes, std::size_t n) {
    std::string out(n * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), bytes, n);
    out.pop_back();
    return out;
}

std::string keyIdOf(const Keys& keys) {
    std::array<unsigned char, 8> id{};
    crypto_generichash(id.data(), id.size(), keys.publicKey.data(), keys.publicKey.size(), nullptr, 0);
    return hex(id.data(), id.size());
}

const unsigned char* bytesOf(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }


BundleError tampered(std::string why) {
    return {BundleError::Kind::Tampered, "refused: the file has been altered or damaged (" + std::move(why) +
                                             "); nothing was imported. Export it again from the kiosk that made it."};
}

} // namespace

std::string recordHash(const BundleRecord& r) {
    if (sodium_init() < 0) std::abort();  // no usable randomness: nothing safe to do
    crypto_generichash_state state;
    crypto_generichash_init(&state, nullptr, 0, crypto_generichash_BYTES);
    absorbLengthPrefixed(state, r.resource);
    absorbLengthPrefixed(state, r.naturalKey);
    absorbLengthPrefixed(state, std::to_string(r.version));
    absorbLengthPrefixed(state, r.json);
    // Files written before the guard existed hash as they always did.
    if (!r.etag.empty() || !r.identity.empty()) {
        absorbLengthPrefixed(state, r.etag);
        absorbLengthPrefixed(state, r.identity);
    }
    std::array<unsigned char, crypto_generichash_BYTES> out{};
    crypto_generichash_final(&state, out.data(), out.size());
    return hex(out.data(), out.size());
}

std::string bundleKeyId(const SiteKey& key) {
    Keys keys;
    deriveKeys(key, keys);
    return keyIdOf(keys);
}

std::string sealBundle(const PendingBundle& bundle, const SiteKey& key) {
    Keys keys;
    deriveKeys(key, keys);
    const auto& m = bundle.manifest;

    nlohmann::json manifest = {{"kioskId", m.kioskId}, {"kioskName", m.kioskName}, {"siteId", m.siteId}, {"siteName", m.siteName},
                               {"createdAt", m.createdAt}, {"count", bundle.records.size()}, {"records", nlohmann::json::array()}};
    nlohmann::json records = nlohmann::json::array();
    for (const auto& r : bundle.records) {
        manifest["records"].push_back({{"resource", r.resource}, {"naturalKey", r.naturalKey}, {"version", r.version}, {"hash", recordHash(r)}});
        nlohmann::json item{{"resource", r.resource}, {"naturalKey", r.naturalKey}, {"version", r.version}, {"json", r.json}};
        if (!r.etag.empty()) item["etag"] = r.etag;
        if (!r.identity.empty()) item["identity"] = r.identity;
        records.push_back(std::move(item));
    }
    nlohmann::json doc{{"manifest", manifest}, {"records", records}};
    if (!bundle.facts.empty()) {
        doc["manifest"]["factCount"] = bundle.facts.size();
        doc["facts"] = bundle.facts;
    }
    std::string payload = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

    std::string header = nlohmann::json{{"format", kFormat}, {"version", kVersion}, {"siteId", m.siteId}, {"kioskId", m.kioskId},
                                        {"createdAt", m.createdAt}, {"keyId", keyIdOf(keys)}}
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string out(kMagic);
    auto n = static_cast<std::uint32_t>(header.size());
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    out += header;
    const std::size_t adLength = out.size();

    std::array<unsigned char, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES> nonce{};
    randombytes_buf(nonce.data(), nonce.size());
    out.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());

    std::string cipher(payload.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
    unsigned long long cipherLength = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(cipher.data()), &cipherLength, bytesOf(payload),
                                               payload.size(), bytesOf(out), adLength, nullptr, nonce.data(), keys.aead.data());
    sodium_memzero(payload.data(), payload.size());
    cipher.resize(static_cast<std::size_t>(cipherLength));
    out += cipher;

    std::array<unsigned char, crypto_sign_BYTES> signature{};
    crypto_sign_detached(signature.data(), nullptr, bytesOf(out), out.size(), keys.secretKey.data());
    out.append(reinterpret_cast<const char*>(signature.data()), signature.size());
    return out;
}

edsync::Result<PendingBundle, BundleError> openBundle(std::string_view file, const SiteKey& key) {
    using Kind = BundleError::Kind;
    const std::size_t minimum = kMagic.size() + 4 + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
                                crypto_aead_xchacha20poly1305_ietf_ABYTES + crypto_sign_BYTES;
    if (file.size() < kMagic.size() || file.substr(0, kMagic.size()) != kMagic)
        return edsync::fail(BundleError{Kind::NotABundle, "refused: this is not a TestSite Kiosk export of pending records"});
    if (file.size() < minimum) return edsync::fail(tampered("it is too short"));

    std::uint32_t headerLength = 0;
    for (int i = 0; i < 4; ++i) headerLength |= static_cast<std::uint32_t>(static_cast<unsigned char>(file[kMagic.size() + i])) << (8 * i);
    const std::size_t headerStart = kMagic.size() + 4;
    if (headerLength == 0 || headerLength > kMaxHeader || headerStart + headerLength + minimum - kMagic.size() - 4 > file.size())
        return edsync::fail(tampered("its header length is wrong"));
    nlohmann::json header = nlohmann::json::parse(file.substr(headerStart, headerLength), nullptr, false);
    if (header.is_discarded() || !header.is_object()) return edsync::fail(tampered("its header is unreadable"));
    auto field = [&](const char* name) {
        auto it = header.find(name);
        return it != header.end() && it->is_string() ? it->get<std::string>() : std::string();
    };

    Keys keys;
    deriveKeys(key, keys);
    const std::string_view signedPart = file.substr(0, file.size() - crypto_sign_BYTES);
    const auto* signature = bytesOf(file.substr(file.size() - crypto_sign_BYTES));
    if (crypto_sign_verify_detached(signature, bytesOf(signedPart), signedPart.size(), keys.publicKey.data()) != 0) {
        if (field("keyId") != keyIdOf(keys)) {
            std::string site = field("siteId");
            return edsync::fail(BundleError{
                Kind::Foreign, "refused: this file was not made with this site's key (it says it comes from " +
                                   (site.empty() ? std::string("an unknown site") : "site " + site) + ", kiosk " + field("kioskId") +
                                   "). Only a kiosk enrolled for the same site can import it; nothing was imported."});
        }
        return edsync::fail(tampered("its signature does not match"));
    }

    const std::size_t adLength = headerStart + headerLength;
    const auto* nonce = bytesOf(file.substr(adLength, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES));
    const std::string_view cipher = signedPart.substr(adLength + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    std::string payload(cipher.size(), '\0');
    unsigned long long payloadLength = 0;
    if (cipher.size() < crypto_aead_xchacha20poly1305_ietf_ABYTES ||
        crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(payload.data()), &payloadLength, nullptr,
                                                   bytesOf(cipher), cipher.size(), bytesOf(file), adLength, nonce, keys.aead.data()) != 0)
        return edsync::fail(tampered("it cannot be decrypted"));
    payload.resize(static_cast<std::size_t>(payloadLength));

    if (header.value("format", "") != kFormat || header.value("version", 0) != kVersion)
        return edsync::fail(BundleError{Kind::NotABundle, "refused: this export was written by a newer or unknown version of the kiosk"});

    nlohmann::json doc = nlohmann::json::parse(payload, nullptr, false);
    sodium_memzero(payload.data(), payload.size());
    if (doc.is_discarded() || !doc.is_object()) return edsync::fail(tampered("its contents are unreadable"));
    try {
        const auto& m = doc.at("manifest");
        const auto& items = doc.at("records");
        PendingBundle out;
        out.manifest.kioskId = m.at("kioskId").get<std::string>();
        out.manifest.kioskName = m.at("kioskName").get<std::string>();
        out.manifest.siteId = m.at("siteId").get<std::string>();
        out.manifest.siteName = m.at("siteName").get<std::string>();
        out.manifest.createdAt = m.at("createdAt").get<std::string>();
        const auto count = m.at("count").get<std::size_t>();
        const auto& listed = m.at("records");
        if (count != items.size() || count != listed.size())
            return edsync::fail(tampered("the manifest lists " + std::to_string(count) + " records but the file holds " +
                                         std::to_string(items.size())));
        if (out.manifest.siteId != field("siteId") || out.manifest.kioskId != field("kioskId"))
            return edsync::fail(tampered("the manifest and the header disagree"));
        for (std::size_t i = 0; i < items.size(); ++i) {
            BundleRecord r;
            r.resource = items[i].at("resource").get<std::string>();
            r.naturalKey = items[i].at("naturalKey").get<std::string>();
            r.version = items[i].at("version").get<std::int64_t>();
            r.json = items[i].at("json").get<std::string>();
            r.etag = items[i].value("etag", std::string());
            r.identity = items[i].value("identity", std::string());
            const auto& entry = listed[i];
            if (entry.at("resource").get<std::string>() != r.resource || entry.at("naturalKey").get<std::string>() != r.naturalKey ||
                entry.at("version").get<std::int64_t>() != r.version || entry.at("hash").get<std::string>() != recordHash(r))
                return edsync::fail(tampered("record " + std::to_string(i + 1) + " does not match its manifest hash"));
            out.records.push_back(std::move(r));
        }
        const auto factCount = m.value("factCount", std::size_t{0});
        if (auto facts = doc.find("facts"); facts != doc.end()) {
            if (!facts->is_array() || facts->size() != factCount)
                return edsync::fail(tampered("the manifest's count of facts does not match the file"));
            for (const auto& f : *facts) out.facts.push_back(f.get<std::string>());
        } else if (factCount != 0) {
            return edsync::fail(tampered("the manifest lists facts the file does not hold"));
        }
        return out;
    } catch (const nlohmann::json::exception&) {
        return edsync::fail(tampered("its contents are not in the expected shape"));
    }
}

} // namespace kiosk::app

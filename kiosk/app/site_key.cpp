#include "kiosk/app/site_key.hpp"

#include "kiosk/app/hash_parts.hpp"

#include <sodium.h>

#include "sync/core/files.hpp"

#include <cstdlib>

namespace kiosk::app {

namespace {

constexpr std::string_view kSiteKeyLabel = "testsite-site-key-v1";

} // namespace

SiteKey::~SiteKey() { sodium_memzero(bytes.data(), bytes.size()); }

SiteKey deriveSiteKey(std::string_view siteId, std::string_view clientKey, std::string_view clientSecret) {
    if (sodium_init() < 0) std::abort();  // no usable randomness: nothing safe to do
    SiteKey key;
    crypto_generichash_state state;
    crypto_generichash_init(&state, nullptr, 0, key.bytes.size());
    absorbLengthPrefixed(state, "testsite-kiosk site key v1");
    absorbLengthPrefixed(state, siteId);
    absorbLengthPrefixed(state, clientKey);
    absorbLengthPrefixed(state, clientSecret);
    crypto_generichash_final(&state, key.bytes.data(), key.bytes.size());
    sodium_memzero(&state, sizeof state);
    return key;
}

std::string formatKeyLine(std::string_view label, const SiteKey& key) {
    std::string b64(sodium_base64_ENCODED_LEN(key.bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(b64.data(), b64.size(), key.bytes.data(), key.bytes.size(), sodium_base64_VARIANT_ORIGINAL);
    b64.resize(std::char_traits<char>::length(b64.c_str()));
    return std::string(label) + " " + b64 + "\n";
}

std::optional<SiteKey> parseKeyLine(std::string_view label, std::string_view what, std::string_view text, std::string& error) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
    if (!text.starts_with(label) || text.size() <= label.size() || text[label.size()] != ' ') {
        error = "not a " + std::string(what) + " file (it should start with \"" + std::string(label) + "\")";
        return std::nullopt;
    }
    text.remove_prefix(label.size() + 1);
    SiteKey key;
    std::size_t len = 0;
    if (sodium_base642bin(key.bytes.data(), key.bytes.size(), text.data(), text.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        len != key.bytes.size()) {
        error = "the " + std::string(what) + " file is damaged (expected 32 bytes in base64)";
        return std::nullopt;
    }
    return key;
}

std::string formatSiteKey(const SiteKey& key) { return formatKeyLine(kSiteKeyLabel, key); }

std::optional<SiteKey> parseSiteKey(std::string_view text, std::string& error) { return parseKeyLine(kSiteKeyLabel, "site key", text, error); }

std::optional<SiteKey> readSiteKey(const std::filesystem::path& file, std::string& error) {
    auto read = edsync::files::readSecretFile(file, "the site key", 4096);
    if (!read) {
        error = read.error() + (read.error().find("No such file") != std::string::npos ? " (is this kiosk enrolled?)" : "");
        return std::nullopt;
    }
    std::string text = std::move(read.value());
    auto key = parseSiteKey(text, error);
    sodium_memzero(text.data(), text.size());
    if (!key) error = file.string() + ": " + error;
    return key;
}

} // namespace kiosk::app

#include "sync/edfi/token_file.hpp"

#include "sync/core/files.hpp"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <unistd.h>

#include <array>

namespace edsync::edfi {

namespace {

constexpr std::size_t kMaxFileBytes = 16 * 1024;

// Who the token belongs to, without writing the client id down.
std::string ownerKey(std::string_view tokenUrl, std::string_view clientId) {
    std::string text = std::string(tokenUrl) + '\n' + std::string(clientId);
    std::array<unsigned char, 32> hash{};
    crypto_generichash(hash.data(), hash.size(), reinterpret_cast<const unsigned char*>(text.data()), text.size(), nullptr, 0);
    std::string hex(hash.size() * 2 + 1, '\0');
    sodium_bin2hex(hex.data(), hex.size(), hash.data(), hash.size());
    hex.pop_back();
    return hex;
}

} // namespace

std::optional<StoredToken> FileTokenStore::load(std::string_view tokenUrl, std::string_view clientId) {
    // Opened once without following a link, then checked on the descriptor:
    // someone else's file, or one others could read, is not ours to trust.
    auto text = edsync::files::readSecretFile(m_file, "the state token file", kMaxFileBytes);
    if (!text) return std::nullopt;
    auto doc = nlohmann::json::parse(text.value(), nullptr, /*allow_exceptions=*/false);
    sodium_memzero(text.value().data(), text.value().size());
    if (!doc.is_object()) return std::nullopt;
    auto owner = doc.find("owner");
    auto token = doc.find("accessToken");
    auto issued = doc.find("issuedAtUnixMs");
    auto until = doc.find("reuseUntilUnixMs");
    if (owner == doc.end() || !owner->is_string() || token == doc.end() || !token->is_string() || issued == doc.end() ||
        !issued->is_number_integer() || until == doc.end() || !until->is_number_integer())
        return std::nullopt;
    if (owner->get<std::string>() != ownerKey(tokenUrl, clientId)) return std::nullopt;
    StoredToken t;
    t.accessToken = token->get<std::string>();
    t.issuedAtUnixMs = issued->get<std::int64_t>();
    t.reuseUntilUnixMs = until->get<std::int64_t>();
    auto& kept = token->get_ref<std::string&>();
    sodium_memzero(kept.data(), kept.size());
    return t;
}

void FileTokenStore::save(std::string_view tokenUrl, std::string_view clientId, const StoredToken& token) {
    nlohmann::json doc = {{"owner", ownerKey(tokenUrl, clientId)},
                          {"accessToken", token.accessToken},
                          {"issuedAtUnixMs", token.issuedAtUnixMs},
                          {"reuseUntilUnixMs", token.reuseUntilUnixMs}};
    std::string text = doc.dump();
    auto& kept = doc["accessToken"].get_ref<std::string&>();
    sodium_memzero(kept.data(), kept.size());

    // The rename is the commit: a reader sees the old token or the new one,
    // never half. A token that cannot be written is asked for again next time.
    auto written = edsync::files::writeAtomically(m_file, text, 0600);
    sodium_memzero(text.data(), text.size());
    (void)written;  // best effort: the session keeps the token in memory either way
}

void FileTokenStore::forget(std::string_view tokenUrl, std::string_view clientId) {
    if (load(tokenUrl, clientId)) ::unlink(m_file.c_str());
}

} // namespace edsync::edfi

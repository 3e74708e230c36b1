#include "sync/edfi/token_file.hpp"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>

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

std::optional<std::string> readSmallFile(const std::filesystem::path& file) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return std::nullopt;
    struct stat st {};
    // Someone else's file, or one others could read, is not ours to trust.
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0 ||
        st.st_size <= 0 || static_cast<std::size_t>(st.st_size) > kMaxFileBytes) {
        ::close(fd);
        return std::nullopt;
    }
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        ssize_t n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    text.resize(got);
    return text;
}

} // namespace

std::optional<StoredToken> FileTokenStore::load(std::string_view tokenUrl, std::string_view clientId) {
    auto text = readSmallFile(m_file);
    if (!text) return std::nullopt;
    auto doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    sodium_memzero(text->data(), text->size());
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

    std::filesystem::path temp = m_file;
    temp += ".tmp." + std::to_string(::getpid());
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        sodium_memzero(text.data(), text.size());
        return;
    }
    bool ok = ::fchmod(fd, 0600) == 0;
    std::size_t put = 0;
    while (ok && put < text.size()) {
        ssize_t n = ::write(fd, text.data() + put, text.size() - put);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) ok = false;
        else put += static_cast<std::size_t>(n);
    }
    ok = ok && ::fsync(fd) == 0;
    ok = ::close(fd) == 0 && ok;
    sodium_memzero(text.data(), text.size());
    // The rename is the commit: a reader sees the old token or the new one, never half.
    if (!ok || ::rename(temp.c_str(), m_file.c_str()) != 0) ::unlink(temp.c_str());
}

void FileTokenStore::forget(std::string_view tokenUrl, std::string_view clientId) {
    if (load(tokenUrl, clientId)) ::unlink(m_file.c_str());
}

} // namespace edsync::edfi

#include "kiosk/app/credential_key.hpp"

#include "kiosk/app/site_key.hpp"
#include "kiosk/store/audit_log.hpp"
#include "kiosk/store/credentials.hpp"
#include "sync/core/files.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace kiosk::app {

namespace {

constexpr std::string_view kCredentialKeyLabel = "testsite-credential-key-v1";
const std::filesystem::path kPackagedKey = "/etc/testsite-kiosk/credential.key";

// $HOME when it is this (effective) user's own; else the password entry's:
// a tool run as root that became the kiosk user keeps root's $HOME.
std::filesystem::path homeFolder() {
    if (const char* home = std::getenv("HOME"); home && *home == '/') {
        struct stat st {};
        if (::stat(home, &st) == 0 && st.st_uid == ::geteuid()) return home;
    }
    if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_dir) return pw->pw_dir;
    return "/nonexistent";
}

// Makes the key file only if there is none: written whole under a temporary
// name, then hard-linked into place, which fails when another process (the
// sync service starting beside the window) made it first; then theirs is
// the key. A rename would replace a key whose hashes are already sealed.
std::optional<std::string> createKeyFile(const std::filesystem::path& file) {
    SiteKey fresh;
    randombytes_buf(fresh.bytes.data(), fresh.bytes.size());
    std::string text = formatKeyLine(kCredentialKeyLabel, fresh);
    std::string temp = file.string() + ".XXXXXX";
    int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0) return "cannot make the credential key " + file.string() + ": " + std::strerror(errno);
    bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    int err = errno;
    sodium_memzero(text.data(), text.size());
    ok = ::close(fd) == 0 && ok;
    if (ok && ::link(temp.c_str(), file.c_str()) != 0 && errno != EEXIST) {
        ok = false;
        err = errno;
    }
    ::unlink(temp.c_str());
    if (!ok) return "cannot make the credential key " + file.string() + ": " + std::strerror(err);
    // The link is durable only once its folder is synced (as writeAtomically
    // does after its rename): a power cut must not lose a key the database
    // already holds hashes sealed with. Some file systems cannot (EINVAL).
    const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
    int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) {
        const bool synced = ::fsync(dirFd) == 0 || errno == EINVAL;
        err = errno;
        ::close(dirFd);
        if (!synced) return "cannot sync " + dir.string() + " after making the credential key: " + std::strerror(err);
    }
    return std::nullopt;
}

} // namespace

std::filesystem::path credentialKeyFile() {
    if (const char* file = std::getenv("TESTSITE_KIOSK_KEY_FILE"); file && *file) return file;
    std::error_code ec;
    if (std::filesystem::exists(kPackagedKey, ec)) return kPackagedKey;
    // $XDG_CONFIG_HOME belongs to whoever set $HOME: honoured only for that user.
    const std::filesystem::path home = homeFolder();
    const char* envHome = std::getenv("HOME");
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    const bool ownHome = envHome && home == std::filesystem::path(envHome);
    const std::filesystem::path config = xdg && *xdg == '/' && ownHome ? std::filesystem::path(xdg) : home / ".config";
    return config / "testsite-kiosk" / "credential.key";
}

bool attachCredentialKey(store::Store& store, std::string& error, bool mayCreate) {
    if (sodium_init() < 0) {
        error = "libsodium could not start (no usable randomness)";
        return false;
    }
    const auto file = credentialKeyFile();
    std::error_code ec;
    if (!std::filesystem::exists(file, ec) && mayCreate) {
        const bool folderExisted = std::filesystem::exists(file.parent_path(), ec);
        std::filesystem::create_directories(file.parent_path(), ec);
        if (!folderExisted) ::chmod(file.parent_path().c_str(), 0700);  // made here: the owner's alone (an existing one is left as it is)
        if (auto failed = createKeyFile(file)) {
            error = *failed;
            return false;
        }
    }
    auto read = edsync::files::readSecretFile(file, "the credential key", 4096);
    if (!read) {
        error = read.error();
        return false;
    }
    std::string text = std::move(read.value());
    auto key = parseKeyLine(kCredentialKeyLabel, "credential key", text, error);
    sodium_memzero(text.data(), text.size());
    if (!key) {
        error = file.string() + ": " + error;
        return false;
    }
    store.db().setSealingKey(key->bytes);
    if (store.db().readOnly()) return true;  // nothing is written to a store opened only to read
    auto sealed = store::sealCredentials(store.db());
    if (!sealed) {
        error = sealed.error().message;
        return false;
    }
    if (auto marked = store::markAuditKeyed(store.db()); !marked) {
        error = "cannot mark the audit chain as MACed: " + marked.error().describe();
        return false;
    }
    return true;
}

} // namespace kiosk::app

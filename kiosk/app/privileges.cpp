#include "kiosk/app/privileges.hpp"

#include "kiosk/app/install_paths.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kiosk::app {

std::optional<Account> serviceAccount() {
    struct passwd* pw = ::getpwnam(kServiceUser);
    if (!pw) return std::nullopt;
    return Account{pw->pw_uid, pw->pw_gid};
}

namespace {
std::optional<Account> g_owner;  // set once becomeOwnerOf switched
} // namespace

bool becomeOwnerOf(const std::filesystem::path& dataDir, std::string& error) {
    if (::geteuid() != 0) return true;
    struct stat st {};
    if (::stat(dataDir.c_str(), &st) != 0 || st.st_uid == 0) return true;
    if (::setgroups(0, nullptr) != 0 || ::setegid(st.st_gid) != 0 || ::seteuid(st.st_uid) != 0) {
        error = "cannot act as the owner of " + dataDir.string() + ": " + std::strerror(errno);
        return false;
    }
    g_owner = Account{st.st_uid, st.st_gid};
    return true;
}

AsInvoker::AsInvoker() {
    if (!g_owner) return;
    m_switched = ::seteuid(0) == 0 && ::setegid(0) == 0;
}

AsInvoker::~AsInvoker() {
    if (!m_switched) return;
    // Back to the kiosk user; failing that, stop rather than go on as root.
    if (::setegid(g_owner->gid) != 0 || ::seteuid(g_owner->uid) != 0) std::abort();
}

} // namespace kiosk::app

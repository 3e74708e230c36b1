#include "kiosk/app/privileges.hpp"

#include "kiosk/app/install_paths.hpp"

#include <cerrno>
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

bool becomeOwnerOf(const std::filesystem::path& dataDir, std::string& error) {
    if (::geteuid() != 0) return true;
    struct stat st {};
    if (::stat(dataDir.c_str(), &st) != 0 || st.st_uid == 0) return true;
    if (::setgroups(0, nullptr) != 0 || ::setgid(st.st_gid) != 0 || ::setuid(st.st_uid) != 0) {
        error = "cannot act as the owner of " + dataDir.string() + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

} // namespace kiosk::app

#pragma once
// testsite-kioskctl is often run with sudo. Files it creates in the data
// directory must stay the kiosk user's, or the service could no longer open
// its own database: run as root on a data directory owned by another user,
// the command first becomes that user.
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>

namespace kiosk::app {

struct Account {
    uid_t uid = 0;
    gid_t gid = 0;
};

// The installed service account, when it exists on this machine.
std::optional<Account> serviceAccount();

// Root only, and only when `dataDir` exists and belongs to someone else:
// switches this process's effective user and group to that owner (the real
// ids stay root, see AsInvoker). False with `error` when it could not.
bool becomeOwnerOf(const std::filesystem::path& dataDir, std::string& error);

// While alive, the process acts as the user who ran it again (root), e.g. to
// write an export onto a USB stick the kiosk user cannot write to. Does
// nothing when becomeOwnerOf did not switch.
class AsInvoker {
public:
    AsInvoker();
    ~AsInvoker();
    AsInvoker(const AsInvoker&) = delete;
    AsInvoker& operator=(const AsInvoker&) = delete;

private:
    bool m_switched = false;
};

} // namespace kiosk::app

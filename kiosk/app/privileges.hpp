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
// switches this process to that owner. False with `error` when it could not.
bool becomeOwnerOf(const std::filesystem::path& dataDir, std::string& error);

} // namespace kiosk::app

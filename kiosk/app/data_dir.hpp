#pragma once
// Where the kiosk keeps its data: --data-dir, else $XDG_DATA_HOME/testsite-kiosk,
// else ~/.local/share/testsite-kiosk. Created 0700: only the kiosk user reads it;
// an existing directory is checked, never re-moded.
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>

namespace kiosk::app {

struct DataDir {
    std::filesystem::path root;
    std::filesystem::path database() const { return root / "kiosk.db"; }
    std::filesystem::path exports() const { return root / "exports"; }
};

// Resolves the directory and creates it 0700 when it does not exist. An
// existing one is never re-moded: it must belong to this user and be
// writable by nobody else (a shared /tmp, mode 1777, is refused). The error
// names the directory and says what to do.
std::optional<DataDir> prepareDataDir(const std::optional<std::filesystem::path>& override, std::string& error);

// Why a directory with this owner and mode cannot hold the kiosk's data
// (nothing when it can).
std::optional<std::string> unsafeDataDir(const std::filesystem::path& root, uid_t owner, mode_t mode);

} // namespace kiosk::app

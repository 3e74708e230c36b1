#pragma once
// Where the kiosk keeps its data: --data-dir, else $XDG_DATA_HOME/testsite-kiosk,
// else ~/.local/share/testsite-kiosk. Created 0700: only the kiosk user reads it.
#include <filesystem>
#include <optional>
#include <string>

namespace kiosk::app {

struct DataDir {
    std::filesystem::path root;
    std::filesystem::path database() const { return root / "kiosk.db"; }
    std::filesystem::path exports() const { return root / "exports"; }
};

// Resolves and creates the directory; the error says what went wrong.
std::optional<DataDir> prepareDataDir(const std::optional<std::filesystem::path>& override, std::string& error);

} // namespace kiosk::app

#include "kiosk/app/data_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>

namespace kiosk::app {

std::optional<DataDir> prepareDataDir(const std::optional<std::filesystem::path>& override, std::string& error) {
    std::filesystem::path root;
    if (override) {
        root = *override;
    } else if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
        root = std::filesystem::path(xdg) / "testsite-kiosk";
    } else if (const char* home = std::getenv("HOME"); home && *home) {
        root = std::filesystem::path(home) / ".local" / "share" / "testsite-kiosk";
    } else {
        error = "no data directory: set --data-dir, XDG_DATA_HOME or HOME";
        return std::nullopt;
    }
    std::error_code ec;
    std::filesystem::create_directories(root, ec);
    if (ec) {
        error = "cannot create " + root.string() + ": " + ec.message();
        return std::nullopt;
    }
    // Tighten even a directory that existed already.
    if (::chmod(root.c_str(), 0700) != 0) {
        error = "cannot make " + root.string() + " private: " + std::strerror(errno);
        return std::nullopt;
    }
    return DataDir{root};
}

} // namespace kiosk::app

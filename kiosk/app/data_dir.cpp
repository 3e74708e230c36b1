#include "kiosk/app/data_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace kiosk::app {

namespace {

std::string octal(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

} // namespace

std::optional<std::string> unsafeDataDir(const std::filesystem::path& root, uid_t owner, mode_t mode) {
    if (owner != ::geteuid())
        return root.string() + " belongs to another user (uid " + std::to_string(owner) +
               "); the kiosk keeps its data only in a directory of its own account. Give --data-dir a new directory "
               "(it is created 0700), e.g. " + (root / "testsite-kiosk").string() + " run as that user, or fix the owner (chown)";
    if ((mode & 022) != 0)
        return root.string() + " can be written by other users (mode " + octal(mode) +
               "), so they could replace the kiosk's database; it is shared, and the kiosk does not change the mode of a directory "
               "it did not create. Give --data-dir a new directory (it is created 0700), e.g. " +
               (root / "testsite-kiosk").string() + ", or make this one private (chmod 700) if it is the kiosk's own";
    return std::nullopt;
}

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
    struct stat st {};
    if (::stat(root.c_str(), &st) != 0) {
        if (errno != ENOENT) {
            error = "cannot use " + root.string() + ": " + std::strerror(errno);
            return std::nullopt;
        }
        // A directory of our own: its parents as the system makes them, the
        // directory itself 0700 (only the kiosk user reads it).
        std::error_code ec;
        if (root.has_parent_path()) std::filesystem::create_directories(root.parent_path(), ec);
        if (ec) {
            error = "cannot create " + root.parent_path().string() + ": " + ec.message();
            return std::nullopt;
        }
        if (::mkdir(root.c_str(), 0700) != 0 && errno != EEXIST) {
            error = "cannot create " + root.string() + ": " + std::strerror(errno);
            return std::nullopt;
        }
        if (::stat(root.c_str(), &st) != 0) {
            error = "cannot use " + root.string() + ": " + std::strerror(errno);
            return std::nullopt;
        }
    }
    if (!S_ISDIR(st.st_mode)) {
        error = root.string() + " is not a directory; give --data-dir a directory";
        return std::nullopt;
    }
    // Whether we made it a moment ago or it was there, it is checked, never re-moded.
    if (auto why = unsafeDataDir(root, st.st_uid, st.st_mode)) {
        error = "refusing the data directory " + *why;
        return std::nullopt;
    }
    return DataDir{root};
}

} // namespace kiosk::app

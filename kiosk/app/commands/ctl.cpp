#include "kiosk/app/commands/ctl.hpp"

#include "kiosk/app/credential_key.hpp"
#include "kiosk/app/install_paths.hpp"
#include "kiosk/app/privileges.hpp"
#include "kiosk/app/site_wiring.hpp"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <termios.h>
#include <unistd.h>

namespace kiosk::app::ctl {

namespace {

// An installed kiosk keeps its data in /var/lib/testsite-kiosk; a technician
// running the command there (as root or as the kiosk user) means that one.
std::optional<std::filesystem::path> defaultDataDir() {
    if (const char* env = std::getenv("TESTSITE_KIOSK_DATA_DIR"); env && *env) return std::filesystem::path(env);
    struct stat st {};
    if (::stat(kSystemDataDir, &st) == 0 && S_ISDIR(st.st_mode) && (::geteuid() == 0 || ::geteuid() == st.st_uid))
        return std::filesystem::path(kSystemDataDir);
    return std::nullopt;  // XDG (a developer's run)
}

std::string readFromTerminal(const std::string& prompt, bool echo) {
    std::string line;
    if (::isatty(STDIN_FILENO)) {
        std::cerr << prompt << std::flush;
        termios old{};
        ::tcgetattr(STDIN_FILENO, &old);
        if (!echo) {
            termios quiet = old;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
        }
        std::getline(std::cin, line);
        if (!echo) {
            ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
            std::cerr << "\n";
        }
    } else {
        std::getline(std::cin, line);
    }
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
}

} // namespace

std::string readSecret(const std::string& prompt) { return readFromTerminal(prompt, false); }
std::string readLine(const std::string& prompt) { return readFromTerminal(prompt, true); }

std::optional<std::filesystem::path> Context::wantedDataDir() const { return dataDirArg ? dataDirArg : defaultDataDir(); }

std::optional<DataDir> Context::dataDir(int& exitCode) {
    if (m_dataDir) return m_dataDir;
    auto wanted = wantedDataDir();
    std::string error;
    if (wanted && !becomeOwnerOf(*wanted, error)) {
        std::cerr << "testsite-kioskctl: " << error << "\n";
        exitCode = DataError;
        return std::nullopt;
    }
    m_dataDir = prepareDataDir(wanted, error);
    if (!m_dataDir) {
        std::cerr << "testsite-kioskctl: " << error << "\n";
        exitCode = DataError;
    }
    return m_dataDir;
}

void reportDamagedStore(const std::string& problem) {
    std::cerr << "testsite-kioskctl: THE KIOSK'S DATABASE IS DAMAGED: " << problem << ".\n"
              << "Nothing was written to it. To save the records, run\n"
              << "  testsite-kioskctl rescue --to DIR\n"
              << "which copies everything that can still be read into a new store in DIR (an empty folder, on another disk if this "
                 "one is failing), counts what was recovered and lost per table, and leaves the damaged files as they are. Then stop "
                 "the kiosk and its sync service, move kiosk.db, kiosk.db-wal, kiosk.db-shm and kiosk.db.id aside, and put the new "
                 "ones from DIR in their place (README, \"A damaged database\").\n";
}

namespace {

// The directory prepareDataDir would use, without creating or changing it.
std::optional<std::filesystem::path> userDataDir() {
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "testsite-kiosk";
    if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / ".local" / "share" / "testsite-kiosk";
    return std::nullopt;
}

// The credential key (credential_key.hpp): a kiosk whose key cannot be had
// still works with bare hashes, and says why.
void attachKey(store::Store& store) {
    if (std::string error; !attachCredentialKey(store, error)) std::cerr << "testsite-kioskctl: " << error << "\n";
}

bool folderWritable(const std::filesystem::path& dir) {
    struct statvfs vfs {};
    if (::statvfs(dir.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) return false;
    return ::faccessat(AT_FDCWD, dir.c_str(), W_OK, AT_EACCESS) == 0;
}

} // namespace

std::optional<store::Store> Context::openStore(int& exitCode) {
    auto dir = dataDir(exitCode);
    if (!dir) return std::nullopt;
    auto store = store::Store::open(dir->database());
    if (!store) {
        if (store.error().damaged()) {
            reportDamagedStore(store.error().message);
            exitCode = StoreDamaged;
        } else {
            std::cerr << "testsite-kioskctl: " << store.error().describe() << "\n";
            exitCode = DataError;
        }
        return std::nullopt;
    }
    attachKey(*store);
    // On a site with a hub, what a command writes (a roster import) reaches the other machines.
    std::string why;
    if (auto cfg = config(why); cfg && cfg->hub) publishToSite(*store, *cfg);
    return std::move(*store);
}

std::optional<store::Store> Context::openStoreForReading(int& exitCode) {
    auto wanted = wantedDataDir();
    auto root = wanted ? wanted : userDataDir();
    std::error_code ec;
    // No store yet: the usual path, which makes one.
    if (!root || !std::filesystem::exists(*root / "kiosk.db", ec)) return openStore(exitCode);
    std::string error;
    if (wanted && !becomeOwnerOf(*root, error)) {
        std::cerr << "testsite-kioskctl: " << error << "\n";
        exitCode = DataError;
        return std::nullopt;
    }
    const auto file = *root / "kiosk.db";
    std::string why = "its folder cannot be written";
    if (folderWritable(*root)) {
        auto store = store::Store::open(file);
        if (store) {
            attachKey(*store);
            return std::move(*store);
        }
        if (store.error().damaged()) {
            reportDamagedStore(store.error().message);
            exitCode = StoreDamaged;
            return std::nullopt;
        }
        if (!store.error().cannotWrite()) {
            std::cerr << "testsite-kioskctl: " << store.error().describe() << "\n";
            exitCode = DataError;
            return std::nullopt;
        }
        why = store.error().diskFull() ? "the disk is full" : "it cannot be written: " + store.error().message;
    }
    auto store = store::Store::openReadOnly(file);
    if (!store) {
        if (store.error().damaged()) {
            reportDamagedStore(store.error().message);
            exitCode = StoreDamaged;
        } else {
            std::cerr << "testsite-kioskctl: " << store.error().describe() << "\n";
            exitCode = DataError;
        }
        return std::nullopt;
    }
    m_readOnly = true;
    // The key only to read with (audit MACs): none is made on a disk that takes no writes.
    if (std::string keyError; !attachCredentialKey(*store, keyError, false)) std::cerr << "testsite-kioskctl: " << keyError << "\n";
    std::cerr << "testsite-kioskctl: reading " << file.string() << " read-only (" << why << ")"
              << (store->db().readOnlyNote().empty() ? std::string() : "; " + store->db().readOnlyNote()) << "; nothing is written to it\n";
    return std::move(*store);
}

std::optional<std::filesystem::path> Context::configFile() {
    std::filesystem::path dataRoot;
    if (m_dataDir) dataRoot = m_dataDir->root;
    else if (dataDirArg) dataRoot = *dataDirArg;
    else if (auto d = defaultDataDir()) dataRoot = *d;
    return findConfig(configArg, dataRoot);
}

std::optional<KioskConfig> Context::config(std::string& why) {
    auto file = configFile();
    if (!file) {
        why = "this kiosk is not enrolled (no kiosk.toml); run `testsite-kioskctl enrol` (README, Install at a site)";
        return std::nullopt;
    }
    auto loaded = loadConfig(*file);
    if (!loaded.config) why = loaded.error;
    return loaded.config;
}

std::int64_t nowUnixMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string formatAgo(std::int64_t unixMs, std::int64_t nowUnixMs) {
    std::int64_t s = (nowUnixMs - unixMs) / 1000;
    if (s < 0) return "in the future (clock?)";
    if (s < 90) return std::to_string(s) + " s ago";
    if (s < 90 * 60) return std::to_string(s / 60) + " min ago";
    if (s < 36 * 3600) return std::to_string(s / 3600) + " h ago";
    return std::to_string(s / 86400) + " days ago";
}

} // namespace kiosk::app::ctl

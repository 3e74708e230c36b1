#include "kiosk/app/commands/ctl.hpp"

#include "kiosk/app/install_paths.hpp"
#include "kiosk/app/privileges.hpp"

#include <cstdlib>
#include <iostream>
#include <sys/stat.h>
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

std::optional<store::Store> Context::openStore(int& exitCode) {
    auto dir = dataDir(exitCode);
    if (!dir) return std::nullopt;
    auto store = store::Store::open(dir->database());
    if (!store) {
        std::cerr << "testsite-kioskctl: " << store.error().describe() << "\n";
        exitCode = DataError;
        return std::nullopt;
    }
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

std::string formatAgo(std::int64_t unixMs, std::int64_t nowUnixMs) {
    std::int64_t s = (nowUnixMs - unixMs) / 1000;
    if (s < 0) return "in the future (clock?)";
    if (s < 90) return std::to_string(s) + " s ago";
    if (s < 90 * 60) return std::to_string(s / 60) + " min ago";
    if (s < 36 * 3600) return std::to_string(s / 3600) + " h ago";
    return std::to_string(s / 86400) + " days ago";
}

} // namespace kiosk::app::ctl

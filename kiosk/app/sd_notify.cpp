#include "kiosk/app/sd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace kiosk::app {

namespace {

// Not run by systemd (a developer's shell) is normal, not an error: nothing to report.
void send(const std::string& message) { (void)sd_notify(0, message.c_str()); }

std::string statusLine(std::string_view status) {
    std::string line = "STATUS=";
    for (char c : status) line.push_back(c == '\n' ? ' ' : c);  // one line per field
    return line;
}

} // namespace

bool underServiceManager() {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    return socket && *socket;
}

void notifyReady(std::string_view status) { send("READY=1\n" + statusLine(status)); }
void notifyStatus(std::string_view status) { send(statusLine(status)); }
void notifyWatchdog() { send("WATCHDOG=1"); }
void notifyStopping() { send("STOPPING=1\nSTATUS=stopping"); }

std::optional<std::chrono::microseconds> watchdogInterval() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) return std::chrono::microseconds(static_cast<std::int64_t>(usec));
    return std::nullopt;
}

} // namespace kiosk::app

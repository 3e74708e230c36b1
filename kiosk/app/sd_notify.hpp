#pragma once
// The few systemd service-manager notifications the kiosk sends (READY,
// WATCHDOG, STATUS, STOPPING). Without a service manager (NOTIFY_SOCKET
// unset: a developer's shell, a test) every call does nothing.
#include <chrono>
#include <optional>
#include <string_view>

namespace kiosk::app {

// True when a service manager listens (NOTIFY_SOCKET is set).
bool underServiceManager();
void notifyReady(std::string_view status);
void notifyStatus(std::string_view status);
void notifyWatchdog();
void notifyStopping();
// WatchdogSec= of the unit, when set for this process.
std::optional<std::chrono::microseconds> watchdogInterval();

} // namespace kiosk::app

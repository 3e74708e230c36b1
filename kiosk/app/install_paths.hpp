#pragma once
// Where an installed kiosk (the .deb) keeps things. A developer run uses
// --data-dir/--config or the XDG directories instead.
namespace kiosk::app {

inline constexpr const char* kSystemConfigDir = "/etc/testsite-kiosk";
inline constexpr const char* kSystemDataDir = "/var/lib/testsite-kiosk";
inline constexpr const char* kServiceUser = "testsite-kiosk";
inline constexpr const char* kSyncServiceUnit = "testsite-kiosk-sync.service";

} // namespace kiosk::app

#pragma once
namespace kiosk::app {
// The project version this build was made from (CMake's PROJECT_VERSION).
const char* version();
} // namespace kiosk::app

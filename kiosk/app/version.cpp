#include "kiosk/app/version.hpp"

namespace kiosk::app {
const char* version() { return KIOSK_VERSION; }
} // namespace kiosk::app

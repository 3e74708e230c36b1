#pragma once
// For end-to-end tests (--idle-file): once the window has taken every key
// it was sent and settled, it says so in a small file, so a script waits on
// that instead of sleeping a fixed time after each key.
#include <filesystem>
#include <string>

namespace kiosk::app {

// Writes "taken N\ntitle T\n" to `file` atomically (a temporary, then rename),
// mode 0600. Failures are ignored: the file only ever helps a test wait.
void writeIdleFile(const std::filesystem::path& file, unsigned long long eventsTaken, const std::string& windowTitle);

} // namespace kiosk::app

#pragma once
// For end-to-end tests (--idle-file): once the window has taken every key
// it was sent and settled, it says so in a small file, so a script waits on
// that instead of sleeping a fixed time after each key.
#include <filesystem>
#include <string>

namespace kiosk::app {

struct IdleState {
    unsigned long long eventsTaken = 0;  // key changes and characters
    unsigned long long charactersTaken = 0;
    std::string windowTitle;
    bool operator==(const IdleState&) const = default;
};

// Writes "taken N\nchars C\ntitle T\n" to `file` with
// edsync::files::writeAtomically, mode 0600, so a script never reads half of
// it. Failures are ignored: it only ever helps a test wait.
void writeIdleFile(const std::filesystem::path& file, const IdleState& state);

} // namespace kiosk::app

#include "kiosk/app/idle_file.hpp"

#include "sync/core/files.hpp"

namespace kiosk::app {

void writeIdleFile(const std::filesystem::path& file, const IdleState& state) {
    const std::string text =
        "taken " + std::to_string(state.eventsTaken) + "\nchars " + std::to_string(state.charactersTaken) + "\ntitle " + state.windowTitle + "\n";
    auto written = edsync::files::writeAtomically(file, text, 0600);
    (void)written;  // ignored: the file only ever helps a test wait, and the next change writes it again
}

} // namespace kiosk::app

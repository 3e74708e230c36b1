#include "kiosk/app/idle_file.hpp"

#include <fstream>
#include <system_error>

namespace kiosk::app {

void writeIdleFile(const std::filesystem::path& file, const IdleState& state) {
    auto temp = file;
    temp += ".partial";
    {
        std::ofstream out(temp, std::ios::trunc);
        out << "taken " << state.eventsTaken << "\nchars " << state.charactersTaken << "\ntitle " << state.windowTitle << "\n";
        out.flush();
        if (!out) return;
    }
    std::error_code ec;
    std::filesystem::permissions(temp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
    std::filesystem::rename(temp, file, ec);
    if (ec) std::filesystem::remove(temp, ec);
}

} // namespace kiosk::app

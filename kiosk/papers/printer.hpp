#pragma once
// Sends a finished PDF to CUPS: a printer named by the caller, else the
// system's default one. When there is no print server or no such printer the
// outcome says so in words and the file stays where it was written.
#include <filesystem>
#include <optional>
#include <string>

namespace kiosk::papers {

struct PrintOutcome {
    bool printed = false;
    std::string printer;  // the printer that took the job
    int jobId = 0;
    std::string message;  // why not, when not printed ("no printer: ...")
};

// `title` names the job in the print queue: no personal data in it.
PrintOutcome printFile(const std::filesystem::path& file, const std::string& title, const std::optional<std::string>& printerName);

} // namespace kiosk::papers

#include "kiosk/papers/printer.hpp"

#include <cups/cups.h>

#include <memory>

namespace kiosk::papers {

namespace {

struct DestDeleter {
    void operator()(cups_dest_t* d) const { cupsFreeDests(1, d); }
};
using Dest = std::unique_ptr<cups_dest_t, DestDeleter>;

bool serverUnreachable(ipp_status_t status) {
    return status == IPP_STATUS_ERROR_SERVICE_UNAVAILABLE || status == IPP_STATUS_ERROR_INTERNAL;
}

// Asking for one destination only says "none"; listing them tells a missing
// printer from a print service that cannot be reached.
std::string whyNoDest(const std::optional<std::string>& printerName) {
    cups_dest_t* dests = nullptr;
    int known = cupsGetDests2(CUPS_HTTP_DEFAULT, &dests);
    cupsFreeDests(known, dests);
    if (known == 0 && serverUnreachable(cupsLastError()))
        return std::string("no printer: the print service (CUPS) at ") + cupsServer() + " cannot be reached";
    if (printerName) return "no printer named \"" + *printerName + "\" is set up in CUPS";
    if (known == 0) return "no printer is set up in CUPS";
    return "no printer: no default printer is set, and " + std::to_string(known) + " printer(s) are set up; name one";
}

} // namespace

PrintOutcome printFile(const std::filesystem::path& file, const std::string& title, const std::optional<std::string>& printerName) {
    PrintOutcome out;
    Dest dest(cupsGetNamedDest(CUPS_HTTP_DEFAULT, printerName ? printerName->c_str() : nullptr, nullptr));
    if (!dest) {
        out.message = whyNoDest(printerName);
        return out;
    }
    out.printer = dest->name;
    int job = cupsPrintFile2(CUPS_HTTP_DEFAULT, dest->name, file.c_str(), title.c_str(), dest->num_options, dest->options);
    if (job == 0) {
        const char* why = cupsLastErrorString();
        out.message = "printer \"" + out.printer + "\" did not take the job" + (why && *why ? std::string(": ") + why : std::string());
        return out;
    }
    out.printed = true;
    out.jobId = job;
    return out;
}

} // namespace kiosk::papers

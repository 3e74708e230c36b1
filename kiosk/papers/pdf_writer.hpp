#pragma once
// A PaperDocument drawn on US Letter pages with cairo's PDF surface, text laid
// out by pango (any script the system's fonts cover: "Zoë Ñúñez", "Nguyễn
// Trần"). Every page carries the session header and "Page i of N"; a table's
// header repeats on each page it spans, and a row is never cut across pages.
// docs/architecture.md, "Papers".
#include "kiosk/papers/paper_documents.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace kiosk::papers {

inline constexpr double kLetterWidthPt = 612;   // 8.5 in
inline constexpr double kLetterHeightPt = 792;  // 11 in

struct RenderedPdf {
    std::string bytes;
    int pages = 0;
    std::string error;  // set when nothing could be drawn
    bool ok() const { return error.empty(); }
};

RenderedPdf renderPdf(const PaperDocument& doc);

// Renders and writes the file whole (temporary file, rename), mode 0600: the
// papers name students. Returns the page count, or sets `error`.
std::optional<int> writePdf(const PaperDocument& doc, const std::filesystem::path& file, std::string& error);

} // namespace kiosk::papers

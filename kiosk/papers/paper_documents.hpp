#pragma once
// Which tables and lines each paper has: a model (paper_model.hpp) turned
// into a PaperDocument that pdf_writer lays out. Kept apart from the drawing
// so the choice of columns reads in one place.
#include "kiosk/papers/paper_model.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kiosk::papers {

enum class PaperKind { Roster, Seating, Irregularities };
inline constexpr PaperKind kAllPapers[] = {PaperKind::Roster, PaperKind::Seating, PaperKind::Irregularities};
std::string_view paperKindCode(PaperKind kind);  // "roster", "seating", "irregularities"
std::optional<PaperKind> paperKindFromCode(std::string_view code);

struct Column {
    std::string title;
    double weight = 1;  // share of the page's width
};

// A table whose header repeats on every page it spans; a row is never cut.
struct TableBlock {
    std::string heading;  // above the table ("" for none)
    std::vector<Column> columns;
    std::vector<std::vector<std::string>> rows;
    std::string whenEmpty;     // shown instead of rows when there are none
    double minRowHeight = 0;   // points: room to sign in
};

// Lines to sign on, kept together on one page.
struct SignatureBlock {
    std::vector<std::string> roles;  // "Proctor", "Test coordinator"
    std::string note;                // above the lines
};

struct PaperDocument {
    std::string title;  // "Session sign-in roster"
    PaperHeader header;
    std::vector<std::variant<TableBlock, SignatureBlock>> blocks;
};

// A session ID as the start of a file name: letters, digits, - . _ kept,
// anything else "_" (a session ID may hold any character).
std::string paperFileStem(std::string_view sessionId);

PaperDocument rosterPaper(const SessionPapers& papers);
PaperDocument seatingPaper(const SessionPapers& papers);
PaperDocument irregularityPaper(const SessionPapers& papers);
PaperDocument paperFor(PaperKind kind, const SessionPapers& papers);

} // namespace kiosk::papers

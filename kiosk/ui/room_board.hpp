#pragma once
// The room board's pieces that are not the check-in screen's search state:
// which rows a status filter keeps, the orders a proctor can sort by, and a
// status drawn as text + colour + shape (never colour alone, WCAG 1.4.1).
#include "kiosk/service/session_queries.hpp"
#include "kiosk/ui/ui_context.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::ui {

// Ctrl+1 … Ctrl+6 choose these, in this order (the chips' order on screen).
enum class BoardFilter { All, Expected, Present, OnBreak, CheckedOut, NoShow };
inline constexpr int kBoardFilterCount = 6;

bool boardKeeps(BoardFilter filter, const domain::RosterRow& row);
// The chip's name: "All", else the presence's own name from the string table.
std::string boardFilterName(const UiContext& ui, BoardFilter filter);
int boardFilterCount(BoardFilter filter, const domain::SessionCounts& counts);

// Columns that sort; anything else keeps the roster's (name) order.
enum class BoardSort { Name, Status, Seat, TimeIn, State };
// The string key of the column a sort is named by.
const char* boardSortColumnKey(BoardSort sort);

// Reorders positions into `roster` by `sort`; ties keep the order they came
// in (stable), so a search's ranking survives under a sort by status.
void sortBoard(std::vector<std::uint32_t>& positions, const std::vector<domain::RosterRow>& roster,
               const std::vector<service::StateCopy>& stateCopies, BoardSort sort, bool descending);

// Draws the status cell: a shape in the status colour, then the words.
// `on`: the selection's text colour on a selected row; else the status's own colour.
void drawBoardStatus(UiContext& ui, const domain::RosterRow& row, std::optional<ImVec4> on = std::nullopt);
// The width the widest status cell of these rows takes ("Present · late · walk-in").
float boardStatusWidth(const UiContext& ui, const std::vector<domain::RosterRow>& roster, const std::vector<std::uint32_t>& positions);
// The words for the "State" column (short: a table cell).
std::string boardStateText(const UiContext& ui, service::StateCopy copy);
ImVec4 boardStateColour(const UiContext& ui, service::StateCopy copy);

} // namespace kiosk::ui

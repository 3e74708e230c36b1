#include "kiosk/ui/room_board.hpp"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace kiosk::ui {

using domain::Presence;

bool boardKeeps(BoardFilter filter, const domain::RosterRow& row) {
    switch (filter) {
    case BoardFilter::All: return true;
    case BoardFilter::Expected: return row.presence == Presence::Expected;
    case BoardFilter::Present: return row.presence == Presence::Present;
    case BoardFilter::OnBreak: return row.presence == Presence::OnBreak;
    case BoardFilter::CheckedOut: return row.presence == Presence::CheckedOut;
    case BoardFilter::NoShow: return row.presence == Presence::NoShow;
    }
    return true;
}

std::string boardFilterName(const UiContext& ui, BoardFilter filter) {
    switch (filter) {
    case BoardFilter::All: return ui.tr("board.filterAll");
    case BoardFilter::Expected: return ui.tr("presence.expected");
    case BoardFilter::Present: return ui.tr("presence.present");
    case BoardFilter::OnBreak: return ui.tr("presence.on_break");
    case BoardFilter::CheckedOut: return ui.tr("presence.checked_out");
    case BoardFilter::NoShow: return ui.tr("presence.no_show");
    }
    return {};
}

int boardFilterCount(BoardFilter filter, const domain::SessionCounts& c) {
    switch (filter) {
    case BoardFilter::All: return c.total();
    case BoardFilter::Expected: return c.expected;
    case BoardFilter::Present: return c.present;
    case BoardFilter::OnBreak: return c.onBreak;
    case BoardFilter::CheckedOut: return c.checkedOut;
    case BoardFilter::NoShow: return c.noShow;
    }
    return 0;
}

namespace {
// Who needs the proctor first: people still to arrive, then on a break, in the room, done.
int statusRank(Presence p) {
    switch (p) {
    case Presence::Expected: return 0;
    case Presence::OnBreak: return 1;
    case Presence::Present: return 2;
    case Presence::CheckedOut: return 3;
    case Presence::NoShow: return 4;
    }
    return 5;
}

// Refused first: the rows a proctor must act on.
int stateRank(service::StateCopy c) {
    switch (c) {
    case service::StateCopy::NeedsAttention: return 0;
    case service::StateCopy::Pending: return 1;
    case service::StateCopy::Synced: return 2;
    case service::StateCopy::NoRecord: return 3;
    }
    return 4;
}

// "B10" after "B9": the letters, then the number.
std::pair<std::string, int> seatKey(const std::string& seat) {
    std::size_t digits = seat.find_first_of("0123456789");
    if (seat.empty()) return {"\x7f", 0};  // no seat last
    if (digits == std::string::npos) return {seat, 0};
    int n = 0;
    for (std::size_t i = digits; i < seat.size() && i < digits + 6 && seat[i] >= '0' && seat[i] <= '9'; ++i) n = n * 10 + (seat[i] - '0');
    return {seat.substr(0, digits), n};
}
} // namespace

const char* boardSortColumnKey(BoardSort sort) {
    switch (sort) {
    case BoardSort::Name: return "board.colStudent";
    case BoardSort::Status: return "board.colStatus";
    case BoardSort::Seat: return "board.colSeat";
    case BoardSort::TimeIn: return "board.colIn";
    case BoardSort::State: return "board.colState";
    }
    return "board.colStudent";
}

void sortBoard(std::vector<std::uint32_t>& positions, const std::vector<domain::RosterRow>& roster,
               const std::vector<service::StateCopy>& stateCopies, BoardSort sort, bool descending) {
    auto state = [&](std::uint32_t i) { return i < stateCopies.size() ? stateCopies[i] : service::StateCopy::NoRecord; };
    auto less = [&](std::uint32_t a, std::uint32_t b) {
        const auto& x = roster[a];
        const auto& y = roster[b];
        switch (sort) {
        case BoardSort::Name: return a < b;  // the roster is listed by name already
        case BoardSort::Status: return statusRank(x.presence) < statusRank(y.presence);
        case BoardSort::Seat: return seatKey(x.seat) < seatKey(y.seat);
        case BoardSort::TimeIn: {
            // Not yet in: last, whichever way.
            if (!x.checkedInAt || !y.checkedInAt) return x.checkedInAt.has_value() && !y.checkedInAt.has_value();
            return *x.checkedInAt < *y.checkedInAt;
        }
        case BoardSort::State: return stateRank(state(a)) < stateRank(state(b));
        }
        return false;
    };
    std::stable_sort(positions.begin(), positions.end(), [&](std::uint32_t a, std::uint32_t b) { return descending ? less(b, a) : less(a, b); });
}

namespace {
ImVec4 statusColour(const UiContext& ui, Presence p) {
    switch (p) {
    case Presence::Expected: return ui.palette.textMuted;
    case Presence::Present: return ui.palette.success;
    case Presence::OnBreak: return ui.palette.warning;
    case Presence::CheckedOut: return ui.palette.text;
    case Presence::NoShow: return ui.palette.danger;
    }
    return ui.palette.text;
}

// A shape for each status so it reads without colour: a ring (expected), a
// disc (present), two bars (on break), a square (out), a cross (no-show).
void drawStatusShape(ImDrawList* list, ImVec2 centre, float r, ImU32 colour, Presence p) {
    float w = std::max(1.5f, r * 0.35f);
    switch (p) {
    case Presence::Expected: list->AddCircle(centre, r - w * 0.5f, colour, 16, w); break;
    case Presence::Present: list->AddCircleFilled(centre, r, colour, 16); break;
    case Presence::OnBreak:
        list->AddRectFilled(ImVec2(centre.x - r, centre.y - r), ImVec2(centre.x - r * 0.25f, centre.y + r), colour);
        list->AddRectFilled(ImVec2(centre.x + r * 0.25f, centre.y - r), ImVec2(centre.x + r, centre.y + r), colour);
        break;
    case Presence::CheckedOut: list->AddRectFilled(ImVec2(centre.x - r, centre.y - r), ImVec2(centre.x + r, centre.y + r), colour); break;
    case Presence::NoShow:
        list->AddLine(ImVec2(centre.x - r, centre.y - r), ImVec2(centre.x + r, centre.y + r), colour, w * 1.4f);
        list->AddLine(ImVec2(centre.x - r, centre.y + r), ImVec2(centre.x + r, centre.y - r), colour, w * 1.4f);
        break;
    }
}

std::string statusWords(const UiContext& ui, domain::Presence presence, bool late, bool walkIn) {
    std::string words = ui.tr("presence." + std::string(domain::presenceCode(presence)));
    if (late) words += " · " + ui.tr("status.late");
    if (walkIn) words += " · " + ui.tr("status.walkIn");
    return words;
}

} // namespace

void drawBoardStatus(UiContext& ui, const domain::RosterRow& row, std::optional<ImVec4> on) {
    ImVec4 colour = on.value_or(statusColour(ui, row.presence));
    float size = ImGui::GetTextLineHeight();
    ImVec2 at = ImGui::GetCursorScreenPos();
    drawStatusShape(ImGui::GetWindowDrawList(), ImVec2(at.x + size * 0.5f, at.y + size * 0.5f), size * 0.32f, ImGui::GetColorU32(colour),
                    row.presence);
    ImGui::Dummy(ImVec2(size, size));
    ImGui::SameLine(0.0f, ImGui::GetStyle().ItemInnerSpacing.x);
    // Cut where the column ends, with an ellipsis that says there is more
    // (the record beside the board has it all).
    const std::string words = statusWords(ui, row.presence, row.late, row.walkIn);
    ImVec2 from = ImGui::GetCursorScreenPos();
    float end = ImGui::GetContentRegionMaxAbs().x;
    ImVec2 textSize = ImGui::CalcTextSize(words.c_str());
    ImGui::PushStyleColor(ImGuiCol_Text, colour);
    ImGui::RenderTextEllipsis(ImGui::GetWindowDrawList(), from, ImVec2(end, from.y + textSize.y), end, end, words.c_str(), nullptr, &textSize);
    ImGui::PopStyleColor();
    ImGui::Dummy(ImVec2(std::max(0.0f, std::min(textSize.x, end - from.x)), textSize.y));
}

float boardStatusWidth(const UiContext& ui, const std::vector<domain::RosterRow>& roster, const std::vector<std::uint32_t>& positions) {
    // Measured once for each kind of cell the rows have (a status, late or
    // not, walk-in or not), not once a row.
    constexpr int kKinds = 2 * 2 * 8;
    bool seen[kKinds] = {};
    float widest = 0.0f;
    for (std::uint32_t pos : positions) {
        if (pos >= roster.size()) continue;
        const auto& row = roster[pos];
        int kind = (static_cast<int>(row.presence) & 7) * 4 + (row.late ? 2 : 0) + (row.walkIn ? 1 : 0);
        if (std::exchange(seen[kind], true)) continue;
        widest = std::max(widest, ImGui::CalcTextSize(statusWords(ui, row.presence, row.late, row.walkIn).c_str()).x);
    }
    return ImGui::GetTextLineHeight() + ImGui::GetStyle().ItemInnerSpacing.x + widest;
}

std::string boardStateText(const UiContext& ui, service::StateCopy copy) {
    switch (copy) {
    case service::StateCopy::NoRecord: return ui.tr("board.stateNone");
    case service::StateCopy::Pending: return ui.tr("board.statePending");
    case service::StateCopy::Synced: return ui.tr("board.stateSynced");
    case service::StateCopy::NeedsAttention: return ui.tr("board.stateAttention");
    }
    return {};
}

ImVec4 boardStateColour(const UiContext& ui, service::StateCopy copy) {
    switch (copy) {
    case service::StateCopy::NoRecord: return ui.palette.textMuted;
    case service::StateCopy::Pending: return ui.palette.warning;
    case service::StateCopy::Synced: return ui.palette.success;
    case service::StateCopy::NeedsAttention: return ui.palette.danger;
    }
    return ui.palette.text;
}

} // namespace kiosk::ui

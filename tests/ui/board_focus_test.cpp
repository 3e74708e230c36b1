// Headless UI tests of where focus and the record pane go on the proctor's
// session screen as a first-time proctor meets them: the actions in the
// record are always about the student named there, focus comes back to the
// search after a save, the board's header and the match count say what the
// board shows.
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/ui/keys.hpp"
#include "support/temp_dir.hpp"
#include "ui/demo_fixture.hpp"
#include "ui/ui_harness.hpp"

#include <doctest/doctest.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <cmath>
#include <cstdlib>

using namespace kiosk;
namespace keys = kiosk::ui::keys;
using domain::EventKind;

namespace {

constexpr const char* kSearch = "Find a student (name or ID)";
constexpr const char* kZoe = "S100001";  // Zoë Ñúñez, on the math session's roster

std::string focusedLabel(const test::UiHarness& h) { return h.focused() ? h.focused()->label : std::string("(nothing)"); }

// Ms. Rivera checks a student of the math session in, outside the window.
void checkIn(test::DemoFixture& f, const std::string& studentId) {
    service::AttendanceService attendance(f.store, f.clock());
    service::CheckInDetails details;
    details.idVerifiedBy = "Ms. Rivera";
    REQUIRE(attendance.checkIn(test::kMathSession, studentId, "Ms. Rivera", details).saved);
}

// After a change made outside the window: Zoë found, and Enter opens her
// record (she is no longer expected, so Enter does not check her in).
void findAndOpenZoe(test::UiHarness& h) {
    h.ui().refresh();
    h.frames(1);
    h.type("zoe nun");
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.findContaining("Ñúñez, Zoë · S100001") != nullptr);
}

// The session open with Zoë present and her record open beside the board.
void openZoesRecord(test::DemoFixture& f, test::UiHarness& h) {
    h.openFirstSession();  // opens the session: check-ins are taken from then on
    checkIn(f, kZoe);
    findAndOpenZoe(h);
    REQUIRE(h.find("Break out") != nullptr);
}

} // namespace

TEST_CASE("a search that no longer matches the open student closes the record: Tab and Enter from the field act on nobody unseen") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    openZoesRecord(f, h);
    h.press(keys::Escape);  // the search cleared: her record stays (nothing typed hides her)
    h.frames(2);
    REQUIRE(focusedLabel(h) == kSearch);
    CHECK(h.find("Break out") != nullptr);

    // An ID of a student who is not in this session: nothing matches.
    h.type("S100003");
    h.frames(1);
    CHECK(h.ui().checkInScreen().results().empty());
    CHECK(h.findContaining("Ñúñez, Zoë") == nullptr);
    CHECK(h.find("Break out") == nullptr);
    h.press(keys::Tab);
    h.frames(1);
    h.press(keys::Enter);
    h.frames(2);
    CHECK(f.events(kZoe).size() == 1);  // still only her check-in

    // Another student typed: her record is gone, his not yet opened.
    h.press(keys::Escape);
    h.frames(2);
    h.type("lukasz dvo");
    h.frames(1);
    REQUIRE(h.ui().checkInScreen().results().size() == 1);
    CHECK(h.findContaining("Ñúñez, Zoë") == nullptr);
}

TEST_CASE("typing more of the open student's own name keeps the record open") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    openZoesRecord(f, h);
    h.press(keys::Escape);
    h.frames(2);
    h.type("ñú");
    h.frames(1);
    CHECK(h.find("Break out") != nullptr);
    CHECK(h.findContaining("Ñúñez, Zoë · S100001") != nullptr);
}

namespace {

// Focus is in the search field, empty, and letters typed now go into it.
void readyForTheNextName(test::UiHarness& h, const char* step) {
    const std::string what = step;
    INFO(what);
    CHECK(focusedLabel(h) == kSearch);
    CHECK(h.ui().checkInScreen().query().empty());
    h.type("zoe");
    h.frames(1);
    CHECK(h.ui().checkInScreen().query() == "zoe");
    h.press(keys::Escape);  // the search cleared again for the next step
    h.frames(2);
}

// Opens Zoë's record again from the search.
void reopenZoe(test::UiHarness& h) {
    h.type("zoe nun");
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.findContaining("Ñúñez, Zoë · S100001") != nullptr);
}

} // namespace

TEST_CASE("after a one-click action on a student is saved focus is back in the search field ready for the next name") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    openZoesRecord(f, h);

    REQUIRE(h.tabTo("Break out"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(f.events(kZoe).back().kind == EventKind::BreakOut);
    readyForTheNextName(h, "Break out");

    reopenZoe(h);
    REQUIRE(h.tabTo("Back from break"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(f.events(kZoe).back().kind == EventKind::BreakIn);
    readyForTheNextName(h, "Back from break");

    reopenZoe(h);
    REQUIRE(h.tabTo("(scheduled)"));
    h.press(keys::Space);
    h.frames(2);
    REQUIRE(f.events(kZoe).back().kind == EventKind::AccommodationDelivered);
    readyForTheNextName(h, "an accommodation delivered");
}

TEST_CASE("after a dialog about a student saves focus is back in the search field and after Cancel on the button that opened it") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    openZoesRecord(f, h);

    // Cancel: back where the proctor was.
    REQUIRE(h.tabTo("Seat…"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.find("Assign a seat") != nullptr);
    h.press(keys::Escape);
    h.frames(2);
    CHECK(h.find("Assign a seat") == nullptr);
    CHECK(focusedLabel(h) == "Seat…");

    // Seat, saved.
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(focusedLabel(h) == "Seat");
    h.type("C3");
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(f.events(kZoe).back().kind == EventKind::SeatAssigned);
    readyForTheNextName(h, "Seat…");

    // ID check, saved.
    reopenZoe(h);
    REQUIRE(h.tabTo("ID check…"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(focusedLabel(h) == "Record ID check");
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(f.events(kZoe).back().kind == EventKind::IdChecked);
    readyForTheNextName(h, "ID check…");

    // An irregularity, saved.
    reopenZoe(h);
    REQUIRE(h.tabTo("Irregularity…"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.tabTo("Fire alarm"));
    h.press(keys::Space);
    REQUIRE(h.tabTo("Description"));
    h.type("Alarm at 14:05");
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(f.events(kZoe).back().kind == EventKind::Irregularity);
    readyForTheNextName(h, "Irregularity…");

    // A correction, saved.
    reopenZoe(h);
    REQUIRE(h.tabTo("Correct an entry…"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(focusedLabel(h) == "Reason for the correction");
    h.type("not this student");
    // The irregularity (the check-in cannot go while later entries rest on it).
    REQUIRE(h.tabTo("Irregularity · "));
    h.press(keys::Space);
    REQUIRE(h.tabTo("Withdraw entry"));
    h.press(keys::Enter);
    h.frames(2);
    INFO(h.ui().feedback().text);
    REQUIRE(f.events(kZoe).back().kind == EventKind::Corrected);
    readyForTheNextName(h, "Correct an entry…");
}

TEST_CASE("after a no-show and the footer's bulk actions are saved focus is back in the search field") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    checkIn(f, kZoe);
    h.ui().refresh();
    h.frames(1);
    f.now += std::chrono::minutes(25);  // past the no-show cut-off

    // One student marked a no-show from their record.
    h.type("lukasz dvo");
    h.press(keys::Enter);  // expected: the check-in dialog; cancelled, the record stays open
    h.frames(2);
    h.press(keys::Escape);
    h.frames(2);
    REQUIRE(h.tabTo("No-show…"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(focusedLabel(h) == "Mark no-show");
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(f.events("S100002").back().kind == EventKind::NoShow);
    readyForTheNextName(h, "No-show…");

    REQUIRE(h.tabTo("Check out everyone present…"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(focusedLabel(h) == "Check out everyone");
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(f.events(kZoe).back().kind == EventKind::CheckedOut);
    readyForTheNextName(h, "Check out everyone present…");

    REQUIRE(h.tabTo("Mark no-shows…"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(focusedLabel(h) == "Mark no-shows");
    h.press(keys::Enter);
    h.frames(2);
    readyForTheNextName(h, "Mark no-shows…");
}

namespace {

// The column the board's header shows its arrow on, and which way: what Dear
// ImGui draws from (the header row is not a control, so not in the tree).
struct HeaderArrow {
    std::string column;
    bool descending = false;
    int arrows = 0;  // columns with an arrow
};

HeaderArrow boardHeaderArrow() {
    HeaderArrow out;
    ImGuiContext& g = *ImGui::GetCurrentContext();
    for (int n = 0; n < g.Tables.GetMapSize(); ++n) {
        ImGuiTable* table = g.Tables.TryGetMapData(n);
        if (!table || table->ColumnsCount < 2 || std::string(ImGui::TableGetColumnName(table, 0)) != "Student") continue;
        if (table->LastFrameActive != g.FrameCount - 1 && table->LastFrameActive != g.FrameCount) continue;  // drawn now
        for (int c = 0; c < table->ColumnsCount; ++c) {
            const ImGuiTableColumn& col = table->Columns[c];
            if (col.SortOrder == -1) continue;
            ++out.arrows;
            out.column = ImGui::TableGetColumnName(table, c);
            out.descending = col.SortDirection == ImGuiSortDirection_Descending;
        }
    }
    return out;
}

} // namespace

TEST_CASE("the board header's arrow follows F9 and Shift+F9: the column and the order the hint names") {
    test::DemoFixture f(30);
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    h.frames(1);
    REQUIRE(h.findContaining("now by Student, ascending") != nullptr);
    HeaderArrow arrow = boardHeaderArrow();
    CHECK(arrow.arrows == 1);
    CHECK(arrow.column == "Student");
    CHECK_FALSE(arrow.descending);

    h.press(keys::F9);
    h.frames(1);
    REQUIRE(h.findContaining("now by Status, ascending") != nullptr);
    arrow = boardHeaderArrow();
    CHECK(arrow.arrows == 1);
    CHECK(arrow.column == "Status");
    CHECK_FALSE(arrow.descending);

    h.press(keys::F9, true);
    h.frames(1);
    REQUIRE(h.findContaining("now by Status, descending") != nullptr);
    arrow = boardHeaderArrow();
    CHECK(arrow.arrows == 1);
    CHECK(arrow.column == "Status");
    CHECK(arrow.descending);

    // The whole room (F10) draws its own board: the same order, the same arrow.
    h.press(keys::F10);
    h.frames(2);
    REQUIRE(h.ui().checkInScreen().roomView());
    arrow = boardHeaderArrow();
    CHECK(arrow.arrows == 1);
    CHECK(arrow.column == "Status");
    CHECK(arrow.descending);
    h.press(keys::Escape);
    h.frames(2);
    REQUIRE_FALSE(h.ui().checkInScreen().roomView());
    arrow = boardHeaderArrow();
    CHECK(arrow.column == "Status");
    CHECK(arrow.descending);

    // A narrow window stacks the panes: another board, the same arrow.
    h.resize(800, 800);
    h.frames(3);
    arrow = boardHeaderArrow();
    CHECK(arrow.arrows == 1);
    CHECK(arrow.column == "Status");
    CHECK(arrow.descending);
}

TEST_CASE("the match count says when the list is cut and counts in words: 1 match and 12 matches") {
    test::DemoFixture f;  // 300 students: 200 in the math session
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    h.type("S1000");  // S100001 … S100099: the math session's 66 of them
    h.frames(1);
    CHECK(h.ui().checkInScreen().results().size() == 50);
    CHECK(h.find("Showing the first 50 of 66 matches — type more to narrow") != nullptr);
    CHECK(h.findContaining("match(es)") == nullptr);

    h.press(keys::Escape);
    h.frames(2);
    h.type("zoe nun");
    h.frames(1);
    REQUIRE(h.ui().checkInScreen().results().size() == 1);
    CHECK(h.find("1 match: Up/Down to choose, Enter to check in") != nullptr);

    h.press(keys::Escape);
    h.frames(2);
    h.type("S10001");  // S100010 … S100019, less the docs session's
    h.frames(1);
    const auto n = h.ui().checkInScreen().results().size();
    REQUIRE(n > 1);
    REQUIRE(n < 50);
    CHECK(h.find(std::to_string(n) + " matches: Up/Down to choose, Enter to check in") != nullptr);
}

TEST_CASE("the match count in Spanish: singular and plural and a list cut short") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock(), 1280, 800, nullptr, "es");
    h.openFirstSession();
    h.type("S1000");
    h.frames(1);
    CHECK(h.find("Se muestran las primeras 50 de 66 coincidencias; escriba más para acotar") != nullptr);
    h.press(keys::Escape);
    h.frames(2);
    h.type("zoe nun");
    h.frames(1);
    CHECK(h.find("1 coincidencia: Arriba/Abajo para elegir, Intro para registrar la entrada") != nullptr);
}

TEST_CASE("an ID typed of a student registered for another session says which session instead of no match") {
    test::DemoFixture f;  // S100003, Luna Taylor, is on the afternoon documents session
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    h.type("S100003");
    h.settleActions();  // looked up off the render thread
    h.frames(1);
    CHECK(h.ui().checkInScreen().results().empty());
    CHECK(h.find("Luna Taylor (S100003) is registered for WorkKeys Workplace Documents, Room 116, 17:00.") != nullptr);
    CHECK(h.findContaining("No student matches") == nullptr);

    // Typed on: the sentence goes with the ID it was about.
    h.type("9");
    h.settleActions();
    h.frames(1);
    CHECK(h.findContaining("is registered for") == nullptr);
    CHECK(h.findContaining("No student matches") != nullptr);

    // Nobody's ID: the usual words.
    h.press(keys::Escape);
    h.frames(2);
    h.type("S999999");
    h.settleActions();
    h.frames(1);
    CHECK(h.findContaining("No student matches") != nullptr);
}

TEST_CASE("in Spanish an ID of another session's student says so in Spanish") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock(), 1280, 800, nullptr, "es");
    h.openFirstSession();
    h.type("s100003");
    h.settleActions();
    h.frames(1);
    CHECK(h.find("Luna Taylor (S100003) tiene inscripción en WorkKeys Workplace Documents, Room 116, 17:00.") != nullptr);
}

TEST_CASE("Up and Down through the matches open each highlighted student's record beside the board, one row highlighted") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    h.type("anderson");
    h.frames(2);
    const auto& results = h.ui().checkInScreen().results();
    REQUIRE(results.size() >= 3);
    auto recordHeading = [&]() -> std::string {
        for (const auto& n : h.tree().nodes())
            if (n.role == accessibility::Role::Heading && n.label.starts_with("Anderson")) return n.label;
        return "(no record)";
    };
    auto highlighted = [&] {
        std::vector<std::string> rows;
        for (const auto& n : h.tree().nodes())
            if (n.role == accessibility::Role::ListItem && n.selected) rows.push_back(n.label);
        return rows;
    };
    CHECK(recordHeading() == "(no record)");
    // The first match is highlighted as typed; Down goes on to the next and opens its record.
    h.press(keys::Down);
    h.frames(2);
    CHECK(recordHeading().starts_with("Anderson, Emma · S100244"));
    CHECK(highlighted() == std::vector<std::string>{"Anderson, Emma · S100244"});
    h.press(keys::Down);
    h.frames(2);
    CHECK(recordHeading().starts_with("Anderson, Kwame · S100280"));
    CHECK(highlighted() == std::vector<std::string>{"Anderson, Kwame · S100280"});
    CHECK(focusedLabel(h) == kSearch);  // typing goes on in the field
    h.press(keys::Up);
    h.frames(2);
    CHECK(recordHeading().starts_with("Anderson, Emma · S100244"));
}

TEST_CASE("a no-show's record says how to take the no-show back, where Check in is greyed") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    f.now += std::chrono::minutes(25);  // past the no-show cut-off
    service::AttendanceService attendance(f.store, f.clock());
    REQUIRE(attendance.markNoShow(test::kMathSession, kZoe, "Ms. Rivera").saved);
    findAndOpenZoe(h);
    const auto* checkInButton = h.find("Check in…");
    REQUIRE(checkInButton != nullptr);
    CHECK(checkInButton->disabled);
    CHECK(h.findContaining("\"Correct an entry…\" takes the no-show back") != nullptr);
    const auto* correct = h.find("Correct an entry…");
    REQUIRE(correct != nullptr);
    CHECK_FALSE(correct->disabled);
    // Nothing to tick for a no-show: no more accommodations offered either.
    const auto* more = h.find("Other accommodations…");
    REQUIRE(more != nullptr);
    CHECK(more->disabled);
}

TEST_CASE("switched to Spanish every board header is whole: a column is never narrower than its header and the sort arrow") {
    test::DemoFixture f(30);
    test::UiHarness h(f.store, f.clock(), 1024, 768);
    h.openFirstSession();
    h.frames(2);
    h.press(keys::F8);
    h.frames(3);
    REQUIRE(h.ui().language() == "es");
    ImGuiContext& g = *ImGui::GetCurrentContext();
    int checked = 0;
    for (int n = 0; n < g.Tables.GetMapSize(); ++n) {
        ImGuiTable* table = g.Tables.TryGetMapData(n);
        if (!table || table->LastFrameActive < g.FrameCount - 1) continue;
        for (int c = 0; c < table->ColumnsCount; ++c) {
            const std::string name = ImGui::TableGetColumnName(table, c);
            CAPTURE(name);
            const ImGuiTableColumn& column = table->Columns[c];
            // What Dear ImGui 1.86's TableHeader keeps for a sortable column's arrow.
            const bool sortable = !(column.Flags & ImGuiTableColumnFlags_NoSort);
            const float arrow = sortable ? std::floor(ImGui::GetFontSize() * 0.65f + ImGui::GetStyle().FramePadding.x) : 0.0f;
            CHECK(column.WorkMaxX - column.WorkMinX >= ImGui::CalcTextSize(name.c_str()).x + arrow);
            ++checked;
        }
    }
    CHECK(checked >= 4);
}

namespace {

// Where this frame drew the focus ring inside `area`: vertices of the
// ring's colour (no other role of the standard theme has it).
int ringVerticesIn(test::UiHarness& h, const accessibility::Rect& area) {
    const auto& theme = h.ui().themes()[h.ui().themeIndex()];
    accessibility::Rgb8 c = theme.colour("focusRing");
    ImU32 ring = IM_COL32(c.r, c.g, c.b, 255);
    int found = 0;
    ImDrawData* data = ImGui::GetDrawData();
    for (int l = 0; data && l < data->CmdListsCount; ++l)
        for (const ImDrawVert& v : data->CmdLists[l]->VtxBuffer)
            if (v.col == ring && v.pos.x > area.x && v.pos.x < area.x + area.w && v.pos.y > area.y &&
                v.pos.y < area.y + area.h)
                ++found;
    return found;
}

} // namespace

TEST_CASE("a focused action scrolled out of its pane draws no ring: no bar along the pane's edge over what is shown there") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    h.resize(1024, 768);
    openZoesRecord(f, h);
    REQUIRE(h.tabTo("Correct an entry"));
    h.frames(2);
    const accessibility::Node* action = h.focused();
    REQUIRE(action->ring);
    accessibility::Rect pane = action->clip;
    CHECK(ringVerticesIn(h, pane) > 0);  // in view, ringed

    // The wheel scrolls the record back to its top: the action is below the pane
    // (the harness's context is the current one).
    ImGui::GetIO().MousePos = ImVec2(pane.x + pane.w / 2, pane.y + pane.h / 2);
    for (int i = 0; i < 10; ++i) {
        ImGui::GetIO().MouseWheel = 5.0f;
        h.frames(1);
    }
    h.frames(2);
    action = h.focused();
    REQUIRE(action != nullptr);
    REQUIRE(action->label.find("Correct an entry") != std::string::npos);
    REQUIRE(action->rect.y >= action->clip.y + action->clip.h);  // out of view
    CHECK(ringVerticesIn(h, action->clip) == 0);
}

TEST_CASE("a late walk-in's status is whole on the board at 1024x768 and at 1280x800, where every column is shown") {
    test::DemoFixture f(30);
    test::UiHarness h(f.store, f.clock(), 1024, 768);
    h.openFirstSession();
    f.now += std::chrono::minutes(40);  // past the late cut-off
    service::AttendanceService attendance(f.store, f.clock());
    REQUIRE(attendance.addWalkIn(test::kMathSession, {"X900001", "Kwame", "", "Okafor", ""}, "Ms. Rivera").saved);
    service::CheckInDetails details;
    details.idVerifiedBy = "Ms. Rivera";
    REQUIRE(attendance.checkIn(test::kMathSession, "X900001", "Ms. Rivera", details).saved);
    h.ui().refresh();
    h.frames(3);
    const float needed = ImGui::GetTextLineHeight() + ImGui::CalcTextSize("Present · late · walk-in").x;
    for (int columns : {4, 7}) {
        CAPTURE(columns);
        if (columns == 7) {
            h.resize(1280, 800);
            h.frames(3);
        }
        ImGuiContext& g = *ImGui::GetCurrentContext();
        int boards = 0;
        for (int n = 0; n < g.Tables.GetMapSize(); ++n) {
            ImGuiTable* table = g.Tables.TryGetMapData(n);
            if (!table || table->LastFrameActive < g.FrameCount - 1 || table->ColumnsCount < 2) continue;
            CHECK(table->ColumnsCount == columns);
            const ImGuiTableColumn& status = table->Columns[1];
            CHECK(status.WorkMaxX - status.WorkMinX >= needed);
            ++boards;
        }
        CHECK(boards == 1);
    }
}

TEST_CASE("F4 and F3 keep the keys going to the field being typed in: the search goes on after a text size change") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock(), 1024, 768);
    h.openFirstSession();
    h.type("zo");
    h.frames(1);
    h.press(keys::F4);
    h.frames(3);
    h.type("e");
    h.frames(1);
    CHECK(h.ui().checkInScreen().query() == "zoe");
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == kSearch);
    h.press(keys::F3);
    h.frames(3);
    h.type(" n");
    h.frames(1);
    CHECK(h.ui().checkInScreen().query() == "zoe n");
}

TEST_CASE("after Export report the search field has focus again, as after a save") {
    test::DemoFixture f(30);
    test::UiHarness h(f.store, f.clock(), 1024, 768);
    h.openFirstSession();
    REQUIRE(h.tabTo("Export report (CSV)"));
    h.press(keys::Enter);
    h.settleActions();
    h.frames(3);
    REQUIRE(h.ui().feedback().ok);
    CHECK(h.ui().feedback().text.find("Report written to") != std::string::npos);
    CHECK(focusedLabel(h) == kSearch);
    std::filesystem::path written = h.ui().feedback().text.substr(h.ui().feedback().text.find('/'));
    std::filesystem::remove(written);
}

TEST_CASE("the record's heading stays in view while Tab goes down its actions: every action is seen beside the name it is about") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock(), 1024, 768);
    openZoesRecord(f, h);
    for (const char* action : {"Break out", "Irregularity", "Correct an entry", "Other accommodations"}) {
        CAPTURE(action);
        REQUIRE(h.tabTo(action));
        h.frames(2);
        const accessibility::Node* focused = h.focused();
        REQUIRE(focused != nullptr);
        CHECK(focused->rect.inside(focused->clip));  // the action itself is in view
        const accessibility::Node* name = h.findContaining("Ñúñez, Zoë · S100001 · Grade");
        REQUIRE(name != nullptr);
        CHECK(name->rect.inside(name->clip));
    }
}

// Headless UI tests of the room board: the open session's students as a
// table with a status a row, filtered by one chord, sorted by a column.
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/ui/keys.hpp"
#include "kiosk/ui/room_board.hpp"
#include "ui/demo_fixture.hpp"
#include "ui/ui_harness.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace kiosk;
namespace keys = kiosk::ui::keys;

namespace {

constexpr int kDigitOne = 49;  // GLFW_KEY_1: Ctrl+1 … Ctrl+6 pick a filter


// The board's rows as the accessibility tree has them this frame.
std::vector<const accessibility::Node*> rows(const test::UiHarness& h) {
    std::vector<const accessibility::Node*> out;
    for (const auto& n : h.tree().nodes())
        if (n.role == accessibility::Role::ListItem && n.scope == "main") out.push_back(&n);
    return out;
}

// Rows wholly inside the board's visible part: what a proctor sees at once.
int rowsInView(const test::UiHarness& h) {
    int n = 0;
    for (const auto* r : rows(h))
        if (r->rect.y >= r->clip.y - 0.5f && r->rect.y + r->rect.h <= r->clip.y + r->clip.h + 0.5f) ++n;
    return n;
}

// Ms. Rivera checks a student of the math session in at `seat`, outside the window.
bool checkIn(test::DemoFixture& f, const std::string& studentId, const std::string& seat) {
    service::AttendanceService attendance(f.store, f.clock());
    service::CheckInDetails details;
    details.idVerifiedBy = "Ms. Rivera";
    details.seat = seat;
    return attendance.checkIn(test::kMathSession, studentId, "Ms. Rivera", details).saved;
}

const accessibility::Node* rowFor(const test::UiHarness& h, const std::string& studentId) {
    for (const auto* r : rows(h))
        if (r->label.find(studentId) != std::string::npos) return r;
    return nullptr;
}

} // namespace

TEST_CASE("the room board: a status a row, filtered with Ctrl+digit, the search filtering the same rows") {
    test::DemoFixture f(30);
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    auto roster = store::rosterForSession(f.store.db(), test::kMathSession).value();
    REQUIRE(roster.size() >= 6);
    const std::string a = roster[0].student.studentUniqueId, b = roster[1].student.studentUniqueId, c = roster[2].student.studentUniqueId;
    REQUIRE(checkIn(f, a, "B10"));
    REQUIRE(checkIn(f, b, "B9"));
    service::AttendanceService attendance(f.store, f.clock());
    f.now += domain::Minutes{3};
    REQUIRE(attendance.breakOut(test::kMathSession, b, "Ms. Rivera").saved);
    f.now += domain::Minutes{30};  // past the no-show cut-off
    REQUIRE(attendance.markNoShow(test::kMathSession, c, "Ms. Rivera").saved);
    h.ui().refresh();
    h.frames(2);

    // Every student of the session, each once; the counts on the chips.
    CHECK(h.ui().checkInScreen().results().size() == roster.size());
    REQUIRE(h.findContaining("Present 1") != nullptr);
    REQUIRE(h.findContaining("On break 1") != nullptr);
    REQUIRE(h.findContaining("No-show 1") != nullptr);
    // A row says in words what its cells show: status, seat, time in, break, the state's copy.
    const auto* onBreak = rowFor(h, b);
    REQUIRE(onBreak != nullptr);
    CHECK(onBreak->value.find("On break") != std::string::npos);
    CHECK(onBreak->value.find("seat B9") != std::string::npos);
    CHECK(onBreak->value.find("on break since") != std::string::npos);
    CHECK(onBreak->value.find("waiting") != std::string::npos);  // not sent yet: no uplink in this test
    const auto* expected = rowFor(h, roster[3].student.studentUniqueId);
    REQUIRE(expected != nullptr);
    CHECK(expected->value.find("Expected") == 0);
    CHECK(expected->value.find("nothing yet") != std::string::npos);

    // Ctrl+3: present only; Ctrl+4: on break only; Ctrl+6: no-shows; Ctrl+1: everyone again.
    h.press(kDigitOne + 2, false, true);
    h.frames(1);
    CHECK(h.ui().checkInScreen().filter() == ui::BoardFilter::Present);
    REQUIRE(rows(h).size() == 1);
    CHECK(rows(h)[0]->label.find(a) != std::string::npos);
    h.press(kDigitOne + 3, false, true);
    h.frames(1);
    REQUIRE(rows(h).size() == 1);
    CHECK(rows(h)[0]->label.find(b) != std::string::npos);
    h.press(kDigitOne + 5, false, true);
    h.frames(1);
    REQUIRE(rows(h).size() == 1);
    CHECK(rows(h)[0]->label.find(c) != std::string::npos);
    // The focus stayed in the search field all along, and typing filters the same table.
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Find a student (name or ID)");
    h.type(roster[0].student.lastSurname);
    h.frames(1);
    CHECK(h.ui().checkInScreen().results().empty());  // student a is present, not a no-show
    CHECK(h.findContaining("Ctrl+1 shows everyone") == nullptr);  // a query's own "no match" line speaks instead
    h.press(kDigitOne + 0, false, true);
    h.frames(1);
    CHECK(h.ui().checkInScreen().filter() == ui::BoardFilter::All);
    CHECK_FALSE(h.ui().checkInScreen().results().empty());
    CHECK(std::all_of(h.ui().checkInScreen().results().begin(), h.ui().checkInScreen().results().end(), [&](std::uint32_t pos) {
        return pos < roster.size();
    }));

    // A filter that keeps nobody says so, and how to see everyone.
    h.press(keys::Escape);
    h.frames(1);
    h.press(kDigitOne + 4, false, true);  // checked out: nobody yet
    h.frames(1);
    CHECK(rows(h).empty());
    CHECK(h.findContaining("Ctrl+1 shows everyone") != nullptr);
}

TEST_CASE("the room board: one line a student at 100 % on 1280×800, rows at least 24 px, rows that never overlap") {
    test::DemoFixture f(30);
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    h.frames(2);
    int shown = rowsInView(h);
    MESSAGE("rows in view at 100 %: " << shown);
    CHECK(shown >= 10);  // the two-line list it replaced showed 6; 8 with padded rows and the times on a line of their own
    // Every row in view is a whole line of the table, at least 24 px tall (WCAG 2.5.8), and rows touch without overlapping.
    auto all = rows(h);
    for (const auto* r : all) CHECK(r->rect.h >= 24.0f - 0.01f);
    for (std::size_t i = 1; i < all.size(); ++i) CHECK(all[i]->rect.y >= all[i - 1]->rect.y + all[i - 1]->rect.h - 0.5f);
}

TEST_CASE("the room board on 1024×768 at 100 %: seven whole rows beside the record, the session's times beside its title") {
    test::DemoFixture f(30);
    test::UiHarness h(f.store, f.clock(), 1024, 768);
    h.openFirstSession();
    h.frames(2);
    int shown = rowsInView(h);
    MESSAGE("rows in view at 100 % on 1024×768: " << shown);
    CHECK(shown >= 7);  // five before the rows lost their cell padding, the times joined the title's line and the hint kept to one
    // The hint keeps to one line: the keys, without the order the header's arrow shows.
    CHECK(h.find("Ctrl+1 to Ctrl+6: show one status · Up/Down: move · Enter: open · F9: sort") != nullptr);
    const accessibility::Node* title = nullptr;
    for (const auto& n : h.tree().nodes())
        if (n.role == accessibility::Role::Heading && n.label.find("Room") != std::string::npos) title = &n;
    const auto* times = h.findContaining("late after");
    REQUIRE(title != nullptr);
    REQUIRE(times != nullptr);
    // On the title's line, after it, and (drawn on its baseline) within its height.
    CHECK(times->rect.x >= title->rect.x + title->rect.w);
    CHECK(times->rect.y >= title->rect.y);
    CHECK(times->rect.y + times->rect.h <= title->rect.y + title->rect.h + 0.5f);
    for (const auto* r : rows(h)) CHECK(r->rect.h >= 24.0f - 0.01f);
}

TEST_CASE("the whole room (F10): thirty rows at once at 100 % on 1280×800, Enter opens the student typed beside the board, Escape goes back") {
    test::DemoFixture f(60);
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    auto roster = store::rosterForSession(f.store.db(), test::kMathSession).value();
    REQUIRE(roster.size() >= 30);
    // A record waits for the state: the one top line carries the banner's longest words.
    REQUIRE(checkIn(f, roster[0].student.studentUniqueId, "A1"));
    h.ui().refresh();
    h.press(keys::F10);
    h.frames(2);
    REQUIRE(h.ui().checkInScreen().roomView());
    REQUIRE(h.findContaining("Offline only (not enrolled) · Waiting to go to the state: 1 since ") != nullptr);
    int shown = rowsInView(h);
    MESSAGE("rows in view in the room view at 100 %: " << shown);
    CHECK(shown >= 30);
    for (const auto* r : rows(h)) {
        CHECK(r->rect.h >= 24.0f - 0.01f);
        CHECK(r->rect.x + r->rect.w <= 1280.0f + 0.5f);
    }
    // No record and no footer: the board is the page.
    CHECK(h.find("Sessions") == nullptr);
    // Typing still goes to the search, which filters the same board.
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Find a student (name or ID)");
    const auto& target = roster[17].student;
    h.type(target.studentUniqueId);
    h.frames(1);
    REQUIRE(rows(h).size() == 1);
    CHECK(rows(h)[0]->label.find(target.studentUniqueId) != std::string::npos);
    // Enter: the usual view again, the check-in of that student open over it.
    h.press(keys::Enter);
    h.frames(2);
    CHECK_FALSE(h.ui().checkInScreen().roomView());
    REQUIRE(h.ui().checkInScreen().dialogOpen());
    CHECK(h.findContaining(target.displayName() + " · " + target.studentUniqueId) != nullptr);
    h.press(keys::Escape);
    h.frames(2);
    CHECK_FALSE(h.ui().checkInScreen().dialogOpen());
    CHECK(f.events(target.studentUniqueId).empty());

    // Escape with a query clears it; with none it leaves the room view, not the session.
    h.press(keys::F10);
    h.frames(1);
    REQUIRE(h.ui().checkInScreen().roomView());
    h.type("zz");
    h.frames(1);
    h.press(keys::Escape);
    h.frames(1);
    CHECK(h.ui().checkInScreen().roomView());
    CHECK(h.ui().checkInScreen().query().empty());
    h.press(keys::Escape);
    h.frames(2);
    CHECK_FALSE(h.ui().checkInScreen().roomView());
    CHECK(h.find("Sessions") != nullptr);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Find a student (name or ID)");
}

TEST_CASE("the whole room at the largest text (300 %): fewer columns, never wider than the window, rows still in view") {
    test::DemoFixture f(60);
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    h.press(keys::F10);
    for (int i = 0; i < 8; ++i) h.press(keys::F4);  // as large as text goes
    h.frames(3);
    REQUIRE(h.ui().checkInScreen().roomView());
    auto all = rows(h);
    REQUIRE_FALSE(all.empty());
    MESSAGE("rows in view in the room view at the largest text: " << rowsInView(h));
    CHECK(rowsInView(h) >= 5);
    for (const auto* r : all) CHECK(r->rect.x + r->rect.w <= 1280.0f + 0.5f);
    // The status still reads in words for each row.
    CHECK(all.front()->value.find("Expected") == 0);
}

TEST_CASE("sorting the board: by seat as people read seats, by status with the still-expected first, ties in the order given") {
    std::vector<domain::RosterRow> roster(4);
    roster[0].seat = "B10";
    roster[0].presence = domain::Presence::Present;
    roster[1].seat = "B9";
    roster[1].presence = domain::Presence::OnBreak;
    roster[2].seat = "";
    roster[2].presence = domain::Presence::Expected;
    roster[3].seat = "A12";
    roster[3].presence = domain::Presence::Present;
    std::vector<service::StateCopy> copies{service::StateCopy::Synced, service::StateCopy::NeedsAttention, service::StateCopy::NoRecord,
                                           service::StateCopy::Pending};
    std::vector<std::uint32_t> order{0, 1, 2, 3};
    ui::sortBoard(order, roster, copies, ui::BoardSort::Seat, false);
    CHECK(order == std::vector<std::uint32_t>{3, 1, 0, 2});  // A12, B9, B10, then no seat
    order = {0, 1, 2, 3};
    ui::sortBoard(order, roster, copies, ui::BoardSort::Status, false);
    CHECK(order == std::vector<std::uint32_t>{2, 1, 0, 3});  // expected, on break, then present in the order given
    order = {0, 1, 2, 3};
    ui::sortBoard(order, roster, copies, ui::BoardSort::State, false);
    CHECK(order == std::vector<std::uint32_t>{1, 3, 0, 2});  // refused first
    order = {0, 1, 2, 3};
    ui::sortBoard(order, roster, copies, ui::BoardSort::Seat, true);
    CHECK(order == std::vector<std::uint32_t>{2, 0, 1, 3});
}

TEST_CASE("with a filter and nothing typed, Enter acts only on a row the arrow keys chose") {
    test::DemoFixture f(30);
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    auto roster = store::rosterForSession(f.store.db(), test::kMathSession).value();
    h.press(kDigitOne + 1, false, true);  // Ctrl+2: expected only (everyone, at the start)
    h.frames(1);
    REQUIRE(h.ui().checkInScreen().filter() == ui::BoardFilter::Expected);
    // Nothing chosen: Enter in the empty field opens nobody.
    h.press(keys::Enter);
    h.frames(2);
    CHECK_FALSE(h.ui().checkInScreen().dialogOpen());
    // The first Down shows the highlight on the first row; the second moves it on.
    h.press(keys::Down);
    h.frames(1);
    h.press(keys::Down);
    h.frames(1);
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.ui().checkInScreen().dialogOpen());
    const std::string second = roster[1].student.displayName();
    CHECK(h.findContaining(second + " · " + roster[1].student.studentUniqueId) != nullptr);
    // Escape closes the dialog; nothing was written.
    h.press(keys::Escape);
    h.frames(2);
    CHECK(f.events(roster[1].student.studentUniqueId).empty());
}

TEST_CASE("sorting the board from the keyboard: F9 takes the next column, Shift+F9 turns the order round, the hint says which") {
    test::DemoFixture f(30);
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    auto roster = store::rosterForSession(f.store.db(), test::kMathSession).value();
    REQUIRE(roster.size() >= 3);
    REQUIRE(checkIn(f, roster[2].student.studentUniqueId, "C1"));
    h.ui().refresh();
    h.frames(2);
    REQUIRE(h.findContaining("now by Student, ascending") != nullptr);

    // Student -> Status: the one present is not first (the still-expected are).
    h.press(keys::F9);
    h.frames(1);
    CHECK(h.ui().checkInScreen().sort() == ui::BoardSort::Status);
    CHECK(h.findContaining("now by Status, ascending") != nullptr);
    auto status = rows(h);
    REQUIRE_FALSE(status.empty());
    CHECK(status.front()->value.find("Expected") == 0);

    // Shift+F9: the same column the other way round: the one present comes first.
    h.press(keys::F9, true);
    h.frames(1);
    CHECK(h.ui().checkInScreen().sort() == ui::BoardSort::Status);
    CHECK(h.findContaining("now by Status, descending") != nullptr);
    REQUIRE_FALSE(rows(h).empty());
    CHECK(rows(h).front()->label.find(roster[2].student.studentUniqueId) != std::string::npos);

    // On past the last column shown, back to the first; the focus never left the search.
    for (int i = 0; i < 4; ++i) h.press(keys::F9);
    h.frames(1);
    CHECK(h.ui().checkInScreen().sort() == ui::BoardSort::Name);
    CHECK(h.findContaining("now by Student, ascending") != nullptr);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Find a student (name or ID)");
}

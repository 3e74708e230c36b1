// kiosk::papers: the session's sign-in roster, seating chart and irregularity
// report built from a store with check-ins, seats and an irregularity, drawn
// as US Letter PDFs and read back with poppler-utils; pagination with the
// header on every page; printing without a print server keeps the file.
#include "kiosk/papers/paper_documents.hpp"
#include "kiosk/papers/paper_model.hpp"
#include "kiosk/papers/papers_job.hpp"
#include "kiosk/papers/pdf_writer.hpp"
#include "kiosk/papers/printer.hpp"
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/store/audit_log.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "support/kiosk_fixture.hpp"
#include "support/pdf_tools.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <sys/stat.h>

using namespace kiosk;
using namespace kiosk::test;

namespace {

const std::string kFireAlarm = "uri://ed-fi.org/EventCircumstanceDescriptor#Fire alarm";
constexpr int kEastern = -300;  // the site's offset in these tests: 13:00Z is 08:00

papers::LocalClock fixedClock(domain::Timestamp now) {
    return {now, [](domain::Timestamp) { return kEastern; }};
}

store::Store storeWith(const store::RosterData& roster) {
    auto s = store::Store::openInMemory();
    REQUIRE(s.ok());
    REQUIRE(s->setSite("255901001", "Riverbend High School").ok());
    REQUIRE(store::writeRoster(s->db(), roster).ok());
    return std::move(s).value();
}

void saved(const service::ActionResult& r) { REQUIRE_MESSAGE(r.saved, r.message); }

// Zoë in A1 (in 08:02, out 08:50), Siobhán in A2, Nguyễn in A10, an
// irregularity for Siobhán at 08:30; Łukasz and Mateo not arrived.
struct Morning {
    ManualClock clock;
    store::Store store = storeWith(smallRoster());
    service::AttendanceService svc{store, clock.clock()};

    Morning() {
        clock.setMinute(-5);
        saved(svc.openSession(kMathSession, kProctor));
        checkIn(2, "S100001", "A1");
        checkIn(3, "S100003", "A2");
        checkIn(5, "S100004", "A10");
        clock.setMinute(31);
        saved(svc.recordIrregularity(kMathSession, "S100003", kProctor, {kFireAlarm, "Alarm rang; room left for 6 minutes.", atMinute(30)}));
        clock.setMinute(50);
        saved(svc.checkOut(kMathSession, "S100001", kProctor));
    }
    void checkIn(int minute, const std::string& student, const std::string& seat) {
        clock.setMinute(minute);
        saved(svc.checkIn(kMathSession, student, kProctor, {domain::IdMethod::PhotoId, "", seat, ""}));
    }
    papers::SessionPapers build() {
        auto p = papers::buildSessionPapers(store, kMathSession, fixedClock(atMinute(60)));
        REQUIRE_MESSAGE(p.ok(), (p.ok() ? std::string() : p.error().message));
        return std::move(p).value();
    }
};

std::filesystem::path written(const papers::PaperDocument& doc, const std::filesystem::path& file, int* pages = nullptr) {
    std::string error;
    auto n = papers::writePdf(doc, file, error);
    REQUIRE_MESSAGE(n.has_value(), error);
    if (pages) *pages = *n;
    return file;
}

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

// pdftotext separates pages with a form feed.
std::vector<std::string> pagesOf(const std::string& text) {
    std::vector<std::string> pages{""};
    for (char c : text) {
        if (c == '\f') pages.emplace_back();
        else pages.back().push_back(c);
    }
    while (!pages.empty() && pages.back().find_first_not_of(" \n") == std::string::npos) pages.pop_back();
    return pages;
}

store::RosterData bigRoster(int students) {
    store::RosterData d = smallRoster();
    d.students.clear();
    d.registrations.clear();
    const char* first[] = {"Zoë", "Siobhán", "Nguyễn", "Łukasz", "Renée", "Ana"};
    const char* last[] = {"Ñúñez", "O'Brien", "Trần", "Dvořák", "Øvergård", "Smith"};
    for (int i = 0; i < students; ++i) {
        std::string id = "S2" + std::to_string(10000 + i);
        d.students.push_back({id, first[i % 6], "", std::string(last[(i / 6) % 6]) + " " + std::to_string(i), ""});
        d.registrations.push_back({kMathSession, id, {}, false});
    }
    return d;
}

} // namespace

TEST_CASE("papers: the model holds each student's seat and local times, and the session's irregularities") {
    Morning m;
    auto p = m.build();
    CHECK(p.header.siteName == "Riverbend High School");
    CHECK(p.header.sessionId == kMathSession);
    CHECK(p.header.assessment == "WK-APPLIED-MATH");
    CHECK(p.header.date == "Monday, November 23, 2026");
    CHECK(p.header.scheduledStart == "08:00");
    CHECK(p.header.printedAt == "2026-11-23 09:00");
    REQUIRE(p.roster.size() == 5);
    auto zoe = std::find_if(p.roster.begin(), p.roster.end(), [](const auto& l) { return l.studentId == "S100001"; });
    REQUIRE(zoe != p.roster.end());
    CHECK(zoe->name == "Ñúñez, Zoë");
    CHECK(zoe->seat == "A1");
    CHECK(zoe->timeIn == "08:02");
    CHECK(zoe->timeOut == "08:50");
    REQUIRE(p.seated.size() == 3);
    CHECK(p.seated[0].seat == "A1");
    CHECK(p.seated[1].seat == "A2");
    CHECK(p.seated[2].seat == "A10");
    REQUIRE(p.unseated.size() == 2);
    CHECK(p.unseated[0].status == "not arrived");
    REQUIRE(p.irregularities.size() == 1);
    CHECK(p.irregularities[0].category == "Fire alarm");
    CHECK(p.irregularities[0].time == "08:30");
    CHECK(p.irregularities[0].proctor == kProctor);
    CHECK(p.irregularities[0].student == "O'Brien, Siobhán Aoife");
}

TEST_CASE("papers: an unknown session is an error that says not found") {
    auto s = storeWith(smallRoster());
    auto p = papers::buildSessionPapers(s, "NO-SUCH-SESSION", fixedClock(atMinute(0)));
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().code == 12);
}

TEST_CASE("papers: seats sort as people number them") {
    CHECK(papers::seatBefore("A2", "A10"));
    CHECK_FALSE(papers::seatBefore("A10", "A2"));
    CHECK(papers::seatBefore("A10", "B1"));
    CHECK(papers::seatBefore("9", "10"));
    CHECK(papers::seatBefore("A01", "A1") != papers::seatBefore("A1", "A01"));
    for (auto k : papers::kAllPapers) CHECK(papers::paperKindFromCode(papers::paperKindCode(k)) == k);
    CHECK_FALSE(papers::paperKindFromCode("menu"));
}

TEST_CASE("papers: the sign-in roster PDF shows names, IDs, seats and times on a Letter page") {
    Morning m;
    TempDir dir;
    int pages = 0;
    // The audit chain's head goes on every page's footer (verify-audit --printed-head).
    REQUIRE(store::appendAudit(m.store.db(), m.store.kioskId(), m.clock.clock()(), "proctor:P001", "session.opened", "{}").ok());
    const std::string head = store::printableAuditHead(m.store.db()).value();
    REQUIRE_FALSE(head.empty());
    auto file = written(papers::rosterPaper(m.build()), dir / "roster.pdf", &pages);
    CHECK(pages == 1);
    struct stat st{};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    std::string text = pdfText(file);
    for (const char* want : {"Session sign-in roster", "Riverbend High School", "RHS-2026-WK-AM-114", "WK-APPLIED-MATH", "WorkKeys Applied Math",
                             "Monday, November 23, 2026", "printed 2026-11-23 09:00", "Ñúñez, Zoë", "Trần, Nguyễn",
                             "O'Brien, Siobhán", "Dvořák, Łukasz", "S100001", "S100004", "A10", "08:02", "08:50", "Signature",
                             "Time in", "Time out", "Page 1 of 1"})
        CHECK_MESSAGE(has(text, want), std::string(want));
    CHECK_MESSAGE(has(text, "audit " + head), text);
    std::string info = pdfInfo(file);
    CHECK_MESSAGE(has(info, "612 x 792 pts (letter)"), info);
}

TEST_CASE("papers: the seating chart lists each seat's student and, apart, the students without one") {
    Morning m;
    TempDir dir;
    std::string text = pdfText(written(papers::seatingPaper(m.build()), dir / "seating.pdf"));
    for (const char* want : {"Seating chart", "Seats taken (3)", "Students without a seat (2)", "A1", "A2", "A10", "Ñúñez, Zoë",
                             "Trần, Nguyễn", "Dvořák, Łukasz", "Ashworth-Pérez, Mateo", "not arrived", "Page 1 of 1"})
        CHECK_MESSAGE(has(text, want), std::string(want));
    CHECK(text.find("Seats taken") < text.find("Students without a seat"));
    CHECK(text.find("Dvořák") > text.find("Students without a seat"));
}

TEST_CASE("papers: the irregularity report has each irregularity and lines for the proctor and coordinator") {
    Morning m;
    TempDir dir;
    std::string text = pdfText(written(papers::irregularityPaper(m.build()), dir / "irregularities.pdf"));
    for (const char* want : {"Irregularity report", "Fire alarm", "08:30", "Alarm rang; room left for 6 minutes.", "O'Brien, Siobhán",
                             "S100003", "Ms. Rivera", "1 irregularity recorded", "Not yet signed off", "Proctor signature",
                             "Test coordinator signature", "Page 1 of 1"})
        CHECK_MESSAGE(has(text, want), std::string(want));
}

TEST_CASE("papers: a 60-student roster runs to several pages, each with the session header and the table header") {
    auto s = storeWith(bigRoster(60));
    auto p = papers::buildSessionPapers(s, kMathSession, fixedClock(atMinute(0)));
    REQUIRE(p.ok());
    TempDir dir;
    int count = 0;
    std::string text = pdfText(written(papers::rosterPaper(*p), dir / "roster.pdf", &count));
    auto pages = pagesOf(text);
    REQUIRE(count >= 2);
    REQUIRE(pages.size() == static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < pages.size(); ++i) {
        CAPTURE(i);
        CHECK(has(pages[i], "Session sign-in roster"));
        CHECK(has(pages[i], "RHS-2026-WK-AM-114"));
        CHECK(has(pages[i], "Student ID"));
        CHECK(has(pages[i], "Signature"));
        CHECK(has(pages[i], "Page " + std::to_string(i + 1) + " of " + std::to_string(count)));
    }
    // Every student exactly once: no row is lost or split between pages.
    for (int i = 0; i < 60; ++i) {
        std::string id = "S2" + std::to_string(10000 + i);
        auto first = text.find(id);
        CHECK_MESSAGE((first != std::string::npos && text.find(id, first + 1) == std::string::npos), id);
    }
    std::string info = pdfInfo(dir / "roster.pdf");
    auto at = info.find("Pages:");
    REQUIRE(at != std::string::npos);
    CHECK(std::stoi(info.substr(at + 6)) == count);
}

TEST_CASE("papers: a roster of two pages says Page 1 of 2") {
    auto s = storeWith(bigRoster(30));
    auto p = papers::buildSessionPapers(s, kMathSession, fixedClock(atMinute(0)));
    REQUIRE(p.ok());
    TempDir dir;
    int count = 0;
    std::string text = pdfText(written(papers::rosterPaper(*p), dir / "roster.pdf", &count));
    REQUIRE(count == 2);
    CHECK(has(text, "Page 1 of 2"));
    CHECK(has(text, "Page 2 of 2"));
}

TEST_CASE("papers: text from the database is drawn as text, whatever it holds") {
    Morning m;
    auto p = m.build();
    p.roster[0].name = "<b>Bold</b> \x1b[2J\xff & Co";
    p.roster[1].name = std::string(3000, 'W');  // one long word, cut with an ellipsis rather than overflowing
    TempDir dir;
    std::string text = pdfText(written(papers::rosterPaper(p), dir / "roster.pdf"));
    CHECK(has(text, "<b>Bold</b>"));
    CHECK(has(text, "& Co"));
    CHECK(has(text, "Page 1 of 1"));
}

TEST_CASE("papers: with no print server reachable, printing says no printer and keeps the file") {
    Morning m;
    TempDir dir;
    auto file = written(papers::rosterPaper(m.build()), dir / "roster.pdf");
    ::setenv("CUPS_SERVER", "127.0.0.1:9", 1);  // discard port on loopback: nothing listens
    ::unsetenv("PRINTER");
    ::unsetenv("LPDEST");
    auto outcome = papers::printFile(file, "Sign-in roster", std::nullopt);
    CHECK_FALSE(outcome.printed);
    CHECK_MESSAGE(has(outcome.message, "no printer"), outcome.message);
    CHECK_MESSAGE(has(outcome.message, "cannot be reached"), outcome.message);
    auto named = papers::printFile(file, "Sign-in roster", std::string("lab-114"));
    CHECK_FALSE(named.printed);
    CHECK_MESSAGE(has(named.message, "no printer"), named.message);
    CHECK(std::filesystem::exists(file));
    ::unsetenv("CUPS_SERVER");
}

// Demo-like papers; with KIOSK_PAPERS_DEMO_DIR set they are kept there (for
// the screenshots in docs/screenshots, see docs/screenshots/README.md).
TEST_CASE("papers: the demo site's papers render") {
    auto s = store::Store::openInMemory();
    REQUIRE(s.ok());
    ManualClock clock;
    REQUIRE(store::loadDemo(*s, {.students = 48, .seed = 2026, .now = atMinute(10)}).ok());
    service::AttendanceService svc(*s, clock.clock());
    const std::string session = "RHS-2026-WK-AM-114";
    saved(svc.openSession(session, std::string(store::kDemoProctorName)));
    auto roster = store::rosterForSession(s->db(), session);
    REQUIRE(roster.ok());
    for (std::size_t i = 0; i < roster->size(); ++i) {
        if (i % 7 == 5) continue;  // not arrived
        clock.setMinute(static_cast<int>(i % 12) - 8);
        std::string seat = i % 9 == 4 ? "" : std::string(1, static_cast<char>('A' + i / 8)) + std::to_string(i % 8 + 1);
        saved(svc.checkIn(session, (*roster)[i].student.studentUniqueId, std::string(store::kDemoProctorName), {domain::IdMethod::PhotoId, "", seat, ""}));
    }
    clock.setMinute(25);
    saved(svc.recordIrregularity(session, std::string(store::kDemoStudentId), std::string(store::kDemoProctorName),
                                 {kFireAlarm, "Fire alarm at 08:25; students left the room for 6 minutes, materials secured.", std::nullopt}));
    clock.setMinute(40);
    saved(svc.recordIrregularity(session, (*roster)[3].student.studentUniqueId, std::string(store::kDemoProctorName),
                                 {"uri://ed-fi.org/EventCircumstanceDescriptor#Left testing", "Felt unwell; left the room with the nurse and did not return.", std::nullopt}));
    saved(svc.checkOut(session, (*roster)[3].student.studentUniqueId, std::string(store::kDemoProctorName)));
    auto p = papers::buildSessionPapers(*s, session, fixedClock(atMinute(45)));
    REQUIRE(p.ok());
    TempDir tmp;
    const char* keep = std::getenv("KIOSK_PAPERS_DEMO_DIR");
    std::filesystem::path dir = keep ? std::filesystem::path(keep) : tmp.path();
    for (auto k : papers::kAllPapers) {
        std::string name = "papers-" + std::string(papers::paperKindCode(k)) + ".pdf";
        CHECK(has(pdfText(written(papers::paperFor(k, *p), dir / name)), "Riverbend High School"));
    }
}

TEST_CASE("papers: a session ID becomes a safe file name") {
    CHECK(papers::paperFileStem("RHS-2026-WK-AM-114") == "RHS-2026-WK-AM-114");
    CHECK(papers::paperFileStem("../x y") == "_.._x_y");
    CHECK(papers::paperFileStem("") == "_");
}

TEST_CASE("papers: writeAndPrint writes all three papers and, with no print server, keeps them and says why") {
    Morning m;
    TempDir dir;
    ::setenv("CUPS_SERVER", "127.0.0.1:9", 1);
    auto out = papers::writeAndPrint(m.build(), dir / "exports", "S1", true);
    ::unsetenv("CUPS_SERVER");
    CHECK(out.error.empty());
    REQUIRE(out.files.size() == 3);
    for (const auto& f : out.files) CHECK(std::filesystem::exists(f));
    CHECK((std::filesystem::status(dir / "exports").permissions() & std::filesystem::perms::all) == std::filesystem::perms::owner_all);
    CHECK_FALSE(out.printed);
    CHECK_MESSAGE(has(out.notPrinted, "no printer"), out.notPrinted);
}

#include "kiosk/papers/paper_documents.hpp"

namespace kiosk::papers {

namespace {

constexpr double kSignatureRowHeight = 26;  // points: room for a signature

TableBlock unseatedTable(const SessionPapers& papers) {
    TableBlock t;
    t.heading = "Students without a seat (" + std::to_string(papers.unseated.size()) + ")";
    t.columns = {{"Student", 3}, {"Student ID", 1.5}, {"Status", 1.5}};
    for (const auto& l : papers.unseated) t.rows.push_back({l.name, l.studentId, l.status});
    t.whenEmpty = "Every student on the roster has a seat.";
    return t;
}

std::string signedOffNote(const SessionPapers& papers) {
    std::string n = std::to_string(papers.irregularities.size()) + " irregularit" + (papers.irregularities.size() == 1 ? "y" : "ies") +
                    " recorded in this session. ";
    if (!papers.signedOffBy.empty()) n += "Signed off on the kiosk by " + papers.signedOffBy + " at " + papers.signedOffAt + ".";
    else n += "Not yet signed off on the kiosk.";
    return n;
}

} // namespace

std::string_view paperKindCode(PaperKind kind) {
    switch (kind) {
    case PaperKind::Roster: return "roster";
    case PaperKind::Seating: return "seating";
    case PaperKind::Irregularities: return "irregularities";
    }
    return {};
}

std::optional<PaperKind> paperKindFromCode(std::string_view code) {
    for (PaperKind k : kAllPapers)
        if (paperKindCode(k) == code) return k;
    return std::nullopt;
}

std::string paperFileStem(std::string_view sessionId) {
    std::string out;
    for (char c : sessionId) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
        out.push_back(ok ? c : '_');
    }
    return out.empty() || out[0] == '.' ? "_" + out : out;
}

PaperDocument rosterPaper(const SessionPapers& papers) {
    TableBlock t;
    t.columns = {{"Student", 3}, {"Student ID", 1.4}, {"Seat", 0.8}, {"Time in", 1}, {"Time out", 1.1}, {"Signature", 2.8}};
    for (const auto& l : papers.roster) t.rows.push_back({l.name, l.studentId, l.seat, l.timeIn, l.timeOut, ""});
    t.whenEmpty = "No students on this session's roster.";
    t.minRowHeight = kSignatureRowHeight;
    return {"Session sign-in roster", papers.header, {std::move(t)}};
}

PaperDocument seatingPaper(const SessionPapers& papers) {
    TableBlock seated;
    seated.heading = "Seats taken (" + std::to_string(papers.seated.size()) + ")";
    seated.columns = {{"Seat", 1}, {"Student", 3}, {"Student ID", 1.5}, {"Status", 1.5}};
    for (const auto& l : papers.seated) seated.rows.push_back({l.seat, l.name, l.studentId, l.status});
    seated.whenEmpty = "No seats assigned yet.";
    return {"Seating chart", papers.header, {std::move(seated), unseatedTable(papers)}};
}

PaperDocument irregularityPaper(const SessionPapers& papers) {
    TableBlock t;
    t.columns = {{"Time", 0.8}, {"Student", 2.2}, {"Category", 1.6}, {"Description", 4}, {"Proctor", 1.4}};
    for (const auto& i : papers.irregularities)
        t.rows.push_back({i.time, i.student + "\n" + i.studentId, i.category, i.description, i.proctor});
    t.whenEmpty = "No irregularities were recorded in this session.";
    SignatureBlock s{{"Proctor", "Test coordinator"}, signedOffNote(papers)};
    return {"Irregularity report", papers.header, {std::move(t), std::move(s)}};
}

PaperDocument paperFor(PaperKind kind, const SessionPapers& papers) {
    switch (kind) {
    case PaperKind::Roster: return rosterPaper(papers);
    case PaperKind::Seating: return seatingPaper(papers);
    case PaperKind::Irregularities: return irregularityPaper(papers);
    }
    return rosterPaper(papers);
}

} // namespace kiosk::papers

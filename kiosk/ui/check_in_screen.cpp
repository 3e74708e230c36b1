#include "kiosk/ui/check_in_screen.hpp"

#include "accessibility/accommodation_profile.hpp"
#include "kiosk/domain/text_fold.hpp"
#include "kiosk/papers/paper_documents.hpp"
#include "kiosk/ui/keys.hpp"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

namespace kiosk::ui {

namespace {
constexpr std::size_t kMaxResults = 50;
constexpr int kSeatsPerRow = 6;

// Not yet settled for sign-off: not arrived, still in the room, or out on a break.
bool notAccountedFor(const domain::RosterRow& r) {
    return r.presence == domain::Presence::Expected || r.presence == domain::Presence::Present || r.presence == domain::Presence::OnBreak;
}
} // namespace

std::vector<std::string> CheckInScreen::namesakes(const domain::RosterRow& row) const {
    // Same name once accents and case are set aside: "Renée Kowalski" and "Renee Kowalski" are easily confused.
    std::string name = domain::foldForSearch(row.student.displayName());
    std::vector<std::string> out;
    for (const auto& r : m_snapshot.roster)
        if (r.student.studentUniqueId != row.student.studentUniqueId && domain::foldForSearch(r.student.displayName()) == name)
            out.push_back(r.student.studentUniqueId);
    return out;
}

std::vector<NamedStudent> CheckInScreen::studentsWhere(const std::function<bool(const domain::RosterRow&)>& keep) const {
    std::vector<NamedStudent> out;
    for (const auto& r : m_snapshot.roster)
        if (keep(r)) out.push_back({r.student.studentUniqueId, r.student.displayName()});
    return out;
}

bool CheckInScreen::open(const std::string& sessionId) {
    m_sessionId = sessionId;
    clearQuery();
    m_lastQuery = "\x01";  // force a search on the first frame
    m_selectedId.reset();
    m_detail.reset();
    m_ui.services.views.select(std::nullopt);
    m_cursor = 0;
    m_cursorId.clear();
    m_indexedRevision.reset();
    m_focusSearch = true;
    m_snapshot = {};
    m_stateCopies.clear();
    m_viewVersion = 0;
    m_ui.services.views.watch(m_sessionId);
    adoptView();
    // Built off the render thread: the screen opens at once and shows the
    // roster when its first view arrives (a store in memory builds it here).
    return m_viewVersion == 0 || !m_snapshot.info.sessionId.empty();
}

void CheckInScreen::close() {
    m_ui.services.views.select(std::nullopt);
    m_ui.services.views.watch(std::nullopt);
}

bool CheckInScreen::viewPending() const {
    if (m_ui.services.views.pending()) return true;
    auto view = m_ui.services.views.latest();
    return view && view->sessionId == m_sessionId && view->version != m_viewVersion;
}

void CheckInScreen::refresh() {
    // KioskUi::refresh asked the worker for a fresh view and waited for it.
    adoptView();
}

bool CheckInScreen::adoptView() {
    auto view = m_ui.services.views.latest();
    if (!view || view->version == m_viewVersion || view->sessionId != m_sessionId) return true;
    m_viewVersion = view->version;
    if (view->error) {
        m_ui.feedback = Feedback{false, *view->error};
        return !m_snapshot.info.sessionId.empty();  // a session that was never shown is gone: back to the list
    }
    m_snapshot = view->snapshot;
    m_stateCopies = view->stateCopies;
    rebuildIndexIfStale();
    rerunKeepingCursor();  // statuses moved rows in or out of the filter
    // The detail pane shows only the student selected, never one before.
    if (m_selectedId && view->detail && view->detail->row.student.studentUniqueId == *m_selectedId) m_detail = view->detail;
    return true;
}

void CheckInScreen::rebuildIndexIfStale() {
    // Keyed to the roster's revision, not its size: a rename, or one
    // registration added and another withdrawn, moves students in the list
    // without changing how many there are.
    if (m_indexedRevision == m_snapshot.rosterRevision) return;
    std::vector<domain::RosterEntry> entries;
    entries.reserve(m_snapshot.roster.size());
    for (const auto& r : m_snapshot.roster) entries.push_back({r.student.studentUniqueId, r.student.displayName()});
    m_index.build(entries);
    m_indexedRevision = m_snapshot.rosterRevision;
    rerunKeepingCursor();
}

void CheckInScreen::clearQuery() {
    m_query.clear();
    m_cursorChosen = false;
}

void CheckInScreen::rerunKeepingCursor() {
    // The same query again over the roster as it is now; the highlight stays on the same student.
    std::string keep = m_cursorId;
    bool chosen = m_cursorChosen;
    m_lastQuery = "\x01";
    runSearch();
    m_cursorChosen = false;  // a highlight chosen by the arrows holds only while its student is still listed
    for (std::size_t i = 0; i < m_results.size(); ++i)
        if (m_snapshot.roster[m_results[i]].student.studentUniqueId == keep) {
            moveCursor(i);
            m_cursorChosen = chosen;
        }
}

void CheckInScreen::runSearch() {
    if (m_query == m_lastQuery) return;
    m_lastQuery = m_query;
    m_results.clear();
    if (m_query.empty()) {
        m_results.resize(m_snapshot.roster.size());
        for (std::uint32_t i = 0; i < m_results.size(); ++i) m_results[i] = i;
    } else {
        m_results = m_index.search(m_query, m_filter == BoardFilter::All ? kMaxResults : m_snapshot.roster.size());
    }
    // Cut at kMaxResults: the count says so (the index counts them all, in memory).
    m_matchTotal = m_results.size() == kMaxResults && m_filter == BoardFilter::All ? std::max(m_results.size(), m_index.countMatches(m_query))
                                                                                    : m_results.size();
    std::erase_if(m_results, [&](std::uint32_t pos) { return !boardKeeps(m_filter, m_snapshot.roster[pos]); });
    if (m_sort != BoardSort::Name || m_sortDescending) sortBoard(m_results, m_snapshot.roster, m_stateCopies, m_sort, m_sortDescending);
    moveCursor(0);
    // Typing on: a record whose student is no longer among the matches
    // closes, so Tab from the field never reaches an unseen student's actions.
    if (m_query != m_checkedQuery) {
        m_checkedQuery = m_query;
        if (!m_query.empty() && m_selectedId && std::none_of(m_results.begin(), m_results.end(), [&](std::uint32_t pos) {
                return m_snapshot.roster[pos].student.studentUniqueId == *m_selectedId;
            }))
            deselect();
        m_elsewhere.reset();
        if (m_results.empty()) lookElsewhere();
    }
}

// An ID typed that is on no line of this roster: if it is a student of
// another session, say which, rather than invite a duplicate walk-in.
void CheckInScreen::lookElsewhere() {
    const std::string id = m_query;
    bool idLike = id.size() >= 3 && id.find(' ') == std::string::npos &&
                  std::any_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!idLike) return;
    const std::string folded = domain::foldForSearch(id);
    for (const auto& r : m_snapshot.roster)
        if (domain::foldForSearch(r.student.studentUniqueId) == folded) return;  // here, hidden by the filter
    m_ui.act([&queries = m_ui.services.queries, session = m_sessionId, id, now = m_ui.options.clock()] {
        auto found = queries.studentElsewhere(session, id, now);
        // A failed read says nothing more than "no match": the search itself worked.
        return found ? *found : std::optional<service::StudentElsewhere>{};
    },
             [this, id](const std::optional<service::StudentElsewhere>& found) {
                 if (!found || m_query != id) return;  // typed on since
                 const auto& s = found->session;
                 m_elsewhere = m_ui.fmt("checkin.elsewhere", {{"name", found->student.firstName + " " + found->student.lastSurname},
                                                              {"id", found->student.studentUniqueId},
                                                              {"session", s.title},
                                                              {"room", s.room},
                                                              {"time", m_ui.clock(s.scheduledStart)}});
             });
}

void CheckInScreen::deselect() {
    m_selectedId.reset();
    m_detail.reset();
    m_ui.services.views.select(std::nullopt);
}

void CheckInScreen::moveCursor(std::size_t resultIndex) {
    m_cursor = resultIndex;
    m_cursorId = resultIndex < m_results.size() ? m_snapshot.roster[m_results[resultIndex]].student.studentUniqueId : std::string();
}

// Up and Down open each student they reach beside the board: one row
// highlighted, and the record beside it always that row's. (In the room view
// the board is alone; a row opens the usual view only when chosen.)
void CheckInScreen::followCursor() {
    if (!m_roomView && !m_cursorId.empty() && m_cursorId != m_selectedId) select(m_cursorId);
}

const domain::RosterRow* CheckInScreen::rowById(const std::string& studentId) const {
    for (const auto& r : m_snapshot.roster)
        if (r.student.studentUniqueId == studentId) return &r;
    return nullptr;
}

void CheckInScreen::select(const std::string& studentId) {
    if (!rowById(studentId)) return;
    if (m_selectedId != studentId) {
        m_detail.reset();      // until the view with this student's detail arrives
        m_detailToTop = true;  // the new student's name first, not the last one's scroll
    }
    m_selectedId = studentId;
    // Read by the views' worker with the student's events; this thread waits (milliseconds as a rule).
    m_ui.services.views.select(studentId);
    m_ui.services.views.invalidate(service::SessionViews::kWaitAfterCommit);
    adoptView();
}

std::string CheckInScreen::nextFreeSeat() const {
    std::set<std::string> used;
    for (const auto& r : m_snapshot.roster)
        if (!r.seat.empty() && (r.presence == domain::Presence::Present || r.presence == domain::Presence::OnBreak)) used.insert(r.seat);
    for (int i = 0; i < 26 * kSeatsPerRow; ++i) {
        std::string seat = std::string(1, static_cast<char>('A' + i / kSeatsPerRow)) + std::to_string(i % kSeatsPerRow + 1);
        if (!used.count(seat)) return seat;
    }
    return {};
}

void CheckInScreen::primaryAction() {
    if (m_results.empty() || m_snapshot.info.signedOffAt) return;
    // By the highlighted student's ID: a position would name someone else
    // once the roster changed under the query.
    const domain::RosterRow* row = rowById(m_cursorId);
    if (!row) return;
    select(m_cursorId);
    m_returnFocus.clear();
    if (row->presence == domain::Presence::Expected) m_dialogs.openCheckIn(*row, m_snapshot.info, nextFreeSeat(), namesakes(*row));
}

void CheckInScreen::afterDialog(bool saved) {
    if (m_snapshot.info.signedOffAt) {
        // Signed off: nothing more to record; going back is what is left.
        m_ui.widgets.focus(m_ui.tr("checkin.back"));
    } else if (saved || m_returnFocus.empty()) {
        // Saved (or a search's dialog closed): ready for the next student,
        // whatever the dialog was opened from.
        if (saved) clearQuery();
        m_focusSearch = true;
    } else {
        // Cancelled: back to the control it was opened from.
        m_ui.widgets.focus(m_returnFocus);
    }
    // A refusal shown while the dialog was open is over with it.
    if (!saved && !m_ui.feedback.ok) m_ui.feedback = {};
}

void CheckInScreen::record(std::function<service::ActionResult(service::AttendanceService&)> work, std::string savedText,
                           std::function<void(bool saved)> then) {
    m_ui.act([work = std::move(work), &attendance = m_ui.services.attendance] { return work(attendance); },
             [this, savedText = std::move(savedText), then = std::move(then)](const service::ActionResult& r) { then(m_ui.report(r, savedText)); });
}

void CheckInScreen::afterAction(bool saved, bool backToSearch) {
    // After this window's own commit the action queue had the view of it
    // built before its answer came: the frame that shows the answer shows it.
    if (saved) adoptView();
    if (backToSearch) {
        clearQuery();
        m_focusSearch = true;
    }
}

std::string CheckInScreen::rowStatus(const domain::RosterRow& row) const {
    std::string s = m_ui.tr("presence." + std::string(domain::presenceCode(row.presence)));
    if (row.late) s += " · " + m_ui.tr("status.late");
    if (!row.seat.empty() && row.presence != domain::Presence::CheckedOut) s += " · " + m_ui.fmt("status.seat", {{"seat", row.seat}});
    if (row.walkIn) s += " · " + m_ui.tr("status.walkIn");
    return s;
}

bool CheckInScreen::draw(float width, float height) {
    if (!adoptView()) return false;
    if (std::exchange(m_roomViewNextFrame, false)) setRoomView(true);
    if (m_roomView) {
        drawRoomView(height);
        return true;
    }
    float em = m_ui.em();
    // Escape backs out one level: from anywhere to the search field, from a
    // search to an empty field, from the empty field to the session list.
    // (Dear ImGui reverts a text field on Escape, so look before it runs.)
    bool escape = ImGui::IsKeyPressed(keys::Escape, false) && !m_dialogs.isOpen() && !m_ui.escapeConsumed;
    bool backOut = false;
    if (escape) {
        m_ui.escapeConsumed = true;
        if (m_searchFocused && m_query.empty()) backOut = true;
        // Dear ImGui would answer this Escape by restoring the field's text
        // from when it was last activated (the failed search): the field lets
        // go first, so the search stays cleared.
        if (GImGui->ActiveId != 0 && GImGui->ActiveId == m_searchFieldId) ImGui::ClearActiveID();
        clearQuery();
        m_focusSearch = true;
    }
    drawHeader();
    drawFilterChips();
    const ImGuiStyle& st = ImGui::GetStyle();
    // What the footer took last frame (its buttons wrap at large text); a
    // guess of two rows until it has been drawn once at this size.
    float footerHeight = m_footerHeight > 0.0f ? m_footerHeight : ImGui::GetFrameHeightWithSpacing() * 2.2f;
    float remaining = height - ImGui::GetCursorPosY() - footerHeight;  // page coordinates: never changes with scrolling
    // Side by side when there is room for both; stacked otherwise. Panes keep a
    // usable height however large the text: the page scrolls (only up and down).
    bool twoColumns = width >= 44.0f * em;
    // Minimum heights in lines and controls (not em): with wide line spacing a
    // line is taller than its font size, and each pane must still show its
    // field and at least two result rows or a few actions.
    float line = ImGui::GetTextLineHeightWithSpacing(), control = ImGui::GetFrameHeightWithSpacing();
    float minSearch = 2.0f * st.WindowPadding.y + 2.0f * line + control + 2.0f * (3.0f * ImGui::GetTextLineHeight() + st.FramePadding.y + st.ItemSpacing.y);
    float minDetail = 2.0f * st.WindowPadding.y + 3.0f * line + 3.0f * control;
    if (twoColumns) {
        float bodyHeight = std::max({minSearch, minDetail, remaining});
        float left = std::floor(width * 0.64f);  // the board is the room; the record sits beside it
        drawSearchPane(left, bodyHeight);
        ImGui::SameLine();
        drawDetailPane(width - left - st.ItemSpacing.x, bodyHeight);
    } else {
        // Stacked (large text): the panes flow in the page at their own
        // height, the page the only scroller, never a pane inside a pane.
        drawSearchPane(width, 0.0f);
        ImGui::Separator();
        drawDetailPane(width, 0.0f);
    }
    bool stay = !backOut;
    float footerTop = ImGui::GetCursorPosY();
    ImGui::Separator();
    if (m_ui.widgets.button(m_ui.tr("checkin.walkIn"), Emphasis::Normal, ImVec2(0, 0), !m_snapshot.info.signedOffAt)) {
        m_returnFocus.clear();  // a walk-in goes on to check-in, then back to the search
        m_dialogs.openWalkIn();
    }
    m_ui.widgets.sameLineIfFits(m_ui.tr("checkin.markNoShows"));
    bool cutoffPassed = domain::noShowAllowed(m_ui.options.clock(), m_snapshot.info.rules());
    if (m_ui.widgets.button(m_ui.tr("checkin.markNoShows"), Emphasis::Normal, ImVec2(0, 0),
                            !m_snapshot.info.signedOffAt && m_snapshot.counts.expected > 0)) {
        if (cutoffPassed) {
            m_returnFocus = m_ui.tr("checkin.markNoShows");
            m_dialogs.openBulkNoShow(studentsWhere([](const domain::RosterRow& r) { return r.presence == domain::Presence::Expected; }));
        }
        else {
            auto cutoff = m_snapshot.info.scheduledStart + domain::Minutes{m_snapshot.info.noShowAfterMinutes};
            m_ui.feedback = Feedback{false, m_ui.fmt("checkin.noShowTooEarly", {{"time", m_ui.clock(cutoff)}})};
        }
    }
    m_ui.widgets.sameLineIfFits(m_ui.tr("checkin.checkOutAll"));
    if (m_ui.widgets.button(m_ui.tr("checkin.checkOutAll"), Emphasis::Normal, ImVec2(0, 0),
                            !m_snapshot.info.signedOffAt && m_snapshot.counts.present > 0)) {
        m_returnFocus = m_ui.tr("checkin.checkOutAll");
        m_dialogs.openBulkCheckOut(studentsWhere([](const domain::RosterRow& r) { return r.presence == domain::Presence::Present; }));
    }
    m_ui.widgets.sameLineIfFits(m_ui.tr("checkin.export"));
    if (m_ui.widgets.button(m_ui.tr("checkin.export"))) {
        auto file = m_ui.options.exportDir / (m_sessionId + "-report-" + domain::fileStamp(m_ui.options.clock()) + ".csv");
        // The store's read and the file's write, both off the render thread.
        m_ui.act([&queries = m_ui.services.queries, session = m_sessionId, file] {
            std::error_code ec;
            std::filesystem::create_directories(file.parent_path(), ec);
            return queries.exportReport(session, file);
        },
                 [this, file](const std::optional<std::string>& err) {
                     if (err) m_ui.feedback = Feedback{false, *err};
                     else m_ui.feedback = Feedback{true, m_ui.fmt("feedback.exported", {{"file", file.string()}})};
                     m_focusSearch = true;  // as after a save: typing goes on in the search
                 });
    }
    m_ui.widgets.sameLineIfFits(m_ui.tr("checkin.signOff"));
    if (m_ui.widgets.button(m_ui.tr("checkin.signOff"), Emphasis::Normal, ImVec2(0, 0), !m_snapshot.info.signedOffAt)) {
        m_returnFocus = m_ui.tr("checkin.signOff");
        m_dialogs.openSignOff(m_snapshot.counts, studentsWhere(notAccountedFor));
    }
    m_ui.widgets.sameLineIfFits(m_ui.tr("checkin.back"));
    if (m_ui.widgets.button(m_ui.tr("checkin.back"))) stay = false;
    m_ui.widgets.sameLineIfFits(m_ui.tr("checkin.papers"));
    if (m_ui.widgets.button(m_ui.tr("checkin.papers"), Emphasis::Normal, ImVec2(0, 0), !m_papers.running())) startPapers();
    if (m_roomButtonInFooter) {
        m_ui.widgets.sameLineIfFits(m_ui.tr("checkin.roomView"));
        roomViewButton();
    }
    showPapersOutcome();
    m_footerHeight = ImGui::GetCursorPosY() - footerTop + ImGui::GetStyle().ItemSpacing.y + ImGui::GetStyle().WindowPadding.y;

    DialogOutcome outcome = m_dialogs.draw(m_sessionId);
    if (outcome.saved) {
        adoptView();  // built by the action queue before the answer came
        if (!outcome.walkInStudentId.empty()) {
            // A walk-in goes straight on to check-in, flagged.
            if (const auto* row = rowById(outcome.walkInStudentId)) {
                select(outcome.walkInStudentId);
                m_dialogs.openCheckIn(*row, m_snapshot.info, nextFreeSeat(), namesakes(*row));
            }
        } else {
            afterDialog(true);
        }
    } else if (outcome.closed) {
        afterDialog(false);
    }
    return stay;
}

// The model is read by the action queue, like any read of the store;
// drawing the PDFs and talking to CUPS happen on the papers job's thread
// (docs/architecture.md, "Papers").
void CheckInScreen::startPapers() {
    const UiOptions& options = m_ui.options;
    papers::LocalClock clock{options.clock(), [&options](domain::Timestamp t) { return options.offsetAt(t); }};
    m_ui.act([&queries = m_ui.services.queries, session = m_sessionId, clock] { return papers::buildSessionPapers(queries.store(), session, clock); },
             [this, session = m_sessionId](auto model) {
                 if (!model) {
                     m_ui.feedback = Feedback{false, model.error().describe()};
                     return;
                 }
                 if (m_papers.start(std::move(model).value(), m_ui.options.exportDir, papers::paperFileStem(session), true)) {
                     m_ui.feedback = Feedback{true, m_ui.tr("feedback.papersWorking")};
                     // The button waits for the job, disabled: typing goes on in the search
                     // (focus would otherwise move on past the last button, to F1).
                     m_focusSearch = true;
                 }
             });
}

void CheckInScreen::showPapersOutcome() {
    auto out = m_papers.take();
    if (!out) return;
    std::string dir = m_ui.options.exportDir.string();
    if (!out->error.empty()) m_ui.feedback = Feedback{false, m_ui.fmt("feedback.papersFailed", {{"why", out->error}})};
    else if (out->printed) m_ui.feedback = Feedback{true, m_ui.fmt("feedback.papersPrinted", {{"printer", out->printer}, {"dir", dir}})};
    else m_ui.feedback = Feedback{false, m_ui.fmt("feedback.papersNotPrinted", {{"dir", dir}, {"why", out->notPrinted}})};
}

void CheckInScreen::drawHeader() {
    const auto& info = m_snapshot.info;
    auto lateAt = info.scheduledStart + domain::Minutes{info.lateAfterMinutes};
    auto noShowAt = info.scheduledStart + domain::Minutes{info.noShowAfterMinutes};
    // The times beside the title where they fit: a line more for the board.
    m_ui.widgets.headingWithAside(info.title + " · " + info.room, m_ui.fmt("checkin.times", {{"start", m_ui.clock(info.scheduledStart)},
                                                                                             {"late", m_ui.clock(lateAt)},
                                                                                             {"noShow", m_ui.clock(noShowAt)},
                                                                                             {"proctor", m_ui.proctor}}));
    // The counts are on the board's filter chips.
    const auto& c = m_snapshot.counts;
    if (info.signedOffAt) {
        m_ui.widgets.textColoured(m_ui.fmt("checkin.signedOff", {{"who", info.signedOffBy}, {"time", m_ui.clock(*info.signedOffAt)}}),
                                  m_ui.palette.success);
    } else {
        // The end-of-session checklist, always in view: what is still missing
        // before sign-off, without pressing anything.
        std::string irregular = m_ui.fmt("checkin.irregularities", {{"count", std::to_string(c.irregularities)}});
        if (c.expected + c.present + c.onBreak == 0)
            m_ui.widgets.textColoured(m_ui.fmt("checkin.checklistReady", {{"irregularities", irregular}}), m_ui.palette.success,
                                      accessibility::Role::Status);
        else
            m_ui.widgets.text(m_ui.fmt("checkin.checklistMissing", {{"expected", std::to_string(c.expected)},
                                                                    {"present", std::to_string(c.present)},
                                                                    {"onBreak", std::to_string(c.onBreak)},
                                                                    {"irregularities", irregular}}),
                              accessibility::Role::Status);
    }
}

void CheckInScreen::drawSearchPane(float width, float height) {
    // No height: the pane flows in the page (see draw()).
    if (height > 0.0f) m_ui.widgets.beginRegion("search-pane", ImVec2(width, height), RegionBorder::Line);
    else m_ui.widgets.beginFlowRegion("search-pane");
    // The label beside its field when there is room: a line more for the board.
    const std::string& label = m_ui.tr("checkin.searchLabel");
    bool besideField = ImGui::CalcTextSize(label.c_str()).x + 16.0f * m_ui.em() < ImGui::GetContentRegionAvail().x;
    if (besideField) ImGui::AlignTextToFramePadding();
    m_ui.widgets.text(label);
    if (besideField) ImGui::SameLine();
    drawSearchField(0.0f, m_ui.tr("checkin.searchHint"));

    if (!m_query.empty())
        m_ui.widgets.text(matchLine(), accessibility::Role::Status);
    else if (m_results.empty())
        m_ui.widgets.text(m_ui.fmt("board.noneWithFilter", {{"filter", boardFilterName(m_ui, m_filter)}}), accessibility::Role::Status);
    else {
        // Where the whole hint would take two lines, the keys alone: the
        // header's arrow shows the order, and the board keeps a row.
        std::string hint = m_ui.fmt("board.hint", {{"column", m_ui.tr(boardSortColumnKey(m_sort))},
                                                   {"order", m_ui.tr(m_sortDescending ? "board.sortDescending" : "board.sortAscending")}});
        if (ImGui::CalcTextSize(hint.c_str()).x > ImGui::GetContentRegionAvail().x) hint = m_ui.tr("board.hintKeys");
        m_ui.widgets.text(hint);
    }
    drawBoard(height > 0.0f ? std::max(1.0f, ImGui::GetContentRegionAvail().y) : 0.0f);
    m_ui.widgets.endRegion();
}

// The search field and what its keys do: typing filters the board, Up/Down
// move the highlight, Enter opens the highlighted student.
void CheckInScreen::drawSearchField(float widthEm, const std::string& hint) {
    if (m_focusSearch && !m_dialogs.isOpen()) {
        m_ui.widgets.focus(m_ui.tr("checkin.searchLabel"));
        m_focusSearch = false;
    }
    bool enter = m_ui.widgets.textField(m_ui.tr("checkin.searchLabel"), m_query, hint, true, widthEm, 100);
    bool searchActive = ImGui::IsItemActive();
    m_searchFieldId = ImGui::GetItemID();
    m_searchFocused = Widgets::focusedId() == m_searchFieldId;
    if (searchActive) {
        // Up/Down move through results while typing, not focus out of the field.
        GImGui->ActiveIdUsingNavDirMask |= (1u << ImGuiDir_Up) | (1u << ImGuiDir_Down);
    }
    runSearch();
    if (searchActive && !m_results.empty()) {
        // The first arrow press shows the highlight where it is (the first row);
        // later ones move it. Either way Enter now acts on it.
        bool down = ImGui::IsKeyPressed(keys::Down), up = ImGui::IsKeyPressed(keys::Up);
        bool shown = highlightShown();
        if ((down || up) && !shown) {
            m_cursorChosen = true;
            m_scrollToCursor = true;
            followCursor();
        } else if (down && m_cursor + 1 < m_results.size()) {
            moveCursor(m_cursor + 1);
            m_scrollToCursor = true;
            followCursor();
        } else if (up && m_cursor > 0) {
            moveCursor(m_cursor - 1);
            m_scrollToCursor = true;
            followCursor();
        }
    }
    // Enter acts on the highlighted row: a match of what was typed, or a row
    // the arrows chose. With nothing typed and nothing chosen there is none.
    if (enter && highlightShown() && !m_results.empty()) {
        if (m_roomView) openFromRoomView();
        else primaryAction();
    }
    else if (enter) m_focusSearch = true;
}

std::string CheckInScreen::matchLine() const {
    if (m_results.empty()) return m_elsewhere ? *m_elsewhere : m_ui.tr("checkin.noMatch");
    if (m_matchTotal > m_results.size())
        return m_ui.fmt("checkin.matchesCapped", {{"shown", std::to_string(m_results.size())}, {"count", std::to_string(m_matchTotal)}});
    if (m_results.size() == 1) return m_ui.tr("checkin.matchesOne");
    return m_ui.fmt("checkin.matchesMany", {{"count", std::to_string(m_results.size())}});
}

void CheckInScreen::setFilter(BoardFilter filter) {
    if (filter == m_filter) return;
    m_filter = filter;
    rerunKeepingCursor();
    if (m_query.empty()) m_cursorChosen = false;  // another list: nothing chosen in it yet
}

// Ctrl+1 … Ctrl+6 pick a filter from anywhere on the screen, chips shown or not.
void CheckInScreen::pickFilterFromKeys() {
    constexpr int kDigitOne = 49;  // GLFW_KEY_1
    if (!ImGui::GetIO().KeyCtrl || m_dialogs.isOpen()) return;
    for (int i = 0; i < kBoardFilterCount; ++i)
        if (ImGui::IsKeyPressed(kDigitOne + i, false)) setFilter(static_cast<BoardFilter>(i));
}

// One radio group: only the chosen chip is a Tab stop.
void CheckInScreen::drawFilterChips() {
    pickFilterFromKeys();
    BoardFilter chosen = m_filter;
    for (int i = 0; i < kBoardFilterCount; ++i) {
        auto f = static_cast<BoardFilter>(i);
        std::string label = boardFilterName(m_ui, f) + " " + std::to_string(boardFilterCount(f, m_snapshot.counts)) + "##filter" + std::to_string(i);
        if (i > 0) m_ui.widgets.sameLineIfFitsRadio(label);
        if (m_ui.widgets.radio(label, f == m_filter, f == m_filter)) chosen = f;
    }
    setFilter(chosen);
    // The whole room, at the end of the chips' line (it costs the board no
    // line); where that line is full, at the end of the footer instead.
    const std::string& room = m_ui.tr("checkin.roomView");
    m_ui.widgets.sameLineIfFits(room);
    m_roomButtonInFooter = ImGui::GetCursorPosX() <= ImGui::GetStyle().WindowPadding.x + 1.0f;
    if (m_roomButtonInFooter) return;
    ImGui::SetCursorPosX(std::max(ImGui::GetCursorPosX(), ImGui::GetWindowContentRegionMax().x - m_ui.widgets.buttonWidth(room)));
    roomViewButton();
}

// Switched at the next frame's start, as F10 does: never half a frame of each view.
void CheckInScreen::roomViewButton() {
    if (m_ui.widgets.button(m_ui.tr("checkin.roomView"))) m_roomViewNextFrame = true;
}

void CheckInScreen::setRoomView(bool on) {
    if (on == m_roomView) return;
    m_roomView = on;
    // An old "Saved: …" would cost the board a row; a refusal stays until read.
    if (on && m_ui.feedback.ok) m_ui.feedback = {};
    m_focusSearch = true;  // the search is where typing goes in either view
    m_scrollToCursor = true;
}

// A row chosen in the room view opens in the usual view, the record beside
// the board, as Enter there would.
void CheckInScreen::openFromRoomView() {
    setRoomView(false);
    primaryAction();
}

// The session's name, the search and the filter on one line, then the board
// to the bottom of the window: no record, no buttons.
void CheckInScreen::drawRoomView(float height) {
    // Escape clears a search, then goes back to the usual view (never further).
    if (ImGui::IsKeyPressed(keys::Escape, false) && !m_ui.escapeConsumed) {
        m_ui.escapeConsumed = true;
        bool wasEmpty = m_query.empty();
        if (GImGui->ActiveId != 0 && GImGui->ActiveId == m_searchFieldId) ImGui::ClearActiveID();
        clearQuery();
        m_focusSearch = true;
        if (wasEmpty) {
            setRoomView(false);
            return;
        }
    }
    pickFilterFromKeys();
    const auto& info = m_snapshot.info;
    // A slimmer field than elsewhere (still a 24 px target): every pixel
    // of this line is a row of the board less.
    const ImGuiStyle& st = ImGui::GetStyle();
    ImGui::PushStyleVar(ImGuiStyleVar_FramePadding, ImVec2(st.FramePadding.x, std::max(2.0f, (24.0f - ImGui::GetTextLineHeight()) * 0.5f + 2.0f)));
    ImGui::AlignTextToFramePadding();
    m_ui.widgets.text(info.title + " · " + info.room);
    ImGui::SameLine();
    drawSearchField(12.0f, m_ui.tr("board.roomHint"));
    std::string line = m_query.empty() ? m_ui.fmt("board.roomLine", {{"filter", boardFilterName(m_ui, m_filter)},
                                                                     {"count", std::to_string(boardFilterCount(m_filter, m_snapshot.counts))}})
                                       : matchLine();
    m_ui.widgets.sameLineIfFitsWidth(ImGui::CalcTextSize(line.c_str()).x);
    ImGui::AlignTextToFramePadding();
    m_ui.widgets.text(line, accessibility::Role::Status);
    // The banner's status at the right end of the line (or on its own line).
    float statusWidth = ImGui::CalcTextSize(m_ui.bannerStatus.c_str()).x;
    m_ui.widgets.sameLineIfFitsWidth(statusWidth + 2.0f * st.ItemSpacing.x);
    if (ImGui::GetCursorPosX() > st.WindowPadding.x + 1.0f)
        ImGui::SetCursorPosX(std::max(ImGui::GetCursorPosX(), ImGui::GetWindowContentRegionMax().x - statusWidth));
    ImGui::AlignTextToFramePadding();
    m_ui.widgets.text(m_ui.bannerStatus, accessibility::Role::Status);
    ImGui::PopStyleVar();
    ImGui::SetCursorPosY(ImGui::GetCursorPosY() - st.ItemSpacing.y + 0.25f * m_ui.em());
    float remaining = height - ImGui::GetCursorPosY() - ImGui::GetStyle().WindowPadding.y;
    drawBoard(std::max(4.0f * ImGui::GetFrameHeight(), remaining));
}

std::string CheckInScreen::boardRowValue(const domain::RosterRow& row, service::StateCopy copy) const {
    std::string v = rowStatus(row);
    if (row.checkedInAt) v += " · " + m_ui.fmt("status.inAt", {{"time", m_ui.clock(*row.checkedInAt)}});
    if (row.breakStartedAt) v += " · " + m_ui.fmt("board.breakSince", {{"time", m_ui.clock(*row.breakStartedAt)}});
    if (!row.scheduledAccommodations.empty() || row.accommodationsDelivered > 0)
        v += " · " + m_ui.fmt("board.accommodationsValue", {{"delivered", std::to_string(row.accommodationsDelivered)},
                                                          {"scheduled", std::to_string(row.scheduledAccommodations.size())}});
    return v + " · " + boardStateText(m_ui, copy);
}

// The room at a glance: one row a student, one line a row. Wide panes show
// every column; narrower ones (large text) keep the few that matter most, so
// the page never scrolls sideways.
void CheckInScreen::drawBoard(float height) {
    float em = m_ui.em();
    float width = ImGui::GetContentRegionAvail().x;
    enum class Cell { Student, Status, Seat, TimeIn, Break, Accommodations, State };
    struct Column {
        Cell cell;
        const char* key;
        BoardSort sort;
        float widthEm;  // 0: stretches
        bool sortable;
    };
    auto sorted = [](Cell cell, BoardSort sort, float widthEm) { return Column{cell, boardSortColumnKey(sort), sort, widthEm, true}; };
    std::vector<Column> columns{sorted(Cell::Student, BoardSort::Name, 0.0f), sorted(Cell::Status, BoardSort::Status, 7.0f)};
    if (width >= 27.0f * em) columns.push_back(sorted(Cell::Seat, BoardSort::Seat, 3.0f));
    if (width >= 37.0f * em) {
        columns.push_back(sorted(Cell::TimeIn, BoardSort::TimeIn, 3.0f));
        columns.push_back({Cell::Break, "board.colBreak", BoardSort::Name, 3.0f, false});
        columns.push_back({Cell::Accommodations, "board.colAccommodations", BoardSort::Name, 2.6f, false});
    }
    if (width >= 27.0f * em) columns.push_back(sorted(Cell::State, BoardSort::State, 4.6f));

    // No height: every row in the page, which scrolls (stacked panes); else the board scrolls in its pane.
    ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_Sortable | ImGuiTableFlags_SizingFixedFit |
                            ImGuiTableFlags_NoSavedSettings;
    if (height > 0.0f) flags |= ImGuiTableFlags_ScrollY;
    // A row's air is its own height (below), not cell padding: padding would
    // add to every row's pitch and cost the board a row at 1024×768.
    const float cellPaddingY = 0.0f;
    ImGui::PushStyleVar(ImGuiStyleVar_CellPadding, ImVec2(ImGui::GetStyle().CellPadding.x, cellPaddingY));
    bool shown = ImGui::BeginTable("board", static_cast<int>(columns.size()), flags, ImVec2(0.0f, height));
    ImGui::PopStyleVar();
    if (!shown) return;
    float statusRoom = width - 10.0f * em;  // what the other columns leave, with 10 em for the names
    for (const auto& c : columns)
        if (c.cell != Cell::Status) statusRoom -= c.widthEm * em + 2.0f * ImGui::GetStyle().CellPadding.x;
    for (const auto& c : columns) {
        ImGuiTableColumnFlags cf = c.widthEm == 0.0f ? ImGuiTableColumnFlags_WidthStretch : ImGuiTableColumnFlags_WidthFixed;
        if (!c.sortable) cf |= ImGuiTableColumnFlags_NoSort;
        if (c.sort == BoardSort::Name && c.sortable) cf |= ImGuiTableColumnFlags_DefaultSort;
        // Never narrower than its header and the room Dear ImGui keeps for a
        // sortable header's arrow ("Asiento" is longer than "Seat").
        const std::string& header = m_ui.tr(c.key);
        const float arrow = c.sortable ? ImGui::GetFontSize() + ImGui::GetStyle().FramePadding.x : 0.0f;
        float fixed = c.widthEm * em;
        if (fixed > 0.0f) fixed = std::max(fixed, ImGui::CalcTextSize(header.c_str()).x + arrow);
        // The status is as wide as the widest shown ("Present · late ·
        // walk-in") as long as the names keep room enough; past that it is
        // cut with an ellipsis.
        if (c.cell == Cell::Status) fixed = std::max(fixed, std::min(boardStatusWidth(m_ui, m_snapshot.roster, m_results), statusRoom));
        ImGui::TableSetupColumn(header.c_str(), cf, fixed, static_cast<ImGuiID>(c.sort));
    }
    // Each board (the pane's, the room view's, a stacked layout's) is a table
    // of its own with its own sort state: its header's arrow is put on the
    // order the board is in, whichever board set it.
    if (ImGuiTable* table = ImGui::GetCurrentTable()) {
        for (std::size_t i = 0; i < columns.size(); ++i) {
            if (!columns[i].sortable || columns[i].sort != m_sort) continue;
            const ImGuiSortDirection direction = m_sortDescending ? ImGuiSortDirection_Descending : ImGuiSortDirection_Ascending;
            const ImGuiTableColumn& current = table->Columns[static_cast<int>(i)];
            if (current.SortOrder != 0 || current.SortDirection != direction) ImGui::TableSetColumnSortDirection(static_cast<int>(i), direction, false);
        }
    }
    // F9 sorts by the next column shown, Shift+F9 turns the order round: what
    // a click on a header does, from the keyboard.
    if (ImGui::IsKeyPressed(keys::F9, false) && !m_dialogs.isOpen()) {
        std::vector<int> sortable;
        for (std::size_t i = 0; i < columns.size(); ++i)
            if (columns[i].sortable) sortable.push_back(static_cast<int>(i));
        auto current = std::find_if(sortable.begin(), sortable.end(), [&](int i) { return columns[i].sort == m_sort; });
        int column = current == sortable.end() ? sortable.front() : *current;
        bool descending = false;
        if (ImGui::GetIO().KeyShift) descending = !m_sortDescending;
        else if (current != sortable.end() && std::next(current) != sortable.end()) column = *std::next(current);
        else column = sortable.front();
        ImGui::TableSetColumnSortDirection(column, descending ? ImGuiSortDirection_Descending : ImGuiSortDirection_Ascending, false);
    }
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableHeadersRow();
    if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs(); specs && specs->SpecsDirty) {
        if (specs->SpecsCount > 0) {
            m_sort = static_cast<BoardSort>(specs->Specs[0].ColumnUserID);
            m_sortDescending = specs->Specs[0].SortDirection == ImGuiSortDirection_Descending;
        }
        specs->SpecsDirty = false;
        rerunKeepingCursor();
    }

    float line = ImGui::GetTextLineHeight();
    // One line and a little air; never under 24 px (WCAG 2.5.8). The room
    // view drops the air so thirty rows fit at 100 % on 1280×800.
    float rowHeight = std::max(24.0f, m_roomView ? line : line + 0.3f * em);
    float inset = (rowHeight - line) * 0.5f;
    if (m_cursor >= m_results.size()) moveCursor(0);
    ImGuiListClipper clipper;
    // The clipper steps by the rows' real pitch, padding included: with the
    // row height alone it ended the table short of its last row and drew a
    // border through that row's text.
    clipper.Begin(static_cast<int>(m_results.size()), rowHeight + 2.0f * cellPaddingY);
    // The current row is always drawn: it is the board's Tab stop, even when scrolled away.
    if (!m_results.empty()) clipper.ForceDisplayRangeByIndices(static_cast<int>(m_cursor), static_cast<int>(m_cursor) + 1);
    ImGui::PushStyleVar(ImGuiStyleVar_SelectableTextAlign, ImVec2(0.0f, 0.5f));
    while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            std::uint32_t pos = m_results[static_cast<std::size_t>(i)];
            const auto& row = m_snapshot.roster[pos];
            service::StateCopy copy = pos < m_stateCopies.size() ? m_stateCopies[pos] : service::StateCopy::NoRecord;
            bool isCursor = static_cast<std::size_t>(i) == m_cursor;
            bool isSelected = m_selectedId && *m_selectedId == row.student.studentUniqueId;
            ImGui::TableNextRow(ImGuiTableRowFlags_None, rowHeight);
            ImGui::TableSetColumnIndex(0);
            std::string label = row.student.displayName() + " · " + row.student.studentUniqueId;
            const bool highlighted = (isCursor && highlightShown()) || isSelected;
            if (m_ui.widgets.tableRow(row.student.studentUniqueId, label, boardRowValue(row, copy), highlighted, rowHeight, isCursor)) {
                moveCursor(static_cast<std::size_t>(i));
                setRoomView(false);  // a row opens beside the board
                select(row.student.studentUniqueId);
            }
            // Up/Down move focus between rows (Dear ImGui's navigation): the Tab stop follows,
            // and so does the record.
            if (ImGui::IsItemFocused() && !isCursor) {
                moveCursor(static_cast<std::size_t>(i));
                followCursor();
            }
            if (isCursor && m_scrollToCursor) {
                ImGui::SetScrollHereY(0.5f);
                m_scrollToCursor = false;
            }
            // On the selection's background every cell takes the selection's
            // text colour: the status colours are chosen against the page, and
            // the shape and the words still tell the statuses apart.
            const std::optional<ImVec4> onSelection = highlighted ? std::optional<ImVec4>(m_ui.palette.selectionText) : std::nullopt;
            if (onSelection) ImGui::PushStyleColor(ImGuiCol_Text, *onSelection);
            for (std::size_t c = 1; c < columns.size(); ++c) {
                ImGui::TableSetColumnIndex(static_cast<int>(c));
                ImGui::SetCursorPosY(ImGui::GetCursorPosY() + inset);
                switch (columns[c].cell) {
                case Cell::Student: break;  // the row itself, drawn above
                case Cell::Status: drawBoardStatus(m_ui, row, onSelection); break;
                case Cell::Seat: ImGui::TextUnformatted(row.presence == domain::Presence::CheckedOut ? "" : row.seat.c_str()); break;
                case Cell::TimeIn: ImGui::TextUnformatted(row.checkedInAt ? m_ui.clock(*row.checkedInAt).c_str() : ""); break;
                case Cell::Break:
                    if (row.breakStartedAt)
                        ImGui::TextColored(onSelection.value_or(m_ui.palette.warning), "%s", m_ui.clock(*row.breakStartedAt).c_str());
                    break;
                case Cell::Accommodations:
                    if (!row.scheduledAccommodations.empty() || row.accommodationsDelivered > 0)
                        ImGui::Text("%d / %zu", row.accommodationsDelivered, row.scheduledAccommodations.size());
                    break;
                case Cell::State:
                    ImGui::TextColored(onSelection.value_or(boardStateColour(m_ui, copy)), "%s", boardStateText(m_ui, copy).c_str());
                    break;
                }
            }
            if (onSelection) ImGui::PopStyleColor();
        }
    }
    ImGui::PopStyleVar();
    ImGui::EndTable();
}

void CheckInScreen::drawDetailPane(float width, float height) {
    if (height > 0.0f) m_ui.widgets.beginRegion("detail-pane", ImVec2(width, height), RegionBorder::Line);
    else m_ui.widgets.beginFlowRegion("detail-pane");
    if (!m_detail) {
        m_ui.widgets.wrappedText(m_ui.tr("checkin.pickStudent"));
        m_ui.widgets.endRegion();
        return;
    }
    const auto& d = *m_detail;
    const auto& s = d.row.student;
    m_ui.widgets.heading(m_ui.studentHeading(s.displayName(), s.studentUniqueId, s.gradeLevel));
    // The name stays at the top while the record under it scrolls: every
    // action below is about the student named here.
    const bool scrolls = height > 0.0f;
    if (scrolls) m_ui.widgets.beginRegion("detail-body", ImVec2(0.0f, ImGui::GetContentRegionAvail().y), RegionBorder::None, true);
    if (m_detailToTop && scrolls) ImGui::SetScrollY(0.0f);  // its own scroll region, not the page's
    m_detailToTop = false;
    std::string status = rowStatus(d.row);
    if (d.attendance.checkedInAt) status += " · " + m_ui.fmt("status.inAt", {{"time", m_ui.clock(*d.attendance.checkedInAt)}});
    if (d.attendance.checkedOutAt) status += " · " + m_ui.fmt("status.outAt", {{"time", m_ui.clock(*d.attendance.checkedOutAt)}});
    m_ui.widgets.text(status, accessibility::Role::Status);
    if (d.attendance.idMethod)
        m_ui.widgets.text(m_ui.fmt("status.id", {{"method", m_ui.tr("idMethod." + std::string(domain::idMethodCode(*d.attendance.idMethod)))},
                                                 {"who", d.attendance.idVerifiedBy}}));
    if (d.attendance.idRefused) m_ui.widgets.textColoured(m_ui.tr("status.idRefused"), m_ui.palette.danger);
    switch (d.stateCopy) {
    case service::StateCopy::NoRecord: m_ui.widgets.text(m_ui.tr("state.none"), accessibility::Role::Status); break;
    case service::StateCopy::Pending: m_ui.widgets.textColoured(m_ui.tr("state.pending"), m_ui.palette.warning); break;
    case service::StateCopy::Synced: m_ui.widgets.textColoured(m_ui.tr("state.synced"), m_ui.palette.success); break;
    case service::StateCopy::NeedsAttention:
        m_ui.widgets.textColoured(m_ui.fmt("state.attention", {{"message", d.stateMessage}}), m_ui.palette.danger, accessibility::Role::Alert);
        break;
    }
    ImGui::Separator();
    drawActions(d);
    ImGui::Separator();
    drawAccommodations(d);
    ImGui::Separator();
    drawHistory(d);
    if (scrolls) m_ui.widgets.endRegion();
    m_ui.widgets.endRegion();
}

void CheckInScreen::drawActions(const service::StudentDetail& d) {
    using domain::Presence;
    Presence p = d.attendance.presence;
    bool open = !m_snapshot.info.signedOffAt;
    const auto& row = d.row;
    // The way back from a no-show is not Check in: said where Check in is greyed.
    if (open && p == Presence::NoShow) m_ui.widgets.wrappedText(m_ui.tr("status.noShowArrived"));
    std::vector<std::pair<std::string, bool>> actions{
        {m_ui.tr("action.checkIn"), open && p == Presence::Expected},
        {m_ui.tr("action.breakOut"), open && p == Presence::Present},
        {m_ui.tr("action.breakIn"), open && p == Presence::OnBreak},
        {m_ui.tr("action.checkOut"), open && p == Presence::Present},
        {m_ui.tr("action.seat"), open && (p == Presence::Present || p == Presence::OnBreak)},
        {m_ui.tr("action.idCheck"), open && p != Presence::CheckedOut && p != Presence::NoShow},
        {m_ui.tr("action.irregularity"), open && (p == Presence::Present || p == Presence::OnBreak || p == Presence::CheckedOut)},
        {m_ui.tr("action.noShow"), open && p == Presence::Expected},
        {m_ui.tr("action.correct"), open && d.attendance.eventCount > 0},
    };
    for (std::size_t i = 0; i < actions.size(); ++i) {
        if (i > 0) m_ui.widgets.sameLineIfFits(actions[i].first);
        if (!m_ui.widgets.button(actions[i].first, i == 0 ? Emphasis::Primary : Emphasis::Normal, ImVec2(0, 0), actions[i].second)) continue;
        const std::string& id = row.student.studentUniqueId;
        std::string who = row.student.firstName + " " + row.student.lastSurname;
        m_returnFocus = actions[i].first;
        switch (i) {
        case 0: m_dialogs.openCheckIn(row, m_snapshot.info, nextFreeSeat(), namesakes(row)); break;
        case 1:
        case 2: {
            const bool out = i == 1;
            record([session = m_sessionId, id, proctor = m_ui.proctor, out](service::AttendanceService& a) {
                return out ? a.breakOut(session, id, proctor) : a.breakIn(session, id, proctor);
            },
                   m_ui.fmt(out ? "feedback.breakOut" : "feedback.breakIn", {{"name", who}}),
                   [this](bool saved) { afterAction(saved, saved); });
            break;
        }
        case 3:
            record([session = m_sessionId, id, proctor = m_ui.proctor](service::AttendanceService& a) { return a.checkOut(session, id, proctor); },
                   m_ui.fmt("feedback.checkedOut", {{"name", who}}), [this](bool saved) { afterAction(saved, true); });
            break;
        case 4: m_dialogs.openSeat(row, d.attendance.seat); break;
        case 5: m_dialogs.openIdCheck(row); break;
        case 6: m_dialogs.openIrregularity(row); break;
        case 7: m_dialogs.openNoShow(row); break;
        case 8: m_dialogs.openCorrect(row, d.history); break;
        default: break;
        }
    }
}

void CheckInScreen::drawAccommodations(const service::StudentDetail& d) {
    using domain::Presence;
    m_ui.widgets.text(m_ui.tr("accommodations.title"));
    bool canRecord = !m_snapshot.info.signedOffAt && (d.attendance.presence == Presence::Present || d.attendance.presence == Presence::OnBreak ||
                                                      d.attendance.presence == Presence::CheckedOut);
    // Scheduled ones first, then Ed-Fi's categories for anything unplanned.
    std::vector<std::string> options = d.row.scheduledAccommodations;
    for (auto c : domain::accommodationCategories()) options.push_back(std::string(domain::kAccommodationNs) + std::string(c));
    if (d.row.scheduledAccommodations.empty()) m_ui.widgets.text(m_ui.tr("accommodations.noneScheduled"));
    else {
        // What the student screens will apply by themselves, and what is the proctor's to arrange.
        auto profile = accessibility::profileFromDescriptors(d.row.scheduledAccommodations);
        std::string automatic, manual;
        for (const auto& term : profile.pnpTerms) {
            std::string& list = accessibility::appliedByKiosk(term) ? automatic : manual;
            list += (list.empty() ? "" : ", ") + m_ui.tr("pnp." + term);
        }
        for (const auto& u : profile.unrecognised) manual += (manual.empty() ? "" : ", ") + m_ui.accommodationName(u);
        if (!automatic.empty()) m_ui.widgets.wrappedText(m_ui.fmt("profile.applied", {{"list", automatic}}));
        if (!manual.empty()) m_ui.widgets.wrappedText(m_ui.fmt("profile.notAutomatic", {{"list", manual}}));
    }
    for (std::size_t i = 0; i < options.size(); ++i) {
        const std::string& acc = options[i];
        auto delivered = std::find_if(d.attendance.accommodations.begin(), d.attendance.accommodations.end(),
                                      [&](const auto& a) { return a.accommodation == acc; });
        bool isScheduled = i < d.row.scheduledAccommodations.size();
        if (!isScheduled && delivered == d.attendance.accommodations.end() && !m_showAllAccommodations) continue;
        bool checked = delivered != d.attendance.accommodations.end();
        std::string label = m_ui.accommodationName(acc);
        if (isScheduled) label += " " + m_ui.tr("accommodations.scheduledMark");
        if (checked) label += " · " + m_ui.fmt("accommodations.deliveredAt", {{"time", m_ui.clock(delivered->at)}});
        label += "##acc" + std::to_string(i);
        bool value = checked;
        if (m_ui.widgets.checkbox(label, value, canRecord && !checked) && value) {
            record([session = m_sessionId, id = d.row.student.studentUniqueId, proctor = m_ui.proctor, acc](service::AttendanceService& a) {
                return a.deliverAccommodation(session, id, proctor, acc);
            },
                   m_ui.fmt("feedback.accommodation", {{"what", m_ui.accommodationName(acc)}}), [this](bool saved) { afterAction(saved, saved); });
            return;  // the detail changes with the answer; draw it then
        }
    }
    if (canRecord && !d.attendance.accommodations.empty()) m_ui.widgets.wrappedText(m_ui.tr("accommodations.undoHint"));
    // More to tick only where ticking is possible.
    if (m_ui.widgets.button(m_showAllAccommodations ? m_ui.tr("accommodations.fewer") : m_ui.tr("accommodations.more"), Emphasis::Normal,
                            ImVec2(0, 0), canRecord || m_showAllAccommodations))
        m_showAllAccommodations = !m_showAllAccommodations;
}

void CheckInScreen::drawHistory(const service::StudentDetail& d) {
    m_ui.widgets.text(m_ui.tr("history.title"));
    if (d.history.empty()) {
        m_ui.widgets.text(m_ui.tr("history.empty"));
        return;
    }
    for (const auto& h : d.history) {
        const auto& e = h.event;
        std::string line = m_ui.clock(e.at) + "  " + m_ui.tr("event." + std::string(domain::eventKindCode(e.kind)));
        if (!e.seat.empty()) line += " · " + e.seat;
        if (!e.accommodation.empty()) line += " · " + m_ui.accommodationName(e.accommodation);
        if (!e.circumstance.empty()) line += " · " + std::string(domain::descriptorCodeValue(e.circumstance)) + ": " + e.description;
        if (!e.reason.empty()) line += " · " + e.reason;
        line += " · " + e.proctor;
        if (h.withdrawn) line += "  " + m_ui.tr("history.withdrawn");
        if (h.withdrawn) m_ui.widgets.textColoured(line, m_ui.palette.textMuted, accessibility::Role::StaticText);
        else m_ui.widgets.wrappedText(line);
    }
}

} // namespace kiosk::ui

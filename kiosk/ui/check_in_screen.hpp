#pragma once
// The proctor's main screen: find a student in a keystroke or two, act on
// them, and always see what has and has not reached the state.
#include "kiosk/domain/roster_index.hpp"
#include "kiosk/papers/papers_job.hpp"
#include "kiosk/ui/dialogs.hpp"
#include "kiosk/ui/room_board.hpp"
#include "kiosk/ui/ui_context.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::ui {

class CheckInScreen {
public:
    explicit CheckInScreen(UiContext& ui) : m_ui(ui), m_dialogs(ui) {}

    // Loads the session and puts focus in the search field.
    bool open(const std::string& sessionId);
    // Draws the screen; returns false when the proctor goes back to sessions.
    bool draw(float width, float height);
    void refresh();  // takes up the newest view (KioskUi::refresh asks for one first)
    void close();    // left for another screen: no more views of this session
    // A view is being built or waits to be adopted: what is shown may be older than the store.
    bool viewPending() const;
    // Typing goes to the search field next frame (the screen was unlocked).
    void focusSearch() { m_focusSearch = true; }

    const std::string& sessionId() const { return m_sessionId; }
    bool dialogOpen() const { return m_dialogs.isOpen(); }
    // An idle warning or the lock is above the screen: the dialog waits out of sight (Dialogs::hold).
    void holdDialog(bool held) { m_dialogs.hold(held); }
    void dismissDialog() { m_dialogs.dismiss(); }
    const std::string& dialogTitleKey() const { return m_dialogs.titleKey(); }
    const std::string& sessionTitle() const { return m_snapshot.info.title; }
    const std::string& query() const { return m_query; }
    const std::vector<std::uint32_t>& results() const { return m_results; }
    BoardFilter filter() const { return m_filter; }
    BoardSort sort() const { return m_sort; }
    // The whole room: the board alone, edge to edge (F10), so a proctor sees
    // thirty students at once at 100 %; a row opens in the usual view.
    bool roomView() const { return m_roomView; }
    void setRoomView(bool on);

private:
    void drawHeader();
    void drawSearchPane(float width, float height);
    void drawSearchField(float widthEm, const std::string& hint);
    void drawRoomView(float height);
    void openFromRoomView();
    void drawDetailPane(float width, float height);
    void drawActions(const service::StudentDetail& d);
    void drawAccommodations(const service::StudentDetail& d);
    void drawHistory(const service::StudentDetail& d);
    void runSearch();
    void rerunKeepingCursor();
    void clearQuery();
    // "12 matches", "1 match", or that the list was cut and by how much.
    std::string matchLine() const;
    void lookElsewhere();
    // The highlight is shown (and Enter acts on it) for a typed query's
    // match or a row the arrow keys chose.
    bool highlightShown() const { return !m_query.empty() || m_cursorChosen; }
    void setFilter(BoardFilter filter);
    void pickFilterFromKeys();
    void drawFilterChips();
    void roomViewButton();
    void drawBoard(float height);
    std::string boardRowValue(const domain::RosterRow& row, service::StateCopy copy) const;
    // Takes the newest view of the session, if newer than the one shown;
    // false when the session turned out not to exist.
    bool adoptView();
    void rebuildIndexIfStale();
    void moveCursor(std::size_t resultIndex);
    void followCursor();
    const domain::RosterRow* rowById(const std::string& studentId) const;
    void select(const std::string& studentId);
    void deselect();  // the record pane closes
    void primaryAction();
    // One of the detail pane's actions, off the render thread; `then` gets
    // whether it was saved (the outcome is already reported) when the answer comes.
    void record(std::function<service::ActionResult(service::AttendanceService&)> work, std::string savedText,
                std::function<void(bool saved)> then);
    void afterAction(bool saved, bool backToSearch);
    void afterDialog(bool saved);
    std::string rowStatus(const domain::RosterRow& row) const;
    std::string nextFreeSeat() const;
    std::vector<std::string> namesakes(const domain::RosterRow& row) const;
    std::vector<NamedStudent> studentsWhere(const std::function<bool(const domain::RosterRow&)>& keep) const;
    void startPapers();
    void showPapersOutcome();

    UiContext& m_ui;
    Dialogs m_dialogs;
    std::string m_sessionId;
    service::SessionSnapshot m_snapshot;
    std::vector<service::StateCopy> m_stateCopies;
    domain::RosterIndex m_index;
    std::optional<std::uint64_t> m_indexedRevision;  // the roster revision m_index was built from
    std::uint64_t m_viewVersion = 0;                  // the SessionView shown (0: none yet)
    std::string m_query;
    std::string m_lastQuery;
    std::string m_checkedQuery;  // the query the open record was last checked against
    std::optional<std::string> m_elsewhere;  // "… is registered for …": the ID typed is another session's student
    std::size_t m_matchTotal = 0;  // students the query matches, shown or not
    std::vector<std::uint32_t> m_results;  // positions in m_snapshot.roster (valid for m_indexedRevision only), filtered and sorted
    BoardFilter m_filter = BoardFilter::All;
    BoardSort m_sort = BoardSort::Name;  // Name: the index's order (by name, or by match with a query)
    bool m_sortDescending = false;
    std::size_t m_cursor = 0;              // highlighted result
    std::string m_cursorId;                // the highlighted student: Enter acts on this ID, never on a position
    bool m_cursorChosen = false;           // the arrow keys put the highlight there (nothing typed)
    std::optional<std::string> m_selectedId;
    bool m_detailToTop = false;  // a newly opened student: the detail pane scrolls back to its top
    std::optional<service::StudentDetail> m_detail;
    bool m_focusSearch = true;
    // The control a dialog was opened from, where focus returns when it closes;
    // empty: the search field (the dialog came from Enter on a search).
    std::string m_returnFocus;
    bool m_searchFocused = false;
    std::uint32_t m_searchFieldId = 0;
    bool m_scrollToCursor = false;
    float m_footerHeight = 0.0f;  // measured last frame
    bool m_showAllAccommodations = false;
    bool m_roomView = false;
    bool m_roomViewNextFrame = false;
    bool m_roomButtonInFooter = false;  // the chips' line had no room for it
    papers::PapersJob m_papers;  // "Print papers…": drawn and printed off the render thread
};

} // namespace kiosk::ui

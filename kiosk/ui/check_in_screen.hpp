#pragma once
// The proctor's main screen: find a student in a keystroke or two, act on
// them, and always see what has and has not reached the state.
#include "kiosk/domain/roster_index.hpp"
#include "kiosk/ui/dialogs.hpp"
#include "kiosk/ui/ui_context.hpp"

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
    void refresh();  // reload after outside changes (sync, another action)

    const std::string& sessionId() const { return m_sessionId; }
    bool dialogOpen() const { return m_dialogs.isOpen(); }
    const std::string& dialogTitleKey() const { return m_dialogs.titleKey(); }
    const std::string& sessionTitle() const { return m_snapshot.info.title; }
    const std::string& query() const { return m_query; }
    const std::vector<std::uint32_t>& results() const { return m_results; }

private:
    void drawHeader();
    void drawSearchPane(float width, float height);
    void drawDetailPane(float width, float height);
    void drawActions(const service::StudentDetail& d);
    void drawAccommodations(const service::StudentDetail& d);
    void drawHistory(const service::StudentDetail& d);
    void runSearch();
    void select(std::size_t rosterPos);
    void primaryAction();
    void afterAction(bool saved, bool backToSearch);
    std::string rowStatus(const store::RosterRow& row) const;
    std::string nextFreeSeat() const;

    UiContext& m_ui;
    Dialogs m_dialogs;
    std::string m_sessionId;
    service::SessionSnapshot m_snapshot;
    std::vector<service::StateCopy> m_stateCopies;
    domain::RosterIndex m_index;
    std::size_t m_indexedRosterSize = 0;
    std::string m_query;
    std::string m_lastQuery;
    std::vector<std::uint32_t> m_results;  // positions in m_snapshot.roster
    std::size_t m_cursor = 0;              // highlighted result
    std::optional<std::string> m_selectedId;
    std::optional<service::StudentDetail> m_detail;
    bool m_focusSearch = true;
    bool m_searchFocused = false;
    bool m_scrollToCursor = false;
    bool m_showAllAccommodations = false;
};

} // namespace kiosk::ui

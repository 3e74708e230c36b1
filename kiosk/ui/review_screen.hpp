#pragma once
// A proctor or supervisor verifies submitted work-readiness entries offline,
// confirming each decision with their PIN: approve, send back with a comment,
// or reject with a reason. Only approved entries count and go to the state.
#include "kiosk/ui/ui_context.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kiosk::ui {

class ReviewScreen {
public:
    explicit ReviewScreen(UiContext& ui) : m_ui(ui) {}
    void refresh();  // on entering: the catalogue, the reviewer, and the newest view's list
    void adopt(const service::SessionView& view);
    bool draw();  // false: back to the proctor's start
    void forgetPin() { m_pin.clear(); }  // the screen locked with a PIN typed and not used

private:
    UiContext& m_ui;
    std::vector<domain::WorkEntry> m_entries;
    std::vector<std::string> m_names;
    std::size_t m_selected = 0;
    std::string m_comment, m_pin;
    bool m_evaluatorUnknown = false;  // the reviewing proctor has no state staff ID on file
};

class SyncScreen {
public:
    explicit SyncScreen(UiContext& ui) : m_ui(ui) {}
    void refresh();
    void adopt(const service::SessionView& view);  // the hub's line and the lists
    bool draw();  // false: back

private:
    UiContext& m_ui;
    std::vector<service::FailedRecord> m_items;
    std::vector<service::WaitingRecord> m_waiting;
    std::optional<service::SiteHubSummary> m_hub;
};

// The site hub, for the sync screen: how it is reached, who uploads, how far
// this kiosk is from the rest of the site.
std::vector<std::string> siteHubLines(const UiContext& ui, const service::SiteHubSummary& hub);

// "Online · last contact 14:05 · waiting 3 · needs attention 1"
std::string syncLine(const UiContext& ui, const service::SyncSummary& s);

} // namespace kiosk::ui

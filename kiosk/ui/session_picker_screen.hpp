#pragma once
// First screen: who is proctoring, and which session to open.
#include "kiosk/ui/ui_context.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kiosk::ui {

class SessionPickerScreen {
public:
    explicit SessionPickerScreen(UiContext& ui) : m_ui(ui) {}
    void refresh();
    void focusFirst() { m_focusFirst = true; }
    // The session the proctor opened this frame, if any.
    std::optional<std::string> draw();

private:
    UiContext& m_ui;
    std::vector<service::SessionSummary> m_sessions;
    bool m_focusFirst = true;
};

} // namespace kiosk::ui

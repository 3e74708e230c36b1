#pragma once
// The proctor's start: sign in with proctor ID and PIN, then open a session,
// review students' work, or see the state sync. Students sign in from here too.
#include "kiosk/ui/ui_context.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kiosk::ui {

struct PickerAction {
    enum class Kind { None, OpenSession, StudentSignIn, Review, Sync };
    Kind kind = Kind::None;
    std::string sessionId;
};

class SessionPickerScreen {
public:
    explicit SessionPickerScreen(UiContext& ui) : m_ui(ui), m_proctorIdField(ui.options.defaultProctor) {}
    void refresh();
    void focusFirst() { m_focusFirst = true; }
    PickerAction draw();

private:
    bool signInProctor();
    void drawProctorSignIn();

    UiContext& m_ui;
    std::vector<service::SessionSummary> m_sessions;
    std::string m_proctorIdField;
    std::string m_pin;  // cleared as soon as it has been checked
    bool m_focusFirst = true;
    bool m_focusFirstSession = false;
    int m_awaitingReview = 0;
};

} // namespace kiosk::ui

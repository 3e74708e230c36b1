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
    // Where focus lands when the screen shows: the proctor ID (or PIN) when
    // nobody is signed in, else the given session's card (the first one when empty).
    void focusFirst(std::string sessionId = {}) {
        m_focusFirst = true;
        m_focusSessionId = std::move(sessionId);
    }
    // The proctor leaves (sign-out, or the machine turned into a student
    // station): the next proctor types ID and PIN again.
    enum class ForgetId { No, Yes };
    void signOutProctor(const std::string& auditDetail, ForgetId forget = ForgetId::No);
    PickerAction draw();

private:
    void signInProctor();  // the PIN is checked off the render thread; its answer signs in or says why not
    void drawProctorSignIn();

    UiContext& m_ui;
    std::vector<service::SessionSummary> m_sessions;
    std::string m_proctorIdField;
    std::string m_pin;  // cleared as soon as it has been checked
    bool m_focusFirst = true;
    bool m_focusFirstSession = false;
    std::string m_focusSessionId;
    int m_awaitingReview = 0;
};

} // namespace kiosk::ui

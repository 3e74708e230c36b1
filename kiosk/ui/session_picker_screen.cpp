#include "kiosk/ui/session_picker_screen.hpp"

#include <imgui.h>

#include <algorithm>
#include <utility>

namespace kiosk::ui {

// From the newest view: no read of the store here.
void SessionPickerScreen::refresh() {
    auto view = m_ui.services.views.latest();
    if (!view) return;
    if (!view->listError.empty()) m_ui.feedback = Feedback{false, view->listError};
    m_sessions = view->sessions;
    m_awaitingReview = static_cast<int>(view->awaitingReview.size());
}

void SessionPickerScreen::signInProctor() {
    m_ui.act([&security = m_ui.services.security, id = m_proctorIdField, pin = std::exchange(m_pin, {})] {
        return security.checkProctorPin(id, pin, "proctor_mode");
    },
             [this](const service::PinCheck& check) {
                 if (!check.ok) {
                     m_ui.feedback = Feedback{false, m_ui.said(check.message, check.sentence)};
                     m_focusFirst = true;
                     return;
                 }
                 m_ui.proctorId = check.proctorId;
                 m_ui.proctor = check.proctorName.empty() ? check.proctorId : check.proctorName;
                 m_ui.feedback = {};
                 m_focusFirstSession = true;  // the proctor's next step
             });
}

void SessionPickerScreen::signOutProctor(const std::string& auditDetail, ForgetId forget) {
    if (forget == ForgetId::Yes) m_proctorIdField.clear();
    if (m_ui.proctorId.empty()) return;
    // Signing out always happens (it only ends access); an entry that cannot
    // be written shows in verify-audit's count, not here.
    m_ui.services.actions.post([&security = m_ui.services.security, actor = "proctor:" + m_ui.proctorId, auditDetail] {
        (void)security.audit(actor, "proctor.sign_out", auditDetail);  // see above: shown by verify-audit, not here
    });
    m_ui.proctor.clear();
    m_ui.proctorId.clear();
    m_pin.clear();
    m_focusFirst = true;
}

void SessionPickerScreen::drawProctorSignIn() {
    if (!m_ui.proctorId.empty()) {
        m_ui.widgets.text(m_ui.fmt("picker.signedInAs", {{"name", m_ui.proctor}, {"id", m_ui.proctorId}}), accessibility::Role::Status);
        if (m_ui.widgets.button(m_ui.tr("picker.signOut"))) signOutProctor("{}");
        return;
    }
    m_ui.widgets.text(m_ui.tr("picker.proctorId"));
    if (m_focusFirst) {
        // A prefilled ID (--proctor) leaves only the PIN to type.
        m_ui.widgets.focus(m_proctorIdField.empty() ? m_ui.tr("picker.proctorId") : m_ui.tr("picker.pin"));
        m_focusFirst = false;
    }
    // Enter in the ID goes on to the PIN; an empty field is named, and no
    // try is spent on it. Typing goes on in the field named.
    const bool idEnter = m_ui.widgets.textField(m_ui.tr("picker.proctorId"), m_proctorIdField, m_ui.tr("picker.proctorIdHint"), true, 16.0f, 32);
    m_ui.widgets.text(m_ui.tr("picker.pin"));
    bool enter = m_ui.widgets.secretField(m_ui.tr("picker.pin"), m_pin);
    bool pressed = m_ui.widgets.button(m_ui.tr("picker.signIn"), Emphasis::Primary);
    if (const auto& demo = m_ui.options.demoSignIns)
        m_ui.widgets.wrappedText(m_ui.fmt("demo.proctor", {{"id", demo->proctorId}, {"pin", demo->proctorPin}}));
    if (idEnter && !m_proctorIdField.empty() && m_pin.empty()) {
        m_ui.widgets.focus(m_ui.tr("picker.pin"));
        return;
    }
    if (!idEnter && !enter && !pressed) return;
    if (m_proctorIdField.empty() || m_pin.empty()) {
        const bool noId = m_proctorIdField.empty();
        m_ui.feedback = Feedback{false, m_ui.tr(noId ? "picker.needId" : "picker.needPin")};
        m_ui.widgets.focus(m_ui.tr(noId ? "picker.proctorId" : "picker.pin"));
        return;
    }
    signInProctor();
}

PickerAction SessionPickerScreen::draw() {
    PickerAction action;
    if (m_focusFirst && !m_ui.proctorId.empty()) {
        // Signed in: back to the session just left, never to nowhere.
        m_focusFirstSession = true;
        m_focusFirst = false;
    }
    if (m_focusFirstSession && m_sessions.empty()) m_focusFirstSession = false;
    if (m_focusFirstSession && !m_focusSessionId.empty() &&
        std::none_of(m_sessions.begin(), m_sessions.end(), [&](const auto& s) { return s.info.sessionId == m_focusSessionId; }))
        m_focusSessionId.clear();
    // Signing in comes first; then the sessions are what to choose.
    m_ui.widgets.heading(m_ui.tr(m_ui.proctorId.empty() ? "window.proctorSignIn" : "picker.title"));
    drawProctorSignIn();
    ImGui::Spacing();
    // Said on the button: going to the student screens signs the proctor out.
    if (m_ui.widgets.button(m_ui.tr(m_ui.proctorId.empty() ? "picker.studentSignIn" : "picker.studentSignInSignsOut")))
        action.kind = PickerAction::Kind::StudentSignIn;
    m_ui.widgets.sameLineIfFits(m_ui.fmt("picker.review", {{"count", std::to_string(m_awaitingReview)}}));
    if (m_ui.widgets.button(m_ui.fmt("picker.review", {{"count", std::to_string(m_awaitingReview)}}), Emphasis::Normal, ImVec2(0, 0),
                            !m_ui.proctorId.empty()))
        action.kind = PickerAction::Kind::Review;
    m_ui.widgets.sameLineIfFits(m_ui.tr("picker.sync"));
    if (m_ui.widgets.button(m_ui.tr("picker.sync"))) action.kind = PickerAction::Kind::Sync;
    ImGui::Spacing();
    m_ui.widgets.text(m_ui.tr("picker.sessions"));
    if (m_sessions.empty()) m_ui.widgets.wrappedText(m_ui.tr("picker.none"));
    for (const auto& s : m_sessions) {
        const auto& c = s.counts;
        std::string state = s.info.signedOffAt ? m_ui.tr("picker.signedOff") : s.info.openedAt ? m_ui.tr("picker.inProgress") : m_ui.tr("picker.notOpened");
        std::string label = s.info.title + " · " + s.info.room + " · " + m_ui.fmt("picker.starts", {{"time", m_ui.clock(s.info.scheduledStart)}}) +
                            "\n" + m_ui.fmt("picker.counts", {{"total", std::to_string(c.total())},
                                                              {"in", std::to_string(c.present + c.onBreak + c.checkedOut)},
                                                              {"noShow", std::to_string(c.noShow)}}) +
                            " · " + state + "##" + s.info.sessionId;
        float height = ImGui::GetTextLineHeightWithSpacing() * 2.0f + 2.0f * ImGui::GetStyle().FramePadding.y;
        bool focusThis = m_focusFirstSession && (m_focusSessionId.empty() || m_focusSessionId == s.info.sessionId);
        if (focusThis) {
            m_ui.widgets.focus(Widgets::visibleLabel(label));
            m_focusFirstSession = false;
            m_focusSessionId.clear();
        }
        // A card, read from the left like the rest of the page (not a centred button label).
        ImGui::PushStyleVar(ImGuiStyleVar_ButtonTextAlign, ImVec2(0.0f, 0.5f));
        bool opened = m_ui.widgets.button(label, Emphasis::Normal, ImVec2(-FLT_MIN, height));
        ImGui::PopStyleVar();
        if (opened) {
            if (m_ui.proctorId.empty()) {
                m_ui.feedback = Feedback{false, m_ui.tr("picker.needProctor")};
                m_focusFirst = true;
            } else {
                // Looking opens nothing: the session opens with its first record
                // (a signed-off one can be viewed, never changed).
                action = {PickerAction::Kind::OpenSession, s.info.sessionId};
            }
        }
    }
    return action;
}

} // namespace kiosk::ui

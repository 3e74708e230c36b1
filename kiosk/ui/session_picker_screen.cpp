#include "kiosk/ui/session_picker_screen.hpp"

#include <imgui.h>

namespace kiosk::ui {

void SessionPickerScreen::refresh() {
    auto list = m_ui.services.queries.sessions();
    if (list) m_sessions = std::move(*list);
    else m_ui.feedback = Feedback{false, list.error().describe()};
}

std::optional<std::string> SessionPickerScreen::draw() {
    std::optional<std::string> opened;
    m_ui.widgets.heading(m_ui.tr("picker.title"));
    m_ui.widgets.text(m_ui.tr("picker.proctor"));
    if (m_focusFirst) {
        m_ui.widgets.focus(m_ui.tr("picker.proctor"));
        m_focusFirst = false;
    }
    m_ui.widgets.textField(m_ui.tr("picker.proctor"), m_ui.proctor, m_ui.tr("picker.proctorHint"), false, 24.0f, 120);
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
        if (m_ui.widgets.button(label, Emphasis::Normal, ImVec2(-FLT_MIN, height))) {
            if (m_ui.proctor.empty()) {
                m_ui.feedback = Feedback{false, m_ui.tr("picker.needProctor")};
                m_focusFirst = true;
            } else if (s.info.signedOffAt) {
                opened = s.info.sessionId;  // viewing a signed-off session is allowed; changes are refused
            } else {
                auto r = m_ui.services.attendance.openSession(s.info.sessionId, m_ui.proctor);
                if (r.saved) opened = s.info.sessionId;
                else m_ui.feedback = Feedback{false, r.message};
            }
        }
    }
    return opened;
}

} // namespace kiosk::ui

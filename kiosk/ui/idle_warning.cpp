#include "kiosk/ui/idle_warning.hpp"

#include "kiosk/ui/keys.hpp"

#include <imgui.h>

#include <cmath>

namespace kiosk::ui {

namespace {
constexpr const char* kPopupId = "idle-warning##modal";
}

bool inputThisFrame() {
    const ImGuiIO& io = ImGui::GetIO();
    if (!io.InputQueueCharacters.empty() || io.MouseWheel != 0.0f || io.MouseDelta.x != 0.0f || io.MouseDelta.y != 0.0f) return true;
    for (bool down : io.MouseDown)
        if (down) return true;
    for (bool down : io.KeysDown)
        if (down) return true;
    return false;
}

void IdleWarning::start(accessibility::IdlePolicy policy, accessibility::Millis now, IdleWording wording) {
    m_timer.emplace(policy, now);
    m_wording = wording;
    m_warningOpen = false;
}

void IdleWarning::stop() {
    m_timer.reset();
    m_warningOpen = false;
}

IdleEvent IdleWarning::draw(accessibility::Millis now, bool input) {
    if (!m_timer) return IdleEvent::None;
    using accessibility::IdlePhase;
    IdleEvent event = IdleEvent::None;
    if (m_timer->phase(now) == IdlePhase::Active && input) m_timer->activity(now);
    IdlePhase phase = m_timer->phase(now);
    if (phase == IdlePhase::Expired) {
        if (m_warningOpen && ImGui::BeginPopupModal(kPopupId, nullptr, ImGuiWindowFlags_NoTitleBar)) {
            ImGui::CloseCurrentPopup();
            ImGui::EndPopup();
        }
        stop();
        return IdleEvent::Expired;
    }
    if (phase == IdlePhase::Active) return IdleEvent::None;

    if (!m_warningOpen) {
        ImGui::OpenPopup(kPopupId);
        m_warningOpen = true;
        event = IdleEvent::WarningShown;
        m_ui.widgets.focus(m_ui.tr(m_wording.extend));
    }
    const ImGuiIO& io = ImGui::GetIO();
    float em = m_ui.em();
    float width = std::min(36.0f * em, io.DisplaySize.x - 2.0f * em);
    ImGui::SetNextWindowPos(ImVec2(io.DisplaySize.x * 0.5f, io.DisplaySize.y * 0.5f), ImGuiCond_Always, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSizeConstraints(ImVec2(width, 0), ImVec2(width, io.DisplaySize.y - 2.0f * em));
    if (ImGui::BeginPopupModal(kPopupId, nullptr, ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoTitleBar)) {
        std::string previousScope = m_ui.widgets.modalScope();
        m_ui.widgets.setModalScope(kPopupId);
        m_ui.widgets.dialogTitle(m_ui.tr(m_wording.title));
        auto seconds = static_cast<long long>(std::ceil(static_cast<double>(m_timer->remaining(now).count()) / 1000.0));
        m_ui.widgets.textColoured(m_ui.fmt(m_wording.body, {{"seconds", std::to_string(seconds)}}), m_ui.palette.warning,
                                  accessibility::Role::Alert);
        if (int left = m_timer->extensionsLeft(); left >= 0)
            m_ui.widgets.text(m_ui.fmt("idle.extensionsLeft", {{"count", std::to_string(left)}}));
        bool extend = m_ui.widgets.button(m_ui.tr(m_wording.extend), Emphasis::Primary, ImVec2(0, 0), m_timer->extensionsLeft() != 0);
        // Escape is a "not now" a student may press by reflex: it extends too, never ends the session.
        if (!extend && ImGui::IsKeyPressed(keys::Escape, false)) extend = m_timer->extensionsLeft() != 0;
        if (extend && m_timer->extend(now)) {
            event = IdleEvent::Extended;
            m_warningOpen = false;
            ImGui::CloseCurrentPopup();
        }
        m_ui.widgets.setModalScope(previousScope);
        ImGui::EndPopup();
    }
    return event;
}

} // namespace kiosk::ui

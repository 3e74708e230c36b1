#include "kiosk/ui/kiosk_ui.hpp"

#include "kiosk/ui/keys.hpp"
#include "kiosk/ui/style.hpp"

#include <imgui.h>

namespace kiosk::ui {

UiResources loadResources(const std::filesystem::path& assetsDir, const std::string& language, std::vector<std::string>& problems) {
    UiResources r;
    r.assetsDir = assetsDir;
    auto [strings, error] = accessibility::Strings::load(assetsDir / "strings", language);
    if (!error.empty()) problems.push_back(error);
    r.strings = std::move(strings);
    r.themes = accessibility::loadThemes(assetsDir / "themes", &problems);
    if (r.themes.empty()) {
        // Never start without colours: a built-in copy of the default theme's roles.
        problems.push_back("no themes found; using built-in colours");
        accessibility::Theme t;
        t.id = "built-in";
        t.nameKey = "theme.default";
        for (const auto& role : accessibility::requiredColourRoles()) t.colours[role] = accessibility::Rgb8{0, 0, 0, 255};
        t.colours["background"] = t.colours["surface"] = t.colours["surfaceAlt"] = t.colours["inputBackground"] = t.colours["button"] =
            t.colours["buttonHover"] = t.colours["buttonActive"] = t.colours["selection"] = accessibility::Rgb8{255, 255, 255, 255};
        t.colours["accentText"] = t.colours["bannerText"] = accessibility::Rgb8{255, 255, 255, 255};
        r.themes.push_back(t);
    }
    return r;
}

KioskUi::KioskUi(UiServices services, UiResources resources, UiOptions options)
    : m_resources(std::move(resources)), m_ui(services, std::move(options)), m_picker(m_ui), m_checkIn(m_ui) {
    m_ui.strings = &m_resources.strings;
    m_ui.proctor = m_ui.options.defaultProctor;
    applyStyle();
    m_picker.refresh();
    refresh();
}

void KioskUi::applyStyle() { m_ui.palette = applyTheme(m_resources.themes[m_themeIndex], m_text); }

void KioskUi::setTheme(std::size_t index) {
    m_themeIndex = index % m_resources.themes.size();
    applyStyle();
}

void KioskUi::setTextScale(int percent) {
    int clamped = std::clamp(percent, 100, 300);
    if (clamped == m_text.scalePercent) return;
    m_text.scalePercent = clamped;
    m_fontsDirty = true;  // the atlas is rebuilt between frames, never stretched
    applyStyle();
}

void KioskUi::refresh() {
    auto counts = m_ui.services.queries.outbox();
    if (counts) m_outbox = *counts;
    if (m_screen == Screen::CheckIn) m_checkIn.refresh();
    else m_picker.refresh();
    m_lastRefresh = m_ui.options.clock();
}

void KioskUi::drawTopBar() {
    const Palette& p = m_ui.palette;
    ImGui::PushStyleColor(ImGuiCol_ChildBg, p.banner);
    ImGui::PushStyleColor(ImGuiCol_Text, p.bannerText);
    float height = ImGui::GetTextLineHeightWithSpacing() + 2.0f * ImGui::GetStyle().WindowPadding.y * 0.5f;
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(ImGui::GetStyle().WindowPadding.x, ImGui::GetStyle().WindowPadding.y * 0.5f));
    ImGui::BeginChild("top-bar", ImVec2(0, height), false, ImGuiWindowFlags_NoScrollbar);
    std::string left = m_ui.options.siteName.empty() ? m_ui.tr("app.name") : m_ui.tr("app.name") + " · " + m_ui.options.siteName;
    m_ui.widgets.text(left);
    ImGui::SameLine();
    std::string outbox = m_outbox.waiting() == 0 && m_outbox.synced > 0 ? m_ui.tr("outbox.allSent")
                                                                         : m_ui.fmt("outbox.waiting", {{"count", std::to_string(m_outbox.waiting())}});
    if (m_outbox.needsAttention > 0) outbox += " · " + m_ui.fmt("outbox.attention", {{"count", std::to_string(m_outbox.needsAttention)}});
    std::string right = outbox + "  ·  " + m_ui.clock(m_ui.options.clock());
    float w = ImGui::CalcTextSize(right.c_str()).x;
    float x = ImGui::GetWindowContentRegionMax().x - w;
    if (x > ImGui::GetCursorPosX()) ImGui::SetCursorPosX(x);
    else ImGui::NewLine();
    m_ui.widgets.text(right, accessibility::Role::Status);
    ImGui::EndChild();
    ImGui::PopStyleVar();
    ImGui::PopStyleColor(2);
}

void KioskUi::drawSettingsBar() {
    const auto& theme = m_resources.themes[m_themeIndex];
    if (m_ui.widgets.button(m_ui.fmt("settings.theme", {{"name", m_ui.tr(theme.nameKey)}}))) setTheme(m_themeIndex + 1);
    ImGui::SameLine();
    if (m_ui.widgets.button(m_ui.tr("settings.smaller"), Emphasis::Normal, ImVec2(0, 0), m_text.scalePercent > 100))
        setTextScale(accessibility::nextScale(m_text.scalePercent, -1));
    ImGui::SameLine();
    if (m_ui.widgets.button(m_ui.tr("settings.larger"), Emphasis::Normal, ImVec2(0, 0), m_text.scalePercent < 300))
        setTextScale(accessibility::nextScale(m_text.scalePercent, +1));
    ImGui::SameLine();
    m_ui.widgets.text(m_ui.fmt("settings.size", {{"percent", std::to_string(m_text.scalePercent)}}));
    // Shortcuts work on every screen: F2 theme, F3/F4 text size.
    if (ImGui::IsKeyPressed(keys::F2, false)) setTheme(m_themeIndex + 1);
    if (ImGui::IsKeyPressed(keys::F3, false)) setTextScale(accessibility::nextScale(m_text.scalePercent, -1));
    if (ImGui::IsKeyPressed(keys::F4, false)) setTextScale(accessibility::nextScale(m_text.scalePercent, +1));
}

void KioskUi::drawFeedback() {
    if (m_ui.feedback.text.empty()) return;
    m_ui.widgets.textColoured(m_ui.feedback.text, m_ui.feedback.ok ? m_ui.palette.success : m_ui.palette.danger,
                              m_ui.feedback.ok ? accessibility::Role::Status : accessibility::Role::Alert);
}

void KioskUi::frame() {
    // Sync and the clock change what is shown: refresh once a second.
    if (m_ui.options.clock() - m_lastRefresh >= std::chrono::seconds(1)) {
        auto counts = m_ui.services.queries.outbox();
        if (counts) m_outbox = *counts;
        m_lastRefresh = m_ui.options.clock();
    }
    const ImGuiIO& io = ImGui::GetIO();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(io.DisplaySize);
    ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                             ImGuiWindowFlags_NoBringToFrontOnFocus;
    ImGui::Begin("kiosk", nullptr, flags);
    m_ui.widgets.begin(m_ui.tree, m_ui.palette, accessibility::pixelSize(m_text));
    drawTopBar();
    drawSettingsBar();
    drawFeedback();
    ImGui::Separator();
    float width = ImGui::GetContentRegionAvail().x;
    float height = io.DisplaySize.y;
    if (m_screen == Screen::Picker) {
        if (auto opened = m_picker.draw()) {
            if (m_checkIn.open(*opened)) {
                m_screen = Screen::CheckIn;
                m_ui.feedback = {};
            }
        }
    } else if (!m_checkIn.draw(width, height)) {
        m_screen = Screen::Picker;
        m_picker.refresh();
        m_picker.focusFirst();
    }
    m_ui.widgets.end();
    ImGui::End();
    if (m_ui.dataChanged) {
        // The outbox count on screen is never older than the last save.
        if (auto counts = m_ui.services.queries.outbox()) m_outbox = *counts;
        m_ui.dataChanged = false;
    }
}

} // namespace kiosk::ui

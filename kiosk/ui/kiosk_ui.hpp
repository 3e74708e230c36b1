#pragma once
// The whole kiosk UI for one frame: top bars (site, state sync, display
// settings), the current screen, and the feedback line. Owns no window and
// no renderer: the executable or a headless test drives it.
#include "kiosk/ui/check_in_screen.hpp"
#include "kiosk/ui/session_picker_screen.hpp"
#include "kiosk/ui/ui_context.hpp"

#include <filesystem>
#include <vector>

namespace kiosk::ui {

struct UiResources {
    std::filesystem::path assetsDir;
    accessibility::Strings strings;
    std::vector<accessibility::Theme> themes;
};

// Loads strings and themes from the assets folder; `problems` says what was missing.
UiResources loadResources(const std::filesystem::path& assetsDir, const std::string& language, std::vector<std::string>& problems);

class KioskUi {
public:
    KioskUi(UiServices services, UiResources resources, UiOptions options);

    // Draw one frame. Call between ImGui::NewFrame() and ImGui::Render().
    void frame();
    // Reload data changed outside the UI (a sync pass, a timer).
    void refresh();

    // Text settings changed: the font atlas must be rebuilt before the next frame.
    bool fontsDirty() const { return m_fontsDirty; }
    void fontsRebuilt() { m_fontsDirty = false; }
    const accessibility::TextSettings& textSettings() const { return m_text; }
    void setTextScale(int percent);
    void setTheme(std::size_t index);
    std::size_t themeIndex() const { return m_themeIndex; }
    const std::vector<accessibility::Theme>& themes() const { return m_resources.themes; }
    const std::filesystem::path& assetsDir() const { return m_resources.assetsDir; }

    const accessibility::Tree& tree() const { return m_ui.tree; }
    const Feedback& feedback() const { return m_ui.feedback; }
    bool onCheckInScreen() const { return m_screen == Screen::CheckIn; }
    const CheckInScreen& checkInScreen() const { return m_checkIn; }

private:
    enum class Screen { Picker, CheckIn };
    void applyStyle();
    void drawTopBar();
    void drawSettingsBar();
    void drawFeedback();

    UiResources m_resources;
    UiContext m_ui;
    accessibility::TextSettings m_text;
    std::size_t m_themeIndex = 0;
    bool m_fontsDirty = true;
    Screen m_screen = Screen::Picker;
    SessionPickerScreen m_picker;
    CheckInScreen m_checkIn;
    edsync::outbox::Counts m_outbox;
    domain::Timestamp m_lastRefresh{};
};

} // namespace kiosk::ui

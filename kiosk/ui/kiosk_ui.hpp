#pragma once
// The whole kiosk UI for one frame: top bars (site, state sync, display
// settings), the current screen, and the feedback line. Owns no window and
// no renderer: the executable or a headless test drives it.
//
// Display preferences (colours, text size and spacing, font, language,
// read-aloud) apply to every screen at once. A student's accommodation
// profile is laid over the site default at sign-in and taken off at sign-out.
#include "accessibility/accommodation_profile.hpp"
#include "accessibility/idle_timer.hpp"
#include "accessibility/speech.hpp"
#include "kiosk/ui/check_in_screen.hpp"
#include "kiosk/ui/idle_warning.hpp"
#include "kiosk/ui/review_screen.hpp"
#include "kiosk/ui/session_picker_screen.hpp"
#include "kiosk/ui/student_screen.hpp"
#include "kiosk/ui/ui_context.hpp"

#include <filesystem>
#include <functional>
#include <vector>

namespace kiosk::ui {

struct UiResources {
    std::filesystem::path assetsDir;
    std::vector<accessibility::Strings> languages;  // every assets/strings/*.json; the first is the starting one
    std::vector<accessibility::Theme> themes;
};

// Loads every language (starting with `language`) and every theme from the
// assets folder; `problems` says what was missing or refused.
UiResources loadResources(const std::filesystem::path& assetsDir, const std::string& language, std::vector<std::string>& problems);

// Why the window records nothing more (KioskUi::showStoreDamaged, showStoreFileChanged).
struct StoreStopped {
    std::string file;          // the damaged file, or the one removed or replaced
    bool fileChanged = false;  // removed or replaced, not damaged
    std::optional<std::string> savedTo;
    bool savedInPlace = false;
    std::string notSaved;  // why saving failed
};

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
    const accessibility::TextSettings& textSettings() const { return m_prefs.text; }
    const std::filesystem::path& assetsDir() const { return m_resources.assetsDir; }

    // --- Display preferences (all apply at once, to every screen) ---
    const accessibility::DisplayPreferences& preferences() const { return m_prefs; }
    void setPreferences(const accessibility::DisplayPreferences& prefs);
    void setTextScale(int percent);
    void setTextSpacing(float lineSpacing, float letterSpacing);
    void setTheme(std::size_t index);
    bool setThemeById(const std::string& id);
    std::size_t themeIndex() const { return m_themeIndex; }
    const std::vector<accessibility::Theme>& themes() const { return m_resources.themes; }
    bool setLanguage(const std::string& code);
    const std::string& language() const { return strings().language(); }
    void setReadAloud(bool on);
    void setSpeechRate(int wordsPerMinute);
    bool settingsOpen() const { return m_settingsOpen; }
    void setSettingsOpen(bool open);

    // --- Accommodations (the student screens call these) ---
    // The site's own settings: what resetToSiteDefault() returns to.
    const accessibility::DisplayPreferences& siteDefault() const { return m_siteDefault; }
    void setSiteDefault(const accessibility::DisplayPreferences& prefs);
    // At sign-in: the student's scheduled accommodations over the site default.
    void applyProfile(const accessibility::AccommodationProfile& profile);
    // At sign-out: back to the site default; nothing of the student stays.
    void resetToSiteDefault();
    // The active profile's time multiplier (1 when none): task timers use it too.
    double timeStretch() const { return m_timeStretch; }

    // --- Idle time-out of a student session (WCAG 2.2.1) ---
    // Starts watching with the site's policy stretched by the active profile's
    // multiplier. When it runs out, the profile is reset and `onExpired` runs.
    void watchIdle(accessibility::IdlePolicy sitePolicy, std::function<void()> onExpired = {});
    void stopWatchingIdle();
    const accessibility::IdleTimer* idleTimer() const { return m_idle.timer(); }
    // A proctor's screens left alone lock (UiOptions::proctorIdle): the
    // roster, the records and the sign-off wait behind the proctor's PIN.
    bool locked() const { return m_locked; }

    // What the window's title bar says (WCAG 2.4.2): the open dialog, the
    // screen, the app. Names no student: the title shows in task switchers.
    std::string windowTitle() const;

    const accessibility::Tree& tree() const { return m_ui.tree; }
    // The controls that acted in the last frame (see Widgets::activations).
    const std::vector<Widgets::Activation>& activations() const { return m_ui.widgets.activations(); }
    const Feedback& feedback() const { return m_ui.feedback; }
    bool onCheckInScreen() const { return m_screen == Screen::CheckIn; }
    // What a screen shows is still being read off the render thread.
    bool viewPending() const;
    // Focus is on its way to a control (Widgets::focusLanding): a screen that
    // just opened puts it in its search field a frame or two later.
    bool focusLanding() const { return m_ui.widgets.focusLanding(); }
    bool onStudentScreen() const { return m_screen == Screen::Student; }
    const StudentScreen& studentScreen() const { return m_student; }

    // Kiosk mode: the window was asked to close. Leaving needs a proctor PIN
    // and a reason; exitApproved() turns true once both were given (audited).
    // The database was found damaged while running: every screen is put away
    // behind a notice naming `file` and what a technician does; nothing more
    // can be recorded here (leaving stays possible).
    void showStoreDamaged(std::string file);
    // The same stop when one of the database's files was removed or replaced
    // under the window; then what the window saved: everything it holds now
    // in `where` (kiosk.db itself when `inPlace`), or why it could not.
    void showStoreFileChanged(std::string file);
    void storeSaved(std::string where, bool inPlace);
    void storeNotSaved(std::string why);
    bool storeDamagedShown() const { return m_storeStopped.has_value(); }
    void requestExit();
    bool exitApproved() const { return m_exitApproved; }
    const CheckInScreen& checkInScreen() const { return m_checkIn; }

private:
    enum class Screen { Picker, CheckIn, Student, Review, Sync };
    void goTo(Screen screen);
    void drawExitDialog();
    void drawSyncProgress();
    const accessibility::Strings& strings() const { return m_resources.languages[m_languageIndex]; }
    void applyStyle();
    void drawTopBar();
    std::string bannerStatus() const;
    void readSync();
    void drawSettingsBar();
    void drawSettingsPanel();
    void drawFeedback();
    void drawSpeechProblem();
    void drawStoreDamaged();
    void watchProctorIdle();
    void lock();
    void drawLock();
    void handleShortcuts();
    void speakAfterFrame();
    void keepFocusAcrossLanguages();
    accessibility::Millis steadyNow() const;

    UiResources m_resources;
    UiContext m_ui;
    accessibility::DisplayPreferences m_prefs;
    accessibility::DisplayPreferences m_siteDefault;
    double m_timeStretch = 1.0;
    std::size_t m_themeIndex = 0;
    std::size_t m_languageIndex = 0;
    bool m_fontsDirty = true;
    bool m_settingsOpen = false;
    bool m_focusSettingsButton = false;
    Screen m_screen = Screen::Picker;
    bool m_screenChanged = false;
    ImVec2 m_displaySize{0, 0};
    accessibility::TextSettings m_drawnText;  // the text settings of the last frame drawn
    SessionPickerScreen m_picker;
    CheckInScreen m_checkIn;
    StudentScreen m_student;
    ReviewScreen m_review;
    SyncScreen m_sync;
    std::optional<service::SiteHubSummary> m_siteHub;  // from the newest view, with the outbox counts
    std::optional<StoreStopped> m_storeStopped;  // why nothing more is recorded here, once found
    std::uint64_t m_syncViewVersion = 0;        // the read model's view the banner's counts came from
    bool m_exitRequested = false;
    bool m_exitApproved = false;
    std::string m_exitId, m_exitPin, m_exitReason;
    IdleWarning m_idle;
    std::function<void()> m_onIdleExpired;
    bool m_idleIsProctors = false;  // the watch running is the proctor's (a student's is started by their screen)
    bool m_locked = false;
    std::string m_lockPin;
    domain::Timestamp m_lastRefresh{};

    // Read-aloud: what had focus last frame, and a whole-screen reading asked for this frame.
    std::uint32_t m_lastFocusId = 0;
    std::string m_lastFocusScope = "main";
    std::string m_lastFeedback;
    std::string m_pendingStatus;
    int m_pendingStatusFrames = 0;
    bool m_readScreen = false;
    // The last thing read-aloud said was wrong; kept for the proctor's screens.
    accessibility::SpeechStatus m_speechProblem;
    // A language switch renames (and so re-identifies) every control: focus
    // goes back to the same place in the Tab order once the new words are drawn.
    int m_focusIndex = -1;
    int m_refocusIndex = -1;
    int m_refocusFrames = 0;
};

} // namespace kiosk::ui

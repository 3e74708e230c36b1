#include "kiosk/ui/kiosk_ui.hpp"

#include "accessibility/spoken_text.hpp"
#include "kiosk/ui/keys.hpp"
#include "kiosk/ui/style.hpp"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <utility>

namespace kiosk::ui {

UiResources loadResources(const std::filesystem::path& assetsDir, const std::string& language, std::vector<std::string>& problems) {
    UiResources r;
    r.assetsDir = assetsDir;
    // Every language on disk, the requested one first.
    std::vector<std::string> codes{language};
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(assetsDir / "strings", ec))
        if (e.path().extension() == ".json" && e.path().stem() != language) codes.push_back(e.path().stem().string());
    std::sort(codes.begin() + 1, codes.end());
    for (const auto& code : codes) {
        auto [strings, error] = accessibility::Strings::load(assetsDir / "strings", code);
        if (!error.empty()) {
            problems.push_back(error);
            if (code != language) continue;  // a broken extra language is left out; the starting one is kept as is
        }
        r.languages.push_back(std::move(strings));
    }
    r.themes = accessibility::loadThemes(assetsDir / "themes", &problems);
    if (r.themes.empty()) {
        // Never start without colours: black on white, every role defined.
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
    : m_resources(std::move(resources)), m_ui(services, std::move(options)), m_picker(m_ui), m_checkIn(m_ui),
      m_student(m_ui, StudentHooks{[this](const std::vector<std::string>& accommodations) {
                                       // The student's scheduled accommodations apply at once, and
                                       // their time multiplier stretches the idle time-out.
                                       applyProfile(accessibility::profileFromDescriptors(accommodations));
                                       watchIdle(accessibility::IdlePolicy{}, [this] { m_student.endSession(true); });
                                   },
                                   [this] {
                                       stopWatchingIdle();
                                       resetToSiteDefault();
                                   }}),
      m_review(m_ui), m_sync(m_ui), m_idle(m_ui) {
    if (m_resources.languages.empty()) m_resources.languages.emplace_back();  // keys shown as written: visible, never a crash
    m_ui.strings = &strings();
    if (!m_ui.options.steadyClock)
        m_ui.options.steadyClock = [] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch());
        };
    m_prefs.themeId = m_resources.themes.front().id;
    m_prefs.language = strings().language();
    m_siteDefault = m_prefs;
    applyStyle();
    m_ui.services.views.tick();  // a view built on this thread is there from the first frame
    m_picker.refresh();
    refresh();
    if (m_ui.options.studentStation) goTo(Screen::Student);
}

void KioskUi::goTo(Screen screen) {
    Screen from = m_screen;
    m_screen = screen;
    m_screenChanged = true;
    // "Saved" and refusals belong to the screen they were said on.
    m_ui.feedback = {};
    if (from == Screen::CheckIn && screen != Screen::CheckIn) m_checkIn.close();
    if (from == Screen::Sync && screen != Screen::Sync) m_ui.services.views.watchSync(std::nullopt);
    switch (screen) {
    case Screen::Picker:
        m_ui.services.views.invalidate(service::SessionViews::kWaitAfterCommit);  // a fresh list, read by the worker
        m_picker.refresh();
        m_picker.focusFirst(from == Screen::CheckIn ? m_checkIn.sessionId() : std::string());
        break;
    case Screen::Student: m_student.start(); break;
    case Screen::Review: m_review.refresh(); break;
    case Screen::Sync: m_sync.refresh(); break;
    case Screen::CheckIn: break;
    }
}

void KioskUi::requestExit() {
    if (m_exitRequested) return;
    m_exitRequested = true;
    m_exitId = m_ui.proctorId;
    m_exitPin.clear();
    m_exitReason.clear();
}

void KioskUi::drawExitDialog() {
    if (!m_exitRequested) return;
    const char* title = "##exit-kiosk";
    std::string name = m_ui.tr("exit.title") + title;
    if (!ImGui::IsPopupOpen(name.c_str())) {
        ImGui::OpenPopup(name.c_str());
        m_ui.widgets.focus(m_exitId.empty() ? m_ui.tr("picker.proctorId") : m_ui.tr("picker.pin"));
    }
    const ImGuiIO& io = ImGui::GetIO();
    float width = std::min(32.0f * m_ui.em(), io.DisplaySize.x - 2.0f * m_ui.em());
    ImGui::SetNextWindowPos(ImVec2(io.DisplaySize.x * 0.5f, io.DisplaySize.y * 0.5f), ImGuiCond_Always, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSizeConstraints(ImVec2(width, 0), ImVec2(width, io.DisplaySize.y - 2.0f * m_ui.em()));
    if (!ImGui::BeginPopupModal(name.c_str(), nullptr, ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoMove)) return;
    m_ui.widgets.setModalScope(name);
    m_ui.widgets.wrappedText(m_ui.tr("exit.body"));
    m_ui.widgets.text(m_ui.tr("picker.proctorId"));
    m_ui.widgets.textField(m_ui.tr("picker.proctorId"), m_exitId, {}, false, 16.0f, 32);
    m_ui.widgets.text(m_ui.tr("picker.pin"));
    m_ui.widgets.secretField(m_ui.tr("picker.pin"), m_exitPin, false);
    m_ui.widgets.text(m_ui.tr("exit.reason"));
    m_ui.widgets.textField(m_ui.tr("exit.reason"), m_exitReason, m_ui.tr("exit.reasonHint"), false, 0.0f, 200);
    bool leave = m_ui.widgets.button(m_ui.tr("exit.confirm"), Emphasis::Danger);
    m_ui.widgets.sameLineIfFits(m_ui.tr("common.cancel"));
    bool cancel = m_ui.widgets.button(m_ui.tr("common.cancel")) || ImGui::IsKeyPressed(keys::Escape, false);
    if (leave) {
        if (m_exitReason.empty()) {
            m_ui.feedback = Feedback{false, m_ui.tr("exit.needReason")};
        } else {
            m_ui.act([&security = m_ui.services.security, id = m_exitId, pin = std::exchange(m_exitPin, {}), reason = m_exitReason] {
                return security.checkProctorPin(id, pin, "kiosk_exit", reason);
            },
                     [this](const service::PinCheck& check) {
                         if (check.ok) m_exitApproved = true;
                         else m_ui.feedback = Feedback{false, m_ui.said(check.message, check.sentence)};
                     });
        }
    }
    if (cancel || m_exitApproved) {
        m_exitRequested = false;
        m_exitPin.clear();
        ImGui::CloseCurrentPopup();
    }
    m_ui.widgets.setModalScope("");
    ImGui::EndPopup();
}

void KioskUi::drawSyncProgress() {
    // A draining backlog shows how far it has got, how fast, and how long is left.
    const auto& s = m_ui.sync;
    if (!s.secondsLeft || s.waiting <= 0) return;
    float total = static_cast<float>(s.waiting + std::max<std::int64_t>(1, static_cast<std::int64_t>(s.ratePerSecond * 10)));
    float fraction = 1.0f - static_cast<float>(s.waiting) / total;
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.0f", s.ratePerSecond);
    std::int64_t minutes = (*s.secondsLeft + 59) / 60;
    std::string text = m_ui.fmt("sync.draining", {{"count", std::to_string(s.waiting)}, {"rate", rate}, {"minutes", std::to_string(minutes)}});
    ImGui::PushStyleColor(ImGuiCol_PlotHistogram, m_ui.palette.accent);
    ImGui::ProgressBar(fraction, ImVec2(-FLT_MIN, 0.5f * m_ui.em()), "");
    ImGui::PopStyleColor();
    m_ui.widgets.text(text, accessibility::Role::Status);
}

std::string KioskUi::windowTitle() const {
    std::vector<std::string> parts;
    if (m_exitRequested && !m_exitApproved) parts.push_back(m_ui.tr("exit.title"));
    if (m_idle.warningShowing()) parts.push_back(m_ui.tr("idle.title"));
    if (m_storeStopped) parts.push_back(m_ui.tr(m_storeStopped->fileChanged ? "moved.title" : "damaged.title"));
    else if (m_locked) parts.push_back(m_ui.tr("lock.title"));
    else switch (m_screen) {
    case Screen::Picker: parts.push_back(m_ui.tr(m_ui.proctorId.empty() ? "window.proctorSignIn" : "picker.title")); break;
    case Screen::CheckIn:
        if (!m_checkIn.dialogTitleKey().empty()) parts.push_back(m_ui.tr(m_checkIn.dialogTitleKey()));
        if (m_checkIn.roomView()) parts.push_back(m_ui.tr("window.roomView"));
        parts.push_back(m_ui.fmt("window.checkIn", {{"session", m_checkIn.sessionTitle()}}));
        break;
    case Screen::Student:
        if (m_student.editing()) parts.push_back(m_ui.tr("student.entryTitle"));
        parts.push_back(m_ui.tr(m_student.signedIn() ? "window.student" : "student.signInTitle"));
        break;
    case Screen::Review: parts.push_back(m_ui.tr("window.review")); break;
    case Screen::Sync: parts.push_back(m_ui.tr("sync.title")); break;
    }
    parts.push_back(m_ui.tr("app.name"));
    std::string title;
    for (const auto& p : parts) title += (title.empty() ? "" : " — ") + p;
    return title;
}

accessibility::Millis KioskUi::steadyNow() const { return m_ui.options.steadyClock(); }

void KioskUi::applyStyle() { m_ui.palette = applyTheme(m_resources.themes[m_themeIndex], m_prefs.text); }

void KioskUi::setPreferences(const accessibility::DisplayPreferences& prefs) {
    if (!setThemeById(prefs.themeId)) m_prefs.themeId = m_resources.themes[m_themeIndex].id;
    if (!setLanguage(prefs.language)) m_prefs.language = strings().language();
    if (!(prefs.text == m_prefs.text)) {
        m_prefs.text = prefs.text;
        m_prefs.text.scalePercent = std::clamp(m_prefs.text.scalePercent, 100, 300);
        m_fontsDirty = true;  // the atlas is rebuilt between frames, never stretched
        applyStyle();
    }
    setReadAloud(prefs.readAloud);
    setSpeechRate(prefs.speechRate);
}

void KioskUi::setTheme(std::size_t index) {
    m_themeIndex = index % m_resources.themes.size();
    m_prefs.themeId = m_resources.themes[m_themeIndex].id;
    applyStyle();
}

bool KioskUi::setThemeById(const std::string& id) {
    for (std::size_t i = 0; i < m_resources.themes.size(); ++i)
        if (m_resources.themes[i].id == id) {
            setTheme(i);
            return true;
        }
    return false;
}

void KioskUi::setTextScale(int percent) {
    int clamped = std::clamp(percent, 100, 300);
    if (clamped == m_prefs.text.scalePercent) return;
    m_prefs.text.scalePercent = clamped;
    m_fontsDirty = true;
    applyStyle();
}

void KioskUi::setTextSpacing(float lineSpacing, float letterSpacing) {
    lineSpacing = std::clamp(lineSpacing, 1.0f, 2.0f);
    letterSpacing = std::clamp(letterSpacing, 0.0f, 0.25f);
    if (lineSpacing == m_prefs.text.lineSpacing && letterSpacing == m_prefs.text.letterSpacing) return;
    m_prefs.text.lineSpacing = lineSpacing;
    m_prefs.text.letterSpacing = letterSpacing;
    m_fontsDirty = true;
    applyStyle();
}

bool KioskUi::setLanguage(const std::string& code) {
    for (std::size_t i = 0; i < m_resources.languages.size(); ++i)
        if (m_resources.languages[i].language() == code) {
            if (i != m_languageIndex && m_focusIndex >= 0) {
                m_refocusIndex = m_focusIndex;
                m_refocusFrames = 2;
            }
            m_languageIndex = i;
            m_ui.strings = &strings();
            m_prefs.language = code;
            return true;
        }
    return false;
}

void KioskUi::setReadAloud(bool on) {
    if (m_prefs.readAloud == on) return;
    m_prefs.readAloud = on;
    if (!m_ui.options.speech) return;
    if (on) m_lastFocusId = 0;  // say what has focus now
    else m_ui.options.speech->stop();
}

void KioskUi::setSpeechRate(int wordsPerMinute) {
    m_prefs.speechRate = std::clamp(wordsPerMinute, accessibility::kMinSpeechRate, accessibility::kMaxSpeechRate);
}

void KioskUi::setSettingsOpen(bool open) {
    if (m_settingsOpen == open) return;
    m_settingsOpen = open;
    if (open) m_checkIn.setRoomView(false);  // the settings sit under the settings row, which the room view hides
    if (open) m_ui.widgets.focus(m_ui.tr(m_resources.themes[m_themeIndex].nameKey));
    else m_focusSettingsButton = true;
}

void KioskUi::setSiteDefault(const accessibility::DisplayPreferences& prefs) {
    m_siteDefault = prefs;
    setPreferences(prefs);
    m_timeStretch = 1.0;
}

void KioskUi::applyProfile(const accessibility::AccommodationProfile& profile) {
    setPreferences(accessibility::applyProfile(m_siteDefault, profile));
    m_timeStretch = profile.time.stretch();
}

void KioskUi::resetToSiteDefault() {
    setPreferences(m_siteDefault);
    m_timeStretch = 1.0;
}

void KioskUi::watchIdle(accessibility::IdlePolicy sitePolicy, std::function<void()> onExpired) {
    sitePolicy.stretch = std::max(sitePolicy.stretch, 1.0) * m_timeStretch;
    m_idle.start(sitePolicy, steadyNow());
    m_onIdleExpired = std::move(onExpired);
    m_idleIsProctors = false;
}

void KioskUi::stopWatchingIdle() {
    m_idle.stop();
    m_onIdleExpired = {};
    m_idleIsProctors = false;
}

// Watched while a proctor is signed in on a proctor's screen; a student's
// sign-in signs the proctor out, and their screen watches its own time.
void KioskUi::watchProctorIdle() {
    const bool proctorScreens = !m_ui.proctorId.empty() && m_screen != Screen::Student && !m_storeStopped;
    if (proctorScreens && !m_locked && !m_idle.running()) {
        m_idle.start(m_ui.options.proctorIdle, steadyNow(), kProctorIdle);
        m_onIdleExpired = [this] { lock(); };
        m_idleIsProctors = true;
    } else if (!proctorScreens && m_idleIsProctors) {
        stopWatchingIdle();
    }
}

void KioskUi::lock() {
    m_locked = true;
    m_idleIsProctors = false;
    m_lockPin.clear();
    // Nothing is shown. A dialog waits out of sight, with what was typed in
    // it, for the same proctor's PIN (Dialogs::hold); PINs typed and not
    // yet used are forgotten.
    if (!GImGui->OpenPopupStack.empty()) ImGui::ClosePopupToLevel(0, false);
    m_review.forgetPin();
    m_exitRequested = false;
    m_exitPin.clear();
    m_settingsOpen = false;
    m_ui.feedback = {};
    m_ui.widgets.focus(m_ui.fmt("lock.pin", {{"name", m_ui.proctor}}));
}

void KioskUi::drawLock() {
    const std::string pinLabel = m_ui.fmt("lock.pin", {{"name", m_ui.proctor}});
    m_ui.widgets.heading(m_ui.tr("lock.title"));
    m_ui.widgets.wrappedText(m_ui.fmt("lock.body", {{"name", m_ui.proctor}, {"id", m_ui.proctorId}}));
    m_ui.widgets.text(pinLabel);
    bool unlock = m_ui.widgets.secretField(pinLabel, m_lockPin, true);
    unlock = m_ui.widgets.button(m_ui.tr("lock.unlock"), Emphasis::Primary, ImVec2(0, 0), !m_lockPin.empty()) || unlock;
    if (unlock && !m_lockPin.empty()) {
        m_ui.act([&security = m_ui.services.security, id = m_ui.proctorId, pin = std::exchange(m_lockPin, {})] {
            return security.checkProctorPin(id, pin, "unlock");
        },
                 [this, pinLabel](const service::PinCheck& check) {
                     if (!m_locked) return;
                     if (!check.ok) {
                         m_ui.feedback = Feedback{false, m_ui.said(check.message, check.sentence)};
                         m_ui.widgets.focus(pinLabel);
                         return;
                     }
                     m_locked = false;
                     m_ui.feedback = {};
                     if (m_screen == Screen::CheckIn && !m_checkIn.dialogOpen()) m_checkIn.focusSearch();
                     else if (m_screen == Screen::Picker) m_picker.focusFirst();
                 });
    }
    ImGui::Spacing();
    m_ui.widgets.wrappedText(m_ui.tr("lock.otherProctor"));
    if (m_ui.widgets.button(m_ui.fmt("lock.signOut", {{"name", m_ui.proctor}}))) {
        m_locked = false;
        m_checkIn.dismissDialog();  // the next proctor never sees what this one typed
        m_picker.signOutProctor(R"({"reason":"locked"})", SessionPickerScreen::ForgetId::Yes);
        goTo(Screen::Picker);
    }
}

// The engine's picture of the link, with the counts read from the store now:
// never older than the last save, and the same for a kiosk with no engine.
void KioskUi::readSync() {
    service::SyncSummary s = m_ui.options.syncStatus ? m_ui.options.syncStatus() : service::SyncSummary{};
    // Counted off the render thread when the read model runs on its own (a
    // backlog of 100,000 rows would cost this frame a scan every second).
    if (auto tally = m_ui.services.views.outboxTally()) service::countInto(s, *tally);
    m_ui.sync = std::move(s);
}

// A view is on its way, or one has come that no frame has drawn yet: the
// window is not settled (its tests wait for what it shows).
bool KioskUi::viewPending() const {
    if (m_ui.services.views.pending()) return true;
    if (auto view = m_ui.services.views.latest(); view && view->version != m_syncViewVersion) return true;
    return m_screen == Screen::CheckIn && m_checkIn.viewPending();
}

void KioskUi::refresh() {
    // A fresh view first (the worker reads; this thread waits): the banner's counts come with it.
    m_ui.services.views.invalidate(service::SessionViews::kWaitAfterCommit);
    readSync();
    if (m_screen == Screen::CheckIn) m_checkIn.refresh();
    else if (m_screen == Screen::Review) m_review.refresh();
    else if (m_screen == Screen::Sync) m_sync.refresh();
    else m_picker.refresh();
    m_lastRefresh = m_ui.options.clock();
}

// What waits for the state, the site hub, a clock that is off, and the time.
std::string KioskUi::bannerStatus() const {
    // A student reads the time, not the site's backlog to the state (the
    // proctor's business, and nothing a student can act on).
    if (m_screen == Screen::Student) return m_ui.clock(m_ui.options.clock());
    std::string outbox = syncLine(m_ui, m_ui.sync);
    if (m_siteHub) outbox += " · " + m_ui.tr(m_siteHub->connected ? "site.hubShort" : "site.hubOfflineShort");
    if (m_ui.sync.clockWarning && m_ui.sync.clockOffsetSeconds)
        outbox += " · " + m_ui.fmt("sync.clockShort", {{"minutes", std::to_string(std::abs(*m_ui.sync.clockOffsetSeconds) / 60)}});
    return outbox + "  ·  " + m_ui.clock(m_ui.options.clock());
}

void KioskUi::drawTopBar() {
    // The banner's height follows its text: at large sizes the status wraps
    // onto a second line instead of being cut off. The background is drawn
    // behind the text once its size is known.
    const Palette& p = m_ui.palette;
    const ImGuiStyle& st = ImGui::GetStyle();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->ChannelsSplit(2);
    dl->ChannelsSetCurrent(1);
    float pad = 0.35f * m_ui.em();
    ImVec2 top = ImGui::GetCursorScreenPos();
    ImGui::SetCursorScreenPos(ImVec2(top.x, top.y + pad));
    ImGui::PushStyleColor(ImGuiCol_Text, p.bannerText);
    ImGui::BeginGroup();
    std::string left = m_ui.options.siteName.empty() ? m_ui.tr("app.name") : m_ui.tr("app.name") + " · " + m_ui.options.siteName;
    m_ui.widgets.text(left);
    std::string right = m_ui.bannerStatus;
    float w = ImGui::CalcTextSize(right.c_str()).x;
    float lineRight = ImGui::GetItemRectMax().x + 2.0f * st.ItemSpacing.x;
    float x = ImGui::GetWindowContentRegionMax().x - w;
    if (lineRight - ImGui::GetWindowPos().x < x) {
        ImGui::SameLine();
        ImGui::SetCursorPosX(x);
    }
    m_ui.widgets.text(right, accessibility::Role::Status);
    ImGui::EndGroup();
    ImGui::PopStyleColor();
    float bottom = ImGui::GetItemRectMax().y + pad;
    dl->ChannelsSetCurrent(0);
    ImVec2 wp = ImGui::GetWindowPos();
    // Edge to edge and from the window's top (the banner scrolls with the
    // page), so past the clip rectangle that keeps content off the padding.
    float edge = wp.x + ImGui::GetWindowWidth() - ImGui::GetCurrentWindow()->ScrollbarSizes.x;
    dl->PushClipRect(ImVec2(wp.x, wp.y), ImVec2(edge, wp.y + ImGui::GetWindowHeight()), false);
    dl->AddRectFilled(ImVec2(wp.x, top.y - st.WindowPadding.y), ImVec2(edge, bottom), ImGui::GetColorU32(p.banner));
    dl->PopClipRect();
    dl->ChannelsMerge();
    ImGui::SetCursorScreenPos(ImVec2(top.x, bottom + st.ItemSpacing.y));
    ImGui::Dummy(ImVec2(0, 0));
}

void KioskUi::drawSettingsBar() {
    auto& w = m_ui.widgets;
    if (m_focusSettingsButton) {
        w.focus(m_ui.tr("settings.open"));
        m_focusSettingsButton = false;
    }
    if (w.button(m_ui.tr("settings.open"), m_settingsOpen ? Emphasis::Primary : Emphasis::Normal)) setSettingsOpen(!m_settingsOpen);
    w.sameLineIfFits(m_ui.tr("settings.smaller"));
    if (w.button(m_ui.tr("settings.smaller"), Emphasis::Normal, ImVec2(0, 0), m_prefs.text.scalePercent > 100))
        setTextScale(accessibility::nextScale(m_prefs.text.scalePercent, -1));
    w.sameLineIfFits(m_ui.tr("settings.larger"));
    if (w.button(m_ui.tr("settings.larger"), Emphasis::Normal, ImVec2(0, 0), m_prefs.text.scalePercent < 300))
        setTextScale(accessibility::nextScale(m_prefs.text.scalePercent, +1));
    std::string size = m_ui.fmt("settings.size", {{"percent", std::to_string(m_prefs.text.scalePercent)}});
    w.sameLineIfFitsWidth(ImGui::CalcTextSize(size.c_str()).x);
    ImGui::AlignTextToFramePadding();
    w.text(size);
    if (m_resources.languages.size() > 1) {
        w.sameLineIfFits(m_ui.tr("settings.switchLanguage"));
        if (w.button(m_ui.tr("settings.switchLanguage"))) setLanguage(m_resources.languages[(m_languageIndex + 1) % m_resources.languages.size()].language());
    }
}

void KioskUi::handleShortcuts() {
    // The same keys on every screen: F1 settings, F2 colours, F3/F4 text size,
    // F5 read-aloud, F6 read the screen, F7 stop reading, F8 language;
    // F9 and F10 belong to the check-in screen's board.
    if (ImGui::IsKeyPressed(keys::F1, false)) setSettingsOpen(!m_settingsOpen);
    if (ImGui::IsKeyPressed(keys::F2, false)) setTheme(m_themeIndex + 1);
    if (ImGui::IsKeyPressed(keys::F3, false)) setTextScale(accessibility::nextScale(m_prefs.text.scalePercent, -1));
    if (ImGui::IsKeyPressed(keys::F4, false)) setTextScale(accessibility::nextScale(m_prefs.text.scalePercent, +1));
    if (ImGui::IsKeyPressed(keys::F5, false)) setReadAloud(!m_prefs.readAloud);
    if (ImGui::IsKeyPressed(keys::F6, false)) m_readScreen = true;
    if (ImGui::IsKeyPressed(keys::F7, false) && m_ui.options.speech) m_ui.options.speech->stop();
    // F10: the whole room on the check-in screen, and back.
    if (ImGui::IsKeyPressed(keys::F10, false) && m_screen == Screen::CheckIn && !m_locked && !m_settingsOpen && !m_checkIn.dialogOpen())
        m_checkIn.setRoomView(!m_checkIn.roomView());
    if (ImGui::IsKeyPressed(keys::F8, false) && m_resources.languages.size() > 1)
        setLanguage(m_resources.languages[(m_languageIndex + 1) % m_resources.languages.size()].language());
    // The idle warning is above everything: its Escape is its own.
    if (m_idle.warningShowing() && ImGui::IsKeyPressed(keys::Escape, false)) m_ui.escapeConsumed = true;
    // Escape closes the settings panel, unless a dialog above it takes it first.
    if (!m_ui.escapeConsumed && m_settingsOpen && !m_checkIn.dialogOpen() && ImGui::IsKeyPressed(keys::Escape, false)) {
        m_ui.escapeConsumed = true;
        setSettingsOpen(false);
    }
}

void KioskUi::drawFeedback() {
    // The line keeps its place when empty, so a message coming or going never
    // moves the screen under the proctor's eyes.
    if (m_ui.feedback.text.empty()) {
        ImGui::Dummy(ImVec2(0.0f, ImGui::GetTextLineHeight()));
        return;
    }
    m_ui.widgets.textColoured(m_ui.feedback.text, m_ui.feedback.ok ? m_ui.palette.success : m_ui.palette.danger,
                              m_ui.feedback.ok ? accessibility::Role::Status : accessibility::Role::Alert);
}

void KioskUi::showStoreDamaged(std::string file) {
    m_storeStopped.emplace();
    m_storeStopped->file = std::move(file);
    m_ui.feedback = {};
    m_settingsOpen = false;
}

void KioskUi::showStoreFileChanged(std::string file) {
    showStoreDamaged(std::move(file));
    m_storeStopped->fileChanged = true;
}

void KioskUi::storeSaved(std::string where, bool inPlace) {
    if (!m_storeStopped) return;
    m_storeStopped->savedTo = std::move(where);
    m_storeStopped->savedInPlace = inPlace;
}

void KioskUi::storeNotSaved(std::string why) {
    if (m_storeStopped) m_storeStopped->notSaved = std::move(why);
}

void KioskUi::drawStoreDamaged() {
    const StoreStopped& s = *m_storeStopped;
    if (!s.fileChanged) {
        m_ui.widgets.heading(m_ui.tr("damaged.title"));
        m_ui.widgets.textColoured(m_ui.fmt("damaged.body", {{"file", s.file}}), m_ui.palette.danger, accessibility::Role::Alert);
        m_ui.widgets.text(m_ui.tr("damaged.students"));
        m_ui.widgets.text(m_ui.tr("damaged.technician"));
        return;
    }
    m_ui.widgets.heading(m_ui.tr("moved.title"));
    m_ui.widgets.textColoured(m_ui.fmt("moved.body", {{"file", s.file}}), m_ui.palette.danger, accessibility::Role::Alert);
    if (s.savedTo && s.savedInPlace) m_ui.widgets.textColoured(m_ui.tr("moved.savedInPlace"), m_ui.palette.success, accessibility::Role::Status);
    else if (s.savedTo) m_ui.widgets.textColoured(m_ui.fmt("moved.savedCopy", {{"file", *s.savedTo}}), m_ui.palette.success, accessibility::Role::Status);
    else if (!s.notSaved.empty()) m_ui.widgets.textColoured(m_ui.fmt("moved.notSaved", {{"why", s.notSaved}}), m_ui.palette.danger, accessibility::Role::Alert);
    else m_ui.widgets.text(m_ui.tr("moved.saving"), accessibility::Role::Status);
    m_ui.widgets.text(m_ui.tr("damaged.students"));
    m_ui.widgets.text(m_ui.tr(s.savedTo && !s.savedInPlace ? "moved.technicianCopy" : "moved.technician"));
}

void KioskUi::drawSpeechProblem() {
    using accessibility::SpeechProblem;
    accessibility::SpeechStatus now;
    if (m_ui.options.speech) now = m_ui.options.speech->status();
    else if (m_prefs.readAloud) now = {SpeechProblem::NoEngine, {}};
    if (now.problem != SpeechProblem::None || m_ui.options.speech) m_speechProblem = now;
    if (m_speechProblem.problem == SpeechProblem::None) return;
    // Said where it matters: to the student who turned read-aloud on, and on
    // every proctor screen, so the proctor learns of it too.
    bool proctorScreen = m_screen != Screen::Student;
    if (!m_prefs.readAloud && !proctorScreen) return;
    std::string why;
    switch (m_speechProblem.problem) {
    case SpeechProblem::NoEngine: why = m_ui.tr("speech.problemNoEngine"); break;
    case SpeechProblem::NoDevice: why = m_ui.tr("speech.problemNoDevice"); break;
    case SpeechProblem::NoVoice: why = m_ui.fmt("speech.problemNoVoice", {{"language", m_speechProblem.detail}}); break;
    case SpeechProblem::Failed: why = m_ui.tr("speech.problemFailed"); break;
    case SpeechProblem::None: break;
    }
    m_ui.widgets.textColoured(m_ui.fmt(proctorScreen ? "speech.notWorkingProctor" : "speech.notWorking", {{"why", why}}), m_ui.palette.danger,
                              accessibility::Role::Alert);
}

void KioskUi::speakAfterFrame() {
    accessibility::SpeechSink* speech = m_ui.options.speech;
    if (!speech) return;
    const accessibility::Node* f = m_ui.tree.focused();
    std::uint32_t id = f ? f->id : 0;
    const std::string& lang = strings().language();
    if (m_readScreen) {
        m_readScreen = false;
        speech->speak({accessibility::describeScreen(m_ui.tree, strings()), lang, m_prefs.speechRate}, accessibility::Interrupt::Yes);
        m_lastFocusId = id;
        m_lastFeedback = m_ui.feedback.text;
        return;
    }
    if (!m_prefs.readAloud) {
        m_lastFeedback = m_ui.feedback.text;
        m_pendingStatus.clear();
        return;
    }
    // A status message (saved, refused) is said after the focus announcement,
    // without cutting it off (WCAG 4.1.3). An action that saves usually moves
    // focus a frame later, so the message waits a couple of frames for it.
    if (m_ui.feedback.text != m_lastFeedback) {
        m_lastFeedback = m_ui.feedback.text;
        m_pendingStatus = accessibility::speakable(m_lastFeedback);
        m_pendingStatusFrames = 3;
    }
    bool spokeFocus = false;
    if (id != m_lastFocusId) {
        m_lastFocusId = id;
        if (f) {
            std::string text = accessibility::describeNode(*f, strings());
            // Focus entering a dialog: its title and any alert in it come first.
            if (f->scope != m_lastFocusScope && f->scope != "main") {
                std::string context;
                for (const auto& n : m_ui.tree.nodes())
                    if (n.scope == f->scope && (n.role == accessibility::Role::Dialog || n.role == accessibility::Role::Alert))
                        context += accessibility::describeNode(n, strings()) + ". ";
                text = context + text;
            }
            m_lastFocusScope = f->scope;
            // New focus interrupts whatever was being said: the newest place is what matters.
            speech->speak({text, lang, m_prefs.speechRate}, accessibility::Interrupt::Yes);
            spokeFocus = true;
        }
    }
    if (!m_pendingStatus.empty() && (spokeFocus || --m_pendingStatusFrames <= 0)) {
        speech->speak({std::exchange(m_pendingStatus, {}), lang, m_prefs.speechRate}, accessibility::Interrupt::No);
    }
}

void KioskUi::keepFocusAcrossLanguages() {
    std::vector<const accessibility::Node*> order;
    for (const auto& n : m_ui.tree.nodes())
        if (n.focusable && !n.disabled && (n.tabStop || n.focused)) order.push_back(&n);
    m_focusIndex = -1;
    for (std::size_t i = 0; i < order.size(); ++i)
        if (order[i]->focused) m_focusIndex = static_cast<int>(i);
    if (m_refocusFrames > 0 && --m_refocusFrames == 0) {
        if (m_refocusIndex >= 0 && static_cast<std::size_t>(m_refocusIndex) < order.size())
            m_ui.widgets.focusId(order[static_cast<std::size_t>(m_refocusIndex)]->id);
        m_refocusIndex = -1;
    }
}

void KioskUi::frame() {
    // Answers of actions asked for in earlier frames: before anything is
    // drawn, so this frame shows them and moves focus where they say.
    m_ui.services.actions.deliver();
    // Sync and the clock change what is shown: refresh once a second.
    // A new view from the read model (another station's check-in, an upload) carries new counts: at once.
    if (m_ui.options.clock() - m_lastRefresh >= std::chrono::seconds(1)) {
        m_ui.services.views.tick();
        readSync();
        m_lastRefresh = m_ui.options.clock();
    }
    // A new view (another station's check-in, an upload, a lab machine's
    // submission, the hub's report) carries new counts and lists: at once.
    if (auto view = m_ui.services.views.latest(); view && view->version != m_syncViewVersion) {
        m_syncViewVersion = view->version;
        readSync();
        m_siteHub = view->siteHub;
        if (m_screen == Screen::Picker) m_picker.refresh();
        else if (m_screen == Screen::Review) m_review.adopt(*view);
        else if (m_screen == Screen::Sync) m_sync.adopt(*view);
    }
    m_ui.escapeConsumed = false;
    bool input = inputThisFrame();  // before any text field consumes the characters
    const ImGuiIO& io = ImGui::GetIO();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(io.DisplaySize);
    // The page scrolls up and down when large text makes it taller than the
    // screen; it never scrolls sideways (WCAG 1.4.10).
    ImGuiWindowFlags flags = ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove |
                             ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus;
    // The room view runs the board to the window's edges (see below).
    bool roomView = m_screen == Screen::CheckIn && m_checkIn.roomView();
    const ImVec2 padding = ImGui::GetStyle().WindowPadding;
    if (roomView) ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(padding.x, std::min(padding.y, 0.3f * m_ui.em())));
    ImGui::Begin("kiosk", nullptr, flags);
    if (roomView) ImGui::PopStyleVar();
    // A new screen starts at its top, not where the last one was scrolled; so
    // does a resized window (a kiosk's first frames can come before the
    // window has its full size), keeping what has focus in view.
    bool resized = io.DisplaySize.x != m_displaySize.x || io.DisplaySize.y != m_displaySize.y;
    m_displaySize = io.DisplaySize;
    const bool scrollReset = m_screenChanged || resized;
    if (scrollReset) {
        ImGui::SetScrollY(0.0f);
        if (resized) m_ui.widgets.keepFocusInView();
        m_screenChanged = false;
    }
    // New text sizes move everything: what has focus is brought back into
    // view, and a field being typed in takes the keys still (the panes may
    // have reflowed, and the field with them, out of Dear ImGui's reach).
    const bool textChanged = !(m_prefs.text == m_drawnText);
    const accessibility::Node* typedIn = textChanged ? m_ui.tree.focused() : nullptr;
    const std::string typingLabel = typedIn && typedIn->role == accessibility::Role::TextField ? typedIn->label : std::string();
    m_ui.widgets.begin(m_ui.tree, m_ui.palette, accessibility::pixelSize(m_prefs.text));
    if (textChanged) {
        m_drawnText = m_prefs.text;
        m_ui.widgets.keepFocusInView();
        if (!typingLabel.empty()) m_ui.widgets.resumeTyping(typingLabel);
    }
    // The new screen's focus (its search field, at large text below the
    // fold) is brought into view next frame, against the reset scroll.
    if (scrollReset) m_ui.widgets.holdFocusThisFrame();
    handleShortcuts();
    roomView = m_screen == Screen::CheckIn && m_checkIn.roomView();  // F10 may have just changed it
    // The room view gives the board every line it can: its own top line
    // carries the banner's status; no settings row (the F keys still work)
    // and no empty message line.
    m_ui.bannerStatus = bannerStatus();
    if (!roomView) drawTopBar();
    if (!roomView) drawSettingsBar();
    if (m_settingsOpen) drawSettingsPanel();
    drawSyncProgress();
    if (m_storeStopped) m_ui.feedback = {};  // an answer that failed on the way is not news behind the notice
    if (!roomView || !m_ui.feedback.text.empty()) drawFeedback();
    drawSpeechProblem();
    if (!roomView) ImGui::Separator();
    float width = ImGui::GetContentRegionAvail().x;
    float height = io.DisplaySize.y;
    m_checkIn.holdDialog(m_locked || m_idle.warningShowing());
    if (m_storeStopped) {
        drawStoreDamaged();
    } else if (m_locked) {
        drawLock();
    } else switch (m_screen) {
    case Screen::Picker: {
        PickerAction action = m_picker.draw();
        if (action.kind == PickerAction::Kind::OpenSession && m_checkIn.open(action.sessionId)) {
            goTo(Screen::CheckIn);
            m_ui.feedback = {};
        } else if (action.kind == PickerAction::Kind::StudentSignIn) {
            // A student machine never carries a proctor's sign-in: proctor
            // screens need ID and PIN again from here.
            m_picker.signOutProctor(R"({"reason":"student_station"})", SessionPickerScreen::ForgetId::Yes);
            goTo(Screen::Student);
        } else if (action.kind == PickerAction::Kind::Review) {
            goTo(Screen::Review);
        } else if (action.kind == PickerAction::Kind::Sync) {
            goTo(Screen::Sync);
        }
        break;
    }
    case Screen::CheckIn:
        if (!m_checkIn.draw(width, height)) goTo(Screen::Picker);
        break;
    case Screen::Student:
        if (m_student.draw() == StudentScreen::Result::ToProctor) goTo(Screen::Picker);
        break;
    case Screen::Review:
        if (!m_review.draw()) goTo(Screen::Picker);
        break;
    case Screen::Sync:
        if (!m_sync.draw()) goTo(Screen::Picker);
        break;
    }
    if (!m_locked && !m_idle.warningShowing()) drawExitDialog();  // one modal a level: the warning's, then
    watchProctorIdle();
    const bool proctorsWatch = m_idleIsProctors;
    if (m_idle.draw(steadyNow(), input) == IdleEvent::Expired) {
        // A student's session is over: nothing of theirs stays on screen. A
        // proctor's screens lock as they are, the proctor's settings kept.
        if (!proctorsWatch) resetToSiteDefault();
        auto done = std::move(m_onIdleExpired);
        m_onIdleExpired = {};
        if (done) done();
    }
    // Behind an idle warning the screen is covered, not dimmed: whoever
    // reads it may not be the one who left it. (Drawn at the frame's end.)
    ImGui::GetStyle().Colors[ImGuiCol_ModalWindowDimBg].w = m_idle.warningShowing() ? 1.0f : kModalDimAlpha;
    m_ui.widgets.end();
    ImGui::End();
    keepFocusAcrossLanguages();
    speakAfterFrame();
    if (m_ui.dataChanged) {
        // The outbox count on screen is never older than the last save (the
        // action queue had the view of it built before its answer came).
        readSync();
        m_ui.dataChanged = false;
    }
}

} // namespace kiosk::ui

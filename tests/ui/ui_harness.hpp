#pragma once
// Headless Dear ImGui for UI tests: a real context with a fixed display size
// and a built font atlas, no window and no renderer. Input is injected the way
// the GLFW backend would (1.86 API: io.KeysDown[], io.AddInputCharacter).
#include "kiosk/service/action_queue.hpp"
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/service/security_service.hpp"
#include "kiosk/service/session_queries.hpp"
#include "kiosk/service/session_views.hpp"
#include "kiosk/service/sync_view.hpp"
#include "kiosk/service/work_service.hpp"
#include "kiosk/ui/kiosk_ui.hpp"
#include "kiosk/ui/style.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

struct ImGuiContext;

namespace kiosk::test {

class UiHarness {
public:
    // A proctor's screens lock after this long without input (UiOptions::proctorIdle).
    static constexpr std::chrono::milliseconds kProctorIdle = std::chrono::hours(2);

    // `utcOffsetAt`: the zone's offset at each instant, as the kiosk sets it; none means UTC.
    UiHarness(store::Store& store, domain::Clock clock, float width = 1280, float height = 800,
              accessibility::SpeechSink* speech = nullptr, const std::string& language = "en",
              std::function<int(domain::Timestamp)> utcOffsetAt = {});
    ~UiHarness();
    UiHarness(const UiHarness&) = delete;
    UiHarness& operator=(const UiHarness&) = delete;

    void frames(int n = 1);
    void type(std::string_view utf8);      // characters, one frame
    void press(int key, bool shift = false, bool ctrl = false);  // down for a frame, then up for a frame
    void resize(float width, float height);
    // The demo proctor (P001, PIN 2468) signs in on the proctor's start screen.
    void signInAsProctor();
    // Then the first demo session (WorkKeys Applied Math), by keyboard: the check-in screen.
    void openFirstSession();
    // On the check-in screen: the one student `query` finds is checked in
    // with the dialog's defaults (Enter, Enter), then their record opened.
    void checkInAndOpen(std::string_view query);
    service::WorkService& work() { return m_work; }
    service::SecurityService& security() { return m_security; }

    ui::KioskUi& ui() { return *m_ui; }
    const accessibility::Tree& tree() const { return m_ui->tree(); }
    const accessibility::Node* focused() const { return tree().focused(); }
    // The first node with exactly this label, or null.
    const accessibility::Node* find(std::string_view label) const { return tree().find(label); }
    // The first node whose label contains `text`, or null.
    const accessibility::Node* findContaining(std::string_view text) const;
    // The last node of this role with exactly this label (a dialog's field
    // or tick, not the board's row of the same name), or null.
    const accessibility::Node* findRole(accessibility::Role role, std::string_view label) const;
    // Tabs until `label` is focused (at most `limit` presses); true when reached.
    bool tabTo(std::string_view label, int limit = 60);
    // The same, for a control whose label is exactly `label`.
    bool tabToExactly(std::string_view label, int limit = 60);
    // Frames until no action's answer is on its way (the window holds keys
    // meanwhile); press() and type() do it before their key.
    void settleActions();
    // Runs after every frame (tests that check an invariant each frame).
    std::function<void()> afterFrame;

private:
    void frame();

    ImGuiContext* m_context = nullptr;
    service::AttendanceService m_attendance;
    service::SessionQueries m_queries;
    service::SessionViews m_views;  // built at once, on the test's thread
    service::SecurityService m_security;
    service::WorkService m_work;
    service::SyncQueries m_sync;
    // No thread: an action's answer comes at the start of the next frame, as
    // in the window, and no key is sent while one is on its way.
    service::ActionQueue m_actions{[this] { m_views.invalidate(); }};
    std::unique_ptr<ui::KioskUi> m_ui;
    std::unique_ptr<accessibility::FontFiles> m_fonts;
};

} // namespace kiosk::test

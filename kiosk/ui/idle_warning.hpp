#pragma once
// The idle time-out's warning (WCAG 2.2.1) for the student screens (and the
// proctor's, which lock): a modal
// that counts down, says so aloud when read-aloud is on, and gives one
// focused button to extend. The arithmetic is accessibility::IdleTimer; this
// draws it and feeds it input.
#include "accessibility/idle_timer.hpp"
#include "kiosk/ui/ui_context.hpp"

#include <optional>

namespace kiosk::ui {

enum class IdleEvent { None, WarningShown, Extended, Expired };

// What the warning says (string keys): a student's session ends, a proctor's screens lock.
struct IdleWording {
    const char* title;
    const char* body;    // {seconds}
    const char* extend;
};
inline constexpr IdleWording kStudentIdle{"idle.title", "idle.body", "idle.extend"};
inline constexpr IdleWording kProctorIdle{"idle.title", "idle.lockBody", "idle.keepWorking"};

class IdleWarning {
public:
    explicit IdleWarning(UiContext& ui) : m_ui(ui) {}

    void start(accessibility::IdlePolicy policy, accessibility::Millis now, IdleWording wording = kStudentIdle);
    void stop();
    bool running() const { return m_timer.has_value(); }
    bool warningShowing() const { return m_warningOpen; }
    const accessibility::IdleTimer* timer() const { return m_timer ? &*m_timer : nullptr; }

    // Once a frame, inside the main window after the screen. `input`: whether
    // the student did anything this frame (read with inputThisFrame() before
    // widgets consume it); it counts as activity before the warning. The
    // warning's button or Enter extends. Reports what happened this frame;
    // after Expired the watch stops.
    IdleEvent draw(accessibility::Millis now, bool input);

private:
    UiContext& m_ui;
    std::optional<accessibility::IdleTimer> m_timer;
    IdleWording m_wording = kStudentIdle;
    bool m_warningOpen = false;
};

// Any key, character, click, wheel or pointer movement this frame. Call it
// before drawing: a text field consumes the characters it reads.
bool inputThisFrame();

} // namespace kiosk::ui

#pragma once
// Which queued keyboard events one frame may take. Dear ImGui 1.86 reads key
// state once per frame, so every key change (press or release) needs a frame
// of its own: a release and the next press of the same key in one frame would
// look like a key held down, and that press would be lost (two quick Tabs
// become one). Characters typed after a key wait for that key's frame.
#include <cstddef>
#include <deque>
#include <optional>

namespace kiosk::app {

struct InputEvent {
    bool isChar = false;
    int key = 0, scancode = 0, action = 0, mods = 0;  // GLFW's key callback arguments
    unsigned int codepoint = 0;
    bool isMouseButton = false;  // then `key` is the button (GLFW's mouse button callback)
};

// How many events from the front of `queue` belong to this frame: any
// characters, then at most one key or mouse button change.
std::size_t eventsForThisFrame(const std::deque<InputEvent>& queue);

// Keys may also wait for focus on its way to a control (a screen that just
// opened puts it in its search field a frame or two later), for this many
// frames in a row at most: past that they go wherever focus is, so a request
// that never lands cannot hold the keyboard.
inline constexpr int kFocusHoldFrames = 4;

// Counts the frames in a row begun with focus on its way, and says what the
// frame loop does with them: hold the keys, and draw one more frame so the
// focus can land.
class FocusHold {
public:
    // At the start of a frame: whether this frame holds the keys.
    bool beginFrame(bool focusLanding) {
        m_frames = focusLanding ? m_frames + 1 : 0;
        return m_frames > 0 && m_frames <= kFocusHoldFrames;
    }
    // After it: whether focus still on its way is worth another frame now
    // (a screen asking for focus every frame does not keep the loop awake).
    bool wantsAnotherFrame(bool focusLanding) const { return focusLanding && m_frames < kFocusHoldFrames; }

private:
    int m_frames = 0;
};

// While an action's answer is on its way every press, click and character
// waits for it; only the release of what is down may go (a key left down
// would repeat), ahead of the characters its press typed. The index of that
// release in `queue`, if the next key or button change is one.
std::optional<std::size_t> releaseWhileHolding(const std::deque<InputEvent>& queue);

} // namespace kiosk::app

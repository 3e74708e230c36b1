#pragma once
// Dear ImGui 1.86 reads key state once per frame, so a press and release
// that arrive in one poll (a quick typist, a barcode scanner, xdotool) would
// be lost. These callbacks queue keyboard events and hand them to the GLFW
// backend one key change per frame (input_batch.hpp), so that every press is
// visible for at least one frame.
struct GLFWwindow;

namespace kiosk::app {

// Installs the callbacks; call after ImGui_ImplGlfw_InitForOpenGL(window, false).
void installInputQueue(GLFWwindow* window);
// Feeds queued events for this frame; call before ImGui_ImplGlfw_NewFrame().
// `holdPresses`: an action's answer is on its way: releases only (input_batch.hpp).
void drainInputQueue(GLFWwindow* window, bool holdPresses = false);
bool inputPending();
// Keyboard events (key changes and characters) and characters alone handed
// to Dear ImGui so far (tests wait on them: --idle-file).
unsigned long long inputEventsTaken();
unsigned long long charactersTaken();

} // namespace kiosk::app

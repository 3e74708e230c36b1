#include "kiosk/app/glfw_input.hpp"

#include "kiosk/app/input_batch.hpp"

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>

#include <deque>

namespace kiosk::app {

namespace {

std::deque<InputEvent> g_queue;  // touched only on the main thread (GLFW callbacks run there)
unsigned long long g_taken = 0, g_chars = 0;

void onKey(GLFWwindow*, int key, int scancode, int action, int mods) { g_queue.push_back({false, key, scancode, action, mods, 0}); }
void onChar(GLFWwindow*, unsigned int c) { g_queue.push_back({true, 0, 0, 0, 0, c}); }
void onMouseButton(GLFWwindow*, int button, int action, int mods) { g_queue.push_back({false, button, 0, action, mods, 0, true}); }

void feed(GLFWwindow* window, const InputEvent& e) {
    if (e.isMouseButton) {
        ImGui_ImplGlfw_MouseButtonCallback(window, e.key, e.action, e.mods);
        return;  // clicks are not keyboard events: the idle file counts keys
    }
    if (e.isChar) ImGui_ImplGlfw_CharCallback(window, e.codepoint);
    else ImGui_ImplGlfw_KeyCallback(window, e.key, e.scancode, e.action, e.mods);
    ++g_taken;
    if (e.isChar) ++g_chars;
}

} // namespace

void installInputQueue(GLFWwindow* window) {
    glfwSetKeyCallback(window, onKey);
    glfwSetCharCallback(window, onChar);
    // Clicks are queued with the keys (an action's answer holds both);
    // scrolling and window events need no queue.
    glfwSetMouseButtonCallback(window, onMouseButton);
    glfwSetScrollCallback(window, ImGui_ImplGlfw_ScrollCallback);
    glfwSetWindowFocusCallback(window, ImGui_ImplGlfw_WindowFocusCallback);
    glfwSetCursorEnterCallback(window, ImGui_ImplGlfw_CursorEnterCallback);
    glfwSetMonitorCallback(ImGui_ImplGlfw_MonitorCallback);
}

void drainInputQueue(GLFWwindow* window, bool holdPresses) {
    if (holdPresses) {
        if (auto i = releaseWhileHolding(g_queue)) {
            feed(window, g_queue[*i]);
            g_queue.erase(g_queue.begin() + static_cast<std::ptrdiff_t>(*i));
        }
        return;
    }
    for (std::size_t n = eventsForThisFrame(g_queue); n > 0; --n) {
        feed(window, g_queue.front());
        g_queue.pop_front();
    }
}

bool inputPending() { return !g_queue.empty(); }

unsigned long long inputEventsTaken() { return g_taken; }
unsigned long long charactersTaken() { return g_chars; }

} // namespace kiosk::app

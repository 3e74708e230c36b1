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

} // namespace

void installInputQueue(GLFWwindow* window) {
    glfwSetKeyCallback(window, onKey);
    glfwSetCharCallback(window, onChar);
    // Mouse and window events need no queue: the backend latches quick clicks.
    glfwSetMouseButtonCallback(window, ImGui_ImplGlfw_MouseButtonCallback);
    glfwSetScrollCallback(window, ImGui_ImplGlfw_ScrollCallback);
    glfwSetWindowFocusCallback(window, ImGui_ImplGlfw_WindowFocusCallback);
    glfwSetCursorEnterCallback(window, ImGui_ImplGlfw_CursorEnterCallback);
    glfwSetMonitorCallback(ImGui_ImplGlfw_MonitorCallback);
}

void drainInputQueue(GLFWwindow* window) {
    for (std::size_t n = eventsForThisFrame(g_queue); n > 0; --n) {
        const InputEvent& e = g_queue.front();
        if (e.isChar) ImGui_ImplGlfw_CharCallback(window, e.codepoint);
        else ImGui_ImplGlfw_KeyCallback(window, e.key, e.scancode, e.action, e.mods);
        g_queue.pop_front();
        ++g_taken;
        if (e.isChar) ++g_chars;
    }
}

bool inputPending() { return !g_queue.empty(); }

unsigned long long inputEventsTaken() { return g_taken; }
unsigned long long charactersTaken() { return g_chars; }

} // namespace kiosk::app

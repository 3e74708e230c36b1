// The window's keyboard queue: every key change gets a frame of its own, so
// Dear ImGui 1.86 (which reads key state once a frame) sees every press.
#include "kiosk/app/input_batch.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using kiosk::app::eventsForThisFrame;
using kiosk::app::InputEvent;

namespace {

constexpr int kTab = 258, kPress = 1, kRelease = 0;  // GLFW_KEY_TAB, GLFW_PRESS, GLFW_RELEASE

InputEvent key(int action, int code = kTab) { return {false, code, 0, action, 0, 0}; }
InputEvent ch(unsigned int c) { return {true, 0, 0, 0, 0, c}; }

// Frame by frame, what the queue hands over: "v" a press, "^" a release, characters as themselves.
std::vector<std::string> frames(std::deque<InputEvent> queue) {
    std::vector<std::string> out;
    while (!queue.empty()) {
        std::size_t n = eventsForThisFrame(queue);
        REQUIRE(n > 0);
        std::string frame;
        for (std::size_t i = 0; i < n; ++i) {
            const auto& e = queue.front();
            frame += e.isChar ? std::string(1, static_cast<char>(e.codepoint)) : (e.action == kRelease ? "^" : "v");
            queue.pop_front();
        }
        out.push_back(frame);
    }
    return out;
}

} // namespace

TEST_CASE("two quick Tabs: the release and the next press never share a frame, so neither press is lost") {
    // What xdotool sends for "key Tab x2" when frames are slow: all four at once.
    CHECK(frames({key(kPress), key(kRelease), key(kPress), key(kRelease)}) == std::vector<std::string>{"v", "^", "v", "^"});
}

TEST_CASE("typed text keeps its order: characters ride with the key change after them, never before the key before them") {
    // "ab" typed: press a, char a, release a, press b, char b, release b.
    std::deque<InputEvent> typed{key(kPress, 65), ch('a'), key(kRelease, 65), key(kPress, 66), ch('b'), key(kRelease, 66)};
    CHECK(frames(typed) == std::vector<std::string>{"v", "a^", "v", "b^"});
    // Characters alone (an input method, a paste) all go in one frame.
    CHECK(frames({ch('x'), ch('y'), ch('z')}) == std::vector<std::string>{"xyz"});
    CHECK(eventsForThisFrame({}) == 0);
}

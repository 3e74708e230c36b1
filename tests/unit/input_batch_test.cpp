// The window's keyboard queue: every key change gets a frame of its own, so
// Dear ImGui 1.86 (which reads key state once a frame) sees every press; and
// the idle file end-to-end scripts wait on.
#include "kiosk/app/idle_file.hpp"
#include "kiosk/app/input_batch.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <sys/stat.h>
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

TEST_CASE("while an action's answer is on its way, only the release of what is down goes: presses, clicks and characters wait") {
    using kiosk::app::releaseWhileHolding;
    // Enter pressed (it saved); its release may go, so it never repeats; Tab typed after it waits.
    CHECK(releaseWhileHolding({key(kRelease, 257), key(kPress), key(kRelease)}) == std::size_t{0});
    // Space pressed on a button: its character waits, its release goes ahead of it.
    CHECK(releaseWhileHolding({ch(' '), key(kRelease, 32), key(kPress)}) == std::size_t{1});
    // A press at the front: nothing goes, not even the release queued after it.
    CHECK_FALSE(releaseWhileHolding({key(kPress), key(kRelease)}).has_value());
    InputEvent click{false, 0, 0, kPress, 0, 0, true};
    CHECK_FALSE(releaseWhileHolding({click}).has_value());
    click.action = kRelease;
    CHECK(releaseWhileHolding({click, key(kPress)}) == std::size_t{0});
    CHECK_FALSE(releaseWhileHolding({ch('a'), ch('b')}).has_value());
    CHECK_FALSE(releaseWhileHolding({}).has_value());
}

// The idle file an end-to-end script waits on (--idle-file): written whole
// through edsync::files::writeAtomically, so a script polling it never reads
// half a line.
TEST_CASE("focus on its way holds the keys for kFocusHoldFrames frames in a row at most, and asks for frames until then") {
    kiosk::app::FocusHold hold;
    CHECK_FALSE(hold.beginFrame(false));
    CHECK_FALSE(hold.wantsAnotherFrame(false));
    for (int frame = 1; frame <= kiosk::app::kFocusHoldFrames; ++frame) {
        CAPTURE(frame);
        CHECK(hold.beginFrame(true));
        CHECK(hold.wantsAnotherFrame(true) == (frame < kiosk::app::kFocusHoldFrames));
    }
    // A request that never lands no longer holds the keyboard, nor keeps the loop awake.
    CHECK_FALSE(hold.beginFrame(true));
    CHECK_FALSE(hold.wantsAnotherFrame(true));
    // Landed: the count starts again for the next request.
    CHECK_FALSE(hold.beginFrame(false));
    CHECK(hold.beginFrame(true));
    CHECK(hold.wantsAnotherFrame(true));
    CHECK_FALSE(hold.wantsAnotherFrame(false));
}

TEST_CASE("the idle file is replaced whole, 0600, with nothing left beside it") {
    kiosk::test::TempDir dir;
    const auto file = dir.path() / "idle";
    kiosk::app::writeIdleFile(file, {3, 2, "TestSite Kiosk — sessions"});
    kiosk::app::writeIdleFile(file, {12, 7, "Check-in"});
    std::ifstream in(file);
    CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "taken 12\nchars 7\ntitle Check-in\n");
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()) == 1);
}

// The action queue (docs/architecture.md, "Read models"): the screens' reads
// and writes run in the order asked, off the render thread, and their answers
// come back on the thread that delivers them, after the view of what they
// committed was asked for.
#include "kiosk/service/action_queue.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using kiosk::service::ActionQueue;

namespace {

// Wakes a waiting test when the worker says an answer is ready.
struct Doorbell {
    std::mutex mutex;
    std::condition_variable rang;
    int rings = 0;
    void ring() {
        std::lock_guard lock(mutex);
        ++rings;
        rang.notify_all();
    }
    // Waits until `n` rings in all (a bound far above any real wait: a hung worker fails, never hangs the run).
    bool waitFor(int n) {
        std::unique_lock lock(mutex);
        return rang.wait_for(lock, std::chrono::seconds(60), [&] { return rings >= n; });
    }
};

} // namespace

TEST_CASE("on a worker: jobs run in the order asked, off the caller's thread, and answers come only when delivered, in that order") {
    Doorbell bell;
    std::vector<std::string> trail;  // written by the worker, then read here after the rings
    std::atomic<int> viewsAsked{0};
    ActionQueue queue([&] { ++viewsAsked; }, [&] { bell.ring(); });
    const auto caller = std::this_thread::get_id();
    std::vector<std::string> answers;
    for (int i = 0; i < 3; ++i)
        queue.submit(
            [&, i] {
                CHECK(std::this_thread::get_id() != caller);
                trail.push_back("job" + std::to_string(i));
                return i * 10;
            },
            [&](int result) {
                CHECK(std::this_thread::get_id() == caller);
                answers.push_back("answer" + std::to_string(result));
            });
    REQUIRE(bell.waitFor(3));
    CHECK(trail == std::vector<std::string>{"job0", "job1", "job2"});
    CHECK(answers.empty());  // nothing runs on this thread before deliver()
    CHECK(queue.busy());     // three answers wait to be delivered
    CHECK(viewsAsked == 3);  // the view of each commit was asked for before its answer was ready
    queue.deliver();
    CHECK(answers == std::vector<std::string>{"answer0", "answer10", "answer20"});
    CHECK_FALSE(queue.busy());
}

TEST_CASE("on a worker: stop runs every job already asked for (a last check-in is never dropped), then nothing new is taken") {
    std::atomic<int> ran{0};
    std::mutex gate;
    std::unique_lock hold(gate);  // the first job waits here, so the others queue behind it
    ActionQueue queue({}, {});
    queue.post([&] {
        std::lock_guard wait(gate);
        ++ran;
    });
    for (int i = 0; i < 4; ++i) queue.post([&] { ++ran; });
    CHECK(queue.busy());
    std::thread stopper([&] { queue.stop(); });
    hold.unlock();
    stopper.join();
    CHECK(ran == 5);
    queue.post([&] { ++ran; });  // after stop: not run, and no thread left to run it
    CHECK(ran == 5);
    CHECK_FALSE(queue.busy());
}

TEST_CASE("on a worker: a job that throws has its exception thrown by deliver(), as if it had run there, and the next job still runs") {
    Doorbell bell;
    ActionQueue queue({}, [&] { bell.ring(); });
    bool secondAnswered = false;
    queue.submit([]() -> int { throw std::runtime_error("disk on fire"); }, [](int) { FAIL("no answer for a job that threw"); });
    queue.submit([] { return 7; }, [&](int v) { secondAnswered = v == 7; });
    REQUIRE(bell.waitFor(2));
    CHECK_THROWS_WITH_AS(queue.deliver(), "disk on fire", std::runtime_error);
    queue.deliver();  // what was behind it is still there
    CHECK(secondAnswered);
    CHECK_FALSE(queue.busy());
}

TEST_CASE("without a worker (headless tests): a job waits for the next deliver(), then runs with its answer, as a frame later in the window") {
    std::vector<std::string> trail;
    ActionQueue queue([&] { trail.push_back("view"); });
    queue.submit(
        [&] {
            trail.push_back("job");
            return std::string("saved");
        },
        [&](const std::string& r) {
            trail.push_back(r);
            // An answer that asks for more: that waits for the next frame, as it would on a worker.
            queue.submit([&] { return 1; }, [&](int) { trail.push_back("second"); });
        });
    queue.post([&] { trail.push_back("checkpoint"); });  // no answer: no view is asked for
    CHECK(trail.empty());
    CHECK(queue.busy());
    queue.deliver();
    CHECK(trail == std::vector<std::string>{"job", "view", "saved", "checkpoint"});
    CHECK(queue.busy());
    queue.deliver();
    CHECK(trail.back() == "second");
    CHECK_FALSE(queue.busy());
    // Stopping runs a job still asked for, but not its answer (the screens may be gone).
    queue.submit([&] { trail.push_back("last"); return 0; }, [&](int) { trail.push_back("never"); });
    queue.stop();
    CHECK(trail.back() == "view");
    CHECK(trail[trail.size() - 2] == "last");
}

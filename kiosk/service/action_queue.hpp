#pragma once
// Where the screens' actions run (docs/architecture.md, "Read models"): every
// call that reads or writes the store through the services (a check-in, a
// PIN's check, a student's tasks, the idle checkpoint) runs here, in the order
// asked, on one worker thread that owns the window's connection; its answer
// comes back to the render thread at the start of a later frame. The window
// hands no key or click to the screens while an answer is on its way, so a
// key typed after an action acts on what that action left on screen.
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

namespace kiosk::service {

class ActionQueue {
public:
    // No thread (headless tests): jobs wait for the next deliver(), which runs
    // each, then `afterEach`, then its answer, on the caller's thread. The
    // screens see the same frames as in the window: an answer a frame later.
    explicit ActionQueue(std::function<void()> afterEach = {});
    // On a worker. `afterEach` runs on the worker after every job that has an
    // answer (the app asks the read model for the view of what was just
    // committed, and waits for it); `onAnswer` runs on the worker when an
    // answer is ready (the window wakes its frame loop with it).
    ActionQueue(std::function<void()> afterEach, std::function<void()> onAnswer);
    ~ActionQueue();  // stop()
    ActionQueue(const ActionQueue&) = delete;
    ActionQueue& operator=(const ActionQueue&) = delete;

    // Every job already asked for runs to its end (a proctor's last check-in
    // is never dropped at exit); answers not yet delivered are not. Idempotent.
    void stop();

    // Runs `work()` off the render thread, then `then(result)` on the thread
    // that calls deliver(). An exception thrown by `work` is thrown again
    // from deliver(), as if the work had run there.
    template <class Work, class Then>
    void submit(Work work, Then then) {
        using Result = std::invoke_result_t<Work&>;
        enqueue([work = std::move(work), then = std::move(then)]() mutable -> Answer {
            auto result = std::make_shared<Result>(work());
            return [then = std::move(then), result]() mutable { then(std::move(*result)); };
        });
    }
    // A job with no answer (the idle checkpoint).
    template <class Work>
    void post(Work work) {
        enqueue([work = std::move(work)]() mutable -> Answer {
            work();
            return {};
        });
    }

    // On the render thread, at the start of a frame: runs the answers that
    // came, in the order their jobs were asked.
    void deliver();
    // A job is waiting or running, or its answer has not been delivered.
    bool busy() const;

private:
    using Answer = std::function<void()>;
    using Job = std::function<Answer()>;
    void enqueue(Job job);
    void run();
    void runHere(bool answers);  // deliver() without a worker

    std::function<void()> m_afterEach, m_onAnswer;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Job> m_jobs;
    std::deque<std::pair<Answer, std::exception_ptr>> m_answers;
    bool m_running = false;  // the worker holds a job taken off m_jobs
    bool m_stopping = false;
    bool m_worker = false;
    std::thread m_thread;  // last: starts once the members above exist
};

} // namespace kiosk::service

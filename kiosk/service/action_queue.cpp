#include "kiosk/service/action_queue.hpp"

namespace kiosk::service {

ActionQueue::ActionQueue(std::function<void()> afterEach) : m_afterEach(std::move(afterEach)) {}

ActionQueue::ActionQueue(std::function<void()> afterEach, std::function<void()> onAnswer)
    : m_afterEach(std::move(afterEach)), m_onAnswer(std::move(onAnswer)), m_worker(true), m_thread([this] { run(); }) {}

ActionQueue::~ActionQueue() { stop(); }

void ActionQueue::stop() {
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping) return;
        m_stopping = true;  // nothing new is taken from here on
    }
    // Every job already asked for still runs (nothing a screen saved is
    // dropped). Without a worker their answers do not: the screens may be gone.
    if (!m_worker) return runHere(false);
    m_wake.notify_all();
    m_thread.join();
}

void ActionQueue::enqueue(Job job) {
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping) return;  // the window is closing: nothing new is started
        m_jobs.push_back(std::move(job));
    }
    m_wake.notify_all();
}

void ActionQueue::runHere(bool answers) {
    std::deque<Job> jobs;
    {
        std::lock_guard lock(m_mutex);
        jobs.swap(m_jobs);  // what an answer asks for next waits for the next frame, as on a worker
    }
    for (auto& job : jobs) {
        Answer answer = job();
        if (answer && m_afterEach) m_afterEach();
        if (answer && answers) answer();
    }
}

void ActionQueue::run() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stopping || !m_jobs.empty(); });
            if (m_jobs.empty()) return;  // stopping, and every job asked for has run
            job = std::move(m_jobs.front());
            m_jobs.pop_front();
            m_running = true;
        }
        Answer answer;
        std::exception_ptr failure;
        try {
            answer = job();
        } catch (...) {
            failure = std::current_exception();
        }
        if ((answer || failure) && m_afterEach) m_afterEach();  // a post() commits nothing a screen shows
        {
            std::lock_guard lock(m_mutex);
            if (answer || failure) m_answers.emplace_back(std::move(answer), failure);
            m_running = false;
        }
        if (m_onAnswer) m_onAnswer();
    }
}

void ActionQueue::deliver() {
    if (!m_worker) return runHere(true);
    for (;;) {
        std::pair<Answer, std::exception_ptr> next;
        {
            std::lock_guard lock(m_mutex);
            if (m_answers.empty()) return;
            next = std::move(m_answers.front());
            m_answers.pop_front();
        }
        if (next.second) std::rethrow_exception(next.second);
        next.first();
    }
}

bool ActionQueue::busy() const {
    std::lock_guard lock(m_mutex);
    return m_running || !m_jobs.empty() || !m_answers.empty();
}

} // namespace kiosk::service

#pragma once
// The full integrity check on a schedule, for the window (serve runs its
// own): on its own thread and its own read-only connection, so the render
// thread never waits for it. The open ran the quick check; this one also
// reads every index entry against its row (docs/architecture.md, "Database health").
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace kiosk::app {

class IntegrityWatch {
public:
    // The first check `firstAfter` from now, then one every `every`.
    IntegrityWatch(std::filesystem::path database, std::chrono::milliseconds firstAfter, std::chrono::milliseconds every);
    ~IntegrityWatch();  // stops a check in progress at its end and joins
    IntegrityWatch(const IntegrityWatch&) = delete;
    IntegrityWatch& operator=(const IntegrityWatch&) = delete;

    // SQLite's first finding once a check found damage (it names pages and
    // tables, never a row's content); nullopt while the file is sound.
    std::optional<std::string> damage() const;

private:
    void run(std::chrono::milliseconds firstAfter, std::chrono::milliseconds every);

    std::filesystem::path m_database;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;
    std::optional<std::string> m_damage;
    std::thread m_thread;  // last: starts once the members above exist
};

} // namespace kiosk::app

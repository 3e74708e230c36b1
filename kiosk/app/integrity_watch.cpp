#include "kiosk/app/integrity_watch.hpp"

#include "kiosk/app/printable.hpp"
#include "sync/sqlite/database.hpp"

#include <iostream>

namespace kiosk::app {

IntegrityWatch::IntegrityWatch(std::filesystem::path database, std::chrono::milliseconds firstAfter, std::chrono::milliseconds every)
    : m_database(std::move(database)), m_thread([this, firstAfter, every] { run(firstAfter, every); }) {}

IntegrityWatch::~IntegrityWatch() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

std::optional<std::string> IntegrityWatch::damage() const {
    std::lock_guard lock(m_mutex);
    return m_damage;
}

void IntegrityWatch::run(std::chrono::milliseconds firstAfter, std::chrono::milliseconds every) {
    auto due = std::chrono::steady_clock::now() + firstAfter;
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            if (m_wake.wait_until(lock, due, [this] { return m_stopping; })) return;
        }
        due = std::chrono::steady_clock::now() + every;
        // Opened for each check and closed after it: nothing held between.
        auto db = edsync::sqlite::Database::openReadOnly(m_database);
        if (!db) {
            std::cerr << "testsite-kiosk: full database check could not open the file: " << printable(db.error().describe()) << "\n";
            continue;
        }
        auto findings = db->checkIntegrity(edsync::sqlite::Database::Check::Full, 1);
        if (!findings) {
            // Busy or out of memory: not damage; the next check tries again.
            std::cerr << "testsite-kiosk: full database check could not run: " << printable(findings.error().describe()) << "\n";
            continue;
        }
        if (findings->empty()) {
            std::cerr << "testsite-kiosk: full database check: ok\n";  // once a day: the technician's proof it runs
            continue;
        }
        std::lock_guard lock(m_mutex);
        m_damage = findings->front();
        return;  // damage stays found: nothing more to check
    }
}

} // namespace kiosk::app

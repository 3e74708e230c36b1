#include "kiosk/app/store_files_watch.hpp"

namespace kiosk::app {

StoreFilesWatch::StoreFilesWatch(std::filesystem::path database, store::StoreFileIds taken, std::chrono::milliseconds every)
    : m_database(std::move(database)), m_taken(taken), m_thread([this, every] { run(every); }) {}

StoreFilesWatch::~StoreFilesWatch() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

std::optional<std::filesystem::path> StoreFilesWatch::changed() const {
    std::lock_guard lock(m_mutex);
    return m_changed;
}

void StoreFilesWatch::run(std::chrono::milliseconds every) {
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            if (m_wake.wait_for(lock, every, [this] { return m_stopping; })) return;
        }
        if (auto file = store::changedStoreFile(m_database, m_taken)) {
            std::lock_guard lock(m_mutex);
            m_changed = std::move(file);
            return;  // found once: the window stops writing
        }
    }
}

} // namespace kiosk::app

#pragma once
// The window's watch on kiosk.db, its -wal and its -shm (kiosk/store/store_files.hpp):
// their identities, taken as soon as the store is open, compared every
// `every` on its own thread (a stat each: nothing on the render thread).
#include "kiosk/store/store_files.hpp"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

namespace kiosk::app {

class StoreFilesWatch {
public:
    StoreFilesWatch(std::filesystem::path database, store::StoreFileIds taken, std::chrono::milliseconds every);
    ~StoreFilesWatch();  // joins
    StoreFilesWatch(const StoreFilesWatch&) = delete;
    StoreFilesWatch& operator=(const StoreFilesWatch&) = delete;

    const store::StoreFileIds& taken() const { return m_taken; }
    // The first file found removed or replaced; it stays found.
    std::optional<std::filesystem::path> changed() const;

private:
    void run(std::chrono::milliseconds every);

    std::filesystem::path m_database;
    store::StoreFileIds m_taken;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;
    std::optional<std::filesystem::path> m_changed;
    std::thread m_thread;  // last: starts once the members above exist
};

} // namespace kiosk::app

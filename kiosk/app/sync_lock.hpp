#pragma once
// One sync engine per database: whoever runs the engine (the background
// service, the kiosk window, `testsite-kioskctl sync`) first holds an
// exclusive lock on <data dir>/sync.lock, which records its process id. A
// second engine on the same file would hand the first one's claims back to
// the queue (SyncEngine::start releases in-flight rows).
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace kiosk::app {

class SyncLock {
public:
    struct Holder {
        pid_t pid = 0;
        std::string role;  // "serve", "kiosk", "kioskctl"
    };
    // Takes the lock without waiting, recording this process and its role;
    // nothing when another process holds it (`holder` then says who, when
    // known) or the file cannot be opened (`error` says why).
    static std::optional<SyncLock> tryAcquire(const std::filesystem::path& dataDir, std::string_view role,
                                              std::optional<Holder>& holder, std::string& error);
    SyncLock(SyncLock&& other) noexcept;
    SyncLock& operator=(SyncLock&& other) noexcept;
    SyncLock(const SyncLock&) = delete;
    SyncLock& operator=(const SyncLock&) = delete;
    ~SyncLock();  // releases (closing the descriptor drops the lock)

    static std::filesystem::path fileIn(const std::filesystem::path& dataDir) { return dataDir / "sync.lock"; }

private:
    explicit SyncLock(int fd) : m_fd(fd) {}
    int m_fd = -1;
};

} // namespace kiosk::app

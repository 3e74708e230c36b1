#include "kiosk/app/sync_lock.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace kiosk::app {

std::optional<SyncLock> SyncLock::tryAcquire(const std::filesystem::path& dataDir, std::string_view role, std::optional<Holder>& holder,
                                             std::string& error) {
    holder.reset();
    const auto file = fileIn(dataDir);
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = "cannot open " + file.string() + ": " + std::strerror(errno);
        return std::nullopt;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char buf[64] = {};
        ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
        if (n > 0) {
            char* end = nullptr;
            long pid = std::strtol(buf, &end, 10);
            if (pid > 0) {
                Holder h;
                h.pid = static_cast<pid_t>(pid);
                while (end && (*end == ' ')) ++end;
                while (end && *end && *end != '\n') h.role.push_back(*end++);
                holder = std::move(h);
            }
        }
        ::close(fd);
        return std::nullopt;
    }
    std::string pid = std::to_string(::getpid()) + " " + std::string(role) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        // The lock holds without the pid; only `kioskctl sync`'s nudge needs it.
    }
    return SyncLock(fd);
}

SyncLock::SyncLock(SyncLock&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }

SyncLock& SyncLock::operator=(SyncLock&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0) ::close(m_fd);
        m_fd = other.m_fd;
        other.m_fd = -1;
    }
    return *this;
}

SyncLock::~SyncLock() {
    if (m_fd >= 0) ::close(m_fd);
}

} // namespace kiosk::app

// One TLS connection used by one thread at a time.
//
// libnats 3.4 (Debian 12's) reads a TLS connection on its reader thread and
// writes it from its flusher and the publishing threads, calling SSL_read and
// SSL_write on the same SSL object at once. OpenSSL does not allow that: it
// corrupted the heap of kiosks linked to a hub over TLS (ThreadSanitizer: a
// write into libssl's record buffer racing a read; a site run's aborts in
// malloc). nats.c fixed it upstream with a lock around both calls (its pull
// request 913), in a release Debian 12 does not have. So this executable
// provides SSL_read, SSL_write, SSL_get_error and SSL_shutdown itself: each
// takes a lock for its SSL object and calls OpenSSL's own (docs/site.md,
// "TLS to the hub"). libcurl's calls come here too; its sockets do not block,
// so for it the lock is all this adds.
//
// A blocking socket (libnats's reader) is waited on for data outside the lock,
// so a read waiting for the hub never holds a write back.
#include "sync/site/tls_serialise.hpp"

#include <openssl/ssl.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <mutex>

namespace edsync::site {

namespace {

template <class Fn>
Fn next(const char* name) {
    void* fn = dlsym(RTLD_NEXT, name);
    if (fn == nullptr) std::abort();  // libssl is loaded with whatever calls us
    return reinterpret_cast<Fn>(fn);
}

// OpenSSL's own functions, found once.
struct OpenSsl {
    int (*read)(SSL*, void*, int) = next<decltype(read)>("SSL_read");
    int (*write)(SSL*, const void*, int) = next<decltype(write)>("SSL_write");
    int (*error)(const SSL*, int) = next<decltype(error)>("SSL_get_error");
    int (*shutdown)(SSL*) = next<decltype(shutdown)>("SSL_shutdown");
};
const OpenSsl& openssl() {
    static const OpenSsl fns;
    return fns;
}

// Striped: an SSL object always maps to the same lock, and no table of
// objects has to follow SSL_free.
std::mutex& lockFor(const SSL* ssl) {
    static std::array<std::mutex, 64> locks;
    return locks[(reinterpret_cast<std::uintptr_t>(ssl) >> 4) % locks.size()];
}

// SSL_get_error reads what the last call on the object left: another thread's
// call in between would change it. So a failing call's error is taken under
// its lock and kept for this thread's SSL_get_error that follows.
struct LastFailure {
    const SSL* ssl = nullptr;
    int ret = 0;
    int error = 0;
};
thread_local LastFailure t_last;

int finish(SSL* ssl, int ret) {
    if (ret <= 0) t_last = LastFailure{ssl, ret, openssl().error(ssl, ret)};
    return ret;
}

bool blocking(int fd) {
    const int flags = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
    return flags >= 0 && (flags & O_NONBLOCK) == 0;
}

void waitReadable(int fd) {
    pollfd p{fd, POLLIN, 0};
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
}

} // namespace

void keepTlsSerialised() {}

} // namespace edsync::site

using edsync::site::lockFor;

extern "C" int SSL_read(SSL* ssl, void* buf, int num) {
    std::unique_lock lock(lockFor(ssl));
    const int fd = SSL_get_rfd(ssl);
    if (SSL_has_pending(ssl) == 0 && edsync::site::blocking(fd)) {
        lock.unlock();
        edsync::site::waitReadable(fd);
        lock.lock();
    }
    return edsync::site::finish(ssl, edsync::site::openssl().read(ssl, buf, num));
}

extern "C" int SSL_write(SSL* ssl, const void* buf, int num) {
    std::lock_guard lock(lockFor(ssl));
    return edsync::site::finish(ssl, edsync::site::openssl().write(ssl, buf, num));
}

extern "C" int SSL_get_error(const SSL* ssl, int ret) {
    auto& last = edsync::site::t_last;
    if (last.ssl == ssl && last.ret == ret && ssl != nullptr) {
        last.ssl = nullptr;
        return last.error;
    }
    std::lock_guard lock(lockFor(ssl));
    return edsync::site::openssl().error(ssl, ret);
}

extern "C" int SSL_shutdown(SSL* ssl) {
    std::lock_guard lock(lockFor(ssl));
    return edsync::site::openssl().shutdown(ssl);
}

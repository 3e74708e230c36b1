#include "tcp_relay.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace kiosk::durability {

namespace {

sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    return a;
}

// Sends all of it; false when the peer has gone.
bool sendAll(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        ssize_t sent = ::send(fd, p, n, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        if (sent <= 0) return false;
        p += sent;
        n -= static_cast<std::size_t>(sent);
    }
    return true;
}

} // namespace

TcpRelay::TcpRelay(int targetPort) : m_target(targetPort) {
    m_listen = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(m_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    if (m_listen < 0 || ::bind(m_listen, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(m_listen, 64) != 0 ||
        ::getsockname(m_listen, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("tcp relay: cannot listen on loopback");
    m_port = ntohs(a.sin_port);
    m_thread = std::thread([this] { run(); });
}

TcpRelay::~TcpRelay() {
    m_stop = true;
    m_thread.join();
    closeAll();
    ::close(m_listen);
}

void TcpRelay::closeAll() {
    for (auto& p : m_pairs) {
        ::close(p.client);
        ::close(p.upstream);
    }
    m_pairs.clear();
}

void TcpRelay::run() {
    std::vector<pollfd> fds;
    char buf[64 * 1024];
    while (!m_stop) {
        if (m_reset.exchange(false)) closeAll();
        const bool cut = m_cut;
        fds.clear();
        // While cut nothing is read: bytes and new connections wait in the
        // kernel's buffers and backlog, as they would behind a dead link.
        if (!cut) {
            fds.push_back({m_listen, POLLIN, 0});
            for (const auto& p : m_pairs) {
                fds.push_back({p.client, POLLIN, 0});
                fds.push_back({p.upstream, POLLIN, 0});
            }
        }
        int ready = ::poll(fds.data(), fds.size(), 20);
        if (ready <= 0 || cut) continue;
        std::vector<bool> dead(m_pairs.size(), false);
        for (std::size_t i = 0; i < m_pairs.size(); ++i) {
            for (int side = 0; side < 2; ++side) {
                const pollfd& f = fds[1 + 2 * i + static_cast<std::size_t>(side)];
                if (dead[i] || !(f.revents & (POLLIN | POLLHUP | POLLERR))) continue;
                const int from = side == 0 ? m_pairs[i].client : m_pairs[i].upstream;
                const int to = side == 0 ? m_pairs[i].upstream : m_pairs[i].client;
                ssize_t n = ::recv(from, buf, sizeof buf, 0);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0 || !sendAll(to, buf, static_cast<std::size_t>(n))) dead[i] = true;
            }
        }
        for (std::size_t i = m_pairs.size(); i-- > 0;)
            if (dead[i]) {
                ::close(m_pairs[i].client);
                ::close(m_pairs[i].upstream);
                m_pairs.erase(m_pairs.begin() + static_cast<std::ptrdiff_t>(i));
            }
        if (fds[0].revents & POLLIN) {
            int client = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) continue;
            int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in a = loopback(m_target);
            if (upstream < 0 || ::connect(upstream, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
                // The hub is down: the kiosk sees a refused connection, as it would.
                ::close(client);
                if (upstream >= 0) ::close(upstream);
                continue;
            }
            ++m_accepted;
            m_pairs.push_back({client, upstream});
        }
    }
}

} // namespace kiosk::durability

// A TCP relay that holds every chunk for a fixed one-way delay in each
// direction: with it, a link built in network namespaces gets a round trip
// of 2 x delay for everything the applications exchange (tc netem is not
// available here; DESIGN.md §10). The TCP handshake to the relay itself is
// not delayed, and the relay acknowledges at once, so TCP's own round trip
// stays the link's: a mild flattery, said beside the figures.
//
//   delay-proxy LISTEN_ADDR LISTEN_PORT UPSTREAM_ADDR UPSTREAM_PORT ONE_WAY_MS
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;

struct Chunk {
    Clock::time_point due;
    std::string data;  // empty: the end of the stream
};

// One direction: a reader stamps each chunk, a writer sends it when due.
class Pipe {
public:
    Pipe(int from, int to, std::chrono::milliseconds delay) : m_from(from), m_to(to), m_delay(delay) {}
    void run() {
        std::thread writer([this] { write(); });
        char buffer[16384];
        for (;;) {
            ssize_t n = ::read(m_from, buffer, sizeof buffer);
            std::lock_guard lock(m_mutex);
            m_queue.push_back(Chunk{Clock::now() + m_delay, n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string()});
            m_ready.notify_one();
            if (n <= 0) break;
        }
        writer.join();
    }

private:
    void write() {
        for (;;) {
            Chunk chunk;
            {
                std::unique_lock lock(m_mutex);
                m_ready.wait(lock, [this] { return !m_queue.empty(); });
                chunk = std::move(m_queue.front());
                m_queue.pop_front();
            }
            std::this_thread::sleep_until(chunk.due);
            if (chunk.data.empty()) {
                ::shutdown(m_to, SHUT_WR);
                return;
            }
            std::size_t sent = 0;
            while (sent < chunk.data.size()) {
                ssize_t n = ::write(m_to, chunk.data.data() + sent, chunk.data.size() - sent);
                if (n <= 0) {
                    ::shutdown(m_from, SHUT_RDWR);  // the other side is gone: end the reader too
                    return;
                }
                sent += static_cast<std::size_t>(n);
            }
        }
    }

    int m_from;
    int m_to;
    std::chrono::milliseconds m_delay;
    std::mutex m_mutex;
    std::condition_variable m_ready;
    std::deque<Chunk> m_queue;
};

sockaddr_in address(const char* host, int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        std::fprintf(stderr, "delay-proxy: %s is not an IPv4 address\n", host);
        std::exit(2);
    }
    return a;
}

void relay(int client, sockaddr_in upstream, std::chrono::milliseconds delay) {
    int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&upstream), sizeof upstream) != 0) {
        ::close(client);
        if (server >= 0) ::close(server);
        return;
    }
    int one = 1;
    ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Pipe up(client, server, delay);
    Pipe down(server, client, delay);
    std::thread t([&down] { down.run(); });
    up.run();
    t.join();
    ::close(client);
    ::close(server);
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: delay-proxy LISTEN_ADDR LISTEN_PORT UPSTREAM_ADDR UPSTREAM_PORT ONE_WAY_MS\n");
        return 2;
    }
    const sockaddr_in listenAt = address(argv[1], std::atoi(argv[2]));
    const sockaddr_in upstream = address(argv[3], std::atoi(argv[4]));
    const std::chrono::milliseconds delay(std::atoi(argv[5]));
    int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listener, reinterpret_cast<const sockaddr*>(&listenAt), sizeof listenAt) != 0 || ::listen(listener, 128) != 0) {
        std::perror("delay-proxy: bind/listen");
        return 1;
    }
    std::printf("listening on %s:%s, %d ms each way\n", argv[1], argv[2], static_cast<int>(delay.count()));
    std::fflush(stdout);
    for (;;) {
        int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        std::thread(relay, client, upstream, delay).detach();
    }
}

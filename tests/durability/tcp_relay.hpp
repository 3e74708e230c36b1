#pragma once
// A loopback TCP relay between one kiosk and the hub, so a harness can
// partition that kiosk from the site while both keep running. cut() is a
// partition as a LAN has it: bytes stop both ways and no new connection gets
// through, but nothing is closed (no FIN, no RST: each side finds out by its
// own time-outs); heal() lets the held bytes and connections through again.
// reset() instead closes every relayed connection at once (a switch reboot).
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace kiosk::durability {

class TcpRelay {
public:
    // Listens on a free loopback port and forwards to 127.0.0.1:targetPort.
    explicit TcpRelay(int targetPort);
    ~TcpRelay();
    TcpRelay(const TcpRelay&) = delete;
    TcpRelay& operator=(const TcpRelay&) = delete;

    int port() const { return m_port; }
    void cut() { m_cut = true; }
    void heal() { m_cut = false; }
    bool isCut() const { return m_cut; }
    void reset() { m_reset = true; }
    std::int64_t connections() const { return m_accepted; }

private:
    struct Pair {
        int client = -1;
        int upstream = -1;
    };
    void run();
    void closeAll();

    int m_target;
    int m_listen = -1;
    int m_port = 0;
    std::atomic<bool> m_cut{false};
    std::atomic<bool> m_reset{false};
    std::atomic<bool> m_stop{false};
    std::atomic<std::int64_t> m_accepted{0};
    std::vector<Pair> m_pairs;  // the relay thread's only
    std::thread m_thread;
};

} // namespace kiosk::durability

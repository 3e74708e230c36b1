#pragma once
// A real nats-server with JetStream for tests: a free loopback port, its own
// store under `dir`, optionally TLS (a certificate made by sync::site) and a
// user/password (a config written by sync::site's hub config). start() waits
// until the server greets a TCP client (bounded polling, no fixed sleeps);
// kill() is SIGKILL; start() again reuses the port and the store.
#include <filesystem>
#include <string>
#include <sys/types.h>

namespace kiosk::test {

struct NatsHubOptions {
    bool tls = false;
    std::string user;      // set: authorization with this user and password
    std::string password;
};

class NatsHub {
public:
    explicit NatsHub(std::filesystem::path dir, NatsHubOptions options = {});
    ~NatsHub();
    NatsHub(const NatsHub&) = delete;
    NatsHub& operator=(const NatsHub&) = delete;

    // Starts (or restarts) the server; false with the log's tail in error() if it never got ready.
    bool start();
    void kill();  // SIGKILL, reaped
    void stop();  // SIGTERM, reaped
    bool running() const { return m_pid > 0; }
    // True (and reaped) when the server ended by itself, e.g. a crash: a
    // harness restarts it as systemd's Restart=on-failure would.
    bool exitedByItself();

    int port() const { return m_port; }
    pid_t pid() const { return m_pid; }
    std::string url() const;                        // nats://127.0.0.1:<port> or tls://...
    std::filesystem::path caFile() const;           // the server's own certificate (TLS only)
    const std::filesystem::path& configFile() const { return m_config; }
    const std::string& error() const { return m_error; }
    std::string logTail() const;  // a panic and what follows, or the last 2,000 bytes of the log, for a failing test to show

private:
    std::filesystem::path m_dir;
    NatsHubOptions m_options;
    std::filesystem::path m_config;
    int m_port = 0;
    pid_t m_pid = -1;
    std::string m_error;
    void reap(int signal);
};

// The nats-server program (Debian installs it in /usr/sbin); empty if absent.
std::string natsServerPath();

} // namespace kiosk::test

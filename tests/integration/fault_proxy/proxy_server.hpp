#pragma once
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fault_proxy/fault_plan.hpp"
#include "fault_proxy/http_message.hpp"
#include "fault_proxy/tls_socket.hpp"
#include "fault_proxy/upstream_client.hpp"

namespace fault_proxy {

struct ProxyConfig {
    std::string certFile;
    std::string keyFile;
    int port = 0;
    UpstreamTarget upstream;
    std::uint64_t seed = 1;
    bool logRequests = true;
};

// Terminates TLS, forwards each request to the upstream and, as the fault
// plan says, breaks the exchange on the wire. /_proxy/ is its own control
// surface; /_test/ passes straight to the double, never faulted.
class ProxyServer {
public:
    explicit ProxyServer(ProxyConfig config);
    ~ProxyServer();
    ProxyServer(const ProxyServer&) = delete;
    ProxyServer& operator=(const ProxyServer&) = delete;

    // Binds the listening socket; an error message on failure.
    std::optional<std::string> open();
    int port() const;
    // Accepts and serves connections until stop().
    void run();
    // Ends stalls, interrupts open connections, lets run() return.
    void stop();

    FaultPlan& plan() { return m_plan; }

private:
    enum class Next { KeepOpen, Closed };

    void serveConnection(int fd);
    Next handleRequest(TlsConnection& connection, const ProxyRequest& request);
    Next reply(TlsConnection& connection, const ProxyResponse& response, bool keepAlive);
    ProxyResponse control(const ProxyRequest& request);
    ProxyResponse forward(const ProxyRequest& request);
    // Sleeps up to `seconds`; returns early when the proxy stops.
    void waitOrStop(int seconds);
    void reapFinishedWorkers();
    void log(const ProxyRequest& request, std::string_view outcome);
    // Holds a blackholed request until the mode changes or the proxy stops.
    void holdWhileBlackholed();

    ProxyConfig m_config;
    FaultPlan m_plan;
    UpstreamClient m_upstream;
    std::unique_ptr<TlsListener> m_listener;

    std::mutex m_mutex; // guards everything below
    std::condition_variable m_stopSignal;
    bool m_stopping = false;
    std::map<std::uint64_t, TlsConnection*> m_liveConnections;
    struct Worker {
        std::thread thread;
        std::shared_ptr<bool> finished; // written under m_mutex
    };
    std::vector<Worker> m_workers;
    std::uint64_t m_nextConnectionId = 0;
    // Every proxied request in arrival order: "METHOD /path outcome" (GET /_proxy/log).
    std::vector<std::string> m_requestLog;
};

} // namespace fault_proxy

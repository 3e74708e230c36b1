#include "fault_proxy/proxy_server.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace fault_proxy {

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;

ProxyResponse jsonReply(int status, const nlohmann::json& body) {
    ProxyResponse response;
    response.status = status;
    response.headers.emplace_back("Content-Type", "application/json");
    response.body = body.dump();
    return response;
}

std::string pathOf(const std::string& target) {
    return target.substr(0, target.find('?'));
}

} // namespace

ProxyServer::ProxyServer(ProxyConfig config)
    : m_config(std::move(config)), m_plan(m_config.seed), m_upstream(m_config.upstream) {}

ProxyServer::~ProxyServer() {
    stop();
    for (auto& worker : m_workers) {
        if (worker.thread.joinable()) worker.thread.join();
    }
}

std::optional<std::string> ProxyServer::open() {
    std::string error;
    m_listener = TlsListener::open(m_config.certFile, m_config.keyFile, m_config.port, error);
    if (!m_listener) return error;
    return std::nullopt;
}

int ProxyServer::port() const {
    return m_listener ? m_listener->port() : -1;
}

void ProxyServer::run() {
    while (true) {
        int fd = m_listener->accept();
        if (fd < 0) break;
        std::lock_guard lock(m_mutex);
        reapFinishedWorkers();
        if (m_stopping) {
            close(fd);
            break;
        }
        auto finished = std::make_shared<bool>(false);
        m_workers.push_back(Worker{std::thread([this, fd, finished] {
                                       serveConnection(fd);
                                       std::lock_guard done(m_mutex);
                                       *finished = true;
                                   }),
                                   finished});
    }
    // Wait for the connections still open: stop() has interrupted them.
    std::vector<Worker> remaining;
    {
        std::lock_guard lock(m_mutex);
        remaining.swap(m_workers);
    }
    for (auto& worker : remaining)
        worker.thread.join();
}

void ProxyServer::reapFinishedWorkers() {
    for (auto it = m_workers.begin(); it != m_workers.end();) {
        if (*it->finished) {
            it->thread.join(); // already past its last lock: returns at once
            it = m_workers.erase(it);
        } else {
            ++it;
        }
    }
}

void ProxyServer::stop() {
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping) return;
        m_stopping = true;
        for (auto& [id, connection] : m_liveConnections)
            connection->interrupt();
    }
    m_stopSignal.notify_all();
    if (m_listener) m_listener->stop();
}

void ProxyServer::waitOrStop(int seconds) {
    std::unique_lock lock(m_mutex);
    m_stopSignal.wait_for(lock, std::chrono::seconds(seconds), [this] { return m_stopping; });
}

void ProxyServer::serveConnection(int fd) {
    TlsConnection connection(m_listener->context(), fd);
    std::uint64_t id = 0;
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping) return;
        id = ++m_nextConnectionId;
        m_liveConnections[id] = &connection;
    }
    struct Unregister {
        ProxyServer& server;
        std::uint64_t id;
        ~Unregister() {
            std::lock_guard lock(server.m_mutex);
            server.m_liveConnections.erase(id);
        }
    } unregister{*this, id};

    if (!connection.handshake()) return;
    RequestParser parser;
    std::string buffer(kReadChunk, '\0');
    while (true) {
        RequestParser::State state = parser.feed({});
        while (state == RequestParser::State::NeedMore) {
            // curl waits for this before sending a large body.
            if (parser.takeContinueDue() && !connection.writeAll("HTTP/1.1 100 Continue\r\n\r\n")) return;
            std::size_t got = connection.read(buffer.data(), buffer.size());
            if (got == 0) return;
            state = parser.feed(std::string_view(buffer.data(), got));
        }
        if (state == RequestParser::State::Error) {
            reply(connection, problemReply(400, "fault-proxy could not read the request: " + parser.error()), false);
            return;
        }
        if (handleRequest(connection, parser.take()) == Next::Closed) return;
    }
}

ProxyServer::Next ProxyServer::reply(TlsConnection& connection, const ProxyResponse& response, bool keepAlive) {
    if (!connection.writeAll(serializeResponse(response, keepAlive))) return Next::Closed;
    if (keepAlive) return Next::KeepOpen;
    connection.closeGracefully();
    return Next::Closed;
}

ProxyResponse ProxyServer::forward(const ProxyRequest& request) {
    std::string error;
    auto response = m_upstream.send(request, error);
    if (!response) return problemReply(502, "fault-proxy: the upstream did not answer: " + error);
    m_plan.recordForwarded();
    return *response;
}

ProxyServer::Next ProxyServer::handleRequest(TlsConnection& connection, const ProxyRequest& request) {
    const bool keepAlive = request.keepAlive();
    const std::string path = pathOf(request.target);
    if (path.starts_with("/_proxy/")) return reply(connection, control(request), keepAlive);
    if (path.starts_with("/_test/")) return reply(connection, forward(request), keepAlive);

    const FaultDecision decision = m_plan.next(request.method);
    if (decision.hold) {
        // A dead link: nothing comes back, and the connection does not outlive the outage.
        log(request, "held");
        holdWhileBlackholed();
        connection.closeWithoutNotify();
        return Next::Closed;
    }
    if (!decision.fault) {
        ProxyResponse response = forward(request);
        log(request, std::to_string(response.status));
        return reply(connection, response, keepAlive);
    }
    log(request, "fault " + std::string(faultName(*decision.fault)));

    switch (*decision.fault) {
    case FaultKind::Reset: connection.closeWithReset(); return Next::Closed;
    case FaultKind::Stall:
        waitOrStop(decision.stallSeconds);
        connection.closeWithoutNotify();
        return Next::Closed;
    case FaultKind::Truncate:
        connection.writeAll(truncateSerialized(serializeResponse(forward(request), keepAlive)));
        connection.closeWithoutNotify();
        return Next::Closed;
    case FaultKind::TooManyRequests: {
        ProxyResponse response = problemReply(429, "fault-proxy: injected 429 Too Many Requests");
        response.headers.emplace_back("Retry-After", std::to_string(decision.retryAfterSeconds));
        return reply(connection, response, keepAlive);
    }
    case FaultKind::InternalError: return reply(connection, problemReply(500, "fault-proxy: injected 500"), keepAlive);
    case FaultKind::ServiceUnavailable:
        return reply(connection, problemReply(503, "fault-proxy: injected 503"), keepAlive);
    case FaultKind::ExpireToken:
        if (!m_upstream.expireTokens()) {
            return reply(connection, problemReply(502, "fault-proxy: could not expire the upstream's tokens"),
                         keepAlive);
        }
        return reply(connection, forward(request), keepAlive);
    case FaultKind::CommitThenDrop:
        forward(request); // the upstream stores it; the client never hears
        connection.closeWithoutNotify();
        return Next::Closed;
    }
    return Next::Closed;
}

ProxyResponse ProxyServer::control(const ProxyRequest& request) {
    const std::string path = pathOf(request.target);
    if (path == "/_proxy/mode" && request.method == "POST") {
        auto body = nlohmann::json::parse(request.body, nullptr, false);
        if (auto error = m_plan.applyMode(body)) return jsonReply(400, {{"error", *error}});
        {
            // Wakes held requests when a blackhole ends (under the lock, so no waiter misses it).
            std::lock_guard lock(m_mutex);
            m_stopSignal.notify_all();
        }
        return jsonReply(200, m_plan.mode());
    }
    if (path == "/_proxy/mode" && request.method == "GET") return jsonReply(200, m_plan.mode());
    if (path == "/_proxy/stats" && request.method == "GET") return jsonReply(200, m_plan.stats());
    if (path == "/_proxy/log" && request.method == "GET") {
        std::lock_guard lock(m_mutex);
        return jsonReply(200, m_requestLog);
    }
    if (path == "/_proxy/stats/reset" && request.method == "POST") {
        m_plan.resetStats();
        {
            std::lock_guard lock(m_mutex);
            m_requestLog.clear();
        }
        return jsonReply(200, m_plan.stats());
    }
    return jsonReply(404, {{"error", "unknown control endpoint " + request.method + " " + path}});
}

void ProxyServer::holdWhileBlackholed() {
    std::unique_lock lock(m_mutex);
    m_stopSignal.wait(lock, [this] { return m_stopping || !m_plan.blackholed(); });
}

void ProxyServer::log(const ProxyRequest& request, std::string_view outcome) {
    {
        constexpr std::size_t kMaxLogEntries = 100000;
        std::lock_guard lock(m_mutex);
        if (m_requestLog.size() < kMaxLogEntries)
            m_requestLog.push_back(request.method + " " + pathOf(request.target) + " " + std::string(outcome));
    }
    if (!m_config.logRequests) return;
    std::fprintf(stderr, "fault-proxy: %s %s -> %.*s\n", request.method.c_str(), request.target.c_str(),
                 static_cast<int>(outcome.size()), outcome.data());
}

} // namespace fault_proxy

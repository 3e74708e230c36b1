#include "edfi_double/https_server.hpp"

#include <cstdio>

#include <httplib.h>

#include "edfi_double/text_codec.hpp"

namespace edfi_double {

namespace {

// httplib keeps a worker per open connection until its keep-alive ends:
// two kiosks at 8 HTTP/1.1 connections each already fill 16, and a test's
// own question to the double then waits out its timeout. A state's API takes
// far more; 64 keeps the double from being the bottleneck.
constexpr std::size_t kWorkerThreads = 64;

bool isServerPseudoHeader(const std::string& name) {
    // httplib adds these to every request; they are not from the client.
    return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" || name == "LOCAL_PORT";
}

HttpRequest fromHttplib(const httplib::Request& in) {
    HttpRequest out;
    out.method = in.method;
    out.path = in.path;
    // Query taken from the raw target: httplib merges form bodies into params.
    if (auto question = in.target.find('?'); question != std::string::npos) {
        out.query = parseFormUrlEncoded(std::string_view(in.target).substr(question + 1));
    }
    for (const auto& [name, value] : in.headers) {
        if (!isServerPseudoHeader(name)) out.headers.emplace(name, value);
    }
    out.body = in.body;
    return out;
}

void toHttplib(const HttpResponse& in, httplib::Response& out) {
    out.status = in.status;
    std::string contentType;
    for (const auto& [name, value] : in.headers) {
        if (toLowerAscii(name) == "content-type") {
            contentType = value;
        } else {
            out.set_header(name, value);
        }
    }
    if (!in.body.empty()) out.set_content(in.body, contentType);
}

} // namespace

HttpsServer::HttpsServer(Api& api, const std::string& certFile, const std::string& keyFile, bool logRequests)
    : m_api(api), m_logRequests(logRequests),
      m_server(std::make_unique<httplib::SSLServer>(certFile.c_str(), keyFile.c_str())) {
    m_server->new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
    // A kiosk keeps one connection open and sends many requests down it.
    m_server->set_keep_alive_max_count(100000);
    m_server->set_keep_alive_timeout(30);

    auto handler = [this](const httplib::Request& request, httplib::Response& response) {
        HttpResponse reply = m_api.handle(fromHttplib(request));
        toHttplib(reply, response);
        if (m_logRequests) {
            std::fprintf(stderr, "edfi-double: %s %s -> %d\n", request.method.c_str(), request.target.c_str(),
                         reply.status);
        }
    };
    // Api::handle dates its own replies; this covers what httplib answers itself.
    m_server->set_post_routing_handler([](const httplib::Request&, httplib::Response& response) {
        if (!response.has_header("Date")) response.set_header("Date", httpDate(systemNow()));
    });
    const std::string everything = "(.*)";
    m_server->Get(everything, handler);
    m_server->Post(everything, handler);
    m_server->Put(everything, handler);
    m_server->Patch(everything, handler);
    m_server->Delete(everything, handler);
    m_server->Options(everything, handler);
}

HttpsServer::~HttpsServer() = default;

bool HttpsServer::certificateLoaded() const {
    return m_server->is_valid();
}

int HttpsServer::bind(int port) {
    if (port == 0) return m_server->bind_to_any_port("127.0.0.1");
    return m_server->bind_to_port("127.0.0.1", port) ? port : -1;
}

bool HttpsServer::run() {
    return m_server->listen_after_bind();
}

void HttpsServer::stop() {
    m_server->stop();
}

} // namespace edfi_double

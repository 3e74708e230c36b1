#include "raw_tls_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace fault_proxy::testing {

namespace {

struct ContextFree {
    void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
};
struct SslFree {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
};

struct Socket {
    int fd = -1;
    ~Socket() {
        if (fd >= 0) close(fd);
    }
};

StreamEnd classify(SSL* ssl, int result, int savedErrno) {
    switch (SSL_get_error(ssl, result)) {
    case SSL_ERROR_ZERO_RETURN: return StreamEnd::CloseNotify;
    case SSL_ERROR_SYSCALL:
        if (savedErrno == ECONNRESET) return StreamEnd::Reset;
        if (savedErrno == EAGAIN || savedErrno == EWOULDBLOCK) return StreamEnd::Timeout;
        return savedErrno == 0 ? StreamEnd::Eof : StreamEnd::Error;
    case SSL_ERROR_SSL:
        // OpenSSL 3 reports a FIN without close_notify this way.
        if (ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) return StreamEnd::Eof;
        if (savedErrno == ECONNRESET) return StreamEnd::Reset;
        return StreamEnd::Error;
    default: return StreamEnd::Error;
    }
}

} // namespace

const char* toString(StreamEnd end) {
    switch (end) {
    case StreamEnd::CloseNotify: return "close_notify";
    case StreamEnd::Eof: return "eof";
    case StreamEnd::Reset: return "reset";
    case StreamEnd::Timeout: return "timeout";
    case StreamEnd::Error: return "error";
    }
    return "?";
}

RawExchange rawExchange(int port, const std::string& caFile, const std::string& request,
                        std::chrono::milliseconds readTimeout) {
    RawExchange exchange;
    std::unique_ptr<SSL_CTX, ContextFree> context(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_load_verify_locations(context.get(), caFile.c_str(), nullptr) != 1) return exchange;

    Socket socket_;
    socket_.fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(socket_.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return exchange;
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(readTimeout).count();
    timeval timeout{static_cast<time_t>(micros / 1000000), static_cast<suseconds_t>(micros % 1000000)};
    setsockopt(socket_.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

    std::unique_ptr<SSL, SslFree> ssl(SSL_new(context.get()));
    SSL_set_fd(ssl.get(), socket_.fd);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), "127.0.0.1");
    if (SSL_connect(ssl.get()) != 1) return exchange;
    if (SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())) != static_cast<int>(request.size())) {
        return exchange;
    }
    char buffer[16384];
    while (true) {
        ERR_clear_error();
        errno = 0;
        int got = SSL_read(ssl.get(), buffer, sizeof buffer);
        int savedErrno = errno;
        if (got > 0) {
            exchange.received.append(buffer, static_cast<std::size_t>(got));
            continue;
        }
        exchange.end = classify(ssl.get(), got, savedErrno);
        return exchange;
    }
}

} // namespace fault_proxy::testing

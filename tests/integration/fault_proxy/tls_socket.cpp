#include "fault_proxy/tls_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace fault_proxy {

namespace {

constexpr int kIdleSeconds = 60; // a silent client is dropped after this

std::string opensslError() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

void setTimeouts(int fd) {
  timeval timeout{kIdleSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
}

// Closing a socket with unread input makes Linux send RST and may discard
// bytes not yet delivered; reading until the peer closes keeps a truncated
// reply intact on the wire, ended by a plain FIN.
void drainUntilPeerCloses(int fd) {
  constexpr int kDrainMillis = 2000;
  char sink[4096];
  while (true) {
    pollfd watched{fd, POLLIN, 0};
    if (poll(&watched, 1, kDrainMillis) <= 0) return;
    if (recv(fd, sink, sizeof sink, MSG_DONTWAIT) <= 0) return;
  }
}

} // namespace

std::unique_ptr<TlsListener> TlsListener::open(const std::string& certFile, const std::string& keyFile, int port,
                                               std::string& error) {
  std::unique_ptr<TlsListener> listener(new TlsListener());
  listener->m_context = SSL_CTX_new(TLS_server_method());
  if (listener->m_context == nullptr) {
    error = opensslError();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(listener->m_context, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(listener->m_context, certFile.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(listener->m_context, keyFile.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(listener->m_context) != 1) {
    error = "cannot load " + certFile + " / " + keyFile + ": " + opensslError();
    return nullptr;
  }

  listener->m_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int yes = 1;
  setsockopt(listener->m_fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener->m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener->m_fd, SOMAXCONN) != 0) {
    error = "cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno);
    return nullptr;
  }
  socklen_t length = sizeof address;
  getsockname(listener->m_fd, reinterpret_cast<sockaddr*>(&address), &length);
  listener->m_port = ntohs(address.sin_port);
  if (pipe2(listener->m_wake, O_CLOEXEC) != 0) {
    error = std::string("pipe: ") + std::strerror(errno);
    return nullptr;
  }
  return listener;
}

TlsListener::~TlsListener() {
  if (m_fd >= 0) close(m_fd);
  for (int fd : m_wake) {
    if (fd >= 0) close(fd);
  }
  if (m_context != nullptr) SSL_CTX_free(m_context);
}

int TlsListener::accept() {
  while (!m_stopped) {
    pollfd watched[2] = {{m_fd, POLLIN, 0}, {m_wake[0], POLLIN, 0}};
    if (poll(watched, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (m_stopped || (watched[1].revents & POLLIN) != 0) return -1;
    if ((watched[0].revents & POLLIN) == 0) continue;
    int client = accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (client >= 0) return client;
    if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN) return -1;
  }
  return -1;
}

void TlsListener::stop() {
  m_stopped = true;
  char wake = 1;
  [[maybe_unused]] auto written = write(m_wake[1], &wake, 1);
}

TlsConnection::TlsConnection(SSL_CTX* context, int fd) : m_ssl(SSL_new(context)), m_fd(fd) {
  setTimeouts(fd);
  SSL_set_fd(m_ssl, fd);
}

TlsConnection::~TlsConnection() { closeGracefully(); }

bool TlsConnection::handshake() { return SSL_accept(m_ssl) == 1; }

std::size_t TlsConnection::read(char* buffer, std::size_t size) {
  if (m_ssl == nullptr) return 0;
  int wanted = size > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(size);
  int got = SSL_read(m_ssl, buffer, wanted);
  return got > 0 ? static_cast<std::size_t>(got) : 0;
}

bool TlsConnection::writeAll(std::string_view bytes) {
  while (!bytes.empty() && m_ssl != nullptr) {
    int chunk = bytes.size() > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(bytes.size());
    int sent = SSL_write(m_ssl, bytes.data(), chunk);
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
  return bytes.empty();
}

void TlsConnection::release() {
  if (m_ssl != nullptr) SSL_free(m_ssl);
  m_ssl = nullptr;
  if (m_fd >= 0) close(m_fd);
  m_fd = -1;
}

void TlsConnection::closeGracefully() {
  if (m_ssl != nullptr) SSL_shutdown(m_ssl);
  release();
}

void TlsConnection::closeWithoutNotify() {
  if (m_fd >= 0) {
    shutdown(m_fd, SHUT_WR);
    drainUntilPeerCloses(m_fd);
  }
  release();
}

void TlsConnection::closeWithReset() {
  if (m_fd >= 0) {
    linger abort{1, 0};
    setsockopt(m_fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  }
  release();
}

void TlsConnection::interrupt() {
  if (m_fd >= 0) shutdown(m_fd, SHUT_RDWR);
}

} // namespace fault_proxy

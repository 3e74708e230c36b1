#pragma once
#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace fault_proxy {

// A TLS listening socket on 127.0.0.1, with raw OpenSSL so the proxy owns
// every byte and can end a connection exactly as a fault demands.
class TlsListener {
public:
  // nullptr and `error` set when the certificate/key do not load or the port is taken.
  static std::unique_ptr<TlsListener> open(const std::string& certFile, const std::string& keyFile, int port,
                                           std::string& error);
  ~TlsListener();
  TlsListener(const TlsListener&) = delete;
  TlsListener& operator=(const TlsListener&) = delete;

  int port() const { return m_port; }
  SSL_CTX* context() const { return m_context; }
  // A connected socket, or -1 once stop() was called.
  int accept();
  // Wakes accept() from another thread.
  void stop();

private:
  TlsListener() = default;

  int m_fd = -1;
  int m_wake[2] = {-1, -1};
  int m_port = 0;
  SSL_CTX* m_context = nullptr;
  std::atomic<bool> m_stopped{false};
};

// One accepted TLS connection. Blocking I/O with socket timeouts.
class TlsConnection {
public:
  TlsConnection(SSL_CTX* context, int fd);
  ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  bool handshake();
  // Bytes read; 0 on end of stream, error or timeout.
  std::size_t read(char* buffer, std::size_t size);
  bool writeAll(std::string_view bytes);

  // close_notify, then FIN: an orderly end.
  void closeGracefully();
  // FIN with no close_notify: the peer sees the stream end mid-message.
  void closeWithoutNotify();
  // SO_LINGER 0: the kernel sends RST and drops anything unsent.
  void closeWithReset();
  // From another thread: make a blocked read return (used on shutdown).
  void interrupt();

private:
  void release();

  SSL* m_ssl = nullptr;
  int m_fd = -1;
};

} // namespace fault_proxy

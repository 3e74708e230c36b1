#pragma once
#include <memory>
#include <string>

#include "edfi_double/api.hpp"

namespace httplib {
class SSLServer;
}

namespace edfi_double {

// Serves an Api over HTTPS with cpp-httplib, on 127.0.0.1 only.
class HttpsServer {
public:
  HttpsServer(Api& api, const std::string& certFile, const std::string& keyFile, bool logRequests);
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  bool certificateLoaded() const;
  // Binds and listens; returns the port (a free one for 0) or -1.
  int bind(int port);
  // Accepts connections until stop(); blocks.
  bool run();
  void stop();

private:
  Api& m_api;
  bool m_logRequests;
  std::unique_ptr<httplib::SSLServer> m_server;
};

} // namespace edfi_double

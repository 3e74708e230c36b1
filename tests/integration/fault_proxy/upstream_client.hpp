#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "fault_proxy/http_message.hpp"

namespace fault_proxy {

struct UpstreamTarget {
  std::string host;
  int port = 443;
  std::string caFile; // the upstream's certificate is always verified
};

// "https://127.0.0.1:8443" (a trailing slash is fine); nullopt otherwise.
std::optional<UpstreamTarget> parseHttpsUrl(std::string_view url, const std::string& caFile);

// Sends each request to the upstream on a fresh TLS connection: simple, and
// a fault on one request cannot leave another's connection half-used.
class UpstreamClient {
public:
  explicit UpstreamClient(UpstreamTarget target);

  // The upstream's reply, or nullopt with `error` describing why none came.
  std::optional<ProxyResponse> send(const ProxyRequest& request, std::string& error) const;
  // POST /_test/expire-tokens on the double.
  bool expireTokens() const;

private:
  UpstreamTarget m_target;
};

} // namespace fault_proxy

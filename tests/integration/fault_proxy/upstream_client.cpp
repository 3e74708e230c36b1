#include "fault_proxy/upstream_client.hpp"

#include <charconv>

#include <httplib.h>

namespace fault_proxy {

namespace {

constexpr int kConnectSeconds = 5;
constexpr int kReadSeconds = 120;

void configure(httplib::SSLClient& client, const UpstreamTarget& target) {
  client.set_ca_cert_path(target.caFile.c_str());
  client.enable_server_certificate_verification(true);
  client.set_keep_alive(false);
  // Bytes pass through untouched: no decompression, no re-encoding of the target.
  client.set_decompress(false);
  client.set_url_encode(false);
  client.set_connection_timeout(kConnectSeconds);
  client.set_read_timeout(kReadSeconds);
  client.set_write_timeout(kReadSeconds);
}

} // namespace

std::optional<UpstreamTarget> parseHttpsUrl(std::string_view url, const std::string& caFile) {
  constexpr std::string_view kScheme = "https://";
  if (!url.starts_with(kScheme)) return std::nullopt;
  url.remove_prefix(kScheme.size());
  while (url.ends_with('/')) url.remove_suffix(1);
  if (url.empty() || url.find('/') != std::string_view::npos) return std::nullopt;
  UpstreamTarget target;
  target.caFile = caFile;
  std::size_t colon = url.rfind(':');
  if (colon == std::string_view::npos) {
    target.host = std::string(url);
    return target;
  }
  target.host = std::string(url.substr(0, colon));
  std::string_view portText = url.substr(colon + 1);
  auto [end, error] = std::from_chars(portText.data(), portText.data() + portText.size(), target.port);
  if (error != std::errc() || end != portText.data() + portText.size() || target.port <= 0 || target.port > 65535 ||
      target.host.empty()) {
    return std::nullopt;
  }
  return target;
}

UpstreamClient::UpstreamClient(UpstreamTarget target) : m_target(std::move(target)) {}

std::optional<ProxyResponse> UpstreamClient::send(const ProxyRequest& request, std::string& error) const {
  httplib::SSLClient client(m_target.host, m_target.port);
  configure(client, m_target);
  httplib::Request outgoing;
  outgoing.method = request.method;
  outgoing.path = request.target;
  // Host passes through so the double's links point back at the proxy.
  for (const auto& [name, value] : request.headers) {
    if (!isHopByHopHeader(name)) outgoing.headers.emplace(name, value);
  }
  outgoing.body = request.body;

  httplib::Result result = client.send(outgoing);
  if (!result) {
    error = httplib::to_string(result.error());
    return std::nullopt;
  }
  ProxyResponse response;
  response.status = result->status;
  for (const auto& [name, value] : result->headers) {
    if (!isHopByHopHeader(name)) response.headers.emplace_back(name, value);
  }
  response.body = result->body;
  return response;
}

bool UpstreamClient::expireTokens() const {
  httplib::SSLClient client(m_target.host, m_target.port);
  configure(client, m_target);
  auto result = client.Post("/_test/expire-tokens", "{}", "application/json");
  return result && result->status == 200;
}

} // namespace fault_proxy

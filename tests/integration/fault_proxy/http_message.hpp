#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fault_proxy {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

std::optional<std::string> findHeader(const HeaderList& headers, std::string_view name);
bool isHopByHopHeader(std::string_view name);

struct ProxyRequest {
  std::string method;
  std::string target; // path and query as sent
  std::string version; // "HTTP/1.1"
  HeaderList headers;
  std::string body; // de-chunked

  std::optional<std::string> header(std::string_view name) const { return findHeader(headers, name); }
  // HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 the reverse.
  bool keepAlive() const;
};

struct ProxyResponse {
  int status = 200;
  HeaderList headers; // end-to-end headers only; framing is added when serialised
  std::string body;
};

// Reads HTTP/1.1 requests from a byte stream as they arrive. Bodies come by
// Content-Length or chunked encoding; bytes after one request stay buffered
// for the next (pipelining).
class RequestParser {
public:
  enum class State { NeedMore, Complete, Error };

  static constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
  static constexpr std::size_t kMaxBodyBytes = 64 * 1024 * 1024;

  State feed(std::string_view bytes);
  // True once, right after the headers of a request that sent
  // "Expect: 100-continue" and whose body has not all arrived yet.
  bool takeContinueDue();
  // The complete request; the parser then starts on the next one.
  ProxyRequest take();
  const std::string& error() const { return m_error; }

private:
  State parse();
  bool parseHeaders(std::string_view block);
  State parseChunkedBody();

  std::string m_buffer;
  std::optional<ProxyRequest> m_request; // headers parsed, body pending
  std::size_t m_bodyStart = 0;
  std::optional<std::size_t> m_contentLength;
  bool m_chunked = false;
  bool m_continueDue = false;
  bool m_complete = false;
  std::string m_error;
};

std::string_view reasonPhrase(int status);

// Status line, headers with Content-Length, Connection and (if missing) Date,
// blank line, body.
std::string serializeResponse(const ProxyResponse& response, bool keepAlive);

// What a truncated reply puts on the wire: the headers and the first half of
// the body; when the body is empty, the first half of the header block, so
// the client is still left with an incomplete response.
std::string truncateSerialized(const std::string& wire);

// A JSON problem document for replies the proxy makes itself.
ProxyResponse problemReply(int status, const std::string& detail);

} // namespace fault_proxy

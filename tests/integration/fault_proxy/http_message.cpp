#include "fault_proxy/http_message.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

namespace fault_proxy {

namespace {

bool equalsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

bool containsTokenNoCase(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    if (equalsNoCase(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::optional<std::size_t> parseSize(std::string_view text, int base) {
  std::size_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// IMF-fixdate, for the replies the proxy makes itself.
std::string httpDateNow() {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t now = std::time(nullptr);
  std::tm t{};
  gmtime_r(&now, &t);
  char text[64];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[t.tm_wday], t.tm_mday,
                kMonths[t.tm_mon], t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec);
  return text;
}

} // namespace

std::optional<std::string> findHeader(const HeaderList& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (equalsNoCase(key, name)) return value;
  }
  return std::nullopt;
}

bool isHopByHopHeader(std::string_view name) {
  static constexpr std::string_view kHopByHop[] = {"connection", "keep-alive",        "proxy-authenticate",
                                                   "proxy-authorization", "te",       "trailer",
                                                   "transfer-encoding",   "upgrade",  "content-length",
                                                   "expect"};
  return std::any_of(std::begin(kHopByHop), std::end(kHopByHop),
                     [&](std::string_view hop) { return equalsNoCase(hop, name); });
}

bool ProxyRequest::keepAlive() const {
  auto connection = header("Connection");
  if (version == "HTTP/1.0") return connection && containsTokenNoCase(*connection, "keep-alive");
  return !(connection && containsTokenNoCase(*connection, "close"));
}

RequestParser::State RequestParser::feed(std::string_view bytes) {
  if (!m_error.empty()) return State::Error;
  m_buffer.append(bytes);
  return parse();
}

bool RequestParser::parseHeaders(std::string_view block) {
  ProxyRequest request;
  std::size_t lineEnd = block.find("\r\n");
  std::string_view requestLine = block.substr(0, lineEnd);
  std::size_t firstSpace = requestLine.find(' ');
  std::size_t lastSpace = requestLine.rfind(' ');
  if (firstSpace == std::string_view::npos || lastSpace == firstSpace) {
    m_error = "malformed request line";
    return false;
  }
  request.method = std::string(requestLine.substr(0, firstSpace));
  request.target = std::string(requestLine.substr(firstSpace + 1, lastSpace - firstSpace - 1));
  request.version = std::string(requestLine.substr(lastSpace + 1));
  if (!request.version.starts_with("HTTP/1.")) {
    m_error = "only HTTP/1.x is spoken here";
    return false;
  }
  std::string_view rest = lineEnd == std::string_view::npos ? std::string_view() : block.substr(lineEnd + 2);
  while (!rest.empty()) {
    std::size_t end = rest.find("\r\n");
    std::string_view line = rest.substr(0, end);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      m_error = "malformed header line";
      return false;
    }
    request.headers.emplace_back(std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 2);
  }

  m_chunked = false;
  m_contentLength.reset();
  if (auto encoding = request.header("Transfer-Encoding")) {
    if (!containsTokenNoCase(*encoding, "chunked")) {
      m_error = "unsupported Transfer-Encoding";
      return false;
    }
    m_chunked = true;
  } else if (auto length = request.header("Content-Length")) {
    m_contentLength = parseSize(trim(*length), 10);
    if (!m_contentLength || *m_contentLength > kMaxBodyBytes) {
      m_error = "bad Content-Length";
      return false;
    }
  }
  if (auto expect = request.header("Expect")) m_continueDue = equalsNoCase(trim(*expect), "100-continue");
  m_request = std::move(request);
  return true;
}

RequestParser::State RequestParser::parseChunkedBody() {
  std::string body;
  std::size_t position = m_bodyStart;
  while (true) {
    std::size_t lineEnd = m_buffer.find("\r\n", position);
    if (lineEnd == std::string::npos) return State::NeedMore;
    std::string_view sizeText(m_buffer.data() + position, lineEnd - position);
    sizeText = trim(sizeText.substr(0, sizeText.find(';'))); // drop chunk extensions
    auto size = parseSize(sizeText, 16);
    if (!size || body.size() + *size > kMaxBodyBytes) {
      m_error = "bad chunk size";
      return State::Error;
    }
    position = lineEnd + 2;
    if (*size == 0) {
      // Skip trailers up to the blank line that ends the message.
      while (true) {
        std::size_t trailerEnd = m_buffer.find("\r\n", position);
        if (trailerEnd == std::string::npos) return State::NeedMore;
        bool blank = trailerEnd == position;
        position = trailerEnd + 2;
        if (blank) break;
      }
      m_request->body = std::move(body);
      m_buffer.erase(0, position);
      return State::Complete;
    }
    if (m_buffer.size() < position + *size + 2) return State::NeedMore;
    body.append(m_buffer, position, *size);
    position += *size + 2;
  }
}

RequestParser::State RequestParser::parse() {
  if (m_complete) return State::Complete;
  if (!m_request) {
    std::size_t end = m_buffer.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (m_buffer.size() > kMaxHeaderBytes) {
        m_error = "header block too large";
        return State::Error;
      }
      return State::NeedMore;
    }
    // Tolerate blank lines before a request line (RFC 9112 §2.2).
    std::size_t start = 0;
    while (m_buffer.compare(start, 2, "\r\n") == 0 && start < end) start += 2;
    if (!parseHeaders(std::string_view(m_buffer).substr(start, end - start))) return State::Error;
    m_bodyStart = end + 4;
  }
  State state = State::NeedMore;
  if (m_chunked) {
    state = parseChunkedBody();
  } else {
    std::size_t length = m_contentLength.value_or(0);
    if (m_buffer.size() >= m_bodyStart + length) {
      m_request->body = m_buffer.substr(m_bodyStart, length);
      m_buffer.erase(0, m_bodyStart + length);
      state = State::Complete;
    }
  }
  if (state == State::Complete) {
    m_complete = true;
    m_continueDue = false;
  }
  return state;
}

bool RequestParser::takeContinueDue() {
  bool due = m_continueDue && m_request && !m_complete;
  if (due) m_continueDue = false;
  return due;
}

ProxyRequest RequestParser::take() {
  ProxyRequest request = std::move(*m_request);
  m_request.reset();
  m_complete = false;
  m_continueDue = false;
  return request;
}

std::string_view reasonPhrase(int status) {
  switch (status) {
  case 100: return "Continue";
  case 200: return "OK";
  case 201: return "Created";
  case 204: return "No Content";
  case 304: return "Not Modified";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 409: return "Conflict";
  case 412: return "Precondition Failed";
  case 415: return "Unsupported Media Type";
  case 429: return "Too Many Requests";
  case 500: return "Internal Server Error";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  default: return "Status";
  }
}

std::string serializeResponse(const ProxyResponse& response, bool keepAlive) {
  std::string wire = "HTTP/1.1 " + std::to_string(response.status) + " " + std::string(reasonPhrase(response.status)) +
                     "\r\n";
  for (const auto& [name, value] : response.headers) {
    if (isHopByHopHeader(name)) continue;
    wire += name + ": " + value + "\r\n";
  }
  if (!findHeader(response.headers, "Date")) wire += "Date: " + httpDateNow() + "\r\n";
  wire += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  wire += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  wire += "\r\n";
  wire += response.body;
  return wire;
}

std::string truncateSerialized(const std::string& wire) {
  std::size_t headerEnd = wire.find("\r\n\r\n");
  if (headerEnd == std::string::npos) return wire.substr(0, wire.size() / 2);
  std::size_t bodyStart = headerEnd + 4;
  std::size_t bodyLength = wire.size() - bodyStart;
  if (bodyLength == 0) return wire.substr(0, headerEnd / 2);
  return wire.substr(0, bodyStart + bodyLength / 2);
}

ProxyResponse problemReply(int status, const std::string& detail) {
  ProxyResponse response;
  response.status = status;
  nlohmann::json body = {{"type", "urn:testsite:fault-proxy:" + std::to_string(status)},
                         {"title", std::string(reasonPhrase(status))},
                         {"status", status},
                         {"detail", detail}};
  response.body = body.dump();
  response.headers.emplace_back("Content-Type", "application/problem+json");
  return response;
}

} // namespace fault_proxy

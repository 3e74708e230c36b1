#include <doctest/doctest.h>

#include "fault_proxy/http_message.hpp"
#include "fault_proxy/upstream_client.hpp"

using namespace fault_proxy;

TEST_CASE("a request with a Content-Length body, fed a byte at a time") {
  const std::string body = "{\"a\":\"é\"}";
  const std::string wire =
      "POST /data/v3/ed-fi/studentAssessments?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  RequestParser parser;
  RequestParser::State state = RequestParser::State::NeedMore;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    CHECK(state == RequestParser::State::NeedMore);
    state = parser.feed(wire.substr(i, 1));
  }
  REQUIRE(state == RequestParser::State::Complete);
  ProxyRequest request = parser.take();
  CHECK(request.method == "POST");
  CHECK(request.target == "/data/v3/ed-fi/studentAssessments?x=1");
  CHECK(request.version == "HTTP/1.1");
  CHECK(request.header("content-type") == std::optional<std::string>("application/json"));
  CHECK(request.body == body);
  CHECK(request.keepAlive());
}

TEST_CASE("chunked bodies are de-chunked; pipelined requests stay apart") {
  RequestParser parser;
  auto state = parser.feed(
      "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: y\r\n\r\n"
      "GET /b HTTP/1.1\r\nConnection: close\r\n\r\n");
  REQUIRE(state == RequestParser::State::Complete);
  auto first = parser.take();
  CHECK(first.body == "Wikipedia");
  REQUIRE(parser.feed({}) == RequestParser::State::Complete);
  auto second = parser.take();
  CHECK(second.target == "/b");
  CHECK(second.body.empty());
  CHECK_FALSE(second.keepAlive());
  CHECK(parser.feed({}) == RequestParser::State::NeedMore);
}

TEST_CASE("Expect: 100-continue is due once, before the body") {
  RequestParser parser;
  CHECK(parser.feed("POST /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n") ==
        RequestParser::State::NeedMore);
  CHECK(parser.takeContinueDue());
  CHECK_FALSE(parser.takeContinueDue());
  CHECK(parser.feed("abc") == RequestParser::State::Complete);
  CHECK(parser.take().body == "abc");
}

TEST_CASE("malformed requests are errors") {
  CHECK(RequestParser().feed("NONSENSE\r\n\r\n") == RequestParser::State::Error);
  CHECK(RequestParser().feed("GET / SPDY/3\r\n\r\n") == RequestParser::State::Error);
  CHECK(RequestParser().feed("GET / HTTP/1.1\r\nContent-Length: many\r\n\r\n") == RequestParser::State::Error);
  CHECK(RequestParser().feed("GET / HTTP/1.1\r\nno colon here\r\n\r\n") == RequestParser::State::Error);
  CHECK(RequestParser().feed(std::string(RequestParser::kMaxHeaderBytes + 1, 'a')) == RequestParser::State::Error);
  CHECK(RequestParser().feed("GET / HTTP/1.0\r\n\r\n") == RequestParser::State::Complete);
}

TEST_CASE("HTTP/1.0 closes unless asked to keep alive") {
  RequestParser parser;
  parser.feed("GET / HTTP/1.0\r\n\r\n");
  CHECK_FALSE(parser.take().keepAlive());
  parser.feed("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
  CHECK(parser.take().keepAlive());
}

TEST_CASE("responses are framed by the proxy, dropping hop-by-hop headers") {
  ProxyResponse response;
  response.status = 201;
  response.headers = {{"Location", "https://x/y"}, {"Transfer-Encoding", "chunked"}, {"Connection", "close"},
                      {"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}};
  std::string wire = serializeResponse(response, true);
  CHECK(wire.starts_with("HTTP/1.1 201 Created\r\n"));
  CHECK(wire.find("Location: https://x/y\r\n") != std::string::npos);
  CHECK(wire.find("Transfer-Encoding") == std::string::npos);
  CHECK(wire.find("Content-Length: 0\r\n") != std::string::npos);
  CHECK(wire.find("Connection: keep-alive\r\n") != std::string::npos);
  CHECK(wire.find("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n") != std::string::npos);
  CHECK(wire.ends_with("\r\n\r\n"));
  CHECK(serializeResponse(ProxyResponse{}, false).find("Date: ") != std::string::npos);
}

TEST_CASE("truncation keeps the headers and half the body") {
  ProxyResponse response;
  response.body = std::string(100, 'x');
  std::string wire = serializeResponse(response, true);
  std::string cut = truncateSerialized(wire);
  std::size_t headerEnd = wire.find("\r\n\r\n") + 4;
  CHECK(cut.size() == headerEnd + 50);
  CHECK(cut == wire.substr(0, cut.size()));

  // With no body, half the header block goes, so the reply is still incomplete.
  std::string empty = serializeResponse(ProxyResponse{}, true);
  std::string cutEmpty = truncateSerialized(empty);
  CHECK(cutEmpty.size() < empty.find("\r\n\r\n"));
  CHECK(cutEmpty.find("\r\n\r\n") == std::string::npos);
}

TEST_CASE("upstream URLs must be https://host:port") {
  auto target = parseHttpsUrl("https://127.0.0.1:8443/", "ca.pem");
  REQUIRE(target.has_value());
  CHECK(target->host == "127.0.0.1");
  CHECK(target->port == 8443);
  CHECK(target->caFile == "ca.pem");
  CHECK(parseHttpsUrl("https://localhost", "ca.pem")->port == 443);
  CHECK_FALSE(parseHttpsUrl("http://127.0.0.1:8443", "ca.pem").has_value());
  CHECK_FALSE(parseHttpsUrl("https://127.0.0.1:99999", "ca.pem").has_value());
  CHECK_FALSE(parseHttpsUrl("https://127.0.0.1:8443/api", "ca.pem").has_value());
}

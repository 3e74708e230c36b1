#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace edfi_double {

// HTTP header names compare case-insensitively (RFC 9110).
struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

using HeaderMap = std::multimap<std::string, std::string, CaseInsensitiveLess>;
using QueryParams = std::multimap<std::string, std::string, std::less<>>;

// The double's own request/response types keep the routing core free of any
// HTTP library, so unit tests call it directly without sockets.
struct HttpRequest {
  std::string method;
  std::string path;
  QueryParams query;
  HeaderMap headers;
  std::string body;

  std::optional<std::string> header(std::string_view name) const;
  std::optional<std::string> queryValue(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  HeaderMap headers;
  std::string body;

  std::optional<std::string> header(std::string_view name) const;
  void setHeader(const std::string& name, const std::string& value);
};

HttpResponse jsonResponse(int status, const nlohmann::json& body);

} // namespace edfi_double

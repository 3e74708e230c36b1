#include "edfi_double/problem.hpp"

#include <nlohmann/json.hpp>

#include "edfi_double/text_codec.hpp"

namespace edfi_double {

HttpResponse problemResponse(const Problem& problem) {
  nlohmann::json body = {
      {"detail", problem.detail},   {"type", problem.type},
      {"title", problem.title},     {"status", problem.status},
      {"correlationId", randomHex(8)}, {"errors", problem.errors},
  };
  if (!problem.validationErrors.empty()) body["validationErrors"] = problem.validationErrors;
  HttpResponse response = jsonResponse(problem.status, body);
  response.setHeader("Content-Type", "application/problem+json; charset=utf-8");
  return response;
}

HttpResponse notFound(const std::string& detail) {
  return problemResponse({404, problem_type::kNotFound, "Not Found", detail, {}, {}});
}

HttpResponse methodNotAllowed(const std::string& allowed) {
  HttpResponse response = problemResponse({405, problem_type::kMethodNotAllowed, "Method Not Allowed",
                                           "The request method is not supported for this resource.", {}, {}});
  response.setHeader("Allow", allowed);
  return response;
}

} // namespace edfi_double

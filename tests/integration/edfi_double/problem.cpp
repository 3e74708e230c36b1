#include "edfi_double/problem.hpp"

#include <nlohmann/json.hpp>

#include "edfi_double/text_codec.hpp"

namespace edfi_double {

HttpResponse problemResponse(const Problem& problem) {
    nlohmann::json body = {
        {"detail", problem.detail}, {"type", problem.type},          {"title", problem.title},
        {"status", problem.status}, {"correlationId", randomHex(8)}, {"errors", problem.errors},
    };
    if (!problem.validationErrors.empty()) body["validationErrors"] = problem.validationErrors;
    HttpResponse response = jsonResponse(problem.status, body);
    response.setHeader("Content-Type", "application/problem+json; charset=utf-8");
    return response;
}

std::optional<ErrorStyle> errorStyleFromName(std::string_view name) {
    if (name == "problem") return ErrorStyle::Problem;
    if (name == "message") return ErrorStyle::Message;
    if (name == "error") return ErrorStyle::Error;
    if (name == "html") return ErrorStyle::Html;
    return std::nullopt;
}

HttpResponse restyleError(HttpResponse response, ErrorStyle style) {
    if (style == ErrorStyle::Problem || response.status < 400) return response;
    if (response.header("Content-Type").value_or("").find("problem+json") == std::string::npos) return response;
    nlohmann::json problem = nlohmann::json::parse(response.body, nullptr, false);
    if (!problem.is_object()) return response;
    std::string detail = problem.value("detail", "");
    for (const auto& e : problem.value("errors", nlohmann::json::array()))
        if (e.is_string()) detail += " " + e.get<std::string>();
    // The same status and headers (Retry-After, Allow, ...), other words.
    if (style == ErrorStyle::Message) {
        response.body = nlohmann::json{{"message", detail}}.dump();
        response.setHeader("Content-Type", "application/json; charset=utf-8");
    } else if (style == ErrorStyle::Error) {
        response.body = nlohmann::json{{"error", response.status == 403 ? "access_denied" : "invalid_request"}, {"error_description", detail}}.dump();
        response.setHeader("Content-Type", "application/json; charset=utf-8");
    } else {
        const std::string title = problem.value("title", "");
        response.body = "<html><head><title>" + std::to_string(response.status) + " " + title + "</title></head><body><h1>" + title +
                        "</h1><p>" + detail + "</p></body></html>";
        response.setHeader("Content-Type", "text/html; charset=utf-8");
    }
    return response;
}

HttpResponse notFound(const std::string& detail) {
    return problemResponse({404, problem_type::kNotFound, "Not Found", detail, {}, {}});
}

HttpResponse methodNotAllowed(const std::string& allowed) {
    HttpResponse response = problemResponse({405,
                                             problem_type::kMethodNotAllowed,
                                             "Method Not Allowed",
                                             "The request method is not supported for this resource.",
                                             {},
                                             {}});
    response.setHeader("Allow", allowed);
    return response;
}

} // namespace edfi_double

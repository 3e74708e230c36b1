// /_test/... of the double's Api: unauthenticated hooks for tests and demos.
#include <variant>

#include <nlohmann/json.hpp>

#include "edfi_double/api.hpp"
#include "edfi_double/problem.hpp"
#include "edfi_double/seed.hpp"

namespace edfi_double {

namespace {

HttpResponse controlError(int status, const std::string& message) {
    return jsonResponse(status, {{"error", message}});
}

} // namespace

HttpResponse Api::testControl(const HttpRequest& request, const std::string& action) {
    const bool isGet = request.method == "GET";
    const bool isPost = request.method == "POST";

    if (action == "received") {
        if (!isGet) return methodNotAllowed("GET");
        auto resource = request.queryValue("resource");
        if (!resource) return controlError(400, "add ?resource=<name>, e.g. ?resource=studentAssessments");
        return jsonResponse(200, m_store.received(*resource));
    }
    if (action == "tokens") {
        if (!isGet) return methodNotAllowed("GET");
        return tokenStats();
    }
    const bool known = action == "expire-tokens" || action == "seed" || action == "delete" || action == "reset" || action == "behaviour" || action == "error-style";
    if (!known) return notFound("Unknown test-control action '" + action + "'.");
    if (!isPost) return methodNotAllowed("POST");

    if (action == "expire-tokens") {
        return jsonResponse(200, {{"expired", m_tokens.expireAll()}});
    }
    if (action == "reset") {
        // Back to the state just after start-up: the startup seed and nothing else.
        m_store.clear();
        m_tokens.clear();
        m_writers.clear();
        m_descriptors.clearExtras();
        setBehaviour(nlohmann::json{{"defaults", true}});
        m_errorStyle = ErrorStyle::Problem;
        if (auto error = applyStartupSeed()) return controlError(500, "startup seed: " + *error);
        return jsonResponse(200, {{"reset", true}, {"newestChangeVersion", m_store.newestChangeVersion()}});
    }

    nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return controlError(400, "the body must be a JSON object");

    if (action == "behaviour") return setBehaviour(body);
    if (action == "seed") {
        auto outcome = applySeed(body, m_store, m_descriptors);
        if (auto* error = std::get_if<SeedError>(&outcome)) return controlError(400, error->message);
        const auto& applied = std::get<SeedApplied>(outcome);
        return jsonResponse(200, {{"records", applied.records},
                                  {"descriptors", applied.descriptors},
                                  {"newestChangeVersion", m_store.newestChangeVersion()}});
    }
    if (action == "error-style") {
        auto name = body.find("style");
        auto style = name != body.end() && name->is_string() ? errorStyleFromName(name->get<std::string>()) : std::nullopt;
        if (!style) return controlError(400, "'style' must be problem, message, error or html");
        m_errorStyle = *style;
        return jsonResponse(200, {{"style", name->get<std::string>()}});
    }
    if (action == "delete") {
        auto resource = body.find("resource");
        if (resource == body.end() || !resource->is_string() || findResource(resource->get<std::string>()) == nullptr) {
            return controlError(400, "'resource' must name a resource the double knows");
        }
        bool removed = false;
        if (auto key = body.find("key"); key != body.end() && key->is_object()) {
            removed = m_store.removeByKey(resource->get<std::string>(), *key);
        } else if (auto id = body.find("id"); id != body.end() && id->is_string()) {
            removed = m_store.removeById(resource->get<std::string>(), id->get<std::string>());
        } else {
            return controlError(400, "give the natural 'key' object (as in /_test/received) or the 'id'");
        }
        if (!removed) return controlError(404, "no such record");
        return jsonResponse(200, {{"deleted", true}, {"newestChangeVersion", m_store.newestChangeVersion()}});
    }
    return notFound("Unknown test-control action '" + action + "'.");
}

} // namespace edfi_double

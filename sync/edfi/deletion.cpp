#include "sync/edfi/deletion.hpp"

#include "sync/edfi/parsers.hpp"

#include <nlohmann/json.hpp>

namespace edsync::edfi {

namespace {

constexpr std::size_t kMaxIdChars = 128;

bool isIdChar(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; }

bool isId(std::string_view text) {
    if (text.empty() || text.size() > kMaxIdChars) return false;
    for (char c : text)
        if (!isIdChar(c)) return false;
    return true;
}

std::optional<std::string> scalarText(const nlohmann::json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    return std::nullopt;
}

} // namespace

std::string percentEncode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[u >> 4]);
            out.push_back(kHex[u & 0x0F]);
        }
    }
    return out;
}

std::optional<std::string> resourceIdFromLocation(std::string_view location) {
    location = location.substr(0, location.find_first_of("?#"));
    while (!location.empty() && location.back() == '/') location.remove_suffix(1);
    auto slash = location.rfind('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto id = location.substr(slash + 1);
    if (!isId(id)) return std::nullopt;
    return std::string(id);
}

transport::Request deleteRequest(const Session& session, std::string_view resource, std::string_view id, std::string_view token) {
    transport::Request r;
    r.method = transport::Method::Delete;
    r.url = session.resourceUrl(resource) + "/" + percentEncode(id);
    r.headers.push_back({"Authorization", "Bearer " + std::string(token)});
    r.headers.push_back({"Accept", "application/json"});
    return r;
}

std::optional<transport::Request> lookupRequest(const Session& session, std::string_view resource, std::string_view identityJson,
                                                std::string_view token) {
    // Our own JSON, written by put/putDeletion: still parsed without exceptions.
    nlohmann::json identity = nlohmann::json::parse(identityJson, nullptr, false);
    if (identity.is_discarded() || !identity.is_object()) return std::nullopt;
    std::string query;
    auto add = [&query](const std::string& name, const std::string& value) {
        query += query.empty() ? "?" : "&";
        query += percentEncode(name) + "=" + percentEncode(value);
    };
    for (auto it = identity.begin(); it != identity.end(); ++it) {
        if (auto text = scalarText(*it)) {
            add(it.key(), *text);
        } else if (it->is_object()) {
            for (auto member = it->begin(); member != it->end(); ++member)
                if (auto inner = scalarText(*member)) add(member.key(), *inner);
        }
    }
    if (query.empty()) return std::nullopt;
    return session.getRequest(session.resourceUrl(resource) + query, token);
}

LookupResult idFromLookupPage(std::string_view body) {
    LookupResult result;
    auto page = parseListPage(body, kMaxLookupItems);
    if (!page) return result;
    result.readable = true;
    for (const auto& item : *page) {
        auto id = item.find("id");
        if (id != item.end() && id->is_string() && isId(id->get_ref<const std::string&>())) {
            result.id = id->get<std::string>();
            break;
        }
    }
    // Something is there, but not with an id we could name in a DELETE.
    if (!page->empty() && !result.id) result.readable = false;
    return result;
}

} // namespace edsync::edfi

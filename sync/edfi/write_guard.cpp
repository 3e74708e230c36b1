#include "sync/edfi/write_guard.hpp"

#include "sync/edfi/deletion.hpp"
#include "sync/edfi/parsers.hpp"

#include <algorithm>
#include <vector>

namespace edsync::edfi {

namespace {


constexpr std::size_t kMaxItemBytes = 1u << 20;  // one record; larger is not a record of ours

bool serverMember(const std::string& name) {
    return name == "id" || name == "_etag" || name == "_lastModifiedDate" || name == "link";
}

// The comparable form: server members gone, nulls and empty arrays gone,
// arrays sorted by their text.
nlohmann::json normalised(const nlohmann::json& v) {
    if (v.is_object()) {
        nlohmann::json out = nlohmann::json::object();
        for (auto it = v.begin(); it != v.end(); ++it) {
            if (serverMember(it.key()) || it->is_null()) continue;
            nlohmann::json inner = normalised(*it);
            if (inner.is_array() && inner.empty()) continue;
            out[it.key()] = std::move(inner);
        }
        return out;
    }
    if (v.is_array()) {
        std::vector<std::pair<std::string, nlohmann::json>> items;
        for (const auto& item : v) {
            nlohmann::json n = normalised(item);
            items.emplace_back(n.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), std::move(n));
        }
        std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        nlohmann::json out = nlohmann::json::array();
        for (auto& [text, item] : items) out.push_back(std::move(item));
        return out;
    }
    return v;
}

} // namespace

std::string ifMatchValue(std::string_view etag) {
    // A value from a server goes into a request header: visible ASCII only.
    constexpr std::size_t kMaxEtagChars = 200;
    if (etag.empty() || etag.size() > kMaxEtagChars) return {};
    for (char c : etag)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) return {};
    if (etag.front() == '"' || etag.starts_with("W/")) return std::string(etag);
    return "\"" + std::string(etag) + "\"";
}

FoundRecord foundInLookupPage(std::string_view body) {
    FoundRecord found;
    auto page = parseListPage(body, kMaxLookupItems);
    if (!page) return found;
    found.readable = true;
    if (page->empty()) return found;
    const nlohmann::json& item = page->front();
    if (!item.is_object()) {
        found.readable = false;
        return found;
    }
    found.item = item;
    if (auto id = item.find("id"); id != item.end() && id->is_string()) {
        // Only an id we could name in a URL.
        if (auto checked = resourceIdFromLocation("/" + id->get<std::string>())) found.id = *checked;
    }
    if (auto tag = item.find("_etag"); tag != item.end() && tag->is_string()) found.etag = ifMatchValue(tag->get<std::string>());
    return found;
}

FoundRecord foundInAnswer(std::string_view body) {
    if (body.size() > kMaxItemBytes) return {};
    nlohmann::json item = nlohmann::json::parse(body, nullptr, false);
    if (!item.is_object()) return foundInLookupPage(body);
    // One item, as GET {resource}/{id} gives it: a page of one.
    return foundInLookupPage(nlohmann::json::array({std::move(item)}).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

bool sameRecord(std::string_view ourJson, const nlohmann::json& serverItem) {
    nlohmann::json ours = nlohmann::json::parse(ourJson, nullptr, false);
    if (ours.is_discarded()) return false;
    return normalised(ours) == normalised(serverItem);
}

std::optional<FirstWriteScope> firstWriteScope(std::string_view resource, std::string_view body) {
    if (resource != "studentAssessments") return std::nullopt;
    nlohmann::json record = nlohmann::json::parse(body, nullptr, false);
    if (!record.is_object()) return std::nullopt;
    auto assessment = record.find("assessmentReference");
    if (assessment == record.end() || !assessment->is_object()) return std::nullopt;
    auto identifier = assessment->find("assessmentIdentifier");
    auto ns = assessment->find("namespace");
    if (identifier == assessment->end() || !identifier->is_string() || ns == assessment->end() || !ns->is_string()) return std::nullopt;
    nlohmann::json query{{"assessmentIdentifier", *identifier}, {"namespace", *ns}};
    // Ed-Fi names a role-named reference's key after its role: reportedSchoolReference.schoolId is ?reportedSchoolId=.
    if (auto school = record.find("reportedSchoolReference"); school != record.end() && school->is_object())
        if (auto id = school->find("schoolId"); id != school->end() && (id->is_number_integer() || id->is_string())) query["reportedSchoolId"] = *id;
    std::string key = std::string(resource) + "|" + query.dump();
    query["limit"] = 1;
    return FirstWriteScope{std::move(key), query.dump()};
}

} // namespace edsync::edfi

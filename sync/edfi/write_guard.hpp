#pragma once
// The state never goes backwards (docs/edfi.md, "Writers"): an update carries
// If-Match with the ETag of the last write this kiosk (or its site) had
// acknowledged, and a first write looks the record up by its natural key
// before it POSTs, so that a record another writer put there is never
// overwritten blindly.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace edsync::edfi {

// An ETag as an If-Match header wants it: quoted, as the server's ETag header
// gives it; a bare `_etag` from a GET is quoted here. Empty for empty, or
// for anything that is not visible ASCII (it goes into a request header).
std::string ifMatchValue(std::string_view etag);

// The record a lookup found: the first item of the page, when there is one.
struct FoundRecord {
    bool readable = false;             // the page could be read
    std::optional<nlohmann::json> item;  // none: the server has no such record
    std::string id;                    // the item's id ("" when it gave none we can use)
    std::string etag;                  // its _etag, as If-Match wants it ("" when none)
};
FoundRecord foundInLookupPage(std::string_view body);
// The same for any answer: a page (a lookup by key) or one item (GET by id).
FoundRecord foundInAnswer(std::string_view body);

// True when the server's item holds what `ourJson` says: the server's own
// members (id, _etag, _lastModifiedDate, link) aside, nulls and empty arrays
// counted as absent, arrays compared in any order.
bool sameRecord(std::string_view ourJson, const nlohmann::json& serverItem);

// One question that answers the first-write lookup for many records at once
// (docs/edfi.md, "Writers"): a StudentAssessment's assessment and reporting
// school. An empty page for it means none of those records is at the state
// yet, so each of them may be POSTed without its own lookup; anything else
// and each is looked up as usual. nullopt: the record has no such scope.
struct FirstWriteScope {
    std::string key;        // the same for every record the question covers
    std::string queryJson;  // flat query members for lookupRequest (limit=1)
};
std::optional<FirstWriteScope> firstWriteScope(std::string_view resource, std::string_view body);

} // namespace edsync::edfi

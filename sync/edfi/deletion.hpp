#pragma once
// How a deletion reaches the server: DELETE {resource}/{id} with the id a
// POST's Location header gave, or, when no id is known (the POST's answer was
// lost, or the row predates ids), GET {resource}?{natural key} first and then
// DELETE what it found. Ed-Fi deletes by id only.
#include "sync/edfi/session.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace edsync::edfi {

// The id at the end of a Location header (".../studentAssessments/{id}"),
// when it looks like one: letters, digits, '-' or '_', at most 128 characters.
std::optional<std::string> resourceIdFromLocation(std::string_view location);

transport::Request deleteRequest(const Session& session, std::string_view resource, std::string_view id, std::string_view token);

// GET {resource}?name=value... from the record's identity JSON: top-level
// scalars, and the scalar members of each reference object (Ed-Fi's query
// parameters are the flattened key names). nullopt when the identity is not
// a JSON object with at least one scalar.
std::optional<transport::Request> lookupRequest(const Session& session, std::string_view resource, std::string_view identityJson,
                                                std::string_view token);

// A lookup by natural key reads at most this many items (one is expected).
inline constexpr std::size_t kMaxLookupItems = 25;

// What a lookup found: the id of the first item, none (the record is not
// there), or a failure to read the page.
struct LookupResult {
    bool readable = false;
    std::optional<std::string> id;
};
LookupResult idFromLookupPage(std::string_view body);

// RFC 3986 percent-encoding of a query value (unreserved characters kept).
std::string percentEncode(std::string_view text);

} // namespace edsync::edfi

#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace edfi_double {

// One natural-key part: where it sits in the body and the flat name it is
// reported under in keys, deletes and /_test/ output.
struct KeyField {
  std::string path; // dotted, e.g. "assessmentReference.namespace"
  std::string name; // e.g. "namespace"
};

struct LengthLimit {
  std::string path;
  std::size_t maxCharacters;
};

// What the double knows about one Ed-Fi resource.
struct ResourceSpec {
  std::string name;          // URL segment, e.g. "studentAssessments"
  std::string entityName;    // for messages, e.g. "StudentAssessment"
  bool onlyInDs52 = false;   // Assessment Registration arrived in Data Standard 5.2
  // Dotted paths; "items[].field" means "field" in every element of "items".
  std::vector<std::string> required;
  std::vector<KeyField> key;
  std::vector<LengthLimit> lengthLimits;
  // Assessment namespace checked against the client's namespace prefix.
  std::optional<std::string> namespacePath;
  // A student the double must know (409 unresolved-reference otherwise).
  std::optional<std::string> studentPath;
};

const std::vector<ResourceSpec>& allResources();
const ResourceSpec* findResource(std::string_view name);

// The value at a dotted path, or nullptr.
const nlohmann::json* findPath(const nlohmann::json& document, std::string_view dottedPath);

// The natural key as a flat JSON object; nullopt when a key part is missing
// or not a scalar.
std::optional<nlohmann::json> extractKey(const ResourceSpec& spec, const nlohmann::json& body);

} // namespace edfi_double

#include "edfi_double/validation.hpp"

#include <string>
#include <string_view>
#include <vector>

#include "edfi_double/text_codec.hpp"

namespace edfi_double {

namespace {

std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  while (true) {
    std::size_t dot = path.find('.');
    segments.push_back(path.substr(0, dot));
    if (dot == std::string_view::npos) return segments;
    path.remove_prefix(dot + 1);
  }
}

bool isMissing(const nlohmann::json& value) {
  return value.is_null() || (value.is_string() && value.get_ref<const std::string&>().empty());
}

void requireAt(const nlohmann::json& node, const std::vector<std::string_view>& segments, std::size_t index,
               const std::string& location, ValidationErrors& errors) {
  std::string_view segment = segments[index];
  const bool isLast = index + 1 == segments.size();
  if (segment.ends_with("[]")) {
    // A collection is optional; its items' required members are not.
    std::string name(segment.substr(0, segment.size() - 2));
    auto it = node.find(name);
    if (it == node.end() || !it->is_array() || isLast) return;
    for (std::size_t i = 0; i < it->size(); ++i) {
      const auto& item = (*it)[i];
      std::string itemLocation = location + "." + name + "[" + std::to_string(i) + "]";
      if (!item.is_object()) {
        errors[itemLocation].push_back("Each item of " + capitalizeFirst(name) + " must be an object.");
        continue;
      }
      requireAt(item, segments, index + 1, itemLocation, errors);
    }
    return;
  }
  std::string name(segment);
  std::string fieldLocation = location + "." + name;
  auto it = node.find(name);
  if (isLast) {
    if (it == node.end() || isMissing(*it)) errors[fieldLocation].push_back(capitalizeFirst(name) + " is required.");
    return;
  }
  // A missing parent is reported by its own entry in the required list.
  if (it == node.end() || it->is_null()) return;
  if (!it->is_object()) {
    errors[fieldLocation].push_back(capitalizeFirst(name) + " must be an object.");
    return;
  }
  requireAt(*it, segments, index + 1, fieldLocation, errors);
}

void checkOneDescriptor(const DescriptorCatalog& catalog, const std::string& fieldName, const std::string& value,
                        const std::string& location, ValidationErrors& errors) {
  auto parsed = parseDescriptorUri(value);
  if (!parsed) {
    errors[location].push_back("'" + value + "' is not a valid descriptor value; expected namespace/TypeDescriptor#CodeValue.");
    return;
  }
  // A field named after a known type ("accommodationDescriptor") must hold
  // that type; role-named fields ("summaryEvaluationRatingLevelDescriptor")
  // carry no expectation here.
  std::string expectedType = capitalizeFirst(fieldName);
  if (catalog.knowsType(expectedType) && parsed->type != expectedType) {
    errors[location].push_back("'" + value + "' is not a " + expectedType + " value.");
    return;
  }
  if (catalog.knowsType(parsed->type) && !catalog.contains(value)) {
    errors[location].push_back(capitalizeFirst(fieldName) + " value '" + value + "' does not exist.");
  }
}

void walkDescriptors(const DescriptorCatalog& catalog, const nlohmann::json& node, const std::string& location,
                     ValidationErrors& errors) {
  if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      walkDescriptors(catalog, node[i], location + "[" + std::to_string(i) + "]", errors);
    }
    return;
  }
  if (!node.is_object()) return;
  for (const auto& [name, value] : node.items()) {
    std::string childLocation = location + "." + name;
    if (std::string_view(name).ends_with("Descriptor") && value.is_string()) {
      checkOneDescriptor(catalog, name, value.get<std::string>(), childLocation, errors);
    } else {
      walkDescriptors(catalog, value, childLocation, errors);
    }
  }
}

} // namespace

std::size_t utf8Length(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0u) != 0x80u) ++count;
  }
  return count;
}

void checkNoClientId(const nlohmann::json& body, ValidationErrors& errors) {
  if (body.contains("id")) {
    errors["$.id"].push_back(
        "Resource identifiers cannot be assigned by the client. The 'id' property should not be included in the "
        "request body.");
  }
}

void checkRequired(const ResourceSpec& spec, const nlohmann::json& body, ValidationErrors& errors) {
  for (const auto& path : spec.required) requireAt(body, splitPath(path), 0, "$", errors);
}

void checkLengths(const ResourceSpec& spec, const nlohmann::json& body, ValidationErrors& errors) {
  for (const auto& limit : spec.lengthLimits) {
    const nlohmann::json* value = findPath(body, limit.path);
    if (value == nullptr || !value->is_string()) continue;
    if (utf8Length(value->get_ref<const std::string&>()) > limit.maxCharacters) {
      std::string field = limit.path.substr(limit.path.rfind('.') == std::string::npos ? 0 : limit.path.rfind('.') + 1);
      errors["$." + limit.path].push_back(capitalizeFirst(field) + " must be at most " +
                                          std::to_string(limit.maxCharacters) + " characters.");
    }
  }
}

void checkDescriptors(const DescriptorCatalog& catalog, const nlohmann::json& body, ValidationErrors& errors) {
  walkDescriptors(catalog, body, "$", errors);
}

} // namespace edfi_double

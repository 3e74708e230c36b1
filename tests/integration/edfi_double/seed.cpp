#include "edfi_double/seed.hpp"

#include <utility>
#include <vector>

#include "edfi_double/resource_catalog.hpp"
#include "edfi_double/validation.hpp"

namespace edfi_double {

namespace {

std::string describe(const ValidationErrors& errors) {
  std::string text;
  for (const auto& [path, messages] : errors) {
    for (const auto& message : messages) text += (text.empty() ? "" : "; ") + path + ": " + message;
  }
  return text;
}

} // namespace

std::variant<SeedApplied, SeedError> applySeed(const nlohmann::json& document, Store& store,
                                               DescriptorCatalog& descriptors) {
  if (!document.is_object()) return SeedError{"the seed must be a JSON object"};

  struct Pending {
    const ResourceSpec* spec;
    nlohmann::json key;
    nlohmann::json body;
  };
  std::vector<Pending> pending;
  std::vector<std::string> extraDescriptors;

  for (const auto& [member, value] : document.items()) {
    if (member.starts_with("_")) continue; // comments
    if (member == "descriptors") {
      if (!value.is_array()) return SeedError{"descriptors must be an array of descriptor URIs"};
      for (const auto& uri : value) {
        if (!uri.is_string() || !parseDescriptorUri(uri.get<std::string>())) {
          return SeedError{"descriptors: '" + uri.dump() + "' is not namespace/TypeDescriptor#CodeValue"};
        }
        extraDescriptors.push_back(uri.get<std::string>());
      }
      continue;
    }
    const ResourceSpec* spec = findResource(member);
    if (spec == nullptr) return SeedError{"unknown resource '" + member + "'"};
    if (!value.is_array()) return SeedError{member + " must be an array"};
    for (std::size_t i = 0; i < value.size(); ++i) {
      const auto& record = value[i];
      std::string where = member + "[" + std::to_string(i) + "]";
      if (!record.is_object()) return SeedError{where + " must be an object"};
      ValidationErrors errors;
      checkRequired(*spec, record, errors);
      if (!errors.empty()) return SeedError{where + ": " + describe(errors)};
      auto key = extractKey(*spec, record);
      if (!key) return SeedError{where + ": natural key fields must be scalars"};
      pending.push_back(Pending{spec, std::move(*key), record});
    }
  }

  for (const auto& uri : extraDescriptors) descriptors.addExtra(uri);
  for (auto& item : pending) store.upsert(item.spec->name, item.key, std::move(item.body), WriteSource::Seed);
  return SeedApplied{pending.size(), extraDescriptors.size()};
}

} // namespace edfi_double

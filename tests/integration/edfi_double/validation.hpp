#pragma once
#include <nlohmann/json.hpp>

#include "edfi_double/descriptor_catalog.hpp"
#include "edfi_double/problem.hpp"
#include "edfi_double/resource_catalog.hpp"

namespace edfi_double {

// Each check adds "$.path" -> messages to `errors`, in the shape of the
// ODS/API's validationErrors, so one response lists every problem at once.

// A client may not choose the resource id (the server assigns it).
void checkNoClientId(const nlohmann::json& body, ValidationErrors& errors);
void checkRequired(const ResourceSpec& spec, const nlohmann::json& body, ValidationErrors& errors);
void checkLengths(const ResourceSpec& spec, const nlohmann::json& body, ValidationErrors& errors);
// Every string member named "...Descriptor" anywhere in the body.
void checkDescriptors(const DescriptorCatalog& catalog, const nlohmann::json& body, ValidationErrors& errors);

// Code points, not bytes: names with diacritics must not count double.
std::size_t utf8Length(std::string_view text);

} // namespace edfi_double

#pragma once
#include <cstddef>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "edfi_double/descriptor_catalog.hpp"
#include "edfi_double/store.hpp"

namespace edfi_double {

struct SeedApplied {
  std::size_t records = 0;
  std::size_t descriptors = 0;
};

struct SeedError {
  std::string message;
};

// Seed document:
//   {"students": [...], "assessmentAdministrations": [...],
//    "studentAssessmentRegistrations": [...], "studentSchoolAssociations": [...],
//    "descriptors": ["uri://state.example.org/AccommodationDescriptor#Braille", ...]}
// Any resource the double knows may appear. Every record is checked first and
// nothing is stored unless all of them are valid; each stored record gets a
// new change version, as if the state had just written it.
std::variant<SeedApplied, SeedError> applySeed(const nlohmann::json& document, Store& store,
                                               DescriptorCatalog& descriptors);

} // namespace edfi_double

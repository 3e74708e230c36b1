#include <doctest/doctest.h>

#include "api_test_support.hpp"
#include "edfi_double/validation.hpp"

using namespace edfi_double;
using edfi_double::testing::studentAssessment;

namespace {

// The catalog holds a mutex, so tests build it in place.
struct BuiltInCatalog : DescriptorCatalog {
  BuiltInCatalog() { loadBuiltIn(nlohmann::json::parse(builtInDescriptorJson())); }
};

const ResourceSpec& studentAssessments() { return *findResource("studentAssessments"); }

} // namespace

TEST_CASE("a complete StudentAssessment passes every check") {
  const BuiltInCatalog catalog;
  ValidationErrors errors;
  auto body = studentAssessment("SA-1", "S001");
  checkNoClientId(body, errors);
  checkRequired(studentAssessments(), body, errors);
  checkLengths(studentAssessments(), body, errors);
  checkDescriptors(catalog, body, errors);
  CHECK(errors.empty());
}

TEST_CASE("missing required members are reported by JSON path") {
  ValidationErrors errors;
  nlohmann::json body = {{"assessmentReference", {{"namespace", ""}}}};
  checkRequired(studentAssessments(), body, errors);
  CHECK(errors.contains("$.studentAssessmentIdentifier"));
  CHECK(errors.contains("$.assessmentReference.assessmentIdentifier"));
  CHECK(errors.contains("$.assessmentReference.namespace")); // empty counts as missing
  CHECK(errors.contains("$.studentReference"));
  // The missing parent is reported once, not its children as well.
  CHECK_FALSE(errors.contains("$.studentReference.studentUniqueId"));
  CHECK(errors["$.studentAssessmentIdentifier"].front() == "StudentAssessmentIdentifier is required.");
}

TEST_CASE("required members of collection items are checked per item") {
  ValidationErrors errors;
  auto body = studentAssessment("SA-1", "S001");
  body["scoreResults"] = {{{"result", "5"}}};
  body["accommodations"] = {{{"accommodationDescriptor", "uri://ed-fi.org/AccommodationDescriptor#Settings"}},
                            nlohmann::json::object()};
  checkRequired(studentAssessments(), body, errors);
  CHECK(errors.contains("$.scoreResults[0].assessmentReportingMethodDescriptor"));
  CHECK(errors.contains("$.scoreResults[0].resultDatatypeTypeDescriptor"));
  CHECK_FALSE(errors.contains("$.scoreResults[0].result"));
  CHECK(errors.contains("$.accommodations[1].accommodationDescriptor"));
  CHECK_FALSE(errors.contains("$.accommodations[0].accommodationDescriptor"));
}

TEST_CASE("a body with an id is refused") {
  ValidationErrors errors;
  auto body = studentAssessment("SA-1", "S001");
  body["id"] = "abc";
  checkNoClientId(body, errors);
  CHECK(errors.contains("$.id"));
}

TEST_CASE("descriptor values are checked against the Data Standard subset") {
  const BuiltInCatalog catalog;
  auto check = [&](const std::string& field, const std::string& value) {
    ValidationErrors errors;
    checkDescriptors(catalog, {{"nested", {{{field, value}}}}}, errors);
    return errors;
  };
  CHECK(check("reasonNotTestedDescriptor", "uri://ed-fi.org/ReasonNotTestedDescriptor#Absent").empty());
  CHECK(check("eventCircumstanceDescriptor", "uri://ed-fi.org/EventCircumstanceDescriptor#Fire alarm").empty());
  CHECK(check("accommodationDescriptor", "uri://ed-fi.org/AccommodationDescriptor#Extra snacks").size() == 1);
  CHECK(check("accommodationDescriptor", "uri://ed-fi.org/AccommodationDescriptor#test administration").size() == 1);
  // A value of another type in a typed field.
  CHECK(check("accommodationDescriptor", "uri://ed-fi.org/ReasonNotTestedDescriptor#Absent").size() == 1);
  // Not a descriptor URI at all.
  CHECK(check("accommodationDescriptor", "Test administration").size() == 1);
  // Types outside the subset are accepted when well formed.
  CHECK(check("platformTypeDescriptor", "uri://ed-fi.org/PlatformTypeDescriptor#Computer").empty());
  auto errors = check("accommodationDescriptor", "uri://ed-fi.org/AccommodationDescriptor#Extra snacks");
  CHECK(errors.begin()->first == "$.nested[0].accommodationDescriptor");
}

TEST_CASE("a seed can add a state's own descriptor values") {
  BuiltInCatalog catalog;
  const std::string braille = "uri://state.example.org/AccommodationDescriptor#Braille";
  ValidationErrors before;
  checkDescriptors(catalog, {{"accommodationDescriptor", braille}}, before);
  CHECK_FALSE(before.empty());
  CHECK(catalog.addExtra(braille));
  ValidationErrors after;
  checkDescriptors(catalog, {{"accommodationDescriptor", braille}}, after);
  CHECK(after.empty());
  CHECK_FALSE(catalog.addExtra("not a descriptor"));
}

TEST_CASE("studentAssessmentIdentifier is limited to 60 characters, not bytes") {
  ValidationErrors errors;
  auto body = studentAssessment("SA-1", "S001");
  std::string sixtyAccented;
  for (int i = 0; i < 60; ++i) sixtyAccented += "é";
  body["studentAssessmentIdentifier"] = sixtyAccented;
  checkLengths(studentAssessments(), body, errors);
  CHECK(errors.empty());
  body["studentAssessmentIdentifier"] = sixtyAccented + "x";
  checkLengths(studentAssessments(), body, errors);
  CHECK(errors.contains("$.studentAssessmentIdentifier"));
}

TEST_CASE("parseDescriptorUri splits namespace, type and code value") {
  auto parsed = parseDescriptorUri("uri://ed-fi.org/AccommodationDescriptor#Test administration");
  REQUIRE(parsed.has_value());
  CHECK(parsed->namespaceUri == "uri://ed-fi.org");
  CHECK(parsed->type == "AccommodationDescriptor");
  CHECK(parsed->codeValue == "Test administration");
  CHECK_FALSE(parseDescriptorUri("uri://ed-fi.org/Accommodation#X").has_value());
  CHECK_FALSE(parseDescriptorUri("uri://ed-fi.org/AccommodationDescriptor#").has_value());
}

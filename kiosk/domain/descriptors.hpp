#pragma once
// Vocabulary a proctor chooses from. Ed-Fi descriptor values are the state's
// standard (reference/edfi.md); ID methods are the kiosk's own.
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::domain {

enum class IdMethod { PhotoId, SchoolId, StaffVouched, RefusedOrMismatch };
std::span<const IdMethod> allIdMethods();
std::string_view idMethodCode(IdMethod m);  // stable code stored in events: "photo_id"
std::optional<IdMethod> idMethodFromCode(std::string_view code);
inline bool idAccepted(IdMethod m) { return m != IdMethod::RefusedOrMismatch; }

inline constexpr std::string_view kEventCircumstanceNs = "uri://ed-fi.org/EventCircumstanceDescriptor#";
inline constexpr std::string_view kReasonNotTestedNs = "uri://ed-fi.org/ReasonNotTestedDescriptor#";
inline constexpr std::string_view kAccommodationNs = "uri://ed-fi.org/AccommodationDescriptor#";

// Ed-Fi EventCircumstanceDescriptor code values (Data Standard 5).
std::span<const std::string_view> eventCircumstances();
// Ed-Fi ReasonNotTestedDescriptor code values.
std::span<const std::string_view> reasonsNotTested();
// Ed-Fi AccommodationDescriptor categories.
std::span<const std::string_view> accommodationCategories();

// "uri://ed-fi.org/AccommodationDescriptor#Test administration" -> "Test administration"
std::string_view descriptorCodeValue(std::string_view descriptor);

// One value of a descriptor type as a state's server lists it.
struct ListedDescriptor {
    std::string ns;  // "uri://ed-fi.org/ReasonNotTestedDescriptor" (no '#')
    std::string codeValue;
    std::string shortDescription;
};
// The state's URI for a value the kiosk offers (its Ed-Fi URI): the same
// value in the Ed-Fi namespace; else the same code value in the state's own
// namespace (letter case aside); else the one value whose short description
// is that code, or whose code value begins with it and a space ("Test
// administration" -> "Test administration accommodation"). Nothing when the
// state lists none of these: a pre-flight finding.
std::optional<std::string> matchDescriptor(std::string_view kioskUri, const std::vector<ListedDescriptor>& listed);

// Kiosk URI -> the state's URI, for the values that differ; shared by every
// machine of a site, so all build the same record.
using DescriptorMap = std::map<std::string, std::string, std::less<>>;
std::string stateDescriptor(const DescriptorMap& map, std::string_view kioskUri);

} // namespace kiosk::domain

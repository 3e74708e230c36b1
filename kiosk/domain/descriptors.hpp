#pragma once
// Vocabulary a proctor chooses from. Ed-Fi descriptor values are the state's
// standard (reference/edfi.md); ID methods are the kiosk's own.
#include <optional>
#include <span>
#include <string>
#include <string_view>

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

} // namespace kiosk::domain

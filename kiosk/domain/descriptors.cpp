#include "kiosk/domain/descriptors.hpp"

#include <array>

namespace kiosk::domain {

namespace {
constexpr std::array kIdMethods{IdMethod::PhotoId, IdMethod::SchoolId, IdMethod::StaffVouched, IdMethod::RefusedOrMismatch};
constexpr std::array<std::string_view, 4> kIdCodes{"photo_id", "school_id", "staff_vouched", "refused_mismatch"};

// EventCircumstanceDescriptor values confirmed in reference/edfi.md. Ed-Fi
// defines 32; the rest arrive with the state's descriptor download rather
// than being guessed here (an unknown value is a permanent 400).
constexpr std::array<std::string_view, 7> kCircumstances{
    "Administration or system failure", "Cheating", "Fire alarm", "Left testing",
    "Student not showing adequate effort", "Student refusal", "Other",
};

constexpr std::array<std::string_view, 14> kReasonsNotTested{
    "Absent", "Alternate assessment administered", "Disruptive behavior", "Foreign exchange student waiver",
    "LEP exempt", "LEP postponement", "Medical waiver", "Not appropriate (ARD decision)",
    "Not tested (ARD decision)", "Other", "Parental waiver", "Previously passed the examination",
    "Refusal by parent", "Refusal by student",
};

constexpr std::array<std::string_view, 9> kAccommodations{
    "504 accommodation", "English language learner accommodation", "Other", "Scheduling", "Settings",
    "Student equipment/technology", "Test administration", "Test material", "Test response",
};
} // namespace

std::span<const IdMethod> allIdMethods() { return kIdMethods; }

std::string_view idMethodCode(IdMethod m) { return kIdCodes[static_cast<std::size_t>(m)]; }

std::optional<IdMethod> idMethodFromCode(std::string_view code) {
    for (std::size_t i = 0; i < kIdCodes.size(); ++i)
        if (kIdCodes[i] == code) return kIdMethods[i];
    return std::nullopt;
}

std::span<const std::string_view> eventCircumstances() { return kCircumstances; }
std::span<const std::string_view> reasonsNotTested() { return kReasonsNotTested; }
std::span<const std::string_view> accommodationCategories() { return kAccommodations; }

std::string_view descriptorCodeValue(std::string_view descriptor) {
    auto hash = descriptor.rfind('#');
    return hash == std::string_view::npos ? descriptor : descriptor.substr(hash + 1);
}

} // namespace kiosk::domain

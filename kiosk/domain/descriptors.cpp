#include "kiosk/domain/descriptors.hpp"

#include <algorithm>
#include <cctype>

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

namespace {

bool sameIgnoringCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string uriOf(const ListedDescriptor& d) { return d.ns + "#" + d.codeValue; }

} // namespace

std::optional<std::string> matchDescriptor(std::string_view kioskUri, const std::vector<ListedDescriptor>& listed) {
    const auto hash = kioskUri.rfind('#');
    if (hash == std::string_view::npos) return std::nullopt;
    const std::string_view ns = kioskUri.substr(0, hash);
    const std::string_view code = kioskUri.substr(hash + 1);
    for (const auto& d : listed)
        if (d.ns == ns && d.codeValue == code) return std::string(kioskUri);
    for (const auto& d : listed)
        if (sameIgnoringCase(d.codeValue, code)) return uriOf(d);
    const ListedDescriptor* only = nullptr;
    int found = 0;
    for (const auto& d : listed) {
        const bool prefixed = d.codeValue.size() > code.size() + 1 && sameIgnoringCase(std::string_view(d.codeValue).substr(0, code.size()), code) &&
                              d.codeValue[code.size()] == ' ';
        if (sameIgnoringCase(d.shortDescription, code) || prefixed) {
            only = &d;
            ++found;
        }
    }
    // Two candidates are a guess: the pre-flight names the value instead.
    if (found == 1) return uriOf(*only);
    return std::nullopt;
}

std::string stateDescriptor(const DescriptorMap& map, std::string_view kioskUri) {
    auto it = map.find(kioskUri);
    return it == map.end() ? std::string(kioskUri) : it->second;
}

} // namespace kiosk::domain

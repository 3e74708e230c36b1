#pragma once
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace edfi_double {

// "uri://ed-fi.org/AccommodationDescriptor#Test administration" in parts.
struct DescriptorUri {
    std::string namespaceUri; // uri://ed-fi.org
    std::string type;         // AccommodationDescriptor
    std::string codeValue;    // Test administration
};

std::optional<DescriptorUri> parseDescriptorUri(std::string_view text);

// The descriptor values the double accepts. A type with at least one known
// value is checked strictly; other types are accepted as long as the URI is
// well formed, because the double carries only a subset of Data Standard 5.x.
// Thread-safe: seeds may add state-namespace values while requests run.
class DescriptorCatalog {
public:
    DescriptorCatalog();

    // {"namespace": "uri://ed-fi.org", "descriptors": {"XDescriptor": ["Code", ...]}}
    void loadBuiltIn(const nlohmann::json& document);
    // A full URI, e.g. a state's own accommodation value from a seed.
    bool addExtra(std::string_view uri);
    void clearExtras();

    bool knowsType(std::string_view type) const;
    bool contains(std::string_view uri) const;
    // Every value of one type ("ReasonNotTestedDescriptor"), as GET
    // /ed-fi/reasonNotTestedDescriptors lists them.
    std::vector<DescriptorUri> valuesOfType(std::string_view type) const;
    // Values this server plays without (a deployment that lacks them): not
    // listed, and refused in a record as unknown.
    void setWithheld(std::set<std::string, std::less<>> uris);

private:
    mutable std::shared_mutex m_mutex;
    std::set<std::string, std::less<>> m_builtIn;
    std::set<std::string, std::less<>> m_extras;
    std::set<std::string, std::less<>> m_builtInTypes;
    std::set<std::string, std::less<>> m_extraTypes;
    std::set<std::string, std::less<>> m_withheld;
};

// The subset committed in data/descriptor_values.json, embedded at build time.
std::string_view builtInDescriptorJson();

} // namespace edfi_double

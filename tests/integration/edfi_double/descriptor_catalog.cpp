#include "edfi_double/descriptor_catalog.hpp"

#include <mutex>

#include <nlohmann/json.hpp>

namespace edfi_double {

std::optional<DescriptorUri> parseDescriptorUri(std::string_view text) {
    std::size_t hash = text.find('#');
    if (hash == std::string_view::npos || hash + 1 >= text.size()) return std::nullopt;
    std::string_view head = text.substr(0, hash);
    std::size_t slash = head.rfind('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 >= head.size()) return std::nullopt;
    std::string_view type = head.substr(slash + 1);
    if (!type.ends_with("Descriptor")) return std::nullopt;
    return DescriptorUri{std::string(head.substr(0, slash)), std::string(type), std::string(text.substr(hash + 1))};
}

DescriptorCatalog::DescriptorCatalog() = default;

void DescriptorCatalog::loadBuiltIn(const nlohmann::json& document) {
    std::unique_lock lock(m_mutex);
    const std::string ns = document.at("namespace").get<std::string>();
    for (const auto& [type, values] : document.at("descriptors").items()) {
        m_builtInTypes.insert(type);
        for (const auto& value : values)
            m_builtIn.insert(ns + "/" + type + "#" + value.get<std::string>());
    }
}

bool DescriptorCatalog::addExtra(std::string_view uri) {
    auto parsed = parseDescriptorUri(uri);
    if (!parsed) return false;
    std::unique_lock lock(m_mutex);
    m_extras.insert(std::string(uri));
    m_extraTypes.insert(parsed->type);
    return true;
}

void DescriptorCatalog::clearExtras() {
    std::unique_lock lock(m_mutex);
    m_extras.clear();
    m_extraTypes.clear();
}

bool DescriptorCatalog::knowsType(std::string_view type) const {
    std::shared_lock lock(m_mutex);
    return m_builtInTypes.contains(type) || m_extraTypes.contains(type);
}

bool DescriptorCatalog::contains(std::string_view uri) const {
    std::shared_lock lock(m_mutex);
    return (m_builtIn.contains(uri) || m_extras.contains(uri)) && !m_withheld.contains(uri);
}

std::vector<DescriptorUri> DescriptorCatalog::valuesOfType(std::string_view type) const {
    std::shared_lock lock(m_mutex);
    std::vector<DescriptorUri> out;
    for (const auto* set : {&m_builtIn, &m_extras})
        for (const auto& uri : *set) {
            if (m_withheld.contains(uri)) continue;
            auto parsed = parseDescriptorUri(uri);
            if (parsed && parsed->type == type) out.push_back(std::move(*parsed));
        }
    return out;
}

void DescriptorCatalog::setWithheld(std::set<std::string, std::less<>> uris) {
    std::unique_lock lock(m_mutex);
    m_withheld = std::move(uris);
}

} // namespace edfi_double

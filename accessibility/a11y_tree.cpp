#include "accessibility/a11y_tree.hpp"

#include <array>

namespace kiosk::accessibility {

std::string_view roleKey(Role r) {
    static constexpr std::array<std::string_view, 10> kKeys{
        "role.button", "role.textField", "role.checkbox", "role.radio", "role.listItem",
        "role.heading", "role.text", "role.dialog", "role.status", "role.alert",
    };
    return kKeys[static_cast<std::size_t>(r)];
}

const Node* Tree::focused() const {
    for (const auto& n : m_nodes)
        if (n.focused) return &n;
    return nullptr;
}

const Node* Tree::find(std::string_view label) const {
    for (const auto& n : m_nodes)
        if (n.label == label) return &n;
    return nullptr;
}

std::vector<const Node*> Tree::focusable() const {
    std::vector<const Node*> out;
    for (const auto& n : m_nodes)
        if (n.focusable) out.push_back(&n);
    return out;
}

} // namespace kiosk::accessibility

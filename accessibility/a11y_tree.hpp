#pragma once
// The kiosk's own accessibility tree, rebuilt every frame by the widget layer
// (Dear ImGui has none). Read-aloud, focus-order checks and UI tests all read
// this one tree.
#include <cstdint>
#include <string>
#include <vector>

namespace kiosk::accessibility {

enum class Role { Button, TextField, Checkbox, RadioButton, ListItem, Heading, StaticText, Dialog, Status, Alert };
std::string_view roleKey(Role r);  // string key of the role's spoken name

struct Rect {
    float x = 0, y = 0, w = 0, h = 0;
    bool overlaps(const Rect& o) const { return x < o.x + o.w && o.x < x + w && y < o.y + o.h && o.y < y + h; }
    bool inside(const Rect& o) const { return x >= o.x && y >= o.y && x + w <= o.x + o.w && y + h <= o.y + o.h; }
};

struct Node {
    std::uint32_t id = 0;  // the widget's ImGui id; 0 for non-interactive text
    Role role = Role::StaticText;
    std::string label;
    std::string value;
    bool focusable = false;
    bool tabStop = true;     // false for the rows of a list other than its current one: arrows move within a list, Tab leaves it
    bool focused = false;
    bool ring = false;       // the focus ring was drawn on it (only ever on the focused node)
    bool checked = false;
    bool selected = false;
    bool disabled = false;
    bool truncated = false;  // label drawn shorter than its text, or cut off at its window's edge
    bool fullTextOnFocus = false;  // the whole label is shown (tooltip) while it is focused or hovered
    Rect rect;
    Rect clip;               // the visible region of its window
    Rect reach;              // where scrolling (vertical only) can bring it into view
    std::string scope;       // window or dialog it belongs to
};

class Tree {
public:
    void clear() { m_nodes.clear(); }
    void add(Node n) { m_nodes.push_back(std::move(n)); }
    void clearFocus() {
        for (auto& n : m_nodes) n.focused = false;
    }
    const std::vector<Node>& nodes() const { return m_nodes; }
    Node& lastNode() { return m_nodes.back(); }
    const Node* focused() const;
    const Node* find(std::string_view label) const;
    std::vector<const Node*> focusable() const;

private:
    std::vector<Node> m_nodes;
};

} // namespace kiosk::accessibility

#include "accessibility/spoken_text.hpp"

namespace kiosk::accessibility {

namespace {

void appendPart(std::string& out, const std::string& part) {
    if (part.empty()) return;
    if (!out.empty()) out += ", ";
    out += part;
}

bool endsWithStop(const std::string& s) {
    if (s.empty()) return false;
    char c = s.back();
    return c == '.' || c == '?' || c == '!' || c == ':' || (s.size() >= 3 && s.compare(s.size() - 3, 3, "\xE2\x80\xA6") == 0);
}

} // namespace

std::string speakable(std::string_view label) {
    std::string out;
    out.reserve(label.size());
    constexpr std::string_view kDot = "\xC2\xB7";  // "·"
    for (std::size_t i = 0; i < label.size();) {
        if (label.compare(i, kDot.size(), kDot) == 0 || label[i] == '\n') {
            while (!out.empty() && out.back() == ' ') out.pop_back();
            if (!out.empty() && out.back() != ',') out += ',';
            i += label[i] == '\n' ? 1 : kDot.size();
            while (i < label.size() && label[i] == ' ') ++i;
            out += ' ';
            continue;
        }
        if (label[i] == ' ' && !out.empty() && out.back() == ' ') {
            ++i;
            continue;
        }
        out += label[i++];
    }
    while (!out.empty() && (out.back() == ' ' || out.back() == ',')) out.pop_back();
    if (!out.empty() && out.front() == ' ') out.erase(0, 1);
    return out;
}

std::string describeNode(const Node& n, const Strings& s) {
    std::string out = speakable(n.label);
    if (n.role != Role::StaticText && n.role != Role::Status) appendPart(out, s.get(roleKey(n.role)));
    if (n.role == Role::TextField) appendPart(out, n.value.empty() ? s.get("speech.blank") : n.value);
    else if (!n.value.empty()) appendPart(out, speakable(n.value));
    if (n.role == Role::Checkbox) appendPart(out, s.get(n.checked ? "speech.checked" : "speech.notChecked"));
    if (n.role == Role::RadioButton) appendPart(out, s.get(n.selected ? "speech.selected" : "speech.notSelected"));
    if (n.role == Role::ListItem && n.selected) appendPart(out, s.get("speech.selected"));
    if (n.disabled) appendPart(out, s.get("speech.unavailable"));
    return out;
}

std::string describeScreen(const Tree& tree, const Strings& s) {
    const auto& nodes = tree.nodes();
    bool dialog = false;
    for (const auto& n : nodes)
        if (!n.scope.empty() && n.scope != "main") dialog = true;
    std::string out;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const Node& n = nodes[i];
        if (n.label.empty() && n.value.empty()) continue;
        if (dialog && (n.scope.empty() || n.scope == "main")) continue;
        if (n.role == Role::StaticText && i + 1 < nodes.size() && nodes[i + 1].focusable && nodes[i + 1].label == n.label) continue;
        std::string part = describeNode(n, s);
        if (part.empty()) continue;
        if (!out.empty()) out += endsWithStop(out) ? " " : ". ";
        out += part;
    }
    if (!out.empty() && !endsWithStop(out)) out += '.';
    return out;
}

} // namespace kiosk::accessibility

#include "kiosk/ui/widgets.hpp"

#include "kiosk/ui/keys.hpp"
#include "kiosk/ui/palette.hpp"

#include <imgui_internal.h>
#include <imgui_stdlib.h>

#include <algorithm>

namespace kiosk::ui {

using accessibility::Role;

namespace {

// "Check in##dialog" is shown and spoken as "Check in".
std::string visibleLabel(const std::string& label) {
    auto hash = label.find("##");
    return hash == std::string::npos ? label : label.substr(0, hash);
}

accessibility::Rect lastItemRect() {
    ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    return {a.x, a.y, b.x - a.x, b.y - a.y};
}

accessibility::Rect windowClip() {
    ImGuiWindow* w = ImGui::GetCurrentWindow();
    const ImRect& r = w->ClipRect;
    return {r.Min.x, r.Min.y, r.Max.x - r.Min.x, r.Max.y - r.Min.y};
}

bool keyboardFocusVisible() { return !GImGui->NavDisableHighlight; }

} // namespace

void Widgets::begin(accessibility::Tree& tree, const Palette& palette, float em) {
    m_tree = &tree;
    m_palette = &palette;
    m_em = em;
    m_tabbed = false;
    m_focusedThisFrame = 0;
    m_tree->clear();
}

void Widgets::end() {
    // Tab and Shift+Tab move through focusable widgets in drawing order,
    // within the open dialog when there is one.
    if (!ImGui::IsKeyPressed(keys::Tab)) return;
    bool back = ImGui::GetIO().KeyShift;
    std::vector<const accessibility::Node*> order;
    bool modal = false;
    for (const auto& n : m_tree->nodes())
        if (n.focusable && !n.disabled && !n.scope.empty() && n.scope != "main") modal = true;
    for (const auto& n : m_tree->nodes()) {
        if (!n.focusable || n.disabled) continue;
        bool inModal = !n.scope.empty() && n.scope != "main";
        if (modal == inModal) order.push_back(&n);
    }
    if (order.empty()) return;
    auto current = std::find_if(order.begin(), order.end(), [](const auto* n) { return n->focused; });
    std::ptrdiff_t i = current == order.end() ? (back ? 0 : -1) : current - order.begin();
    auto size = static_cast<std::ptrdiff_t>(order.size());
    i = ((back ? i - 1 : i + 1) % size + size) % size;
    m_pendingFocus = order[static_cast<std::size_t>(i)]->id;
    m_tabbed = true;
}

void Widgets::record(Role role, const std::string& label, const std::string& value, bool focusable, bool checked, bool selected,
                     bool disabled) {
    accessibility::Node n;
    n.id = focusable ? ImGui::GetItemID() : 0;
    n.role = role;
    n.label = visibleLabel(label);
    n.value = value;
    n.focusable = focusable;
    n.focused = focusable && (ImGui::IsItemFocused() || ImGui::IsItemActive());
    n.checked = checked;
    n.selected = selected;
    n.disabled = disabled;
    n.rect = lastItemRect();
    n.clip = windowClip();
    n.scope = m_modalScope.empty() ? "main" : m_modalScope;
    if (focusable && !n.label.empty()) {
        float textWidth = ImGui::CalcTextSize(n.label.c_str()).x;
        n.truncated = textWidth > n.rect.w + 1.0f && role != Role::TextField && role != Role::Checkbox && role != Role::RadioButton;
    }
    m_tree->add(std::move(n));
}

void Widgets::drawFocusRing() {
    if (!(ImGui::IsItemFocused() && keyboardFocusVisible())) return;
    float thickness = std::max(3.0f, 0.15f * m_em);
    float gap = thickness * 0.5f + 1.0f;
    ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    ImGui::GetWindowDrawList()->AddRect(ImVec2(a.x - gap, a.y - gap), ImVec2(b.x + gap, b.y + gap),
                                        ImGui::GetColorU32(m_palette->focusRing), 0.2f * m_em, 0, thickness);
}

bool Widgets::takeFocusRequest(ImGuiID id, const std::string& label) {
    bool byId = m_pendingFocus != 0 && m_pendingFocus == id;
    bool byLabel = !m_pendingFocusLabel.empty() && m_pendingFocusLabel == label;
    if (!byId && !byLabel) return false;
    m_pendingFocus = 0;
    m_pendingFocusLabel.clear();
    m_focusedThisFrame = id;
    // Focus moves this frame: what was recorded as focused earlier no longer is.
    m_tree->clearFocus();
    return true;
}

void Widgets::applyPendingFocus(const std::string& label) {
    ImGuiID id = ImGui::GetItemID();
    if (!takeFocusRequest(id, label)) return;
    if (GImGui->ActiveId != 0 && GImGui->ActiveId != id) ImGui::ClearActiveID();
    ImGui::SetFocusID(id, ImGui::GetCurrentWindow());
    ImGui::SetItemDefaultFocus();  // a window that just appeared would otherwise focus its first item
    GImGui->NavDisableHighlight = false;
    GImGui->NavDisableMouseHover = true;
    if (!ImGui::IsItemVisible()) ImGui::SetScrollHereY(0.5f);
}

bool Widgets::enterOnFocused() const {
    // Dear ImGui 1.86 activates buttons with Space only; a kiosk user expects Enter too.
    if (ImGui::GetItemID() == m_focusedThisFrame) return false;
    return ImGui::IsItemFocused() && (ImGui::IsKeyPressed(keys::Enter, false) || ImGui::IsKeyPressed(keys::KeypadEnter, false));
}

bool Widgets::button(const std::string& label, Emphasis emphasis, ImVec2 size, bool enabled) {
    int colours = 0;
    if (emphasis != Emphasis::Normal) {
        ImVec4 base = emphasis == Emphasis::Primary ? m_palette->accent : m_palette->danger;
        ImVec4 text = emphasis == Emphasis::Primary ? m_palette->accentText : m_palette->background;
        ImGui::PushStyleColor(ImGuiCol_Button, base);
        ImGui::PushStyleColor(ImGuiCol_ButtonHovered, base);
        ImGui::PushStyleColor(ImGuiCol_ButtonActive, base);
        ImGui::PushStyleColor(ImGuiCol_Text, text);
        colours = 4;
    }
    if (!enabled) ImGui::BeginDisabled();
    bool pressed = ImGui::Button(label.c_str(), size);
    if (!enabled) ImGui::EndDisabled();
    if (colours) ImGui::PopStyleColor(colours);
    applyPendingFocus(label);
    if (enabled && enterOnFocused()) pressed = true;
    drawFocusRing();
    record(Role::Button, label, {}, true, false, false, !enabled);
    return pressed && enabled;
}

bool Widgets::textField(const std::string& label, std::string& value, const std::string& hint, bool enterReturnsTrue, float widthEm,
                        std::size_t maxBytes) {
    std::string visible = "##" + label;
    ImGuiID id = ImGui::GetID(visible.c_str());
    if (takeFocusRequest(id, label)) {
        // Focus requested before drawing so typing goes straight in.
        if (GImGui->ActiveId != 0 && GImGui->ActiveId != id) ImGui::ClearActiveID();
        ImGui::SetKeyboardFocusHere();
        GImGui->NavDisableHighlight = false;
    }
    ImGui::SetNextItemWidth(widthEm > 0 ? widthEm * m_em : -FLT_MIN);
    ImGuiInputTextFlags flags = enterReturnsTrue ? ImGuiInputTextFlags_EnterReturnsTrue : 0;
    bool result = hint.empty() ? ImGui::InputText(visible.c_str(), &value, flags)
                               : ImGui::InputTextWithHint(visible.c_str(), hint.c_str(), &value, flags);
    if (value.size() > maxBytes) {
        // Cut on a UTF-8 boundary so nothing half a character long is stored.
        std::size_t cut = maxBytes;
        while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
        value.resize(cut);
    }
    bool focused = ImGui::IsItemFocused() || ImGui::IsItemActive();
    if (focused) {
        float thickness = std::max(3.0f, 0.15f * m_em);
        float gap = thickness * 0.5f + 1.0f;
        ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
        ImGui::GetWindowDrawList()->AddRect(ImVec2(a.x - gap, a.y - gap), ImVec2(b.x + gap, b.y + gap),
                                            ImGui::GetColorU32(m_palette->focusRing), 0.2f * m_em, 0, thickness);
    }
    record(Role::TextField, label, value, true);
    return result;
}

bool Widgets::checkbox(const std::string& label, bool& value, bool enabled) {
    if (!enabled) ImGui::BeginDisabled();
    bool changed = ImGui::Checkbox(label.c_str(), &value);
    if (!enabled) ImGui::EndDisabled();
    applyPendingFocus(label);
    if (enabled && !changed && enterOnFocused()) {
        value = !value;
        changed = true;
    }
    drawFocusRing();
    record(Role::Checkbox, label, {}, true, value, false, !enabled);
    return changed && enabled;
}

bool Widgets::radio(const std::string& label, bool active) {
    bool pressed = ImGui::RadioButton(label.c_str(), active);
    applyPendingFocus(label);
    if (enterOnFocused()) pressed = true;
    drawFocusRing();
    record(Role::RadioButton, label, {}, true, active, active);
    return pressed;
}

bool Widgets::listItem(const std::string& id, const std::string& label, const std::string& value, bool selected, float height) {
    ImGui::PushID(id.c_str());
    if (selected) ImGui::PushStyleColor(ImGuiCol_Text, m_palette->selectionText);
    bool pressed = ImGui::Selectable((label + "##row").c_str(), selected, ImGuiSelectableFlags_None, ImVec2(0, height));
    if (selected) ImGui::PopStyleColor();
    applyPendingFocus(label);
    if (enterOnFocused()) pressed = true;
    drawFocusRing();
    record(accessibility::Role::ListItem, label, value, true, false, selected);
    ImGui::PopID();
    return pressed;
}

void Widgets::heading(const std::string& text) {
    ImGui::PushStyleColor(ImGuiCol_Text, m_palette->text);
    ImGui::TextWrapped("%s", text.c_str());
    ImGui::PopStyleColor();
    record(Role::Heading, text, {}, false);
}

void Widgets::text(const std::string& text, Role role) {
    ImGui::TextUnformatted(text.c_str());
    record(role, text, {}, false);
}

void Widgets::textColoured(const std::string& text, ImVec4 colour, Role role) {
    ImGui::PushStyleColor(ImGuiCol_Text, colour);
    ImGui::TextWrapped("%s", text.c_str());
    ImGui::PopStyleColor();
    record(role, text, {}, false);
}

void Widgets::wrappedText(const std::string& text) {
    ImGui::TextWrapped("%s", text.c_str());
    record(Role::StaticText, text, {}, false);
}

} // namespace kiosk::ui

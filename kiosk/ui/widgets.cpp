#include "kiosk/ui/widgets.hpp"

#include "kiosk/ui/style.hpp"

#include "kiosk/ui/keys.hpp"
#include "kiosk/ui/palette.hpp"
#include "kiosk/ui/text_fit.hpp"

#include <imgui_internal.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace kiosk::ui {

using accessibility::Role;

namespace {

accessibility::Rect toRect(ImVec2 a, ImVec2 b) { return {a.x, a.y, b.x - a.x, b.y - a.y}; }

accessibility::Rect lastItemRect() { return toRect(ImGui::GetItemRectMin(), ImGui::GetItemRectMax()); }

accessibility::Rect windowClip() {
    const ImRect& r = ImGui::GetCurrentWindow()->ClipRect;
    return toRect(r.Min, r.Max);
}

// Where the item can be brought by scrolling: across, only what is visible
// now (the kiosk never scrolls sideways); down, the window's inner area
// stretched by how far it and each window around it can still scroll.
accessibility::Rect windowReach() {
    ImGuiWindow* w = ImGui::GetCurrentWindow();
    const ImRect& clip = w->ClipRect;
    float top = w->InnerRect.Min.y, bottom = w->InnerRect.Max.y;
    for (ImGuiWindow* v = w; v; v = (v->Flags & ImGuiWindowFlags_ChildWindow) ? v->ParentWindow : nullptr) {
        top -= v->Scroll.y;
        bottom += v->ScrollMax.y - v->Scroll.y;
    }
    return {clip.Min.x, top, clip.Max.x - clip.Min.x, bottom - top};
}

bool keyboardFocusVisible() { return !GImGui->NavDisableHighlight; }

float ringThickness(float em) { return std::max(3.0f, 0.15f * em); }

// On the frame a screen or pane first appears its geometry is provisional:
// scrolling to an item there scrolls the page to the wrong place.
bool windowSettled() {
    for (ImGuiWindow* w = ImGui::GetCurrentWindow(); w; w = (w->Flags & ImGuiWindowFlags_ChildWindow) ? w->ParentWindow : nullptr)
        if (w->Appearing || w->HiddenFramesCannotSkipItems > 0) return false;
    return true;
}

} // namespace

std::string Widgets::visibleLabel(const std::string& label) {
    auto hash = label.find("##");
    return hash == std::string::npos ? label : label.substr(0, hash);
}

std::string Widgets::wrapToWidth(const std::string& text, float width) {
    std::string out;
    std::size_t lineStart = 0;
    while (lineStart <= text.size()) {
        std::size_t lineEnd = text.find('\n', lineStart);
        if (lineEnd == std::string::npos) lineEnd = text.size();
        std::string_view line(text.data() + lineStart, lineEnd - lineStart);
        std::string current;
        std::size_t i = 0;
        while (i < line.size()) {
            std::size_t space = line.find(' ', i);
            std::size_t wordEnd = space == std::string_view::npos ? line.size() : space;
            std::string_view word = line.substr(i, wordEnd - i);
            std::string candidate = current.empty() ? std::string(word) : current + " " + std::string(word);
            if (!current.empty() && ImGui::CalcTextSize(candidate.c_str()).x > width) {
                out += current + "\n";
                current = std::string(word);
            } else {
                current = std::move(candidate);
            }
            i = wordEnd + 1;
        }
        out += current;
        if (lineEnd == text.size()) break;
        out += "\n";
        lineStart = lineEnd + 1;
    }
    return out;
}

std::uint32_t Widgets::focusedId() {
    const ImGuiContext& g = *GImGui;
    return g.ActiveId != 0 ? g.ActiveId : g.NavId;
}

bool Widgets::itemHasFocus() const {
    // While focus is on its way to another control (a request not yet taken
    // this frame), the control it leaves has neither the ring nor the keys.
    if (hasPendingFocus()) return false;
    return ImGui::GetItemID() != 0 && ImGui::GetItemID() == focusedId();
}

void Widgets::noteActivation(const std::string& label) {
    m_activations.push_back({ImGui::GetItemID(), visibleLabel(label), m_modalScope.empty() ? "main" : m_modalScope, false});
}

void Widgets::noteDefaultAction(const std::string& label) {
    m_activations.push_back({0, visibleLabel(label), m_modalScope.empty() ? "main" : m_modalScope, true});
}

void Widgets::begin(accessibility::Tree& tree, const Palette& palette, float em) {
    // A request for a control that never showed up (renamed, gone) is dropped
    // after a few frames, so the ring cannot stay hidden waiting for it.
    if (hasPendingFocus() && ++m_pendingAge > 3) {
        m_pendingFocus = 0;
        m_pendingFocusLabel.clear();
    }
    if (!hasPendingFocus()) m_pendingAge = 0;
    m_activations.clear();
    m_keyboardFocusRequested = false;
    m_focusHeld = false;
    m_tree = &tree;
    m_palette = &palette;
    m_em = em;
    m_tabbed = false;
    m_focusedThisFrame = 0;
    m_tree->clear();
}

void Widgets::moveFocusOffDisabled() {
    // An action that disables its own button (Break out, No-show…) would
    // leave focus on a control that takes no keys and no Tab from it: focus
    // goes on to the next control that can act, in drawing order.
    // Not in the frame focus was put somewhere on purpose: that control may
    // only be enabled from the next frame on (Back from break, after Break out).
    if (hasPendingFocus() || m_keyboardFocusRequested || m_focusedThisFrame != 0) return;
    const auto& nodes = m_tree->nodes();
    auto at = std::find_if(nodes.begin(), nodes.end(), [](const auto& n) { return n.focusable && n.focused; });
    if (at == nodes.end() || !at->disabled) return;
    auto start = static_cast<std::size_t>(at - nodes.begin());
    for (std::size_t k = 1; k < nodes.size(); ++k) {
        const auto& n = nodes[(start + k) % nodes.size()];
        if (n.focusable && !n.disabled && n.tabStop && n.scope == at->scope) {
            m_pendingFocus = n.id;
            return;
        }
    }
}

void Widgets::keepFocusSomewhere() {
    // Dear ImGui's navigation drops focus altogether on an Escape nothing
    // else took (and a few other ways): focus stays on the control that had
    // it while that control is still on screen.
    const auto& nodes = m_tree->nodes();
    auto focused = std::find_if(nodes.begin(), nodes.end(), [](const auto& n) { return n.focusable && n.focused; });
    if (focused != nodes.end()) {
        m_lastFocused = focused->id;
        return;
    }
    // Only when Dear ImGui holds no focus at all: between a text field's focus
    // request and its activation, focus is in flight, not lost.
    if (hasPendingFocus() || m_lastFocused == 0 || focusedId() != 0 || m_keyboardFocusRequested) return;
    // Never behind an open dialog.
    bool modal = std::any_of(nodes.begin(), nodes.end(), [](const auto& n) { return n.focusable && !n.scope.empty() && n.scope != "main"; });
    bool stillThere = std::any_of(nodes.begin(), nodes.end(), [&](const auto& n) {
        return n.focusable && !n.disabled && n.id == m_lastFocused && modal == (!n.scope.empty() && n.scope != "main");
    });
    if (stillThere) m_pendingFocus = m_lastFocused;
    else m_lastFocused = 0;
}

void Widgets::end() {
    bool tab = ImGui::IsKeyPressed(keys::Tab);
    if (!tab) {
        moveFocusOffDisabled();
        keepFocusSomewhere();
        return;
    }
    // Tab and Shift+Tab move through focusable widgets in drawing order,
    // within the open dialog when there is one; from a control that was just
    // disabled, on from where it stands.
    bool back = ImGui::GetIO().KeyShift;
    std::vector<const accessibility::Node*> order;
    bool modal = false;
    for (const auto& n : m_tree->nodes())
        if (n.focusable && !n.disabled && !n.scope.empty() && n.scope != "main") modal = true;
    for (const auto& n : m_tree->nodes()) {
        if (!n.focusable || !(n.tabStop || n.focused) || (n.disabled && !n.focused)) continue;
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
                     bool disabled, bool truncated) {
    if (focusable) scrollIfTarget();
    accessibility::Node n;
    n.id = focusable ? ImGui::GetItemID() : 0;
    n.role = role;
    n.label = visibleLabel(label);
    n.value = value;
    n.focusable = focusable;
    n.focused = focusable && itemHasFocus();
    n.checked = checked;
    n.selected = selected;
    n.disabled = disabled;
    n.rect = lastItemRect();
    n.clip = windowClip();
    n.reach = windowReach();
    n.scope = m_modalScope.empty() ? "main" : m_modalScope;
    n.ring = focusable && std::exchange(m_ringDrawn, false);
    // Anything running past its window's right edge is cut off there.
    n.truncated = truncated || n.rect.x + n.rect.w > n.clip.x + n.clip.w + 0.5f;
    n.fullTextOnFocus = n.truncated && focusable;  // showFullText() draws it for every focusable widget
    m_tree->add(std::move(n));
}

void Widgets::drawFocusRing() {
    m_ringDrawn = itemHasFocus() && keyboardFocusVisible();
    if (m_ringDrawn) ringAround(ImGui::GetItemRectMin(), ImGui::GetItemRectMax());
}

void Widgets::ringAround(ImVec2 a, ImVec2 b) {
    float thickness = ringThickness(m_em);
    float gap = thickness;  // a clear band of the background between ring and control, whatever the control's colour
    // Outside the control where there is room; pulled inside where the
    // window's edge would cut it (a list row spans its list's full width).
    // A control scrolled partly out of view keeps its ring where the control
    // is, cut by the edge like the control: pulled in, it would draw a bar
    // along the pane's edge over whatever is shown there.
    const ImRect& clip = ImGui::GetCurrentWindow()->ClipRect;
    if (b.y <= clip.Min.y || a.y >= clip.Max.y || b.x <= clip.Min.x || a.x >= clip.Max.x) return;  // out of view
    float half = thickness * 0.5f;
    float top = a.y < clip.Min.y - half ? a.y - gap : std::max(a.y - gap, clip.Min.y + half);
    float bottom = b.y > clip.Max.y + half ? b.y + gap : std::min(b.y + gap, clip.Max.y - half);
    ImVec2 ra(std::max(a.x - gap, clip.Min.x + half), top);
    ImVec2 rb(std::min(b.x + gap, clip.Max.x - half), bottom);
    ImGui::GetWindowDrawList()->AddRect(ra, rb, ImGui::GetColorU32(m_palette->focusRing), 0.2f * m_em, 0, thickness);
}

void Widgets::showFullText(const std::string& text, bool truncated) {
    if (!truncated || !(ImGui::IsItemFocused() || ImGui::IsItemActive() || ImGui::IsItemHovered())) return;
    // Next to the control (not at the mouse), so keyboard users see it too.
    const ImGuiIO& io = ImGui::GetIO();
    ImVec2 at(std::max(0.0f, ImGui::GetItemRectMin().x), ImGui::GetItemRectMax().y + 0.3f * m_em);
    float width = std::max(10.0f * m_em, io.DisplaySize.x - at.x - m_em);
    if (width > io.DisplaySize.x - m_em) width = io.DisplaySize.x - m_em;
    at.x = std::min(at.x, io.DisplaySize.x - width - 0.5f * m_em);
    ImGui::SetNextWindowPos(at);
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + width - 2.0f * ImGui::GetStyle().WindowPadding.x);
    ImGui::TextUnformatted(text.c_str());
    ImGui::PopTextWrapPos();
    accessibility::Node n;
    n.role = Role::Status;
    n.label = text;
    n.rect = lastItemRect();
    n.clip = windowClip();
    n.reach = windowReach();
    n.scope = "tooltip";
    m_tree->add(std::move(n));
    ImGui::EndTooltip();
}

bool Widgets::takeFocusRequest(ImGuiID id, const std::string& label) {
    if (m_focusHeld) return false;
    bool byId = m_pendingFocus != 0 && m_pendingFocus == id;
    bool byLabel = !m_pendingFocusLabel.empty() && m_pendingFocusLabel == visibleLabel(label);
    if (!byId && !byLabel) return false;
    m_pendingFocus = 0;
    m_pendingFocusLabel.clear();
    m_keepText = false;
    m_focusedThisFrame = id;
    // Focus moves this frame: what was recorded as focused earlier no longer is.
    m_tree->clearFocus();
    return true;
}


void Widgets::bringIntoView() {
    if (!windowSettled() || m_focusHeld) {
        m_scrollTarget = ImGui::GetItemID();  // done when the item is next drawn in a settled window
        return;
    }
    m_scrollTarget = 0;
    // The ring is drawn outside the item: keep it in view too. Scrolls every
    // enclosing window as needed (a list inside a pane inside the page).
    float margin = 2.0f * ringThickness(m_em) + 2.0f;
    ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    ImRect r(ImVec2(a.x - margin, a.y - margin), ImVec2(b.x + margin, b.y + margin));
    ImGui::ScrollToRectEx(ImGui::GetCurrentWindow(), r, ImGuiScrollFlags_KeepVisibleEdgeY);
}

void Widgets::keepFocusInView() { m_scrollTarget = GImGui->NavId; }

void Widgets::scrollIfTarget() {
    if (m_scrollTarget != 0 && ImGui::GetItemID() == m_scrollTarget) bringIntoView();
}

void Widgets::applyPendingFocus(const std::string& label) {
    ImGuiID id = ImGui::GetItemID();
    if (!takeFocusRequest(id, label)) return;
    if (GImGui->ActiveId != 0 && GImGui->ActiveId != id) ImGui::ClearActiveID();
    ImGui::SetFocusID(id, ImGui::GetCurrentWindow());
    ImGui::SetItemDefaultFocus();  // a window that just appeared would otherwise focus its first item
    GImGui->NavDisableHighlight = false;
    GImGui->NavDisableMouseHover = true;
    bringIntoView();
}

bool Widgets::enterOnFocused() const {
    // Dear ImGui 1.86 activates buttons with Space only; a kiosk user expects Enter too.
    if (ImGui::GetItemID() == m_focusedThisFrame) return false;
    return itemHasFocus() && (ImGui::IsKeyPressed(keys::Enter, false) || ImGui::IsKeyPressed(keys::KeypadEnter, false));
}

float Widgets::buttonWidth(const std::string& label) const {
    return ImGui::CalcTextSize(visibleLabel(label).c_str()).x + 2.0f * ImGui::GetStyle().FramePadding.x;
}

void Widgets::beginRegion(const char* id, ImVec2 size, RegionBorder border, bool flattened) {
    m_regionFlows.push_back(false);
    ImGui::BeginChild(id, size, border == RegionBorder::Line, flattened ? ImGuiWindowFlags_NavFlattened : 0);
    // Dear ImGui skips the items of a child window that is wholly clipped;
    // laid out anyway, they keep their ids and places (for Tab and the tree)
    // and are simply not rendered.
    ImGuiWindow* w = ImGui::GetCurrentWindow();
    if (w->SkipItems && w->Active && !w->Collapsed) w->SkipItems = false;
}

void Widgets::beginFlowRegion(const char* id) {
    m_regionFlows.push_back(true);
    ImGui::PushID(id);
    ImGui::BeginGroup();
}

void Widgets::endRegion() {
    const bool flows = !m_regionFlows.empty() && m_regionFlows.back();
    if (!m_regionFlows.empty()) m_regionFlows.pop_back();
    if (!flows) {
        ImGui::EndChild();
        return;
    }
    ImGui::EndGroup();
    ImGui::PopID();
}

float Widgets::radioWidth(const std::string& label) const {
    return ImGui::GetFrameHeight() + ImGui::GetStyle().ItemInnerSpacing.x + ImGui::CalcTextSize(visibleLabel(label).c_str()).x;
}

bool Widgets::sameLineIfFitsWidth(float nextWidth, float gap) {
    if (ImGui::GetItemRectMax().x + gap + nextWidth > ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x) return false;
    ImGui::SameLine(0.0f, gap);
    return true;
}

void Widgets::sameLineIfFitsWidth(float nextWidth) {
    // Room for the focus ring between neighbours, so rings never overlap the next control.
    sameLineIfFitsWidth(nextWidth, std::max(ImGui::GetStyle().ItemSpacing.x, 2.0f * ringThickness(m_em)));
}

void Widgets::sameLineIfFits(const std::string& nextButtonLabel) { sameLineIfFitsWidth(buttonWidth(nextButtonLabel)); }

void Widgets::sameLineIfFitsRadio(const std::string& nextRadioLabel) { sameLineIfFitsWidth(radioWidth(nextRadioLabel)); }

bool Widgets::button(const std::string& label, Emphasis emphasis, ImVec2 size, bool enabled) {
    const ImGuiStyle& st = ImGui::GetStyle();
    std::string shown = visibleLabel(label);
    float avail = ImGui::GetContentRegionAvail().x;
    float box = size.x > 0 ? size.x : size.x < 0 ? std::max(4.0f, avail + size.x) : avail;
    float room = box - 2.0f * st.FramePadding.x;
    std::string lines = ImGui::CalcTextSize(shown.c_str()).x > room ? wrapToWidth(shown, room) : shown;
    ImVec2 textSize = ImGui::CalcTextSize(lines.c_str());
    if (size.y > 0) size.y = std::max(size.y, textSize.y + 2.0f * st.FramePadding.y);

    int colours = 0;
    // A disabled button never wears the primary (or danger) fill: faded, a
    // filled button still reads as the one to press.
    if (emphasis != Emphasis::Normal && enabled) {
        ImVec4 base = emphasis == Emphasis::Primary ? m_palette->accent : m_palette->danger;
        ImVec4 text = emphasis == Emphasis::Primary ? m_palette->accentText : m_palette->background;
        ImGui::PushStyleColor(ImGuiCol_Button, base);
        ImGui::PushStyleColor(ImGuiCol_ButtonHovered, base);
        ImGui::PushStyleColor(ImGuiCol_ButtonActive, base);
        ImGui::PushStyleColor(ImGuiCol_Text, text);
        colours = 4;
    }
    if (!enabled) ImGui::BeginDisabled();
    ImGui::PushID(label.c_str());
    bool pressed = ImGui::Button((lines + "###button").c_str(), size);
    ImGui::PopID();
    if (!enabled) ImGui::EndDisabled();
    if (colours) ImGui::PopStyleColor(colours);
    applyPendingFocus(label);
    if (enabled && enterOnFocused()) pressed = true;
    drawFocusRing();
    bool truncated = textSize.x > ImGui::GetItemRectSize().x - 2.0f * st.FramePadding.x + 0.5f ||
                     textSize.y > ImGui::GetItemRectSize().y - 2.0f * st.FramePadding.y + 0.5f;
    record(Role::Button, label, {}, true, false, false, !enabled, truncated);
    showFullText(shown, m_tree->nodes().back().truncated);
    if (pressed && enabled) noteActivation(label);
    return pressed && enabled;
}

bool Widgets::secretField(const std::string& label, std::string& value, bool enterReturnsTrue, float widthEm, std::size_t maxBytes) {
    return textField(label, value, {}, enterReturnsTrue, widthEm, maxBytes, true);
}

bool Widgets::textField(const std::string& label, std::string& value, const std::string& hint, bool enterReturnsTrue, float widthEm,
                        std::size_t maxBytes, bool secret) {
    std::string visible = "##" + label;
    ImGuiID id = ImGui::GetID(visible.c_str());
    // Dear ImGui scrolls a window that appears with a field focused by code to
    // a provisional place: the request waits for the window's second frame.
    const bool keepText = m_keepText;
    bool requested = windowSettled() && takeFocusRequest(id, label);
    if (requested) {
        m_keepTextOf = keepText ? id : 0;
        m_keyboardFocusRequested = true;
        // Focus requested before drawing so typing goes straight in.
        if (GImGui->ActiveId != 0 && GImGui->ActiveId != id) ImGui::ClearActiveID();
        ImGui::SetKeyboardFocusHere();
        GImGui->NavDisableHighlight = false;
    }
    const bool keysQueued = !ImGui::GetIO().InputQueueCharacters.empty();  // the field takes them while drawn
    float avail = ImGui::GetContentRegionAvail().x;
    ImGui::SetNextItemWidth(widthEm > 0 ? std::min(widthEm * m_em, avail) : -FLT_MIN);
    ImGuiInputTextFlags flags = enterReturnsTrue ? ImGuiInputTextFlags_EnterReturnsTrue : 0;
    if (secret) flags |= ImGuiInputTextFlags_Password;
    bool result = hint.empty() ? ImGui::InputText(visible.c_str(), &value, flags)
                               : ImGui::InputTextWithHint(visible.c_str(), hint.c_str(), &value, flags);
    if (value.size() > maxBytes) {
        // Cut on a UTF-8 boundary so nothing half a character long is stored.
        std::size_t cut = maxBytes;
        while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
        value.resize(cut);
    }
    // Typing into a field out of view (a larger text size moved it) brings it back.
    const bool typing = ImGui::IsItemActive() && keysQueued;
    if (requested || (typing && !ImGui::GetCurrentWindow()->ClipRect.Contains(ImGui::GetCurrentContext()->LastItemData.Rect))) bringIntoView();
    // The field being typed into is navigation's current item too: nothing
    // else keeps a ring (or takes Enter) while the keys come here.
    if (ImGui::IsItemActive() && GImGui->NavId != id) ImGui::SetFocusID(id, ImGui::GetCurrentWindow());
    if (ImGui::IsItemActive()) m_lastTyped = id;
    if (m_keepTextOf == id && ImGui::IsItemActive()) {
        // Taken by code: Dear ImGui selected all of it; the keys go on after it.
        if (ImGuiInputTextState* state = ImGui::GetInputTextState(id)) {
            state->Stb.cursor = state->CurLenW;
            state->ClearSelection();
        }
        m_keepTextOf = 0;
    }
    m_ringDrawn = itemHasFocus();
    if (m_ringDrawn) ringAround(ImGui::GetItemRectMin(), ImGui::GetItemRectMax());
    record(Role::TextField, label, secret ? std::string(value.size(), '*') : value, true);
    if (result && enterReturnsTrue) noteActivation(label);
    return result;
}

bool Widgets::checkbox(const std::string& label, bool& value, bool enabled) {
    const ImGuiStyle& st = ImGui::GetStyle();
    std::string shown = visibleLabel(label);
    float room = ImGui::GetContentRegionAvail().x - ImGui::GetFrameHeight() - st.ItemInnerSpacing.x;
    std::string lines = ImGui::CalcTextSize(shown.c_str()).x > room ? wrapToWidth(shown, room) : shown;
    if (!enabled) ImGui::BeginDisabled();
    ImGui::PushID(label.c_str());
    bool changed = ImGui::Checkbox((lines + "###check").c_str(), &value);
    ImGui::PopID();
    if (!enabled) ImGui::EndDisabled();
    applyPendingFocus(label);
    if (enabled && !changed && enterOnFocused()) {
        value = !value;
        changed = true;
    }
    drawFocusRing();
    record(Role::Checkbox, label, {}, true, value, false, !enabled, ImGui::CalcTextSize(lines.c_str()).x > room + 0.5f);
    showFullText(shown, m_tree->nodes().back().truncated);
    if (changed && enabled) noteActivation(label);
    return changed && enabled;
}

bool Widgets::radio(const std::string& label, bool active, bool tabStop) {
    const ImGuiStyle& st = ImGui::GetStyle();
    std::string shown = visibleLabel(label);
    float room = ImGui::GetContentRegionAvail().x - ImGui::GetFrameHeight() - st.ItemInnerSpacing.x;
    std::string lines = ImGui::CalcTextSize(shown.c_str()).x > room ? wrapToWidth(shown, room) : shown;
    ImGui::PushID(label.c_str());
    bool pressed = ImGui::RadioButton((lines + "###radio").c_str(), active);
    ImGui::PopID();
    applyPendingFocus(label);
    if (enterOnFocused()) pressed = true;
    drawFocusRing();
    record(Role::RadioButton, label, {}, true, active, active, false, ImGui::CalcTextSize(lines.c_str()).x > room + 0.5f);
    m_tree->lastNode().tabStop = tabStop;
    showFullText(shown, m_tree->nodes().back().truncated);
    if (pressed) noteActivation(label);
    return pressed;
}

bool Widgets::listItem(const std::string& id, const std::string& label, const std::string& value, bool selected, float height,
                       bool tabStop) {
    float room = ImGui::GetContentRegionAvail().x;
    std::string shown = value.empty() ? label : label + "\n" + value;
    std::string lines = ImGui::CalcTextSize(shown.c_str()).x > room ? wrapToWidth(shown, room) : shown;
    ImVec2 textSize = ImGui::CalcTextSize(lines.c_str());
    ImGui::PushID(id.c_str());
    if (selected) {
        ImGui::PushStyleColor(ImGuiCol_Text, m_palette->selectionText);
        ImGui::PushStyleColor(ImGuiCol_HeaderHovered, m_palette->selection);  // hovering never lowers the contrast
    }
    bool pressed = ImGui::Selectable((lines + "###row").c_str(), selected, ImGuiSelectableFlags_None, ImVec2(0, height));
    if (selected) ImGui::PopStyleColor(2);
    applyPendingFocus(label);
    if (enterOnFocused()) pressed = true;
    drawFocusRing();
    bool truncated = textSize.x > room + 0.5f || (height > 0 && textSize.y > height + 0.5f);
    record(accessibility::Role::ListItem, label, value, true, false, selected, false, truncated);
    auto& node = m_tree->lastNode();
    node.tabStop = tabStop;
    // Dear ImGui widens a selectable's box by half the item spacing each way
    // so rows touch; the row itself is the box without that margin.
    const ImVec2 spacing = ImGui::GetStyle().ItemSpacing;
    float left = std::floor(spacing.x * 0.5f), up = std::floor(spacing.y * 0.5f);
    node.rect = {node.rect.x + left, node.rect.y + up, node.rect.w - spacing.x, node.rect.h - spacing.y};
    node.truncated = truncated || node.rect.x + node.rect.w > node.clip.x + node.clip.w + 0.5f;
    node.fullTextOnFocus = node.truncated;
    showFullText(shown, m_tree->nodes().back().truncated);
    if (pressed) noteActivation(label);
    ImGui::PopID();
    return pressed;
}

bool Widgets::tableRow(const std::string& id, const std::string& label, const std::string& value, bool selected, float height,
                       bool tabStop) {
    const float room = ImGui::GetContentRegionAvail().x + 0.5f;  // the first column
    auto measure = [](std::string_view t) { return ImGui::CalcTextSize(t.data(), t.data() + t.size()).x; };
    const bool truncated = measure(label) > room;
    // Cut visibly, the ID kept whole (text_fit.hpp); read whole on focus.
    const std::string shown = truncated ? fitToWidth(label, room, measure) : label;
    ImGui::PushID(id.c_str());
    if (selected) {
        ImGui::PushStyleColor(ImGuiCol_Text, m_palette->selectionText);
        ImGui::PushStyleColor(ImGuiCol_HeaderHovered, m_palette->selection);
    }
    bool pressed = ImGui::Selectable((shown + "###row").c_str(), selected, ImGuiSelectableFlags_SpanAllColumns, ImVec2(0, height));
    if (selected) ImGui::PopStyleColor(2);
    applyPendingFocus(label);
    if (enterOnFocused()) pressed = true;
    // The ring and the tree's rectangle are the whole row: drawn and clipped
    // by the table's background channel, not by the first column.
    ImGui::TablePushBackgroundChannel();
    drawFocusRing();
    record(accessibility::Role::ListItem, label, value, true, false, selected, false, truncated);
    ImGui::TablePopBackgroundChannel();
    auto& node = m_tree->lastNode();
    node.tabStop = tabStop;
    // Dear ImGui grows a selectable's box by the item spacing, half up and
    // half down, so rows touch; the row itself is the box without it.
    float spacing = ImGui::GetStyle().ItemSpacing.y, up = std::floor(spacing * 0.5f);
    node.rect = {node.rect.x, node.rect.y + up, node.rect.w, node.rect.h - spacing};
    node.fullTextOnFocus = node.truncated;
    showFullText(value.empty() ? label : label + "\n" + value, node.truncated);
    if (pressed) noteActivation(label);
    ImGui::PopID();
    return pressed;
}

// Titles in the title face (style.hpp, kTitleScale): they read as titles, not as body text.
void Widgets::titleText(const std::string& text) {
    ImFont* font = titleFont();
    if (font) ImGui::PushFont(font);
    ImGui::PushStyleColor(ImGuiCol_Text, m_palette->text);
    ImGui::TextWrapped("%s", text.c_str());
    ImGui::PopStyleColor();
    if (font) ImGui::PopFont();
}

void Widgets::heading(const std::string& text) {
    titleText(text);
    record(Role::Heading, text, {}, false);
}

void Widgets::headingWithAside(const std::string& headingText, const std::string& aside) {
    heading(headingText);
    // Spaced as words apart, not as controls (no focus ring between them), on the heading's baseline.
    if (sameLineIfFitsWidth(ImGui::CalcTextSize(aside.c_str()).x, 1.5f * m_em))
        if (const ImFont* title = titleFont()) ImGui::SetCursorPosY(ImGui::GetCursorPosY() + title->Ascent - ImGui::GetFont()->Ascent);
    text(aside);
}

void Widgets::dialogTitle(const std::string& text) {
    titleText(text);
    record(Role::Dialog, text, {}, false);
}

void Widgets::text(const std::string& text, Role role) {
    ImGui::TextWrapped("%s", text.c_str());
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

#pragma once
// The one thin layer every interactive widget is drawn through. Each call
// draws the ImGui widget, records a node in the accessibility tree (role,
// label, value, state, rectangle, focus, what can be scrolled into view),
// draws a thick focus ring, and makes Enter act on a focused control. Tab
// order is the order widgets are drawn.
//
// Labels reflow: a button, check box or radio label wider than the room left
// breaks onto more lines instead of running off the edge (WCAG 1.4.10), and
// text wraps. Whatever still cannot fit is marked truncated in the tree and
// shown whole in a tooltip while the control is focused or hovered.
#include "accessibility/a11y_tree.hpp"

#include <imgui.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kiosk::ui {

struct Palette;

enum class Emphasis { Normal, Primary, Danger };
enum class RegionBorder { None, Line };

class Widgets {
public:
    // Call once per frame before drawing, and end() after the last widget.
    void begin(accessibility::Tree& tree, const Palette& palette, float em);
    void end();

    // The scope (dialog) that Tab cycles within; empty for the main screen.
    void setModalScope(const std::string& scope) { m_modalScope = scope; }
    const std::string& modalScope() const { return m_modalScope; }

    bool button(const std::string& label, Emphasis emphasis = Emphasis::Normal, ImVec2 size = ImVec2(0, 0), bool enabled = true);
    bool textField(const std::string& label, std::string& value, const std::string& hint = {}, bool enterReturnsTrue = false,
                   float widthEm = 0.0f, std::size_t maxBytes = 200, bool secret = false);
    // A PIN or date of birth: drawn masked, and its value never enters the
    // accessibility tree (read-aloud says how many characters, not which).
    bool secretField(const std::string& label, std::string& value, bool enterReturnsTrue = true, float widthEm = 12.0f,
                     std::size_t maxBytes = 32);
    bool checkbox(const std::string& label, bool& value, bool enabled = true);
    // A radio button. In a group only the chosen one is a Tab stop (tabStop);
    // the arrow keys move between the others (WAI-ARIA radio group).
    bool radio(const std::string& label, bool active, bool tabStop = true);
    // A selectable row: `label` on the first line(s), `value` (its state) under it.
    // Only a list's current row is a Tab stop; Up/Down move between rows.
    bool listItem(const std::string& id, const std::string& label, const std::string& value, bool selected, float height = 0.0f,
                  bool tabStop = true);
    // A row of a table (the room board): call in the row's first column; the
    // row is one target across every column, `label` shows in the first
    // column and `value` (the row's other cells, in words) is what the
    // accessibility tree and read-aloud give for the rest. Like listItem, only
    // the current row is a Tab stop.
    bool tableRow(const std::string& id, const std::string& label, const std::string& value, bool selected, float height,
                  bool tabStop = true);
    void heading(const std::string& text);
    // A heading with a line of text beside it, on its baseline, when both fit
    // on one line; under it otherwise.
    void headingWithAside(const std::string& heading, const std::string& aside);
    void dialogTitle(const std::string& text);
    void text(const std::string& text, accessibility::Role role = accessibility::Role::StaticText);
    void textColoured(const std::string& text, ImVec4 colour, accessibility::Role role = accessibility::Role::Status);
    void wrappedText(const std::string& text);

    // A scrolling region (BeginChild/EndChild). Unlike a bare child window it
    // lays its widgets out even while scrolled out of sight, so the tree, Tab
    // and read-aloud still know them (they are not drawn).
    // `flattened`: arrow keys cross into and out of it as if its controls
    // were the parent's (a list inside a dialog), instead of stopping on the
    // region itself with no control focused.
    void beginRegion(const char* id, ImVec2 size, RegionBorder border, bool flattened = false);
    // A region that does not scroll: its widgets flow in the page, which is
    // then the only scroller (large text, panes stacked: never nested panes).
    void beginFlowRegion(const char* id);
    void endRegion();  // of either kind

    // Puts the next button on this line when it fits, else starts a new one.
    void sameLineIfFits(const std::string& nextButtonLabel);
    void sameLineIfFitsRadio(const std::string& nextRadioLabel);
    void sameLineIfFitsWidth(float nextWidth);
    bool sameLineIfFitsWidth(float nextWidth, float gap);  // with this gap; true when it went on this line
    // Width a button (radio button) with this label takes, before any wrapping.
    float buttonWidth(const std::string& label) const;
    float radioWidth(const std::string& label) const;

    // Focus requests land when the widget with that label is next drawn.
    // The newest request wins.
    void focus(const std::string& label) {
        m_pendingFocusLabel = label;
        m_pendingFocus = 0;
        m_keepText = false;
    }
    void focusId(std::uint32_t id) {
        m_pendingFocus = id;
        m_pendingFocusLabel.clear();
        m_keepText = false;
    }
    // Typing goes back into the text field last typed into, after what it
    // holds (a field focused by code otherwise starts with all its text
    // selected, and the next key would replace it): Enter ends a field's
    // editing, and a form refused for what it holds stays open with that
    // field focused but no longer taking keys.
    void resumeTyping() {
        if (m_lastTyped == 0) return;
        focusId(m_lastTyped);
        m_keepText = true;
    }
    // The same for a field named by its label (its id may have changed: a new text size reflowed the panes).
    void resumeTyping(const std::string& label) {
        focus(label);
        m_keepText = true;
    }
    void forgetTyping() { m_lastTyped = 0; }
    // Scrolls the focused control into view when it is next drawn (after a resize).
    void keepFocusInView();
    // The page's scroll was just reset (a new screen, a resize): what is laid
    // out this frame still stands at the old scroll, so focus requests and
    // scrolling into view wait for the next frame, which is laid out at the new one.
    void holdFocusThisFrame() { m_focusHeld = true; }
    bool hasPendingFocus() const { return m_pendingFocus != 0 || !m_pendingFocusLabel.empty(); }
    // Between frames: focus is still on its way to a control (a request not
    // yet taken, or a text field's taken last frame, which Dear ImGui makes
    // active in the next). Keys typed now belong to where it lands.
    bool focusLanding() const { return hasPendingFocus() || m_keyboardFocusRequested; }
    // True on the frame Tab moved focus (screens leave it alone then).
    bool tabbed() const { return m_tabbed; }

    float em() const { return m_em; }

    // The one focused control: the text field being edited when there is one
    // (it receives the keys), else keyboard navigation's current item. The
    // ring, the tree's `focused`, Enter and Space all read this, so the ring
    // can never sit on one control while the keys go to another.
    static std::uint32_t focusedId();

    // Every control that acted this frame (pressed, toggled, chosen, Enter in
    // a field), in drawing order. `byDefault`: a dialog's main button, run by
    // Enter from anywhere inside the dialog. Tests check these against focus.
    struct Activation {
        std::uint32_t id = 0;
        std::string label;
        std::string scope;
        bool byDefault = false;
    };
    const std::vector<Activation>& activations() const { return m_activations; }
    void noteDefaultAction(const std::string& label);

    // "Check in##dialog" is shown and spoken as "Check in".
    static std::string visibleLabel(const std::string& label);
    // Breaks `text` at spaces so no line is wider than `width` (existing line
    // breaks are kept); a single word wider than that stays whole.
    static std::string wrapToWidth(const std::string& text, float width);

private:
    void record(accessibility::Role role, const std::string& label, const std::string& value, bool focusable, bool checked = false,
                bool selected = false, bool disabled = false, bool truncated = false);
    void titleText(const std::string& text);
    void drawFocusRing();
    void ringAround(ImVec2 min, ImVec2 max);
    void showFullText(const std::string& text, bool truncated);
    bool takeFocusRequest(ImGuiID id, const std::string& label);
    void applyPendingFocus(const std::string& label);
    void bringIntoView();
    void scrollIfTarget();
    ImGuiID m_scrollTarget = 0;  // focused while its window was appearing: scrolled to once it settles
    ImGuiID m_focusedThisFrame = 0;  // its Enter belongs to whatever moved focus here
    bool enterOnFocused() const;
    void moveFocusOffDisabled();
    void keepFocusSomewhere();
    ImGuiID m_lastFocused = 0;
    ImGuiID m_lastTyped = 0;  // the text field last being typed into
    bool m_keepText = false;  // the pending focus request goes on after the field's text
    ImGuiID m_keepTextOf = 0; // that field, until it takes the keys
    bool m_keyboardFocusRequested = false;  // a text field asked for keyboard focus this frame
    bool m_focusHeld = false;               // the scroll was reset this frame: focus waits for the next (holdFocusThisFrame)
    int m_pendingAge = 0;                   // frames a focus request has waited
    bool itemHasFocus() const;
    void noteActivation(const std::string& label);
    std::vector<Activation> m_activations;

    accessibility::Tree* m_tree = nullptr;
    const Palette* m_palette = nullptr;
    float m_em = 20.0f;
    std::vector<bool> m_regionFlows;  // open regions, innermost last: true for a flow region
    ImGuiID m_pendingFocus = 0;
    std::string m_pendingFocusLabel;
    std::string m_modalScope;
    bool m_tabbed = false;
    bool m_textFieldWasActive = false;
    bool m_ringDrawn = false;  // drawFocusRing() drew on the item about to be recorded
};

} // namespace kiosk::ui

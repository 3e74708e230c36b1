#pragma once
// Layout rules checked on the accessibility tree, for any screen, theme and
// text size (WCAG 1.4.4, 1.4.10, 1.4.12, 2.4.7, 2.5.8):
// - nothing runs off its window sideways (the kiosk scrolls only up and down);
// - every focusable control lies where its window (and the windows around it)
//   can scroll it into view;
// - no two interactive controls overlap;
// - a truncated label is read whole somewhere (tooltip on focus; read-aloud);
//   plain text is never truncated;
// - at 100% every target is at least 44 px each way, but the rows of a list
//   or table: 24 px (WCAG 2.5.8), so the room board shows a whole room.
// And, driven by Tab: each control, once focused, is fully on screen.
#include "ui/ui_harness.hpp"

#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace kiosk::test {

inline std::string describe(const accessibility::Node& n) {
    std::ostringstream s;
    s << '"' << n.label << "\" [" << accessibility::roleKey(n.role) << "] at (" << n.rect.x << ", " << n.rect.y << ") " << n.rect.w << "x"
      << n.rect.h << " clip (" << n.clip.x << ", " << n.clip.y << ") " << n.clip.w << "x" << n.clip.h << " reach y " << n.reach.y << ".."
      << n.reach.y + n.reach.h << " in " << n.scope;
    return s.str();
}

inline accessibility::Rect visiblePart(const accessibility::Rect& r, const accessibility::Rect& clip) {
    float x0 = std::max(r.x, clip.x), y0 = std::max(r.y, clip.y);
    float x1 = std::min(r.x + r.w, clip.x + clip.w), y1 = std::min(r.y + r.h, clip.y + clip.h);
    return {x0, y0, std::max(0.0f, x1 - x0), std::max(0.0f, y1 - y0)};
}

inline std::vector<std::string> layoutProblems(const accessibility::Tree& tree, float displayW, int scalePercent) {
    constexpr float kSlack = 1.0f;
    std::vector<std::string> problems;
    const auto& nodes = tree.nodes();
    for (const auto& n : nodes) {
        if (n.label.empty() && n.value.empty()) continue;
        float left = n.rect.x, right = n.rect.x + n.rect.w;
        if (left < n.reach.x - kSlack || right > n.reach.x + n.reach.w + kSlack || left < -kSlack || right > displayW + kSlack)
            problems.push_back("runs off its window sideways: " + describe(n));
        // Only for windows on screen now: a pane scrolled wholly out of sight
        // keeps last frame's scroll limits, so the Tab walk below is the check for it.
        bool windowShown = n.clip.w > 0 && n.clip.h > 0;
        if (windowShown && n.focusable && !n.disabled &&
            (n.rect.y < n.reach.y - kSlack || n.rect.y + n.rect.h > n.reach.y + n.reach.h + kSlack))
            problems.push_back("cannot be scrolled into view: " + describe(n));
        if (n.truncated && !(n.focusable && n.fullTextOnFocus)) problems.push_back("truncated with no way to read it whole: " + describe(n));
        float minTarget = n.role == accessibility::Role::ListItem ? 24.0f : 44.0f;
        if (scalePercent == 100 && n.focusable && (n.rect.h < minTarget - 0.01f || n.rect.w < minTarget - 0.01f))
            problems.push_back("target smaller than " + std::to_string(static_cast<int>(minTarget)) + " px at 100%: " + describe(n));
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const auto& a = nodes[i];
        if (!a.focusable) continue;
        auto va = visiblePart(a.rect, a.clip);
        if (va.w <= 0 || va.h <= 0) continue;
        for (std::size_t j = i + 1; j < nodes.size(); ++j) {
            const auto& b = nodes[j];
            if (!b.focusable || b.scope != a.scope) continue;
            auto vb = visiblePart(b.rect, b.clip);
            if (vb.w <= 0 || vb.h <= 0) continue;
            // Touching edges are fine; half a pixel of rounding is fine.
            accessibility::Rect shrunk{va.x + 0.5f, va.y + 0.5f, va.w - 1.0f, va.h - 1.0f};
            if (shrunk.overlaps(vb)) problems.push_back("overlap: " + describe(a) + " and " + describe(b));
        }
    }
    return problems;
}

// Whether the focused control is wholly visible, in its window and on the
// display (a control taller than its window: its top part).
inline bool whollyVisible(const accessibility::Node& f, float displayW, float displayH) {
    auto r = f.rect;
    if (r.h > f.clip.h) r.h = std::max(1.0f, f.clip.h - 2.0f);
    bool inClip = r.x >= f.clip.x - 1 && r.y >= f.clip.y - 1 && r.x + r.w <= f.clip.x + f.clip.w + 1 && r.y + r.h <= f.clip.y + f.clip.h + 1;
    bool onScreen = r.x >= -1 && r.y >= -1 && r.x + r.w <= displayW + 1 && r.y + r.h <= displayH + 1;
    return inClip && onScreen;
}

// Presses Tab through every stop of the active scope (the open dialog, or the
// screen) and checks each focused control is wholly visible, in its window and
// on the display, and that every stop was reached.
inline std::vector<std::string> tabWalkProblems(UiHarness& h, float displayW, float displayH) {
    std::vector<std::string> problems;
    bool modal = false;
    for (const auto& n : h.tree().nodes())
        if (n.focusable && !n.disabled && n.scope != "main" && n.scope != "tooltip") modal = true;
    std::set<std::string> stops;
    for (const auto& n : h.tree().nodes())
        if (n.focusable && !n.disabled && n.tabStop && (n.scope != "main") == modal) stops.insert(n.label);
    std::set<std::string> reached;
    for (std::size_t i = 0; i < stops.size() + 2; ++i) {
        h.press(ui::keys::Tab);
        h.frames(1);  // scrolling to the newly focused control lands on the next frame
        const auto* f = h.focused();
        if (!f) {
            problems.push_back("Tab left nothing focused");
            continue;
        }
        reached.insert(f->label);
        if (!whollyVisible(*f, displayW, displayH)) problems.push_back("focused but not fully visible: " + describe(*f));
    }
    for (const auto& s : stops)
        if (!reached.count(s)) problems.push_back("Tab never reached \"" + s + "\"");
    return problems;
}

inline std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
}

} // namespace kiosk::test

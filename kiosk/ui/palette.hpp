#pragma once
// The current theme's colours as ImGui wants them; filled by applyTheme().
#include <imgui.h>

namespace kiosk::ui {

struct Palette {
    ImVec4 background, surface, surfaceAlt, text, textMuted, border, accent, accentText, focusRing, selection, selectionText,
        success, warning, danger, banner, bannerText, button, buttonText;
};

} // namespace kiosk::ui

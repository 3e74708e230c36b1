#include "kiosk/ui/style.hpp"

#include <imgui.h>
#include <imgui_freetype.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace kiosk::ui {

namespace {

ImVec4 toVec4(accessibility::Rgb8 c, float alpha = 1.0f) {
    return ImVec4(c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, alpha * c.a / 255.0f);
}

} // namespace

Palette applyTheme(const accessibility::Theme& t, const accessibility::TextSettings& text) {
    auto c = [&](const char* role, float alpha = 1.0f) { return toVec4(t.colour(role), alpha); };
    Palette p{c("background"), c("surface"), c("surfaceAlt"), c("text"), c("textMuted"), c("border"), c("accent"),
              c("accentText"), c("focusRing"), c("selection"), c("selectionText"), c("success"), c("warning"), c("danger"),
              c("banner"), c("bannerText"), c("button"), c("buttonText")};

    ImGuiStyle style;  // fresh and unscaled every time
    float em = accessibility::pixelSize(text);
    style.WindowPadding = ImVec2(0.8f * em, 0.8f * em);
    style.FramePadding = ImVec2(0.6f * em, 0.6f * em);  // 20 px text + 2 x 12 px = 44 px targets at 100%
    style.ItemSpacing = ImVec2(0.6f * em, 0.5f * em * text.lineSpacing);
    style.ItemInnerSpacing = ImVec2(0.4f * em, 0.4f * em);
    style.ScrollbarSize = 1.0f * em;
    style.GrabMinSize = 1.0f * em;
    style.IndentSpacing = 1.2f * em;
    style.FrameRounding = 0.25f * em;
    style.WindowRounding = 0.0f;
    style.PopupRounding = 0.25f * em;
    style.ScrollbarRounding = 0.25f * em;
    style.FrameBorderSize = std::max(1.0f, 0.08f * em);
    style.WindowBorderSize = 1.0f;
    style.PopupBorderSize = std::max(1.0f, 0.1f * em);
    style.TouchExtraPadding = ImVec2(0, 0);

    ImVec4* col = style.Colors;
    col[ImGuiCol_Text] = c("text");
    col[ImGuiCol_TextDisabled] = c("textMuted");
    col[ImGuiCol_WindowBg] = c("background");
    col[ImGuiCol_ChildBg] = c("surface");
    col[ImGuiCol_PopupBg] = c("surface");
    col[ImGuiCol_Border] = c("border");
    col[ImGuiCol_BorderShadow] = ImVec4(0, 0, 0, 0);
    col[ImGuiCol_FrameBg] = c("inputBackground");
    col[ImGuiCol_FrameBgHovered] = c("inputBackground");
    col[ImGuiCol_FrameBgActive] = c("inputBackground");
    col[ImGuiCol_TitleBg] = c("banner");
    col[ImGuiCol_TitleBgActive] = c("banner");
    col[ImGuiCol_TitleBgCollapsed] = c("banner");
    col[ImGuiCol_MenuBarBg] = c("surfaceAlt");
    col[ImGuiCol_ScrollbarBg] = c("surfaceAlt");
    col[ImGuiCol_ScrollbarGrab] = c("scrollbar");
    col[ImGuiCol_ScrollbarGrabHovered] = c("scrollbar");
    col[ImGuiCol_ScrollbarGrabActive] = c("scrollbar");
    col[ImGuiCol_CheckMark] = c("text");
    col[ImGuiCol_SliderGrab] = c("accent");
    col[ImGuiCol_SliderGrabActive] = c("accent");
    col[ImGuiCol_Button] = c("button");
    col[ImGuiCol_ButtonHovered] = c("buttonHover");
    col[ImGuiCol_ButtonActive] = c("buttonActive");
    col[ImGuiCol_Header] = c("selection");
    col[ImGuiCol_HeaderHovered] = c("surfaceAlt");
    col[ImGuiCol_HeaderActive] = c("selection");
    col[ImGuiCol_Separator] = c("border");
    col[ImGuiCol_SeparatorHovered] = c("border");
    col[ImGuiCol_SeparatorActive] = c("border");
    col[ImGuiCol_ResizeGrip] = ImVec4(0, 0, 0, 0);
    col[ImGuiCol_ResizeGripHovered] = ImVec4(0, 0, 0, 0);
    col[ImGuiCol_ResizeGripActive] = ImVec4(0, 0, 0, 0);
    col[ImGuiCol_Tab] = c("button");
    col[ImGuiCol_TabHovered] = c("buttonHover");
    col[ImGuiCol_TabActive] = c("selection");
    col[ImGuiCol_TabUnfocused] = c("button");
    col[ImGuiCol_TabUnfocusedActive] = c("selection");
    col[ImGuiCol_TableHeaderBg] = c("surfaceAlt");
    col[ImGuiCol_TableBorderStrong] = c("border");
    col[ImGuiCol_TableBorderLight] = c("border");
    col[ImGuiCol_TableRowBg] = ImVec4(0, 0, 0, 0);
    col[ImGuiCol_TableRowBgAlt] = c("surfaceAlt", 0.5f);
    // Selected text in a field is drawn in the text colour over this, so it is
    // its own role where a theme has it (a list's selection has its own text colour).
    col[ImGuiCol_TextSelectedBg] = t.colours.count("textSelection") ? c("textSelection") : c("selection");
    col[ImGuiCol_DragDropTarget] = c("focusRing");
    col[ImGuiCol_NavHighlight] = ImVec4(0, 0, 0, 0);  // the widget layer draws a thicker ring
    col[ImGuiCol_NavWindowingHighlight] = c("focusRing");
    col[ImGuiCol_NavWindowingDimBg] = c("background", 0.6f);
    col[ImGuiCol_ModalWindowDimBg] = c("background", kModalDimAlpha);
    ImGui::GetStyle() = style;
    return p;
}

ImFont* titleFont() {
    ImFontAtlas* atlas = ImGui::GetIO().Fonts;
    return atlas && atlas->Fonts.Size > 1 ? atlas->Fonts[1] : nullptr;
}

bool buildFontAtlas(ImFontAtlas& atlas, accessibility::FontFiles& fonts, const accessibility::TextSettings& text) {
    atlas.Clear();
    atlas.FontBuilderIO = ImGuiFreeType::GetBuilderForFreeType();
    atlas.FontBuilderFlags = ImGuiFreeTypeBuilderFlags_LightHinting;
    float px = accessibility::pixelSize(text);
    float lineHeight = std::clamp(text.lineSpacing, 1.0f, 2.0f);
    bool complete = true;
    // One face at one size, with its fallback merged in (bold for titles).
    auto addStack = [&](float size, bool bold) {
        for (const auto& f : accessibility::fontStack(fonts.assetsDir(), text.face, bold)) {
            std::string* bytes = fonts.find(f.path);
            if (!bytes) {
                complete = false;
                continue;
            }
            ImFontConfig cfg;
            cfg.FontDataOwnedByAtlas = false;  // FontFiles keeps the bytes; the atlas only reads them
            std::snprintf(cfg.Name, sizeof cfg.Name, "%s, %.0fpx", f.path.filename().c_str(), static_cast<double>(size));  // as a file's would be
            cfg.MergeMode = f.mergeIntoPrevious && !atlas.Fonts.empty();
            cfg.GlyphExtraSpacing = ImVec2(text.letterSpacing * size, 0);
            // Taller lines: glyphs sit in the middle of the added space (see below).
            cfg.GlyphOffset = ImVec2(0, std::round(size * (lineHeight - 1.0f) * 0.5f));
            cfg.OversampleH = 1;
            cfg.OversampleV = 1;
            cfg.PixelSnapH = true;
            atlas.AddFontFromMemoryTTF(bytes->data(), static_cast<int>(bytes->size()), std::round(size * f.sizeScale), &cfg,
                                       reinterpret_cast<const ImWchar*>(f.glyphRanges));
        }
    };
    addStack(px, false);  // Fonts[0]: body text, the default
    if (!atlas.Fonts.empty()) addStack(std::round(px * kTitleScale), true);  // Fonts[1]: titles (titleFont())
    if (atlas.Fonts.empty()) {
        ImFontConfig cfg;
        cfg.SizePixels = px;
        atlas.AddFontDefault(&cfg);
        complete = false;
    }
    bool built = atlas.Build();
    if (built) {
        for (ImFont* font : atlas.Fonts) {
            // WCAG 1.4.12 line height: Dear ImGui lays text out in lines of
            // FontSize, so a larger FontSize (same glyphs) spaces every line,
            // wrapped text included, with no blur.
            const float size = font->ConfigDataCount > 0 ? font->ConfigData[0].SizePixels : px;
            font->FontSize = std::round(size * lineHeight);
            // Word spacing follows letter spacing (0.16 em for 0.12 em).
            float extraWord = std::round(text.letterSpacing * size * 4.0f / 3.0f);
            for (ImFontGlyph& g : font->Glyphs)
                if (g.Codepoint == ' ') g.AdvanceX += extraWord;
            if (font->IndexAdvanceX.Size > ' ') font->IndexAdvanceX[' '] += extraWord;
        }
    }
    return built && complete;
}

} // namespace kiosk::ui

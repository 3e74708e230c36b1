// The display, speech and language panel (F1): every choice is a control
// reached by Tab and applied at once, to every screen. The same choices have
// shortcuts (F2..F8) that work anywhere.
#include "kiosk/ui/kiosk_ui.hpp"

#include <imgui.h>

#include <array>

namespace kiosk::ui {

namespace {

struct SpacingStep {
    const char* key;
    float value;
};
constexpr std::array<SpacingStep, 4> kLineSteps{{{"settings.line100", 1.0f}, {"settings.line125", 1.25f}, {"settings.line150", 1.5f}, {"settings.line200", 2.0f}}};
constexpr std::array<SpacingStep, 3> kLetterSteps{{{"settings.letterNormal", 0.0f}, {"settings.letterWide", 0.12f}, {"settings.letterWider", 0.2f}}};

bool near(float a, float b) { return a > b - 0.001f && a < b + 0.001f; }

} // namespace

void KioskUi::drawSettingsPanel() {
    auto& w = m_ui.widgets;
    const ImGuiStyle& st = ImGui::GetStyle();
    ImGui::Separator();
    w.heading(m_ui.tr("settings.title"));
    w.wrappedText(m_ui.tr("settings.keys"));

    // A row of radio buttons that wraps onto more lines when it must.
    auto radioRow = [&](const std::vector<std::string>& labels, auto isChosen, auto choose) {
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (i > 0) w.sameLineIfFitsRadio(labels[i]);
            if (w.radio(labels[i], isChosen(i))) choose(i);
        }
    };

    ImGui::Spacing();
    w.text(m_ui.tr("settings.colours"));
    std::vector<std::string> themeNames;
    for (const auto& t : m_resources.themes) themeNames.push_back(m_ui.tr(t.nameKey));
    radioRow(themeNames, [&](std::size_t i) { return i == m_themeIndex; }, [&](std::size_t i) { setTheme(i); });

    ImGui::Spacing();
    w.text(m_ui.tr("settings.textSize"));
    std::vector<std::string> sizes;
    for (int step : accessibility::scaleSteps()) sizes.push_back(m_ui.fmt("settings.sizeStep", {{"percent", std::to_string(step)}}));
    radioRow(sizes, [&](std::size_t i) { return accessibility::scaleSteps()[i] == m_prefs.text.scalePercent; },
             [&](std::size_t i) { setTextScale(accessibility::scaleSteps()[i]); });

    ImGui::Spacing();
    w.text(m_ui.tr("settings.spacing"));
    std::vector<std::string> lines, letters;
    for (const auto& s : kLineSteps) lines.push_back(m_ui.tr(s.key));
    for (const auto& s : kLetterSteps) letters.push_back(m_ui.tr(s.key));
    radioRow(lines, [&](std::size_t i) { return near(kLineSteps[i].value, m_prefs.text.lineSpacing); },
             [&](std::size_t i) { setTextSpacing(kLineSteps[i].value, m_prefs.text.letterSpacing); });
    radioRow(letters, [&](std::size_t i) { return near(kLetterSteps[i].value, m_prefs.text.letterSpacing); },
             [&](std::size_t i) { setTextSpacing(m_prefs.text.lineSpacing, kLetterSteps[i].value); });

    ImGui::Spacing();
    w.text(m_ui.tr("settings.face"));
    std::vector<std::string> faces{m_ui.tr("font.atkinson"), m_ui.tr("font.openDyslexic")};
    radioRow(faces, [&](std::size_t i) { return (i == 1) == (m_prefs.text.face == accessibility::FontFace::OpenDyslexic); },
             [&](std::size_t i) {
                 auto text = m_prefs.text;
                 text.face = i == 1 ? accessibility::FontFace::OpenDyslexic : accessibility::FontFace::AtkinsonHyperlegible;
                 auto prefs = m_prefs;
                 prefs.text = text;
                 setPreferences(prefs);
             });

    ImGui::Spacing();
    w.text(m_ui.tr("settings.speech"));
    if (!m_ui.options.speech) {
        w.textColoured(m_ui.fmt("settings.speechUnavailable", {{"reason", m_ui.tr("settings.noSpeechOutput")}}), m_ui.palette.warning);
    } else {
        bool readAloud = m_prefs.readAloud;
        if (w.checkbox(m_ui.tr("settings.readAloud"), readAloud)) setReadAloud(readAloud);
        if (w.button(m_ui.tr("settings.rateSlower"), Emphasis::Normal, ImVec2(0, 0), m_prefs.speechRate > accessibility::kMinSpeechRate))
            setSpeechRate(m_prefs.speechRate - 25);
        w.sameLineIfFits(m_ui.tr("settings.rateFaster"));
        if (w.button(m_ui.tr("settings.rateFaster"), Emphasis::Normal, ImVec2(0, 0), m_prefs.speechRate < accessibility::kMaxSpeechRate))
            setSpeechRate(m_prefs.speechRate + 25);
        std::string rate = m_ui.fmt("settings.rate", {{"rate", std::to_string(m_prefs.speechRate)}});
        w.sameLineIfFitsWidth(ImGui::CalcTextSize(rate.c_str()).x);
        ImGui::AlignTextToFramePadding();
        w.text(rate, accessibility::Role::Status);
        if (w.button(m_ui.tr("settings.readScreen"))) m_readScreen = true;
        w.sameLineIfFits(m_ui.tr("settings.stopSpeech"));
        if (w.button(m_ui.tr("settings.stopSpeech"))) m_ui.options.speech->stop();
    }

    ImGui::Spacing();
    w.text(m_ui.tr("settings.language"));
    std::vector<std::string> languages;
    for (const auto& l : m_resources.languages) languages.push_back(m_ui.tr("language." + l.language()));
    radioRow(languages, [&](std::size_t i) { return i == m_languageIndex; },
             [&](std::size_t i) { setLanguage(m_resources.languages[i].language()); });

    ImGui::Spacing();
    if (w.button(m_ui.tr("settings.siteDefault"))) resetToSiteDefault();
    w.sameLineIfFits(m_ui.tr("settings.close"));
    if (w.button(m_ui.tr("settings.close"))) setSettingsOpen(false);
    ImGui::Dummy(ImVec2(0, st.ItemSpacing.y));
}

} // namespace kiosk::ui

#include "ui/ui_harness.hpp"

#include "accessibility/assets.hpp"
#include "kiosk/ui/keys.hpp"
#include "kiosk/ui/style.hpp"

#include <imgui.h>

#include <stdexcept>

// The harness is used from doctest cases: a failed step stops the case.
#include <doctest/doctest.h>
#define REQUIRE_TAB_TO(label) REQUIRE(tabTo(label))

namespace kiosk::test {

UiHarness::UiHarness(store::Store& store, domain::Clock clock, float width, float height, accessibility::SpeechSink* speech,
                     const std::string& language, std::function<int(domain::Timestamp)> utcOffsetAt)
    : m_attendance(store, clock), m_queries(store), m_views(m_queries), m_security(store, clock), m_work(store, clock, m_security), m_sync(store) {
    (void)m_work.loadCatalogue(accessibility::findAssetsDir() / "tasks" / "work-readiness.json");
    m_context = ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(width, height);
    io.DeltaTime = 1.0f / 60.0f;
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    io.ConfigInputTextCursorBlink = false;
    // The same key codes the GLFW backend uses; Tab belongs to the widget layer.
    io.KeyMap[ImGuiKey_Enter] = ui::keys::Enter;
    io.KeyMap[ImGuiKey_KeyPadEnter] = ui::keys::KeypadEnter;
    io.KeyMap[ImGuiKey_Escape] = ui::keys::Escape;
    io.KeyMap[ImGuiKey_Space] = ui::keys::Space;
    io.KeyMap[ImGuiKey_UpArrow] = ui::keys::Up;
    io.KeyMap[ImGuiKey_DownArrow] = ui::keys::Down;
    io.KeyMap[ImGuiKey_PageUp] = ui::keys::PageUp;
    io.KeyMap[ImGuiKey_PageDown] = ui::keys::PageDown;
    io.KeyMap[ImGuiKey_Backspace] = ui::keys::Backspace;
    io.KeyMap[ImGuiKey_Delete] = 261;
    io.KeyMap[ImGuiKey_LeftArrow] = 263;
    io.KeyMap[ImGuiKey_RightArrow] = 262;
    io.KeyMap[ImGuiKey_Home] = 268;
    io.KeyMap[ImGuiKey_End] = 269;
    io.KeyMap[ImGuiKey_A] = 65;
    io.KeyMap[ImGuiKey_Tab] = -1;

    std::vector<std::string> problems;
    auto resources = ui::loadResources(accessibility::findAssetsDir(), language, problems);
    if (!problems.empty()) throw std::runtime_error("assets: " + problems.front());
    ui::UiOptions options;
    options.defaultProctor = "";
    options.siteName = store.siteName();
    options.demoSignIns = service::SecurityService(store, clock).demoSignIns();  // as the kiosk does when it is not enrolled
    options.clock = clock;
    options.exportDir = std::filesystem::temp_directory_path();
    // Time-outs read the same injected clock, so a test moves both at once.
    options.steadyClock = [clock] { return std::chrono::duration_cast<std::chrono::milliseconds>(clock().time_since_epoch()); };
    // Longer than any test's jump of the clock (cut-offs are minutes away),
    // so only the lock's own tests see the proctor's screens lock.
    options.proctorIdle.timeout = kProctorIdle;
    options.speech = speech;
    options.utcOffsetAt = std::move(utcOffsetAt);
    m_ui = std::make_unique<ui::KioskUi>(ui::UiServices{m_attendance, m_queries, m_views, m_security, m_work, m_sync, m_actions}, std::move(resources), options);
    // The window appears, the first field takes focus on its second frame and
    // is ready for typing on the third (the real kiosk draws settle frames too).
    frames(3);
}

UiHarness::~UiHarness() {
    m_ui.reset();
    ImGui::DestroyContext(m_context);  // before the font bytes it reads go
    m_fonts.reset();
}

void UiHarness::frame() {
    ImGui::SetCurrentContext(m_context);
    ImGuiIO& io = ImGui::GetIO();
    if (m_ui->fontsDirty()) {
        if (!m_fonts) m_fonts = std::make_unique<accessibility::FontFiles>(m_ui->assetsDir());
        ui::buildFontAtlas(*io.Fonts, *m_fonts, m_ui->textSettings());
        unsigned char* pixels = nullptr;
        int w = 0, h = 0;
        io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);  // built, never uploaded
        m_ui->fontsRebuilt();
    }
    ImGui::NewFrame();
    m_ui->frame();
    ImGui::Render();
    if (afterFrame) afterFrame();
}

void UiHarness::frames(int n) {
    for (int i = 0; i < n; ++i) frame();
}

void UiHarness::settleActions() {
    for (int i = 0; i < 100 && m_actions.busy(); ++i) frame();
    REQUIRE_FALSE(m_actions.busy());
}

void UiHarness::type(std::string_view utf8) {
    settleActions();
    ImGui::SetCurrentContext(m_context);
    ImGui::GetIO().AddInputCharactersUTF8(std::string(utf8).c_str());
    frame();
}

void UiHarness::press(int key, bool shift, bool ctrl) {
    settleActions();
    ImGui::SetCurrentContext(m_context);
    ImGuiIO& io = ImGui::GetIO();
    io.KeyShift = shift;
    io.KeyCtrl = ctrl;
    io.KeysDown[key] = true;
    frame();
    const bool acted = m_actions.busy();
    io.KeysDown[key] = false;
    io.KeyShift = false;
    io.KeyCtrl = false;
    frame();
    // The answer came at the start of the frame after the key's: one more
    // frame gives the screens what a save done at once had (a focus moved).
    if (acted) frame();
}

void UiHarness::resize(float width, float height) {
    ImGui::SetCurrentContext(m_context);
    ImGui::GetIO().DisplaySize = ImVec2(width, height);
    frames(2);
}

void UiHarness::signInAsProctor() {
    type("P001");
    REQUIRE_TAB_TO("PIN");
    type("2468");
    press(ui::keys::Enter);
    frames(1);
}

void UiHarness::openFirstSession() {
    signInAsProctor();
    REQUIRE_TAB_TO("WorkKeys Applied Math");
    press(ui::keys::Enter);
    frames(2);
    REQUIRE(m_ui->onCheckInScreen());
}

void UiHarness::checkInAndOpen(std::string_view query) {
    type(query);
    press(ui::keys::Enter);
    frames(2);
    press(ui::keys::Enter);  // checked in
    frames(1);
    type(query);
    press(ui::keys::Enter);  // present already: Enter opens the record
    frames(1);
}

const accessibility::Node* UiHarness::findContaining(std::string_view text) const {
    for (const auto& n : tree().nodes())
        if (n.label.find(text) != std::string::npos) return &n;
    return nullptr;
}

const accessibility::Node* UiHarness::findRole(accessibility::Role role, std::string_view label) const {
    const accessibility::Node* found = nullptr;
    for (const auto& n : tree().nodes())
        if (n.role == role && n.label == label) found = &n;
    return found;
}

bool UiHarness::tabTo(std::string_view label, int limit) {
    for (int i = 0; i < limit; ++i) {
        if (const auto* f = focused(); f && f->label.find(label) != std::string::npos) return true;
        press(ui::keys::Tab);
        frame();  // a text field takes keyboard focus one frame after the request
    }
    const auto* f = focused();
    return f && f->label.find(label) != std::string::npos;
}

bool UiHarness::tabToExactly(std::string_view label, int limit) {
    for (int i = 0; i < limit; ++i) {
        if (const auto* f = focused(); f && f->label == label) return true;
        press(ui::keys::Tab);
        frame();
    }
    const auto* f = focused();
    return f && f->label == label;
}

} // namespace kiosk::test

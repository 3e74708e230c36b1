// Read-aloud: the words come from the accessibility tree and the strings,
// and espeak-ng turns them into sound (checked on the samples and by sox).
#include "accessibility/speech.hpp"
#include "accessibility/spoken_text.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include <cstdio>
#include <fstream>
#include <optional>
#include <regex>

using namespace kiosk::accessibility;

namespace {

const std::filesystem::path kStringsDir = std::filesystem::path(KIOSK_TEST_ASSETS_DIR) / "strings";

Strings strings(const std::string& lang) {
    auto [s, error] = Strings::load(kStringsDir, lang);
    REQUIRE(error.empty());
    return s;
}

Node node(Role role, std::string label, std::string value = {}) {
    Node n;
    n.role = role;
    n.label = std::move(label);
    n.value = std::move(value);
    n.focusable = role != Role::StaticText && role != Role::Heading && role != Role::Status && role != Role::Alert;
    return n;
}

// `sox FILE -n stat` prints "Maximum amplitude:  0.61" and the like on stderr.
std::optional<double> soxStat(const std::filesystem::path& wav, const std::string& field) {
    std::string cmd = "sox '" + wav.string() + "' -n stat 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return std::nullopt;
    std::string out;
    char buf[256];
    while (fgets(buf, sizeof buf, p)) out += buf;
    if (pclose(p) != 0) return std::nullopt;
    std::smatch m;
    if (!std::regex_search(out, m, std::regex(field + R"(:\s+(-?[0-9.]+))"))) return std::nullopt;
    return std::stod(m[1].str());
}

std::vector<std::int16_t> render(Speaker& s, const Utterance& u) {
    s.speak(u, Interrupt::No);
    REQUIRE(s.waitUntilIdle());
    return s.takeCaptured();
}

} // namespace

TEST_CASE("a focused control is described by its label, role, value and state") {
    auto en = strings("en");
    CHECK(describeNode(node(Role::Button, "Check in"), en) == "Check in, button");
    CHECK(describeNode(node(Role::TextField, "Seat", "A1"), en) == "Seat, text field, A1");
    CHECK(describeNode(node(Role::TextField, "Description"), en) == "Description, text field, blank");
    auto box = node(Role::Checkbox, "Large print (scheduled)");
    CHECK(describeNode(box, en) == "Large print (scheduled), check box, not checked");
    box.checked = true;
    CHECK(describeNode(box, en) == "Large print (scheduled), check box, checked");
    auto radio = node(Role::RadioButton, "Photo ID");
    radio.selected = true;
    CHECK(describeNode(radio, en) == "Photo ID, radio button, selected");
    auto row = node(Role::ListItem, "\xC3\x91\xC3\xBA\xC3\xB1" "ez, Zo\xC3\xAB  \xC2\xB7  S100001", "Present \xC2\xB7 seat A1");
    row.selected = true;
    CHECK(describeNode(row, en) == "\xC3\x91\xC3\xBA\xC3\xB1" "ez, Zo\xC3\xAB, S100001, list item, Present, seat A1, selected");
    auto off = node(Role::Button, "Sign off session\xE2\x80\xA6");
    off.disabled = true;
    CHECK(describeNode(off, en) == "Sign off session\xE2\x80\xA6, button, unavailable");
    CHECK(describeNode(node(Role::Heading, "Choose a testing session"), en) == "Choose a testing session, heading");
    CHECK(describeNode(node(Role::StaticText, "Seat"), en) == "Seat");
    CHECK(describeNode(node(Role::Alert, "Describe what happened"), en) == "Describe what happened, alert");
}

TEST_CASE("role and state words come from the interface language") {
    auto es = strings("es");
    CHECK(describeNode(node(Role::Button, "Registrar entrada"), es) == "Registrar entrada, " + es.get("role.button"));
    auto box = node(Role::Checkbox, "Letra grande");
    box.checked = true;
    CHECK(describeNode(box, es) == "Letra grande, " + es.get("role.checkbox") + ", " + es.get("speech.checked"));
    CHECK(es.get("role.button") != strings("en").get("role.button"));
}

TEST_CASE("labels are made speakable: separators and line breaks become pauses") {
    CHECK(speakable("A \xC2\xB7 B\nC") == "A, B, C");
    CHECK(speakable("Text 150%") == "Text 150%");
    CHECK(speakable("  two  spaces ") == "two spaces");
    CHECK(speakable("Ends with \xC2\xB7 ") == "Ends with");
}

TEST_CASE("the whole screen is read in tree order, and with a dialog open only the dialog") {
    auto en = strings("en");
    Tree tree;
    tree.add(node(Role::Heading, "Choose a testing session"));
    tree.add(node(Role::StaticText, "Proctor (your name)"));
    auto field = node(Role::TextField, "Proctor (your name)", "Ms. Rivera");
    tree.add(field);
    tree.add(node(Role::Button, "WorkKeys Applied Math"));
    CHECK(describeScreen(tree, en) ==
          "Choose a testing session, heading. Proctor (your name), text field, Ms. Rivera. WorkKeys Applied Math, button.");

    auto title = node(Role::Dialog, "Check in");
    title.scope = "Check in##modal";
    auto confirm = node(Role::Button, "Check in");
    confirm.scope = "Check in##modal";
    tree.add(title);
    tree.add(confirm);
    CHECK(describeScreen(tree, en) == "Check in, dialog. Check in, button.");
    CHECK(describeScreen(Tree{}, en).empty());
}

TEST_CASE("espeak-ng renders the spoken text of a focused button to a WAV that is speech, not silence") {
    Speaker speaker(SpeechOutput::Capture);
    REQUIRE(speaker.waitUntilIdle());
    INFO(speaker.error());
    REQUIRE(speaker.available());
    auto text = describeNode(node(Role::Button, "Check in"), strings("en"));
    auto samples = render(speaker, {text, "en", 175});
    int rate = speaker.sampleRate();
    REQUIRE(rate > 0);
    REQUIRE(samples.size() > static_cast<std::size_t>(rate) / 4);  // "Check in, button" lasts well over a quarter second
    auto level = measure(samples, rate);
    CHECK(level.peak > 0.1);
    CHECK(level.rms > 0.02);
    CHECK(level.voicedShare > 0.3);

    kiosk::test::TempDir dir;
    auto wav = dir / "check-in-button.wav";
    REQUIRE(writeWav(wav, samples, rate));
    int readRate = 0;
    auto back = readWav(wav, &readRate);
    CHECK(readRate == rate);
    CHECK(back == samples);
    // And a second opinion: sox reads the file as sound well above silence.
    auto peak = soxStat(wav, "Maximum amplitude");
    auto rms = soxStat(wav, "RMS\\s+amplitude");
    REQUIRE(peak.has_value());
    REQUIRE(rms.has_value());
    CHECK(*peak > 0.1);
    CHECK(*rms > 0.02);

    // Silence measures as silence, so the checks above can fail.
    std::vector<std::int16_t> quiet(static_cast<std::size_t>(rate), 0);
    auto silent = dir / "silence.wav";
    REQUIRE(writeWav(silent, quiet, rate));
    CHECK(measure(quiet, rate).peak == 0.0);
    CHECK(soxStat(silent, "Maximum amplitude").value_or(1.0) == 0.0);
}

TEST_CASE("Spanish text is spoken with a Spanish voice, English with an English one") {
    Speaker speaker(SpeechOutput::Capture);
    REQUIRE(speaker.waitUntilIdle());
    REQUIRE(speaker.available());
    auto es = render(speaker, {"Registrar entrada, bot\xC3\xB3n", "es", 175});
    CHECK(speaker.lastVoiceLanguage().rfind("es", 0) == 0);
    CHECK(measure(es, speaker.sampleRate()).peak > 0.1);
    render(speaker, {"Check in, button", "en", 175});
    CHECK(speaker.lastVoiceLanguage().rfind("en", 0) == 0);
}

TEST_CASE("the speech rate changes how long the same words take") {
    Speaker speaker(SpeechOutput::Capture);
    REQUIRE(speaker.waitUntilIdle());
    REQUIRE(speaker.available());
    const std::string text = "Find a student, text field, blank";
    auto slow = render(speaker, {text, "en", 100});
    auto normal = render(speaker, {text, "en", 175});
    auto fast = render(speaker, {text, "en", 350});
    CHECK(slow.size() > normal.size());
    CHECK(normal.size() > fast.size());
    // Out-of-range rates are clamped to espeak-ng's 80..450, not refused.
    auto tooFast = render(speaker, {text, "en", 5000});
    auto fastest = render(speaker, {text, "en", 450});
    CHECK(tooFast.size() == fastest.size());
}

TEST_CASE("a new focus interrupts: what was queued before it is dropped") {
    Speaker speaker(SpeechOutput::Capture);
    REQUIRE(speaker.waitUntilIdle());
    REQUIRE(speaker.available());
    Utterance shortOne{"Seat, text field", "en", 175};
    auto alone = render(speaker, shortOne);
    REQUIRE_FALSE(alone.empty());
    std::string longText;
    for (int i = 0; i < 40; ++i) longText += "Ashworth-P\xC3\xA9rez, Aroha, S100" + std::to_string(100 + i) + ", list item, expected. ";
    for (int i = 0; i < 5; ++i) speaker.speak({longText, "en", 175}, Interrupt::No);
    speaker.speak(shortOne, Interrupt::Yes);
    REQUIRE(speaker.waitUntilIdle());
    auto got = speaker.takeCaptured();
    auto longAlone = render(speaker, {longText, "en", 175});
    REQUIRE(longAlone.size() > 10 * alone.size());
    // At most one long reading got out before the interrupt reached the
    // thread, and the interrupting utterance always came whole. (espeak-ng
    // does not restart bit-identical after an abort: allow a few percent.)
    auto near = [](std::size_t a, std::size_t b) { return std::abs(static_cast<double>(a) - static_cast<double>(b)) < 0.05 * static_cast<double>(b); };
    INFO("got " << got.size() << ", short alone " << alone.size() << ", long alone " << longAlone.size());
    CHECK((near(got.size(), alone.size()) || near(got.size(), longAlone.size() + alone.size())));
    CHECK(measure(std::span(got).last(alone.size() / 2), speaker.sampleRate()).voicedShare > 0.3);
}

TEST_CASE("a second speaker in another output mode is refused with a reason, not a crash") {
    Speaker capture(SpeechOutput::Capture);
    REQUIRE(capture.waitUntilIdle());
    REQUIRE(capture.available());
    Speaker other(SpeechOutput::Capture);
    REQUIRE(other.waitUntilIdle());
    CHECK_FALSE(other.available());
    CHECK(other.error().find("another speaker") != std::string::npos);
    other.speak({"nothing", "en", 175}, Interrupt::Yes);  // ignored
    CHECK(other.takeCaptured().empty());
}

TEST_CASE("no sound device is noticed before anyone waits for speech that never comes") {
    kiosk::test::TempDir dir;
    const auto pcm = dir.path() / "pcm";
    const auto runtime = dir.path() / "run";
    std::filesystem::create_directories(runtime);
    // A machine with neither ALSA playback nor a sound server: why, in words.
    CHECK(audioOutputProblem(pcm, runtime).find("no sound device") == 0);
    {
        std::ofstream capture(pcm);
        capture << "00-00: ALC3246 Analog : ALC3246 Analog : capture 1\n";
    }
    CHECK_FALSE(audioOutputProblem(pcm, runtime).empty());  // a microphone plays nothing
    {
        std::ofstream both(pcm);
        both << "00-00: ALC3246 Analog : ALC3246 Analog : playback 1 : capture 1\n";
    }
    CHECK(audioOutputProblem(pcm, runtime).empty());
    // A sound server's socket is enough on its own.
    std::filesystem::remove(pcm);
    std::filesystem::create_directories(runtime / "pulse");
    { std::ofstream socket(runtime / "pulse" / "native"); }
    CHECK(audioOutputProblem(pcm, runtime).empty());
}

// Focus that cannot lie: seeded random key sequences through every screen,
// checked every frame. The ring is only ever on the focused control; the
// control that acts on a key is the one that had focus (and the ring) when
// the key came; and nothing is written to the store unless the control that
// wrote it is the one read-aloud last announced.
#include "accessibility/spoken_text.hpp"
#include "kiosk/ui/keys.hpp"
#include "ui/demo_fixture.hpp"
#include "ui/ui_harness.hpp"

#include <doctest/doctest.h>

#include <deque>
#include <iterator>
#include <optional>
#include <random>
#include <sstream>

using namespace kiosk;
namespace keys = kiosk::ui::keys;

namespace {

struct LastAnnouncement final : accessibility::SpeechSink {
    std::string focus;  // the newest interrupting utterance: what read-aloud said on the last focus change
    void speak(accessibility::Utterance u, accessibility::Interrupt i) override {
        if (i == accessibility::Interrupt::Yes) focus = std::move(u.text);
    }
    void stop() override {}
};

struct Focus {
    std::uint32_t id = 0;
    std::string label, scope;
    bool ring = false;
    bool disabled = false;
};

std::int64_t records(store::Store& s) {
    auto q = s.db().prepare("SELECT (SELECT count(*) FROM event) + (SELECT count(*) FROM work_event) + (SELECT count(*) FROM audit_log);");
    REQUIRE(q.value().step().value());
    return q->getInt(0);
}

class Walk {
public:
    Walk(test::DemoFixture& f, test::UiHarness& h, LastAnnouncement& speech) : m_f(f), m_h(h), m_speech(speech) {
        m_records = records(f.store);
        m_h.afterFrame = [this] { check(); };
    }
    ~Walk() { m_h.afterFrame = {}; }

    void note(std::string what) {
        m_log.push_back(std::move(what));
        if (m_log.size() > 24) m_log.pop_front();
    }
    void key(int code, bool shift, const char* name, bool ctrl = false) {
        note(std::string(ctrl ? "ctrl+" : "") + (shift ? "shift+" : "") + name + " [focus: " + m_focus.label + "]");
        m_h.settleActions();  // as the window does: no key goes while an answer is on its way
        m_keyFrame = true;
        m_h.press(code, shift, ctrl);
        m_h.frames(2);  // the real kiosk draws settle frames after input
    }
    void type(const std::string& text) {
        note("type \"" + text + "\" [focus: " + m_focus.label + "]");
        m_h.settleActions();
        m_keyFrame = true;
        m_h.type(text);
        m_h.frames(2);
    }
    int frames() const { return m_frames; }
    int writes() const { return m_writes; }
    const Focus& focus() const { return m_focus; }

private:
    std::string trail() const {
        std::ostringstream out;
        for (const auto& l : m_log) out << "\n  " << l;
        return out.str();
    }

    void check() {
        ++m_frames;
        const auto& nodes = m_h.tree().nodes();
        int focused = 0, lastFocused = -1;
        Focus now;
        for (std::size_t i = 0; i < nodes.size(); ++i)
            if (nodes[i].focusable && nodes[i].focused) {
                ++focused;
                lastFocused = static_cast<int>(i);
                now = Focus{nodes[i].id, nodes[i].label, nodes[i].scope, nodes[i].ring, nodes[i].disabled};
            }
        if (focused > 1) FAIL_CHECK("two controls report focus in one frame; last keys:" << trail());
        // A ring on a control that is not focused is only the frame's past:
        // focus moved to a control drawn after it, in this same frame.
        for (std::size_t i = 0; i < nodes.size(); ++i)
            if (nodes[i].ring && !nodes[i].focused && !(lastFocused > static_cast<int>(i)))
                FAIL_CHECK("the ring is on \"" << nodes[i].label << "\" but focus is on \"" << now.label << "\"; last keys:" << trail());

        const auto& acts = m_h.ui().activations();
        for (const auto& a : acts) {
            if (!m_keyFrame) FAIL_CHECK("\"" << a.label << "\" acted on a frame without a key; last keys:" << trail());
            if (a.byDefault) {
                if (m_focus.scope != a.scope)
                    FAIL_CHECK("the dialog default \"" << a.label << "\" ran while focus was outside its dialog, on \"" << m_focus.label
                                                      << "\"; last keys:" << trail());
            } else if (a.id != m_focus.id) {
                FAIL_CHECK("\"" << a.label << "\" acted on a key that went to \"" << m_focus.label << "\" (ring "
                                << (m_focus.ring ? "on it" : "nowhere") << "); last keys:" << trail());
            } else if (!m_focus.ring && !m_focus.disabled) {
                FAIL_CHECK("\"" << a.label << "\" acted without showing the ring; last keys:" << trail());
            }
        }
        // A control that acts on this key: its save is committed by the
        // action queue and lands a frame or two later, before the next key.
        if (m_keyFrame) m_actedBy.reset();
        if (!acts.empty()) m_actedBy = Acted{acts.front().label, m_focus.label, m_announced};
        std::int64_t n = records(m_f.store);
        if (n != m_records) {
            ++m_writes;
            if (!m_actedBy) FAIL_CHECK("a record was written with no control acting on the last key; last keys:" << trail());
            // Read-aloud announced the control that wrote (for a dialog's
            // default, the control in that dialog the proctor was on).
            else if (m_actedBy->announced.find(accessibility::speakable(m_actedBy->focus)) == std::string::npos)
                FAIL_CHECK("a record was written by \"" << m_actedBy->control << "\" but read-aloud last announced \"" << m_actedBy->announced
                                                       << "\"; last keys:" << trail());
            m_records = n;
        }
        m_keyFrame = false;  // only the frame the key went down in may act on it
        m_focus = now;
        m_announced = m_speech.focus;  // what had been said when the next key comes
        // The walk may switch read-aloud off (F5, the settings panel, a
        // student's sign-out): on again, so every control is announced.
        if (!m_h.ui().preferences().readAloud) {
            m_h.ui().setReadAloud(true);
            m_announced.clear();  // said again from the next frame on
        }
    }

    test::DemoFixture& m_f;
    test::UiHarness& m_h;
    LastAnnouncement& m_speech;
    std::deque<std::string> m_log;
    Focus m_focus;
    std::string m_announced;
    std::int64_t m_records = 0;
    bool m_keyFrame = false;
    struct Acted {
        std::string control, focus, announced;  // what acted, where focus was, what read-aloud had said: at the key
    };
    std::optional<Acted> m_actedBy;  // the last key's acting control, until the next key
    int m_frames = 0;
    int m_writes = 0;
};

// One seeded walk: mostly Tab, Enter, Space and arrows, some Escape and typing.
void walk(Walk& w, std::uint32_t seed, int count) {
    std::mt19937 rng(seed);
    const char* snippets[] = {"zoe", "S10000", "nun", "2468", "P001", "a", "7", "14:05", "Fire", "B2"};
    for (int i = 0; i < count; ++i) {
        int r = static_cast<int>(rng() % 100);
        if (r < 30) w.key(keys::Tab, false, "Tab");
        else if (r < 38) w.key(keys::Tab, true, "Tab");
        else if (r < 54) w.key(keys::Enter, false, "Return");
        else if (r < 64) w.key(keys::Space, false, "space");
        else if (r < 70) w.key(keys::Escape, false, "Escape");
        else if (r < 76) w.key(keys::Down, false, "Down");
        else if (r < 81) w.key(keys::Up, false, "Up");
        else if (r < 84) {
            // The board's filter chords, Ctrl+1 ... Ctrl+6 (GLFW_KEY_1 is 49).
            int digit = static_cast<int>(rng() % 6);
            w.key(49 + digit, false, (std::string(1, static_cast<char>('1' + digit))).c_str(), true);
        } else if (r < 86) w.key(keys::F9, rng() % 2 == 0, "F9");  // the board's sort
        else if (r < 88) w.key(keys::F10, false, "F10");  // the whole room and back
        else w.type(snippets[rng() % std::size(snippets)]);
    }
}

bool onProctorSignIn(test::UiHarness& h) { return h.ui().windowTitle().rfind("Proctor sign-in", 0) == 0; }

} // namespace

TEST_CASE("random keys through every screen: the ring, the key and the record always agree") {
    test::DemoFixture f(30);
    service::SecurityService setup(f.store, f.clock());
    REQUIRE(setup.setSecondFactor(service::SecondFactor::Pin).ok());
    REQUIRE(setup.setStudentPin("S100001", "4321").saved);
    f.now += std::chrono::minutes(25);  // past the no-show cut-off: every action can be reached
    LastAnnouncement speech;
    test::UiHarness h(f.store, f.clock(), 1280, 800, &speech);
    h.ui().setReadAloud(true);
    Walk w(f, h, speech);

    int keysPressed = 0;
    for (std::uint32_t seed = 1; seed <= 12; ++seed) {
        // Each walk starts somewhere useful: a proctor signed in (the walks
        // reach sessions, check-in and its dialogs, review, sync, the
        // student station) or a student signed in on the station.
        if (onProctorSignIn(h)) {
            w.type("P001");
            if (h.focused() && h.focused()->label != "PIN") w.key(keys::Tab, false, "Tab");
            w.type("2468");
            w.key(keys::Enter, false, "Return");
        }
        if (seed % 4 == 0 && h.ui().windowTitle().rfind("Student sign-in", 0) == 0) {
            w.type("S100001");
            w.key(keys::Tab, false, "Tab");
            w.type("4321");
            w.key(keys::Enter, false, "Return");
        }
        walk(w, seed, 300);
        keysPressed += 300;
    }
    INFO("frames checked: " << w.frames() << ", records written: " << w.writes());
    CHECK(keysPressed >= 3000);
    CHECK(w.writes() > 10);  // the walk did act: check-ins, breaks, sign-ins (a walk that writes nothing proves nothing)
}

#pragma once
// What every screen shares for one frame: words, colours, the widget layer,
// the services it may call, and the proctor's feedback line.
#include "accessibility/idle_timer.hpp"
#include "accessibility/speech.hpp"
#include "accessibility/strings.hpp"
#include "accessibility/text_settings.hpp"
#include "accessibility/theme.hpp"
#include "kiosk/domain/descriptors.hpp"
#include "kiosk/service/action_queue.hpp"
#include "kiosk/service/action_result.hpp"
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/service/security_service.hpp"
#include "kiosk/service/session_queries.hpp"
#include "kiosk/service/session_views.hpp"
#include "kiosk/service/sync_view.hpp"
#include "kiosk/service/work_service.hpp"
#include "kiosk/domain/local_date.hpp"
#include "kiosk/ui/palette.hpp"
#include "kiosk/ui/widgets.hpp"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace kiosk::ui {

struct Feedback {
    bool ok = true;
    std::string text;
};

struct UiServices {
    service::AttendanceService& attendance;
    service::SessionQueries& queries;
    service::SessionViews& views;  // the check-in screen's read model
    service::SecurityService& security;
    service::WorkService& work;
    service::SyncQueries& sync;
    service::ActionQueue& actions;  // where every call above that reads or writes the store runs
};

struct UiOptions {
    std::string defaultProctor;
    std::string siteName;
    std::filesystem::path exportDir;
    domain::Clock clock = domain::systemNow;
    int utcOffsetMinutes = 0;  // a fixed offset (tests), used when utcOffsetAt is not set
    // The offset at each instant shown (the zone's rules, DST included): set by the kiosk.
    std::function<int(domain::Timestamp)> utcOffsetAt;
    int offsetAt(domain::Timestamp t) const { return utcOffsetAt ? utcOffsetAt(t) : utcOffsetMinutes; }
    // A monotonic clock for time-outs (wall time can jump); tests inject one.
    std::function<std::chrono::milliseconds()> steadyClock;
    // Read-aloud; none means the kiosk stays silent (and says so in settings).
    accessibility::SpeechSink* speech = nullptr;
    // The state sync as the proctor sees it; empty when the kiosk is not enrolled.
    service::SyncSummaryProvider syncStatus;
    // The demo's documented sign-ins (README), while they hold on an
    // unenrolled kiosk: the sign-in screens name them for whoever tries it first.
    std::optional<service::DemoSignIns> demoSignIns;
    // A shared student machine starts at the student sign-in.
    bool studentStation = false;
    // Kiosk mode: leaving the app needs a proctor PIN and a reason.
    bool kioskMode = false;
    // A proctor's screens lock when left this long (warned first); the PIN opens them.
    accessibility::IdlePolicy proctorIdle{std::chrono::minutes(10), std::chrono::seconds(30)};
};

struct UiContext {
    UiContext(UiServices s, UiOptions o) : services(s), options(std::move(o)) {}

    UiServices services;
    UiOptions options;
    const accessibility::Strings* strings = nullptr;
    Palette palette{};
    Widgets widgets;
    accessibility::Tree tree;
    std::string proctor;    // name of the proctor signed in with their PIN
    std::string proctorId;  // empty until a PIN was accepted
    Feedback feedback;
    // The one view of what reached the state: the banner and the State-sync
    // screen both read it (KioskUi::readSync, once a second and after a save).
    service::SyncSummary sync;
    // The banner's status (what waits for the state, the site hub, the
    // clock), set each frame: the room view shows it on its one top line.
    std::string bannerStatus;
    bool dataChanged = false;  // something was committed this frame: refresh counts
    bool escapeConsumed = false;  // Escape already backed out of something this frame (reset every frame)

    const std::string& tr(std::string_view key) const { return strings->get(key); }
    // An accommodation descriptor by its words in the kiosk's language: the
    // Ed-Fi categories and the usual ones have them; a state's own value is
    // shown as the state names it.
    std::string accommodationName(std::string_view uri) const {
        std::string code(domain::descriptorCodeValue(uri));
        std::string key = "accommodation." + code;
        return strings->has(key) ? strings->get(key) : code;
    }
    // A sentence from the domain or a service, in the kiosk's language: its
    // pattern translated, then filled in.
    // "Ñúñez, Zoë · S100001 · Grade 11": the name, the ID and, when the
    // roster gives one, the grade (an ID aid at the door).
    std::string studentHeading(const std::string& name, const std::string& id, const std::string& gradeLevel) const {
        std::string out = name + " · " + id;
        if (gradeLevel.empty()) return out;
        bool number = gradeLevel.find_first_not_of("0123456789") == std::string::npos;
        return out + " · " + (number ? fmt("student.grade", {{"grade", gradeLevel}}) : gradeLevel);
    }
    std::string said(std::string_view english) const { return strings->message(english); }
    std::string said(const domain::Sentence& s) const {
        domain::SentenceArgs args;
        for (const auto& [name, value] : s.args) args.emplace_back(name, strings->message(value));
        return edsync::fillIn(strings->message(s.pattern), args);
    }
    // Words that may carry a sentence (sign-in, PIN checks): the sentence when there is one.
    std::string said(std::string_view english, const domain::Sentence& s) const { return s.pattern.empty() ? said(english) : said(s); }
    // Why an action saved nothing: the rules' words, or storage that failed (the technician's matter, with its detail).
    std::string said(const service::ActionResult& r) const {
        if (r.storageFailed) return fmt("feedback.storageFailed", {{"detail", r.message}});
        return said(r.message, r.sentence);
    }
    std::string fmt(std::string_view key, std::initializer_list<std::pair<std::string_view, std::string>> args) const {
        return strings->format(key, args);
    }
    float em() const { return widgets.em(); }
    ImVec2 ems(float w, float h) const { return ImVec2(w * em(), h * em()); }
    std::string clock(domain::Timestamp t) const { return domain::formatClock(t, options.offsetAt(t)); }
    // A calendar date (YYYY-MM-DD) as this language writes it; one format on every screen.
    std::string date(std::string_view iso) const { return domain::formatLocalDate(iso, tr("date.order")); }
    std::optional<std::string> parseDate(std::string_view typed) const { return domain::parseLocalDate(typed, tr("date.order")); }
    // "2.5", "0.75", "10" (Spanish "2,5"): hours as people say them, at most
    // two decimals (a quarter hour is 0.75, not 0.8), no trailing zero.
    std::string hours(double h) const {
        long hundredths = std::lround(h * 100.0);
        std::string out = std::to_string(hundredths / 100);
        long part = std::labs(hundredths % 100);
        if (part != 0) {
            std::string digits = std::to_string(part);
            if (digits.size() == 1) digits = "0" + digits;
            if (digits.back() == '0') digits.pop_back();
            out += tr("number.decimal") + digits;
        }
        return out;
    }

    // Runs `work` (a service's read or write) off the render thread; `then`
    // gets its result on the render thread at the start of a later frame,
    // before any key typed after this action reaches a screen.
    template <class Work, class Then>
    void act(Work work, Then then) {
        services.actions.submit(std::move(work), std::move(then));
    }

    // Shows the outcome: "saved" only when the service says it committed.
    bool report(const service::ActionResult& r, const std::string& savedText) {
        feedback = r.saved ? Feedback{true, fmt("feedback.saved", {{"what", savedText}})} : Feedback{false, said(r)};
        dataChanged = dataChanged || r.saved;
        return r.saved;
    }
};

} // namespace kiosk::ui

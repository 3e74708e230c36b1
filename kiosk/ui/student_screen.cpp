#include "kiosk/ui/student_screen.hpp"

#include "accessibility/accommodation_profile.hpp"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <charconv>

namespace kiosk::ui {

StudentScreen::Loaded StudentScreen::load(service::WorkService& work, const std::string& studentId) {
    Loaded l;
    if (auto e = work.entries(studentId)) l.entries = std::move(*e);
    if (auto p = work.progress(studentId)) l.progress = std::move(*p);
    return l;
}

void StudentScreen::start() {
    m_focus = m_ui.tr("student.id");
    // Which second factor the site asks for (a technician may change it): read once per visit, not per frame.
    m_ui.act([&security = m_ui.services.security] { return security.secondFactor() == service::SecondFactor::Pin; },
             [this](bool pin) { m_pinFactor = pin; });
}

void StudentScreen::adopt(const std::string& studentId, Loaded loaded) {
    if (!m_student || m_student->id != studentId) return;  // signed out meanwhile: nothing of theirs comes back
    if (loaded.entries) m_student->entries = std::move(*loaded.entries);
    if (loaded.progress) m_student->progress = std::move(*loaded.progress);
}

std::vector<const std::string*> StudentScreen::buffers() const {
    return {&m_idField, &m_secret, &m_entryId, &m_date, &m_minutes, &m_place, &m_reflection};
}

void StudentScreen::clearForm() {
    m_editing = false;
    m_confirmDelete = false;
    m_dateOrder.clear();  // the next form is written in the language of the day it opens
    m_entryId.clear();
    m_task = kNoTask;
    m_taskFocused = kNoTask;
    m_date.clear();
    m_minutes.clear();
    m_place.clear();
    m_reflection.clear();
    m_formError.clear();
}

// A task's radio: its title in the screen's language, told apart by its place.
std::string StudentScreen::taskLabel(const domain::TaskCatalogue& catalogue, std::size_t i) const {
    return catalogue.tasks[i].titleIn(m_ui.strings->language()) + "##task" + std::to_string(i);
}

// The date field's label names the date format of the screen's language.
std::string StudentScreen::dateLabel() const { return m_ui.fmt("student.date", {{"format", m_ui.tr("date.format")}}); }

// Said at the top and again above the buttons the student just pressed, and
// focus goes to the first field still empty: on a long form the top is out of view.
void StudentScreen::refuseForm(const std::string& why) {
    m_ui.feedback = Feedback{false, why};
    m_formError = why;
    auto catalogue = m_ui.services.work.catalogue();
    if (m_task == kNoTask && catalogue && !catalogue->catalogue.tasks.empty()) {
        m_ui.widgets.focus(Widgets::visibleLabel(taskLabel(catalogue->catalogue, 0)));
        return;
    }
    const std::pair<const std::string*, std::string> order[] = {{&m_date, dateLabel()},
                                                                {&m_minutes, m_ui.tr("student.minutesField")},
                                                                {&m_place, m_ui.tr("student.place")},
                                                                {&m_reflection, m_ui.tr("student.reflection")}};
    for (const auto& [value, label] : order) {
        if (value->empty()) {
            m_ui.widgets.focus(label);
            return;
        }
    }
}

void StudentScreen::endSession(bool timedOut) {
    if (m_student) {
        // An unfinished entry is kept as a draft, never lost to a time-out.
        std::optional<domain::EntryFields> draft;
        if (m_editing && (!m_place.empty() || !m_reflection.empty() || !m_minutes.empty())) {
            std::string ignored;
            draft = fields(ignored);
        }
        // No answer is shown: whoever reads the screen now is the next person;
        // the student finds the draft in their list.
        m_ui.services.actions.post([&work = m_ui.services.work, &security = m_ui.services.security, id = m_student->id, entryId = m_entryId, draft,
                                    timedOut] {
            // A draft the store refuses (a full disk) goes with the screen, which is cleared regardless.
            if (draft) (void)work.saveDraft(id, entryId, *draft);  // see above: nobody is left to tell
            // The student's screen is cleared whatever the audit log says:
            // refusing a sign-out would leave their data showing.
            (void)security.signOut(id, timedOut);  // see above: the sign-out stands either way
        });
    }
    m_student.reset();
    clearForm();
    m_idField.clear();
    m_secret.clear();
    // ImGui keeps the text of the field being edited (and its undo copy): drop it.
    ImGui::ClearActiveID();
    GImGui->InputTextState.ClearText();
    GImGui->InputTextState.ClearFreeMemory();
    // The site's own language first: the goodbye and the field to focus are
    // the next person's, not in the last student's language.
    if (m_hooks.signedOut) m_hooks.signedOut();
    m_ui.feedback = Feedback{true, m_ui.tr(!timedOut ? "student.signedOut" : "student.timedOut")};
    m_focus = m_ui.tr("student.id");
}

StudentScreen::Result StudentScreen::draw() {
    if (!m_student) {
        drawSignIn();
        ImGui::Spacing();
        if (m_ui.widgets.button(m_ui.tr("student.proctor"))) return Result::ToProctor;
        return Result::Stay;
    }
    drawHome();
    return Result::Stay;
}

void StudentScreen::drawSignIn() {
    m_ui.widgets.heading(m_ui.tr("student.signInTitle"));
    const bool pin = m_pinFactor;
    m_ui.widgets.text(m_ui.tr("student.id"));
    if (!m_focus.empty()) {
        m_ui.widgets.focus(m_focus);
        m_focus.clear();
    }
    m_ui.widgets.textField(m_ui.tr("student.id"), m_idField, {}, false, 16.0f, 32);
    std::string factor = pin ? m_ui.tr("student.pin") : m_ui.fmt("student.birthDate", {{"format", m_ui.tr("date.format")}});
    m_ui.widgets.text(factor);
    bool enter = m_ui.widgets.secretField(factor, m_secret, true, 16.0f, 16);
    bool pressed = m_ui.widgets.button(m_ui.tr("student.signIn"), Emphasis::Primary);
    if (const auto& demo = m_ui.options.demoSignIns; demo && !pin)
        m_ui.widgets.wrappedText(m_ui.fmt("demo.student", {{"id", demo->studentId}, {"date", m_ui.date(demo->studentBirthDate)}}));
    if (!enter && !pressed) return;
    // A date of birth is read in the screen's own date order (the label says
    // which); what is no date at all is said so, and is no failed try.
    std::optional<std::string> date = pin ? std::nullopt : m_ui.parseDate(m_secret);
    if (!pin && !date && !m_secret.empty()) {
        m_ui.feedback = Feedback{false, m_ui.fmt("student.notADate", {{"format", m_ui.tr("date.format")},
                                                                      {"example", m_ui.date("2010-07-31")}})};
        m_secret.clear();
        m_focus = factor;
        return;
    }
    std::string secret = pin ? m_secret : date.value_or(m_secret);
    m_secret.clear();
    struct Answer {
        service::SignIn signIn;
        Loaded loaded;
    };
    m_ui.act([&security = m_ui.services.security, &work = m_ui.services.work, id = m_idField, secret] {
        Answer a{security.signIn(id, secret), {}};
        if (!a.signIn.ok) return a;
        work.refreshCatalogue();  // another machine of the site may have imported a new one
        a.loaded = load(work, a.signIn.student->studentUniqueId);
        return a;
    },
             [this, factor](Answer a) {
                 const auto& r = a.signIn;
                 if (!r.ok) {
                     m_ui.feedback = Feedback{false, m_ui.said(r.message, r.sentence)};
                     m_focus = factor;
                     return;
                 }
                 m_idField.clear();
                 m_student = Student{r.student->studentUniqueId, r.student->firstName + " " + r.student->lastSurname, {}, {}, {}};
                 for (const auto& term : accessibility::profileFromDescriptors(r.scheduledAccommodations).pnpTerms)
                     if (accessibility::appliedByKiosk(term)) m_student->applied.push_back(term);
                 adopt(m_student->id, std::move(a.loaded));
                 m_ui.feedback = {};
                 if (m_hooks.signedIn) m_hooks.signedIn(r.scheduledAccommodations);
                 m_focus = m_ui.tr("student.logTask");
             });
}

void StudentScreen::drawHome() {
    auto catalogue = m_ui.services.work.catalogue();
    // Always visible while a student is signed in.
    m_ui.widgets.textColoured(m_ui.fmt("student.banner", {{"name", m_student->name}, {"id", m_student->id}}), m_ui.palette.accent,
                              accessibility::Role::Status);
    // Why the screen looks and sounds as it does now: said, not left to guess.
    if (!m_student->applied.empty() && !m_editing) {
        std::string list;
        for (const auto& term : m_student->applied) list += (list.empty() ? "" : ", ") + m_ui.tr("pnp." + term);
        m_ui.widgets.wrappedText(m_ui.fmt("student.accommodationsOn", {{"list", list}}));
    }
    if (m_ui.widgets.button(m_ui.tr("student.signOut"))) {
        endSession(false);
        return;
    }
    if (m_editing) {
        drawEntryForm();
        return;
    }
    if (!m_focus.empty()) {
        m_ui.widgets.focus(m_focus);
        m_focus.clear();
    }
    if (m_ui.widgets.button(m_ui.tr("student.logTask"), Emphasis::Primary, ImVec2(0, 0), catalogue != nullptr)) openEntry(nullptr);
    if (!catalogue) {
        m_ui.widgets.wrappedText(m_ui.tr("student.noCatalogue"));
        return;
    }
    const std::string& language = m_ui.strings->language();
    m_ui.widgets.heading(m_ui.fmt("student.progressTitle", {{"title", catalogue->catalogue.titleIn(language)}}));
    for (const auto& a : m_student->progress.areas) {
        const auto* area = catalogue->catalogue.area(a.areaId);
        std::string line = m_ui.fmt("student.area", {{"area", area ? area->titleIn(language) : a.title}, {"hours", m_ui.hours(a.hours)}, {"required", m_ui.hours(a.requiredHours)},
                                                     {"tasks", std::to_string(a.tasksDone)}, {"requiredTasks", std::to_string(a.requiredTasks)}});
        if (a.complete()) line += " · " + m_ui.tr("student.areaDone");
        m_ui.widgets.text(line, accessibility::Role::Status);
        float fraction = a.requiredHours > 0 ? static_cast<float>(std::min(1.0, a.hours / a.requiredHours)) : 1.0f;
        ImGui::PushStyleColor(ImGuiCol_PlotHistogram, m_ui.palette.accent);
        ImGui::ProgressBar(fraction, ImVec2(-FLT_MIN, 0.6f * m_ui.em()), "");
        ImGui::PopStyleColor();
    }
    if (m_student->progress.certificateReady()) m_ui.widgets.textColoured(m_ui.tr("student.certificateReady"), m_ui.palette.success);
    m_ui.widgets.heading(m_ui.tr("student.entries"));
    if (std::all_of(m_student->entries.begin(), m_student->entries.end(), [](const auto& e) { return e.status == domain::EntryStatus::Discarded; }))
        m_ui.widgets.text(m_ui.tr("student.noEntries"));
    for (const auto& e : m_student->entries) {
        if (e.status == domain::EntryStatus::Discarded) continue;  // deleted by the student
        const auto* task = catalogue->catalogue.task(e.taskId);
        std::string label = (e.date.empty() ? m_ui.tr("student.noDate") : m_ui.date(e.date)) + " · " + (task ? task->titleIn(language) : m_ui.tr("student.noTask")) + " · " +
                            m_ui.fmt("student.minutes", {{"minutes", std::to_string(e.minutes)}});
        std::string status = m_ui.tr("entryStatus." + std::string(domain::entryStatusCode(e.status)));
        if (!e.reviewerComment.empty()) status += " · " + e.reviewerComment;
        bool editable = e.status == domain::EntryStatus::Draft || e.status == domain::EntryStatus::SentBack;
        if (m_ui.widgets.listItem(e.entryId, label, status, false) && editable) openEntry(&e);
    }
}

bool StudentScreen::drawDelete() {
    if (m_entryId.empty()) return false;  // a new entry is left with Cancel
    const std::string ask = m_ui.tr("student.deleteEntry");
    if (!m_confirmDelete) {
        m_ui.widgets.sameLineIfFits(ask);
        if (m_ui.widgets.button(ask)) {
            m_confirmDelete = true;
            m_ui.widgets.focus(m_ui.tr("student.keepEntry"));  // a second Enter keeps it
        }
        return false;
    }
    m_ui.widgets.textColoured(m_ui.tr("student.deleteQuestion"), m_ui.palette.danger, accessibility::Role::Alert);
    bool keep = m_ui.widgets.button(m_ui.tr("student.keepEntry"));
    m_ui.widgets.sameLineIfFits(m_ui.tr("student.deleteConfirm"));
    bool remove = m_ui.widgets.button(m_ui.tr("student.deleteConfirm"), Emphasis::Danger);
    if (keep) {
        m_confirmDelete = false;
        m_ui.widgets.focus(ask);
    }
    if (!remove) return false;
    m_ui.act([&work = m_ui.services.work, id = m_student->id, entryId = m_entryId] {
        std::pair<service::ActionResult, Loaded> a{work.discard(id, entryId), {}};
        if (a.first.saved) a.second = load(work, id);
        return a;
    },
             [this, id = m_student->id](std::pair<service::ActionResult, Loaded> a) {
                 if (!m_student || m_student->id != id) return;  // not for the next person
                 if (!a.first.saved) {
                     m_confirmDelete = false;
                     refuseForm(m_ui.said(a.first));
                     return;
                 }
                 m_ui.dataChanged = true;
                 adopt(id, std::move(a.second));
                 m_ui.feedback = Feedback{true, m_ui.tr("student.entryDeleted")};
                 clearForm();
                 m_focus = m_ui.tr("student.logTask");
             });
    return true;
}

void StudentScreen::openEntry(const domain::WorkEntry* e) {
    clearForm();
    m_editing = true;
    auto catalogue = m_ui.services.work.catalogue();
    if (e) {
        m_entryId = e->entryId;
        m_date = m_ui.date(e->date);
        m_minutes = e->minutes > 0 ? std::to_string(e->minutes) : "";
        m_place = e->place;
        m_reflection = e->reflection;
        for (std::size_t i = 0; catalogue && i < catalogue->catalogue.tasks.size(); ++i)
            if (catalogue->catalogue.tasks[i].id == e->taskId) m_task = i;
    } else {
        // Today, in the kiosk's own zone (its offset at this instant) and the screen's date format.
        const domain::Timestamp now = m_ui.options.clock();
        m_date = m_ui.date(domain::formatUtc(now + std::chrono::minutes{m_ui.options.offsetAt(now)}).substr(0, 10));
    }
    m_focus = m_ui.tr("student.task");
}

domain::EntryFields StudentScreen::fields(std::string& error) const {
    domain::EntryFields f;
    auto catalogue = m_ui.services.work.catalogue();
    if (catalogue && m_task < catalogue->catalogue.tasks.size()) f.taskId = catalogue->catalogue.tasks[m_task].id;
    if (m_date.empty()) {
        f.date.clear();
    } else if (auto iso = m_ui.parseDate(m_date)) {
        f.date = *iso;
    } else {
        f.date = m_date;  // the service refuses it in its own words
        if (error.empty()) error = m_ui.fmt("student.badDate", {{"format", m_ui.tr("date.format")}, {"example", m_ui.date("2026-11-23")}});
    }
    if (!m_minutes.empty()) {
        auto r = std::from_chars(m_minutes.data(), m_minutes.data() + m_minutes.size(), f.minutes);
        if (r.ec != std::errc{} || r.ptr != m_minutes.data() + m_minutes.size()) error = m_ui.tr("student.badMinutes");
    }
    f.place = m_place;
    f.reflection = m_reflection;
    return f;
}

// Progress counts hours and the form asks for minutes: what the minutes
// typed come to, beside them.
void StudentScreen::drawMinutesInHours() {
    int minutes = 0;
    auto r = std::from_chars(m_minutes.data(), m_minutes.data() + m_minutes.size(), minutes);
    if (r.ec != std::errc{} || r.ptr != m_minutes.data() + m_minutes.size() || minutes <= 0) return;
    std::string hours = m_ui.hours(minutes / 60.0);
    std::string line = m_ui.fmt(hours == "1" ? "student.minutesInHour" : "student.minutesInHours", {{"hours", hours}});
    // What progress will count, when the catalogue's steps make it another figure (50 minutes: 0.75 hours).
    if (auto catalogue = m_ui.services.work.catalogue()) {
        const auto& c = catalogue->catalogue;
        if (std::string counted = m_ui.hours(domain::roundedHours(minutes, c)); counted != hours)
            line += m_ui.fmt("student.minutesCounted", {{"counted", counted}, {"step", std::to_string(c.roundingMinutes)}});
    }
    m_ui.widgets.sameLineIfFitsWidth(ImGui::CalcTextSize(line.c_str()).x);
    ImGui::AlignTextToFramePadding();
    m_ui.widgets.text(line);
}

void StudentScreen::drawEntryForm() {
    auto catalogue = m_ui.services.work.catalogue();
    m_ui.widgets.heading(m_ui.tr("student.entryTitle"));
    m_ui.widgets.text(m_ui.tr("student.task"));
    std::string lastArea;
    // With none chosen, the first task is the list's Tab stop (unchosen).
    const std::size_t stop = m_task == kNoTask ? 0 : m_task;
    std::size_t focused = kNoTask;
    for (std::size_t i = 0; i < catalogue->catalogue.tasks.size(); ++i) {
        const auto& t = catalogue->catalogue.tasks[i];
        if (t.areaId != lastArea) {
            const auto* area = catalogue->catalogue.area(t.areaId);
            m_ui.widgets.text(area ? area->titleIn(m_ui.strings->language()) : t.areaId);
            lastArea = t.areaId;
        }
        std::string label = taskLabel(catalogue->catalogue, i);
        if (!m_focus.empty() && i == stop) {
            m_ui.widgets.focus(Widgets::visibleLabel(label));
            m_focus.clear();
        }
        // One Tab stop for the whole list; Up and Down choose another task
        // (arriving by Tab chooses nothing), Space or a click this one.
        if (m_ui.widgets.radio(label, m_task == i, i == stop)) m_task = i;
        if (ImGui::IsItemFocused()) {
            focused = i;
            if (m_taskFocused != kNoTask && m_taskFocused != i) m_task = i;
        }
    }
    m_taskFocused = focused;
    domain::reorderLocalDate(m_date, m_dateOrder, m_ui.tr("date.order"));  // the language may have changed (F8)
    const std::string date = dateLabel();
    m_ui.widgets.text(date);
    m_ui.widgets.textField(date, m_date, {}, false, 10.0f, 10);
    m_ui.widgets.text(m_ui.tr("student.minutesField"));
    m_ui.widgets.textField(m_ui.tr("student.minutesField"), m_minutes, {}, false, 6.0f, 4);
    drawMinutesInHours();
    m_ui.widgets.text(m_ui.tr("student.place"));
    m_ui.widgets.textField(m_ui.tr("student.place"), m_place, m_ui.tr("student.placeHint"), false, 0.0f, domain::kMaxPlaceBytes);
    m_ui.widgets.text(m_ui.tr("student.reflection"));
    m_ui.widgets.textField(m_ui.tr("student.reflection"), m_reflection, m_ui.tr("student.reflectionHint"), false, 0.0f,
                           domain::kMaxReflectionBytes);
    if (!m_formError.empty()) m_ui.widgets.textColoured(m_formError, m_ui.palette.danger, accessibility::Role::Alert);
    bool draft = m_ui.widgets.button(m_ui.tr("student.saveDraft"));
    m_ui.widgets.sameLineIfFits(m_ui.tr("student.submit"));
    bool submit = m_ui.widgets.button(m_ui.tr("student.submit"), Emphasis::Primary);
    m_ui.widgets.sameLineIfFits(m_ui.tr("common.cancel"));
    bool cancel = m_ui.widgets.button(m_ui.tr("common.cancel"));
    if (cancel) {
        clearForm();
        return;
    }
    if (drawDelete()) return;
    if (!draft && !submit) return;
    std::string error;
    auto f = fields(error);
    if (!error.empty()) {
        refuseForm(error);
        return;
    }
    // Saved as a draft first, then submitted when asked: one job, then the
    // student's list and progress as they now are.
    struct Answer {
        service::ActionResult draft, submitted;
        Loaded loaded;
    };
    m_ui.act([&work = m_ui.services.work, id = m_student->id, entryId = m_entryId, f, submit] {
        Answer a;
        a.draft = work.saveDraft(id, entryId, f);
        if (!a.draft.saved) return a;
        if (submit) a.submitted = work.submit(id, a.draft.eventId);
        a.loaded = load(work, id);
        return a;
    },
             [this, id = m_student->id, submit](Answer a) {
                 if (!a.draft.saved) {
                     if (m_student && m_student->id == id) refuseForm(m_ui.said(a.draft));  // not for the next person
                     return;
                 }
                 m_ui.dataChanged = true;
                 adopt(id, std::move(a.loaded));
                 if (!m_student || m_student->id != id) return;
                 m_entryId = a.draft.eventId;
                 if (submit && !a.submitted.saved) {
                     refuseForm(m_ui.said(a.submitted));  // kept as a draft; the student can fix it
                     return;
                 }
                 m_ui.feedback = Feedback{true, m_ui.tr(submit ? "student.submitted" : "student.draftSaved")};
                 clearForm();
                 m_focus = m_ui.tr("student.logTask");
             });
}

} // namespace kiosk::ui

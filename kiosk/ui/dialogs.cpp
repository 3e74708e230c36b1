#include "kiosk/ui/dialogs.hpp"

#include "kiosk/ui/keys.hpp"
#include "kiosk/domain/local_date.hpp"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <charconv>
#include <utility>

namespace kiosk::ui {

namespace {

std::string idMethodKey(domain::IdMethod m) { return "idMethod." + std::string(domain::idMethodCode(m)); }

// "14:05" typed by the proctor, as a time today in the kiosk's zone.
std::optional<domain::Timestamp> parseClock(const std::string& text, domain::Timestamp now, int offsetMinutes) {
    if (text.size() != 5 || text[2] != ':') return std::nullopt;
    int h = 0, m = 0;
    if (std::from_chars(text.data(), text.data() + 2, h).ec != std::errc{} ||
        std::from_chars(text.data() + 3, text.data() + 5, m).ec != std::errc{} || h > 23 || m > 59)
        return std::nullopt;
    using namespace std::chrono;
    auto localNow = now + minutes{offsetMinutes};
    auto localMidnight = floor<days>(localNow);
    return time_point_cast<milliseconds>(localMidnight + hours{h} + minutes{m} - minutes{offsetMinutes});
}

} // namespace

void Dialogs::open(DialogKind kind, std::string titleKey, std::string firstFocusKey) {
    m_kind = kind;
    // Keys, not words: the popup's id stays put and its words follow a language switch.
    m_titleKey = std::move(titleKey);
    m_title = m_titleKey + "##modal";
    m_firstFocus = std::move(firstFocusKey);
    m_justOpened = true;
    m_focusOnReturn.clear();
    m_openedFrame = ImGui::GetFrameCount();
    m_ui.widgets.forgetTyping();  // a refusal sends typing back to this dialog's fields only
    m_error.clear();
    m_choice = 0;
    m_description.clear();
    m_time.clear();
    m_reason.clear();
    m_lateReason.clear();
    m_birthDate.clear();
    m_birthDateOrder.clear();
    m_birthDateCheck.reset();
    m_methodBeforeMismatch.reset();
    m_leftOut.clear();
    m_pin.clear();
}

void Dialogs::close() {
    m_kind = DialogKind::None;
    m_titleKey.clear();
    m_held = false;
}

void Dialogs::hold(bool held) {
    if (held == m_held || (held && m_kind == DialogKind::None)) return;
    m_held = held;
    if (held) return;
    if (m_kind == DialogKind::None) return;
    m_justOpened = true;  // opened again, over the screen as it is now, focus where it was
}

void Dialogs::record(std::function<service::ActionResult(service::AttendanceService&)> work, std::string savedText) {
    save([work = std::move(work), &attendance = m_ui.services.attendance] { return work(attendance); },
         [this, savedText = std::move(savedText)](const service::ActionResult& r, DialogOutcome& out) { finish(r, savedText, out); });
}

void Dialogs::finish(const service::ActionResult& r, const std::string& savedText, DialogOutcome& out) {
    // "Saved" only after the commit; otherwise the dialog stays open with the reason.
    out.saved = m_ui.report(r, savedText);
    if (out.saved) {
        close();
        out.closed = true;
    } else {
        refuse(m_ui.said(r));
    }
}

// The dialog stays open with the reason, and typing goes on in the field it
// was in (after Enter that field no longer takes keys).
void Dialogs::refuse(std::string why) {
    m_error = std::move(why);
    m_ui.widgets.resumeTyping();
}

bool Dialogs::enterPressed() const {
    if (ImGui::GetFrameCount() == m_openedFrame) return false;  // the Enter that opened it
    return ImGui::IsKeyPressed(keys::Enter, false) || ImGui::IsKeyPressed(keys::KeypadEnter, false);
}

void Dialogs::openCheckIn(const domain::RosterRow& row, const domain::SessionInfo& session, std::string suggestedSeat,
                          std::vector<std::string> namesakes) {
    m_row = row;
    m_namesakes = std::move(namesakes);
    m_session = session;
    m_idMethod = domain::IdMethod::PhotoId;
    m_verifiedBy = m_ui.proctor;
    m_seat = std::move(suggestedSeat);
    open(DialogKind::CheckIn, "checkin.title", "checkin.confirm");
}

void Dialogs::openIdCheck(const domain::RosterRow& row) {
    m_row = row;
    m_idMethod = domain::IdMethod::PhotoId;
    m_verifiedBy = m_ui.proctor;
    open(DialogKind::IdCheck, "idcheck.title", "idcheck.confirm");
}

void Dialogs::openSeat(const domain::RosterRow& row, std::string current) {
    m_row = row;
    m_seat = std::move(current);
    open(DialogKind::Seat, "seat.title", "seat.field");
}

void Dialogs::openIrregularity(const domain::RosterRow& row) {
    m_row = row;
    open(DialogKind::Irregularity, "irregularity.title", "irregularity.description");
    // Nothing chosen for the proctor: Enter must not record a category nobody picked.
    m_choice = kNoChoice;
    // The time is a real value (now), not a placeholder that looks like one.
    m_openedAt = m_ui.options.clock();
    m_time = m_ui.clock(m_openedAt);
}

void Dialogs::openNoShow(const domain::RosterRow& row) {
    m_row = row;
    open(DialogKind::NoShow, "noshow.title", "noshow.confirm");
}

void Dialogs::openBulkNoShow(std::vector<NamedStudent> students) {
    m_students = std::move(students);
    open(DialogKind::BulkNoShow, "bulkNoshow.title", "bulkNoshow.confirm");
}

void Dialogs::openBulkCheckOut(std::vector<NamedStudent> students) {
    m_students = std::move(students);
    open(DialogKind::BulkCheckOut, "bulkCheckout.title", "bulkCheckout.confirm");
}

std::string Dialogs::namesList(const std::vector<NamedStudent>& students) const {
    std::string out;
    for (const auto& s : students) out += (out.empty() ? "" : "; ") + s.name + " (" + s.id + ")";
    return out;
}

void Dialogs::openWalkIn() {
    m_walkInId.clear();
    m_walkInFirst.clear();
    m_walkInLast.clear();
    open(DialogKind::WalkIn, "walkin.title", "walkin.studentId");
}

void Dialogs::openCorrect(const domain::RosterRow& row, std::vector<domain::HistoryItem> history) {
    m_row = row;
    m_history.clear();
    m_walkInNote.clear();
    for (auto& h : history) {
        if (h.event.kind == domain::EventKind::WalkInAdded)
            m_walkInNote = m_ui.fmt("correct.walkIn", {{"time", m_ui.clock(h.event.at)}, {"proctor", h.event.proctor}});
        else if (!h.withdrawn && h.event.kind != domain::EventKind::Corrected)
            m_history.push_back(std::move(h));
    }
    open(DialogKind::Correct, "correct.title", "correct.reason");
}

void Dialogs::openSignOff(const domain::SessionCounts& counts, std::vector<NamedStudent> missing) {
    m_counts = counts;
    m_students = std::move(missing);
    // With students not accounted for the session cannot be signed off (the
    // service refuses): Sign off is not offered and focus starts on Cancel.
    open(DialogKind::SignOff, "signoff.title", m_students.empty() ? "signoff.pin" : "common.cancel");
}

DialogOutcome Dialogs::draw(const std::string& sessionId) {
    if (m_held) return {};  // an answer that came meanwhile waits for it
    if (m_kind == DialogKind::None) {
        DialogOutcome out;
        if (auto answer = std::exchange(m_answer, {})) answer(out);  // none is expected: keys wait for answers
        return out;
    }
    if (m_justOpened) ImGui::OpenPopup(m_title.c_str());
    const ImGuiIO& io = ImGui::GetIO();
    float em = m_ui.em();
    float width = std::min(40.0f * em, io.DisplaySize.x - 2.0f * em);
    ImGui::SetNextWindowPos(ImVec2(io.DisplaySize.x * 0.5f, io.DisplaySize.y * 0.5f), ImGuiCond_Always, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSizeConstraints(ImVec2(width, 0), ImVec2(width, io.DisplaySize.y - 2.0f * em));
    DialogOutcome out;
    // The title is drawn as wrapped text (a title bar would run off a narrow dialog at large text sizes).
    if (!ImGui::BeginPopupModal(m_title.c_str(), nullptr, ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoTitleBar)) {
        m_kind = DialogKind::None;
        out.closed = true;
        return out;
    }
    m_ui.widgets.setModalScope(m_title);
    m_ui.widgets.dialogTitle(m_ui.tr(m_titleKey));
    ImGui::Separator();
    if (m_justOpened) {
        if (m_focusOnReturn.empty()) m_ui.widgets.focus(m_ui.tr(m_firstFocus));
        else if (m_typingOnReturn) m_ui.widgets.resumeTyping(m_focusOnReturn);  // after its text, not selecting it
        else m_ui.widgets.focus(m_focusOnReturn);
        m_justOpened = false;
    }
    switch (m_kind) {
    case DialogKind::CheckIn: out = drawCheckIn(sessionId); break;
    case DialogKind::IdCheck: out = drawIdCheck(sessionId); break;
    case DialogKind::Seat: out = drawSeat(sessionId); break;
    case DialogKind::Irregularity: out = drawIrregularity(sessionId); break;
    case DialogKind::NoShow: out = drawNoShow(sessionId); break;
    case DialogKind::BulkNoShow:
    case DialogKind::BulkCheckOut: out = drawBulk(sessionId); break;
    case DialogKind::WalkIn: out = drawWalkIn(sessionId); break;
    case DialogKind::Correct: out = drawCorrect(sessionId); break;
    case DialogKind::SignOff: out = drawSignOff(sessionId); break;
    case DialogKind::None: break;
    }
    // A save asked for in an earlier frame has its answer: close, or say why not.
    if (auto answer = std::exchange(m_answer, {})) answer(out);
    if (ImGui::IsKeyPressed(keys::Escape, false) && m_kind != DialogKind::None && !m_ui.escapeConsumed) {
        m_ui.escapeConsumed = true;
        close();
        out.closed = true;
    }
    if (const accessibility::Node* focused = m_ui.tree.focused(); focused && focused->scope == m_title) {
        m_focusOnReturn = focused->label;
        m_typingOnReturn = focused->role == accessibility::Role::TextField;
    }
    m_ui.widgets.setModalScope("");
    if (m_kind == DialogKind::None) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
    return out;
}

bool Dialogs::footer(const std::string& primary, bool enabled, DialogOutcome& out) {
    if (!m_error.empty()) m_ui.widgets.textColoured(m_error, m_ui.palette.danger, accessibility::Role::Alert);
    // A dialog taller than the screen (large text, a small monitor) scrolls
    // to its focused button, and the heading saying whom it is about scrolls
    // away: the line above the buttons names the student then. Its line is
    // kept either way, so the buttons never move under the focus.
    // The name is whole (wrapped, never cut): it is compared with an ID card.
    if (aboutOneStudent()) {
        const std::string about = m_ui.fmt("dialog.about", {{"who", m_row.student.displayName() + " · " + m_row.student.studentUniqueId}});
        if (ImGui::GetScrollY() > 0.0f) {
            m_ui.widgets.wrappedText(about);
        } else {
            const float wrap = ImGui::GetContentRegionAvail().x;
            ImGui::Dummy(ImVec2(0.0f, ImGui::CalcTextSize(about.c_str(), nullptr, false, wrap).y));
        }
    }
    ImGui::Spacing();
    bool submit = m_ui.widgets.button(primary, Emphasis::Primary, ImVec2(0, 0), enabled);
    m_ui.widgets.sameLineIfFits(m_ui.tr("common.cancel"));
    bool cancel = m_ui.widgets.button(m_ui.tr("common.cancel"));
    bool cancelFocused = Widgets::focusedId() == ImGui::GetItemID();
    const bool enterTaken = std::exchange(m_enterTaken, false);
    if (!submit && enabled && !cancelFocused && !enterTaken && enterPressed()) {
        submit = true;
        m_ui.widgets.noteDefaultAction(primary);
    }
    if (cancel) {
        close();
        out.closed = true;
        return false;
    }
    return submit;
}

bool Dialogs::idMethodChoice() {
    m_ui.widgets.text(m_ui.tr("checkin.idHow"));
    bool changed = false;
    bool first = true;
    for (domain::IdMethod m : domain::allIdMethods()) {
        // Side by side where they fit: a late check-in's dialog (its reason
        // field too) then fits a 1024x768 screen, its heading in view.
        if (!std::exchange(first, false)) m_ui.widgets.sameLineIfFitsRadio(m_ui.tr(idMethodKey(m)));
        if (m_ui.widgets.radio(m_ui.tr(idMethodKey(m)), m_idMethod == m)) {
            m_idMethod = m;
            changed = true;
        }
    }
    m_ui.widgets.text(m_ui.tr("checkin.verifiedBy"));
    m_ui.widgets.textField(m_ui.tr("checkin.verifiedBy"), m_verifiedBy, {}, false, 0.0f, 120);
    return changed;
}

// An ID aid: the date of birth the student says, checked against the
// roster's hash (it is never shown: it is the student's sign-in factor).
// Enter in its field checks it, and does not check the student in.
void Dialogs::birthDateAid() {
    const std::string& format = m_ui.tr("date.format");
    const std::string label = m_ui.tr("checkin.dobCheck");
    const std::string field = m_ui.fmt("checkin.dobLabel", {{"format", format}});
    m_ui.widgets.text(field);
    domain::reorderLocalDate(m_birthDate, m_birthDateOrder, m_ui.tr("date.order"));  // the language may have changed (F8)
    bool enter = m_ui.widgets.textField(field, m_birthDate, {}, true, 9.0f, 12);
    if (enter) {
        m_enterTaken = true;
        m_ui.widgets.focus(field);  // stays in the field: a wrong date is retyped at once
    }
    m_ui.widgets.sameLineIfFits(label);
    bool check = m_ui.widgets.button(label, Emphasis::Normal, ImVec2(0, 0), !m_birthDate.empty());
    if ((enter || check) && !m_birthDate.empty()) {
        auto iso = domain::parseLocalDate(m_birthDate, m_ui.tr("date.order"));
        if (!iso) m_birthDateCheck = service::SecurityService::BirthDateCheck::NotADate;
        else
            m_ui.act([&security = m_ui.services.security, proctor = m_ui.proctor, id = m_row.student.studentUniqueId, date = *iso] {
                return security.checkBirthDate(proctor, id, date);
            },
                     [this](service::SecurityService::BirthDateCheck said) {
                         m_birthDateCheck = said;
                         // A reflexive Enter must not record a verified ID for
                         // someone whose date of birth did not match: the
                         // proctor chooses another way only on purpose.
                         // A date that matches after all (a typo) puts back what was chosen.
                         using Check = service::SecurityService::BirthDateCheck;
                         if (said == Check::DoesNotMatch && m_idMethod != domain::IdMethod::RefusedOrMismatch) {
                             m_methodBeforeMismatch = m_idMethod;
                             m_idMethod = domain::IdMethod::RefusedOrMismatch;
                         } else if (said == Check::Matches && m_methodBeforeMismatch) {
                             if (m_idMethod == domain::IdMethod::RefusedOrMismatch) m_idMethod = *m_methodBeforeMismatch;
                             m_methodBeforeMismatch.reset();
                         }
                     });
    }
    if (!m_birthDateCheck) return;
    using Check = service::SecurityService::BirthDateCheck;
    switch (*m_birthDateCheck) {
    case Check::Matches: m_ui.widgets.textColoured(m_ui.tr("checkin.dobMatches"), m_ui.palette.success, accessibility::Role::Status); break;
    case Check::DoesNotMatch: m_ui.widgets.textColoured(m_ui.tr("checkin.dobDiffers"), m_ui.palette.danger, accessibility::Role::Alert); break;
    case Check::NotOnFile: m_ui.widgets.text(m_ui.tr("checkin.dobNotOnFile"), accessibility::Role::Status); break;
    case Check::NotADate:
        m_ui.widgets.textColoured(m_ui.fmt("checkin.dobNotADate", {{"format", format}}), m_ui.palette.danger, accessibility::Role::Alert);
        break;
    case Check::NotRecorded: m_ui.widgets.textColoured(m_ui.tr("checkin.dobNotRecorded"), m_ui.palette.danger, accessibility::Role::Alert); break;
    }
}

DialogOutcome Dialogs::drawCheckIn(const std::string& sessionId) {
    DialogOutcome out;
    m_ui.widgets.heading(m_ui.studentHeading(m_row.student.displayName(), m_row.student.studentUniqueId, m_row.student.gradeLevel));
    // A warning when the name alone is not enough; the date of birth is asked below, never shown.
    if (!m_namesakes.empty()) {
        std::string ids;
        for (const auto& id : m_namesakes) ids += (ids.empty() ? "" : ", ") + id;
        m_ui.widgets.textColoured(m_ui.fmt("checkin.namesake", {{"id", m_row.student.studentUniqueId}, {"others", ids}}), m_ui.palette.warning,
                                  accessibility::Role::Alert);
    }
    if (m_row.walkIn) m_ui.widgets.textColoured(m_ui.tr("student.walkIn"), m_ui.palette.warning);
    domain::Timestamp now = m_ui.options.clock();
    bool late = domain::isLate(now, m_session.rules());
    if (late) {
        auto cutoff = m_session.scheduledStart + domain::Minutes{m_session.lateAfterMinutes};
        m_ui.widgets.textColoured(m_ui.fmt("checkin.late", {{"time", m_ui.clock(cutoff)}}), m_ui.palette.warning, accessibility::Role::Alert);
        m_ui.widgets.text(m_ui.tr("checkin.lateReason"));
        m_ui.widgets.textField(m_ui.tr("checkin.lateReason"), m_lateReason, m_ui.tr("checkin.lateReasonHint"), false, 0.0f, 300);
    }
    if (!m_row.scheduledAccommodations.empty()) {
        std::string list;
        for (const auto& a : m_row.scheduledAccommodations) list += (list.empty() ? "" : ", ") + m_ui.accommodationName(a);
        m_ui.widgets.wrappedText(m_ui.fmt("checkin.scheduled", {{"list", list}}));
    }
    idMethodChoice();
    birthDateAid();
    bool refused = !domain::idAccepted(m_idMethod);
    if (!refused) {
        m_ui.widgets.text(m_ui.tr("checkin.seat"));
        m_ui.widgets.textField(m_ui.tr("checkin.seat"), m_seat, {}, false, 8.0f, 16);
    } else {
        m_ui.widgets.textColoured(m_ui.tr("checkin.refusedNote"), m_ui.palette.danger, accessibility::Role::Alert);
    }
    std::string primary = refused ? m_ui.tr("checkin.recordRefusal") : m_ui.tr("checkin.confirm");
    if (footer(primary, true, out)) {
        const std::string& id = m_row.student.studentUniqueId;
        std::string who = m_row.student.firstName + " " + m_row.student.lastSurname;
        if (refused) {
            record([sessionId, id, proctor = m_ui.proctor, method = m_idMethod, by = m_verifiedBy](service::AttendanceService& a) {
                return a.recordIdCheck(sessionId, id, proctor, method, by);
            },
                   m_ui.fmt("feedback.idRefused", {{"name", who}}));
        } else {
            service::CheckInDetails d{m_idMethod, m_verifiedBy, m_seat, m_lateReason};
            std::string what = m_ui.fmt("feedback.checkedIn", {{"name", who}, {"time", m_ui.clock(now)}});
            if (!m_seat.empty()) what += " · " + m_ui.fmt("feedback.seat", {{"seat", m_seat}});
            if (late) what += " · " + m_ui.tr("status.late");
            record([sessionId, id, proctor = m_ui.proctor, d](service::AttendanceService& a) { return a.checkIn(sessionId, id, proctor, d); }, what);
        }
    }
    return out;
}

DialogOutcome Dialogs::drawIdCheck(const std::string& sessionId) {
    DialogOutcome out;
    m_ui.widgets.heading(m_row.student.displayName() + " · " + m_row.student.studentUniqueId);
    idMethodChoice();
    birthDateAid();
    if (footer(m_ui.tr("idcheck.confirm"), true, out)) {
        record([sessionId, id = m_row.student.studentUniqueId, proctor = m_ui.proctor, method = m_idMethod, by = m_verifiedBy](service::AttendanceService& a) {
            return a.recordIdCheck(sessionId, id, proctor, method, by);
        },
               m_ui.fmt("feedback.idChecked", {{"name", m_row.student.firstName + " " + m_row.student.lastSurname}}));
    }
    return out;
}

DialogOutcome Dialogs::drawSeat(const std::string& sessionId) {
    DialogOutcome out;
    m_ui.widgets.heading(m_row.student.displayName());
    m_ui.widgets.text(m_ui.tr("seat.field"));
    m_ui.widgets.textField(m_ui.tr("seat.field"), m_seat, {}, false, 8.0f, 16);
    if (footer(m_ui.tr("seat.confirm"), !m_seat.empty(), out)) {
        record([sessionId, id = m_row.student.studentUniqueId, proctor = m_ui.proctor, seat = m_seat](service::AttendanceService& a) {
            return a.assignSeat(sessionId, id, proctor, seat);
        },
               m_ui.fmt("feedback.seatAssigned", {{"name", m_row.student.firstName}, {"seat", m_seat}}));
    }
    return out;
}

DialogOutcome Dialogs::drawIrregularity(const std::string& sessionId) {
    DialogOutcome out;
    m_ui.widgets.heading(m_row.student.displayName() + " · " + m_row.student.studentUniqueId);
    m_ui.widgets.text(m_ui.tr("irregularity.kind"));
    auto kinds = domain::eventCircumstances();
    // Side by side where they fit: on a small screen the buttons stay in view.
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        const std::string label = m_ui.tr("circumstance." + std::string(kinds[i]));
        if (i > 0) m_ui.widgets.sameLineIfFitsRadio(label);
        if (m_ui.widgets.radio(label, m_choice == i)) m_choice = i;
    }
    m_ui.widgets.text(m_ui.tr("irregularity.description"));
    m_ui.widgets.textField(m_ui.tr("irregularity.description"), m_description, m_ui.tr("irregularity.descriptionHint"), false, 0.0f, 1000);
    m_ui.widgets.text(m_ui.tr("irregularity.time"));
    m_ui.widgets.textField(m_ui.tr("irregularity.time"), m_time, {}, false, 8.0f, 5);
    if (footer(m_ui.tr("irregularity.confirm"), true, out)) {
        if (m_choice >= kinds.size()) {
            refuse(m_ui.tr("irregularity.needKind"));
            m_ui.feedback = Feedback{false, m_error};
            return out;
        }
        service::IrregularityDetails d;
        d.circumstance = std::string(domain::kEventCircumstanceNs) + std::string(kinds[m_choice]);
        d.description = m_description;
        // Left as shown: the event's own time (to the second) is when it
        // happened, unless the clock has passed the minute the proctor
        // confirmed; then the moment the form opened, in that minute.
        const domain::Timestamp now = m_ui.options.clock();
        const std::string shown = m_ui.clock(m_openedAt);
        if (m_time == shown) {
            if (m_ui.clock(now) != shown) d.occurredAt = m_openedAt;
        } else if (!m_time.empty()) {
            d.occurredAt = parseClock(m_time, now, m_ui.options.offsetAt(now));
            if (!d.occurredAt) {
                refuse(m_ui.tr("irregularity.badTime"));
                return out;
            }
        }
        record([sessionId, id = m_row.student.studentUniqueId, proctor = m_ui.proctor, d](service::AttendanceService& a) {
            return a.recordIrregularity(sessionId, id, proctor, d);
        },
               m_ui.fmt("feedback.irregularity", {{"name", m_row.student.firstName + " " + m_row.student.lastSurname}}));
    }
    return out;
}

DialogOutcome Dialogs::drawNoShow(const std::string& sessionId) {
    DialogOutcome out;
    m_ui.widgets.heading(m_row.student.displayName() + " · " + m_row.student.studentUniqueId);
    m_ui.widgets.text(m_ui.tr("noshow.reason"));
    auto reasons = domain::reasonsNotTested();
    // The reasons a proctor can know at the door; the rest come from the state.
    constexpr std::size_t kShown[] = {0, 13, 12, 6, 9};
    for (std::size_t i : kShown) {
        const std::string label = m_ui.tr("reasonNotTested." + std::string(reasons[i]));
        if (i != kShown[0]) m_ui.widgets.sameLineIfFitsRadio(label);
        if (m_ui.widgets.radio(label, m_choice == i)) m_choice = i;
    }
    if (footer(m_ui.tr("noshow.confirm"), true, out)) {
        std::size_t pick = std::find(std::begin(kShown), std::end(kShown), m_choice) != std::end(kShown) ? m_choice : 0;
        record([sessionId, id = m_row.student.studentUniqueId, proctor = m_ui.proctor, reason = std::string(reasons[pick])](service::AttendanceService& a) {
            return a.markNoShow(sessionId, id, proctor, reason);
        },
               m_ui.fmt("feedback.noShow", {{"name", m_row.student.firstName + " " + m_row.student.lastSurname}}));
    }
    return out;
}

DialogOutcome Dialogs::drawBulk(const std::string& sessionId) {
    DialogOutcome out;
    bool noShow = m_kind == DialogKind::BulkNoShow;
    std::vector<std::string> ids;
    for (const auto& s : m_students)
        if (!m_leftOut.count(s.id)) ids.push_back(s.id);
    // Every student it will touch, by name, each ticked: one left out is
    // unticked (someone seen in the corridor). The count first, in view.
    m_ui.widgets.wrappedText(m_ui.fmt(noShow ? "bulkNoshow.body" : "bulkCheckout.body",
                                      {{"count", std::to_string(ids.size())}, {"all", std::to_string(m_students.size())}}));
    // A list of its own, a few lines tall: a dialog of two hundred names put
    // its count and its buttons out of view.
    const float line = ImGui::GetFrameHeightWithSpacing();
    const float rows = static_cast<float>(std::min<std::size_t>(m_students.size(), 8));
    m_ui.widgets.beginRegion("bulk-names", ImVec2(0.0f, rows * line + ImGui::GetStyle().WindowPadding.y * 2.0f), RegionBorder::Line,
                               true);
    for (const auto& s : m_students) {
        bool ticked = !m_leftOut.count(s.id);
        if (m_ui.widgets.checkbox(s.name + " · " + s.id + "##bulk" + s.id, ticked)) {
            if (ticked) m_leftOut.erase(s.id);
            else m_leftOut.insert(s.id);
        }
    }
    m_ui.widgets.endRegion();
    std::string confirm = m_ui.tr(noShow ? "bulkNoshow.confirm" : "bulkCheckout.confirm");
    if (!noShow && ids.size() != m_students.size()) confirm = m_ui.fmt("bulkCheckout.confirmSome", {{"count", std::to_string(ids.size())}});
    if (footer(confirm, !ids.empty(), out)) {
        save([&attendance = m_ui.services.attendance, noShow, sessionId, proctor = m_ui.proctor, ids] {
            return noShow ? attendance.markNoShowsAtCutoff(sessionId, proctor, ids) : attendance.checkOutEveryone(sessionId, proctor, ids);
        },
             [this, noShow](const service::BulkResult& r, DialogOutcome& answer) {
                 if (!r.message.empty()) {
                     m_error = m_ui.said(r.message);
                     m_ui.feedback = Feedback{false, m_ui.said(r.message)};
                     return;
                 }
                 answer.saved = true;
                 m_ui.dataChanged = true;
                 std::string what = m_ui.fmt(noShow ? "feedback.bulkNoShow" : "feedback.bulkCheckOut", {{"count", std::to_string(r.saved)}});
                 m_ui.feedback = Feedback{true, m_ui.fmt("feedback.saved", {{"what", what}})};
                 close();
                 answer.closed = true;
             });
    }
    return out;
}

DialogOutcome Dialogs::drawWalkIn(const std::string& sessionId) {
    DialogOutcome out;
    m_ui.widgets.wrappedText(m_ui.tr("walkin.body"));
    m_ui.widgets.text(m_ui.tr("walkin.studentId"));
    m_ui.widgets.textField(m_ui.tr("walkin.studentId"), m_walkInId, {}, false, 0.0f, 32);
    m_ui.widgets.text(m_ui.tr("walkin.firstName"));
    m_ui.widgets.textField(m_ui.tr("walkin.firstName"), m_walkInFirst, {}, false, 0.0f, 75);
    m_ui.widgets.text(m_ui.tr("walkin.lastName"));
    m_ui.widgets.textField(m_ui.tr("walkin.lastName"), m_walkInLast, {}, false, 0.0f, 75);
    if (footer(m_ui.tr("walkin.confirm"), true, out)) {
        domain::Student s{m_walkInId, m_walkInFirst, "", m_walkInLast, "", ""};
        save([&attendance = m_ui.services.attendance, sessionId, s, proctor = m_ui.proctor] { return attendance.addWalkIn(sessionId, s, proctor); },
             [this, id = m_walkInId, text = m_ui.fmt("feedback.walkIn", {{"name", m_walkInFirst + " " + m_walkInLast}})](
                 const service::ActionResult& r, DialogOutcome& answer) {
                 finish(r, text, answer);
                 if (answer.saved) answer.walkInStudentId = id;  // checked in next
             });
    }
    return out;
}

DialogOutcome Dialogs::drawCorrect(const std::string& sessionId) {
    DialogOutcome out;
    m_ui.widgets.heading(m_row.student.displayName());
    if (m_history.empty()) {
        m_ui.widgets.wrappedText(m_ui.tr("correct.nothing"));
    } else {
        m_ui.widgets.text(m_ui.tr("correct.which"));
        for (std::size_t i = 0; i < m_history.size(); ++i) {
            const auto& e = m_history[i].event;
            std::string label = m_ui.clock(e.at) + " " + m_ui.tr("event." + std::string(domain::eventKindCode(e.kind))) + " · " + e.proctor +
                                "##h" + std::to_string(i);
            if (m_ui.widgets.radio(label, m_choice == i)) m_choice = i;
        }
    }
    if (!m_walkInNote.empty()) m_ui.widgets.wrappedText(m_walkInNote);
    m_ui.widgets.text(m_ui.tr("correct.reason"));
    m_ui.widgets.textField(m_ui.tr("correct.reason"), m_reason, m_ui.tr("correct.reasonHint"), false, 0.0f, 300);
    if (footer(m_ui.tr("correct.confirm"), !m_history.empty(), out)) {
        const auto& target = m_history[std::min(m_choice, m_history.size() - 1)].event;
        record([sessionId, id = m_row.student.studentUniqueId, proctor = m_ui.proctor, eventId = target.id, reason = m_reason](service::AttendanceService& a) {
            return a.correct(sessionId, id, proctor, eventId, reason);
        },
               m_ui.fmt("feedback.corrected", {{"name", m_row.student.firstName + " " + m_row.student.lastSurname}}));
    }
    return out;
}

DialogOutcome Dialogs::drawSignOff(const std::string& sessionId) {
    DialogOutcome out;
    const auto& c = m_counts;
    m_ui.widgets.wrappedText(m_ui.fmt("signoff.summary", {{"checkedOut", std::to_string(c.checkedOut)},
                                                          {"noShow", std::to_string(c.noShow)},
                                                          {"walkIns", std::to_string(c.walkIns)},
                                                          {"late", std::to_string(c.late)}}));
    m_ui.widgets.text(m_ui.fmt("checkin.irregularities", {{"count", std::to_string(c.irregularities)}}));
    if (!m_students.empty()) {
        // The count is what matters; a room's worth of names would bury it.
        constexpr std::size_t kNamesShown = 10;
        std::vector<NamedStudent> shown(m_students.begin(), m_students.begin() + static_cast<std::ptrdiff_t>(std::min(kNamesShown, m_students.size())));
        std::string names = namesList(shown);
        if (m_students.size() > shown.size())
            names += " " + m_ui.fmt("signoff.andMore", {{"count", std::to_string(m_students.size() - shown.size())}});
        m_ui.widgets.textColoured(m_ui.fmt("signoff.missing", {{"count", std::to_string(m_students.size())}, {"names", names}}),
                                  m_ui.palette.warning, accessibility::Role::Alert);
        m_ui.widgets.wrappedText(m_ui.tr("signoff.accountFirst"));
    }
    m_ui.widgets.wrappedText(m_ui.tr("signoff.body"));
    // Signed by the proctor signed in here, with their PIN: nobody signs in another's name.
    const bool ready = m_students.empty();
    if (ready) {
        m_ui.widgets.wrappedText(m_ui.fmt("signoff.signer", {{"name", m_ui.proctor}, {"id", m_ui.proctorId}}));
        m_ui.widgets.text(m_ui.tr("signoff.pin"));
        m_ui.widgets.secretField(m_ui.tr("signoff.pin"), m_pin, false);
    }
    if (footer(m_ui.tr("signoff.confirm"), ready && !m_pin.empty(), out)) {
        save([&attendance = m_ui.services.attendance, &security = m_ui.services.security, sessionId, proctorId = m_ui.proctorId,
              pin = std::exchange(m_pin, {})] { return attendance.signOff(sessionId, security, proctorId, pin); },
             [this](const service::ActionResult& r, DialogOutcome& answer) { finish(r, m_ui.tr("feedback.signedOff"), answer); });
    }
    return out;
}

} // namespace kiosk::ui

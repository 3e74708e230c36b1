#pragma once
// The check-in screen's dialogs. One modal at a time; Escape closes it,
// Enter does its main action, Tab stays inside it.
#include "kiosk/ui/ui_context.hpp"

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kiosk::ui {

enum class DialogKind { None, CheckIn, IdCheck, Seat, Irregularity, NoShow, BulkNoShow, BulkCheckOut, WalkIn, Correct, SignOff };

// A student a bulk action or the sign-off checklist names.
struct NamedStudent {
    std::string id;
    std::string name;  // "Ñúñez, Zoë"
};

struct DialogOutcome {
    bool saved = false;          // something was committed
    bool closed = false;         // the dialog went away (saved or cancelled)
    std::string walkInStudentId; // a walk-in was added: check them in next
};

class Dialogs {
public:
    explicit Dialogs(UiContext& ui) : m_ui(ui) {}

    // `namesakes`: IDs of other students on the roster with the same name (the ID tells them apart).
    void openCheckIn(const domain::RosterRow& row, const domain::SessionInfo& session, std::string suggestedSeat,
                     std::vector<std::string> namesakes = {});
    void openIdCheck(const domain::RosterRow& row);
    void openSeat(const domain::RosterRow& row, std::string current);
    void openIrregularity(const domain::RosterRow& row);
    void openNoShow(const domain::RosterRow& row);
    // Bulk actions name every student they will touch; one confirmation.
    void openBulkNoShow(std::vector<NamedStudent> students);
    void openBulkCheckOut(std::vector<NamedStudent> students);
    void openWalkIn();
    void openCorrect(const domain::RosterRow& row, std::vector<domain::HistoryItem> history);
    // `missing`: who is not yet accounted for (expected, present, on a break).
    void openSignOff(const domain::SessionCounts& counts, std::vector<NamedStudent> missing);

    bool isOpen() const { return m_kind != DialogKind::None; }
    DialogKind kind() const { return m_kind; }
    // String key of the open dialog's title (the window title names it).
    const std::string& titleKey() const { return m_titleKey; }
    DialogOutcome draw(const std::string& sessionId);
    // Held out of sight (an idle warning or the proctor's lock is above it):
    // not drawn, nothing typed in it lost; when let go it comes back with
    // focus where it was. Dear ImGui keeps one modal a level, so the warning
    // would otherwise close it.
    void hold(bool held);
    void dismiss() { close(); }

private:
    void open(DialogKind kind, std::string titleKey, std::string firstFocusKey);
    void close();
    void refuse(std::string why);
    // Saves off the render thread (UiContext::act); `onAnswer(result, out)`
    // runs inside the dialog, in the frame that draws the answer.
    template <class Work, class OnAnswer>
    void save(Work work, OnAnswer onAnswer) {
        m_ui.act(std::move(work), [this, onAnswer = std::move(onAnswer)](auto result) {
            m_answer = [onAnswer, result = std::move(result)](DialogOutcome& out) { onAnswer(result, out); };
        });
    }
    // The usual save: one attendance action, then finish().
    void record(std::function<service::ActionResult(service::AttendanceService&)> work, std::string savedText);
    void finish(const service::ActionResult& r, const std::string& savedText, DialogOutcome& out);
    bool enterPressed() const;
    DialogOutcome drawCheckIn(const std::string& sessionId);
    DialogOutcome drawIdCheck(const std::string& sessionId);
    DialogOutcome drawSeat(const std::string& sessionId);
    DialogOutcome drawIrregularity(const std::string& sessionId);
    DialogOutcome drawNoShow(const std::string& sessionId);
    DialogOutcome drawBulk(const std::string& sessionId);
    std::string namesList(const std::vector<NamedStudent>& students) const;
    DialogOutcome drawWalkIn(const std::string& sessionId);
    DialogOutcome drawCorrect(const std::string& sessionId);
    DialogOutcome drawSignOff(const std::string& sessionId);
    bool idMethodChoice();
    void birthDateAid();
    bool footer(const std::string& primary, bool enabled, DialogOutcome& out);
    // Dialogs about the student in m_row (not the bulk, walk-in and sign-off ones).
    bool aboutOneStudent() const {
        return m_kind == DialogKind::CheckIn || m_kind == DialogKind::IdCheck || m_kind == DialogKind::Seat ||
               m_kind == DialogKind::Irregularity || m_kind == DialogKind::NoShow || m_kind == DialogKind::Correct;
    }

    UiContext& m_ui;
    DialogKind m_kind = DialogKind::None;
    bool m_justOpened = false;
    int m_openedFrame = -1;
    std::string m_titleKey;
    std::string m_title;       // the popup's id
    std::string m_firstFocus;  // string key of the control focused on opening
    std::string m_error;

    // Fields of whichever dialog is open; cleared on every open.
    domain::RosterRow m_row;
    domain::SessionInfo m_session;
    domain::IdMethod m_idMethod = domain::IdMethod::PhotoId;
    std::string m_verifiedBy, m_seat, m_lateReason, m_description, m_time, m_reason;
    domain::Timestamp m_openedAt{};  // when the irregularity form opened: the time first shown
    std::string m_birthDate;       // what the student says, checked and then forgotten
    std::string m_birthDateOrder;  // the date order it is typed in (the language's, "mdy" or "dmy")
    std::string m_pin;             // the sign-off's signature, sent once and forgotten
    std::optional<service::SecurityService::BirthDateCheck> m_birthDateCheck;
    std::optional<domain::IdMethod> m_methodBeforeMismatch;  // chosen before a date of birth that did not match
    bool m_enterTaken = false;     // a field's own Enter this frame: not the dialog's default action
    std::string m_walkInId, m_walkInFirst, m_walkInLast;
    static constexpr std::size_t kNoChoice = static_cast<std::size_t>(-1);
    std::size_t m_choice = 0;  // kNoChoice: the proctor has not chosen yet
    std::vector<NamedStudent> m_students;
    std::vector<std::string> m_namesakes;  // a bulk action's students, or the sign-off's missing ones
    domain::SessionCounts m_counts;
    std::vector<domain::HistoryItem> m_history;
    bool m_held = false;
    std::string m_focusOnReturn;  // the label last focused in it: where focus goes when it comes back
    bool m_typingOnReturn = false;  // that was a text field
    std::set<std::string> m_leftOut;  // a bulk action's students unticked
    std::string m_walkInNote;  // a walk-in's addition cannot be withdrawn: the dialog says so, and what to do
    std::function<void(DialogOutcome&)> m_answer;  // a save's answer, for the next draw
};

} // namespace kiosk::ui

#pragma once
// A student on a shared lab machine: sign in with ID and second factor, see
// work-readiness progress, log tasks (drafts and submissions). Signing out or
// timing out leaves nothing of the student behind: every field, list and
// ImGui's own text-edit buffer is cleared.
#include "kiosk/domain/work_entry.hpp"
#include "kiosk/ui/ui_context.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::ui {

struct StudentHooks {
    std::function<void(const std::vector<std::string>& accommodations)> signedIn;  // apply the profile, watch idle
    std::function<void()> signedOut;                                              // reset to the site default
};

class StudentScreen {
public:
    StudentScreen(UiContext& ui, StudentHooks hooks) : m_ui(ui), m_hooks(std::move(hooks)) {}

    enum class Result { Stay, ToProctor };
    Result draw();
    void start();
    // Ends the student's session (sign-out or time-out); a draft being typed is kept.
    void endSession(bool timedOut);
    bool signedIn() const { return m_student.has_value(); }
    bool editing() const { return m_editing; }
    // Every text buffer this screen owns (tests check they are empty after sign-out).
    std::vector<const std::string*> buffers() const;

private:
    struct Student {
        std::string id;
        std::string name;
        std::vector<domain::WorkEntry> entries;
        domain::Progress progress;
        std::vector<std::string> applied;  // AfA PNP terms the kiosk switched on for them
    };
    void drawSignIn();
    void drawHome();
    void drawEntryForm();
    void drawMinutesInHours();
    // A student's tasks and progress, read by the action queue.
    struct Loaded {
        std::optional<std::vector<domain::WorkEntry>> entries;
        std::optional<domain::Progress> progress;
    };
    static Loaded load(service::WorkService& work, const std::string& studentId);
    void adopt(const std::string& studentId, Loaded loaded);  // if that student is still signed in
    void openEntry(const domain::WorkEntry* existing);
    domain::EntryFields fields(std::string& error) const;
    void refuseForm(const std::string& why);
    std::string dateLabel() const;
    std::string taskLabel(const domain::TaskCatalogue& catalogue, std::size_t i) const;
    void clearForm();
    // The open entry's "Delete entry…" and its question; true once the form is done with.
    bool drawDelete();

    UiContext& m_ui;
    StudentHooks m_hooks;
    std::optional<Student> m_student;
    std::string m_focus;
    bool m_pinFactor = false;  // the site's second factor is a PIN (else the date of birth)
    // Sign-in fields.
    std::string m_idField, m_secret;
    // The entry being written.
    bool m_editing = false;
    bool m_confirmDelete = false;  // "Delete this entry?" is asked beside the form's buttons
    std::string m_entryId;
    // No task is chosen for the student: one picked by default would be
    // submitted by whoever scrolls past the list.
    static constexpr std::size_t kNoTask = static_cast<std::size_t>(-1);
    std::size_t m_task = kNoTask;
    std::size_t m_taskFocused = kNoTask;  // the task focused last frame: moving within the list chooses
    std::string m_date, m_minutes, m_place, m_reflection;
    std::string m_dateOrder;  // the order m_date is written in ("mdy", "dmy"); empty until the form is first drawn
    std::string m_formError;  // why the form was refused, said again beside its buttons
};

} // namespace kiosk::ui

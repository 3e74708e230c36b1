#pragma once
// Work-readiness task logging: a student's entry goes draft -> submitted ->
// approved / sent back / rejected; a draft or a sent-back entry may be deleted
// (discarded) instead. Only approved entries count toward the
// certificate. Rules only; storage lives in kiosk::store.
#include "kiosk/domain/attendance.hpp"
#include "kiosk/domain/time.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::domain {

enum class EntryStatus { Draft, Submitted, Approved, SentBack, Rejected, Discarded };
std::string_view entryStatusCode(EntryStatus s);
std::optional<EntryStatus> entryStatusFromCode(std::string_view code);

// A title in the catalogue's own language, or in another ("es": …) where the
// catalogue gives one: a student with Spanish directions reads Spanish.
using OtherTitles = std::map<std::string, std::string, std::less<>>;
inline const std::string& titleIn(const std::string& title, const OtherTitles& titles, std::string_view language) {
    auto it = titles.find(language);
    return it == titles.end() ? title : it->second;
}

struct CatalogueTask {
    std::string id;
    std::string areaId;
    std::string title;
    OtherTitles titles{};  // last: a task written {id, area, title} has none
    const std::string& titleIn(std::string_view language) const { return domain::titleIn(title, titles, language); }
};

struct CatalogueArea {
    std::string id;
    std::string title;
    int requiredMinutes = 0;  // toward the certificate
    int requiredTasks = 0;    // distinct tasks approved
    OtherTitles titles{};     // last, as in CatalogueTask
    const std::string& titleIn(std::string_view language) const { return domain::titleIn(title, titles, language); }
};

enum class Rounding { Down, Nearest, Up };

// The site's task catalogue (assets/tasks/*.json; see store::loadCatalogue).
struct TaskCatalogue {
    std::string title;
    OtherTitles titles;
    const std::string& titleIn(std::string_view language) const { return domain::titleIn(title, titles, language); }
    std::vector<CatalogueArea> areas;
    std::vector<CatalogueTask> tasks;
    int roundingMinutes = 15;  // hours are reported in steps of this many minutes
    Rounding rounding = Rounding::Down;
    int maxMinutesPerEntry = 720;
    int maxDaysBack = 60;  // how old an entry's date may be

    const CatalogueTask* task(std::string_view id) const;
    const CatalogueArea* area(std::string_view id) const;
};

struct WorkEntry {
    std::string entryId;
    std::string studentId;
    std::string taskId;
    std::string date;  // YYYY-MM-DD, the day the work was done
    int minutes = 0;
    std::string place;  // site or employer
    std::string reflection;
    EntryStatus status = EntryStatus::Draft;
    std::string reviewer;         // who approved, sent back or rejected (the kiosk's proctor ID)
    std::string reviewerStaffId;  // the state's staffUniqueId of that reviewer ("" when unknown)
    std::string reviewerComment;  // send-back comment or rejection reason
    std::optional<Timestamp> reviewedAt;
};

// What the student typed; validated on submit (a draft may be incomplete).
struct EntryFields {
    std::string taskId;
    std::string date;
    int minutes = 0;
    std::string place;
    std::string reflection;

    bool operator==(const EntryFields&) const = default;
};

inline constexpr std::size_t kMaxReflectionBytes = 2000;
inline constexpr std::size_t kMaxPlaceBytes = 120;

// Each returns a refusal, or nothing with `entry` updated.
std::optional<Refusal> saveDraft(WorkEntry& entry, const EntryFields& fields, const TaskCatalogue& catalogue);
std::optional<Refusal> submit(WorkEntry& entry, const TaskCatalogue& catalogue, Timestamp now);
// The student deletes a draft (or a sent-back entry) they will not finish: it
// leaves their list and nothing of it counts; it was never for the state.
std::optional<Refusal> discard(WorkEntry& entry);
std::optional<Refusal> approve(WorkEntry& entry, const std::string& reviewer, Timestamp now);
std::optional<Refusal> sendBack(WorkEntry& entry, const std::string& reviewer, const std::string& comment, Timestamp now);
std::optional<Refusal> reject(WorkEntry& entry, const std::string& reviewer, const std::string& reason, Timestamp now);

struct AreaProgress {
    std::string areaId;
    std::string title;
    int approvedMinutes = 0;
    double hours = 0.0;  // rounded the catalogue's way
    double requiredHours = 0.0;
    int tasksDone = 0;
    int requiredTasks = 0;
    bool complete() const { return hours >= requiredHours && tasksDone >= requiredTasks; }
};

struct Progress {
    std::vector<AreaProgress> areas;
    double totalHours = 0.0;
    bool certificateReady() const;
};

// Only approved entries count.
Progress progressOf(const std::vector<WorkEntry>& entries, const TaskCatalogue& catalogue);
double roundedHours(int minutes, const TaskCatalogue& catalogue);

} // namespace kiosk::domain

#include "kiosk/domain/work_entry.hpp"

#include "kiosk/domain/text_fold.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <set>

namespace kiosk::domain {

namespace {
constexpr std::array<std::string_view, 6> kStatusCodes{"draft", "submitted", "approved", "sent_back", "rejected", "discarded"};

bool editable(EntryStatus s) { return s == EntryStatus::Draft || s == EntryStatus::SentBack; }

// A student who deleted an entry on one machine and saves it on another (its
// form still open there) is told so, not that it was submitted.
constexpr const char* kDeleted = "This entry was deleted, on this machine or another one of the site.";

// Whole sentences per field, not "{what} is too long.": a language agrees
// its adjective with the noun.
struct TextRule {
    std::size_t maxBytes;
    const char* tooLong;
    const char* unsavable;
};

std::optional<Refusal> checkText(const std::string& text, const TextRule& rule) {
    if (text.size() > rule.maxBytes) return refuse(rule.tooLong);
    if (!isValidUtf8(text)) return refuse(rule.unsavable);
    return std::nullopt;
}
} // namespace

std::string_view entryStatusCode(EntryStatus s) { return kStatusCodes[static_cast<std::size_t>(s)]; }

std::optional<EntryStatus> entryStatusFromCode(std::string_view code) {
    for (std::size_t i = 0; i < kStatusCodes.size(); ++i)
        if (kStatusCodes[i] == code) return static_cast<EntryStatus>(i);
    return std::nullopt;
}

const CatalogueTask* TaskCatalogue::task(std::string_view id) const {
    for (const auto& t : tasks)
        if (t.id == id) return &t;
    return nullptr;
}

const CatalogueArea* TaskCatalogue::area(std::string_view id) const {
    for (const auto& a : areas)
        if (a.id == id) return &a;
    return nullptr;
}

std::optional<Refusal> saveDraft(WorkEntry& entry, const EntryFields& f, const TaskCatalogue& catalogue) {
    if (entry.status == EntryStatus::Discarded) return refuse(kDeleted);
    if (!editable(entry.status)) return refuse("This entry has been submitted and can no longer be changed.");
    if (!f.taskId.empty() && !catalogue.task(f.taskId)) return refuse("Choose a task from the list.");
    if (f.minutes < 0 || f.minutes > catalogue.maxMinutesPerEntry)
        return refuse("Minutes must be between 1 and {max}.", {{"max", std::to_string(catalogue.maxMinutesPerEntry)}});
    if (!f.date.empty() && !(f.date.size() == 10 && parseIso8601(f.date))) return refuse("Write the date as YYYY-MM-DD.");
    if (auto r = checkText(f.place, {kMaxPlaceBytes, "The place is too long.", "The place contains characters that cannot be saved."})) return r;
    if (auto r = checkText(f.reflection, {kMaxReflectionBytes, "The reflection is too long.", "The reflection contains characters that cannot be saved."})) return r;
    entry.taskId = f.taskId;
    entry.date = f.date;
    entry.minutes = f.minutes;
    entry.place = f.place;
    entry.reflection = f.reflection;
    entry.status = EntryStatus::Draft;
    return std::nullopt;
}

std::optional<Refusal> submit(WorkEntry& entry, const TaskCatalogue& catalogue, Timestamp now) {
    if (entry.status == EntryStatus::Discarded) return refuse(kDeleted);
    if (!editable(entry.status)) return refuse("This entry has already been submitted.");
    if (!catalogue.task(entry.taskId)) return refuse("Choose which task you did.");
    if (entry.minutes <= 0) return refuse("Enter how many minutes you worked.");
    auto day = entry.date.size() == 10 ? parseIso8601(entry.date) : std::nullopt;
    if (!day) return refuse("Enter the date you did the task (YYYY-MM-DD).");
    using namespace std::chrono;
    auto today = floor<days>(now);
    if (floor<days>(*day) > today) return refuse("The date cannot be in the future.");
    if (floor<days>(*day) < today - days{catalogue.maxDaysBack})
        return refuse("Entries older than {days} days cannot be logged here; see your coordinator.", {{"days", std::to_string(catalogue.maxDaysBack)}});
    if (entry.place.empty()) return refuse("Enter where you did the task (site or employer).");
    if (entry.reflection.empty()) return refuse("Write a short reflection on what you did.");
    entry.status = EntryStatus::Submitted;
    return std::nullopt;
}

std::optional<Refusal> discard(WorkEntry& entry) {
    if (entry.status == EntryStatus::Discarded) return refuse(kDeleted);
    if (!editable(entry.status)) return refuse("This entry has been submitted and can no longer be deleted.");
    entry.status = EntryStatus::Discarded;
    return std::nullopt;
}

namespace {
std::optional<Refusal> review(WorkEntry& entry, const std::string& reviewer, Timestamp now) {
    if (entry.status != EntryStatus::Submitted) return refuse("Only a submitted entry can be reviewed.");
    if (reviewer.empty()) return refuse("The reviewer must be identified.");
    if (reviewer == entry.studentId) return refuse("Students cannot review their own entries.");
    entry.reviewer = reviewer;
    entry.reviewedAt = now;
    return std::nullopt;
}
} // namespace

std::optional<Refusal> approve(WorkEntry& entry, const std::string& reviewer, Timestamp now) {
    if (auto r = review(entry, reviewer, now)) return r;
    entry.status = EntryStatus::Approved;
    entry.reviewerComment.clear();
    return std::nullopt;
}

std::optional<Refusal> sendBack(WorkEntry& entry, const std::string& reviewer, const std::string& comment, Timestamp now) {
    if (comment.empty()) return refuse("Say what the student should change.");
    if (auto r = checkText(comment, {kMaxReflectionBytes, "The comment is too long.", "The comment contains characters that cannot be saved."})) return r;
    if (auto r = review(entry, reviewer, now)) return r;
    entry.status = EntryStatus::SentBack;
    entry.reviewerComment = comment;
    return std::nullopt;
}

std::optional<Refusal> reject(WorkEntry& entry, const std::string& reviewer, const std::string& reason, Timestamp now) {
    if (reason.empty()) return refuse("Give the reason for rejecting the entry.");
    if (auto r = checkText(reason, {kMaxReflectionBytes, "The reason is too long.", "The reason contains characters that cannot be saved."})) return r;
    if (auto r = review(entry, reviewer, now)) return r;
    entry.status = EntryStatus::Rejected;
    entry.reviewerComment = reason;
    return std::nullopt;
}

double roundedHours(int minutes, const TaskCatalogue& c) {
    int step = std::max(1, c.roundingMinutes);
    double steps = static_cast<double>(minutes) / step;
    double rounded = c.rounding == Rounding::Down ? std::floor(steps) : c.rounding == Rounding::Up ? std::ceil(steps) : std::round(steps);
    return rounded * step / 60.0;
}

bool Progress::certificateReady() const {
    return !areas.empty() && std::all_of(areas.begin(), areas.end(), [](const AreaProgress& a) { return a.complete(); });
}

Progress progressOf(const std::vector<WorkEntry>& entries, const TaskCatalogue& catalogue) {
    Progress p;
    int totalMinutes = 0;
    for (const auto& area : catalogue.areas) {
        AreaProgress a;
        a.areaId = area.id;
        a.title = area.title;
        a.requiredHours = area.requiredMinutes / 60.0;
        a.requiredTasks = area.requiredTasks;
        std::set<std::string> tasks;
        for (const auto& e : entries) {
            if (e.status != EntryStatus::Approved) continue;
            const CatalogueTask* t = catalogue.task(e.taskId);
            if (!t || t->areaId != area.id) continue;
            a.approvedMinutes += e.minutes;
            tasks.insert(e.taskId);
        }
        a.tasksDone = static_cast<int>(tasks.size());
        a.hours = roundedHours(a.approvedMinutes, catalogue);
        totalMinutes += a.approvedMinutes;
        p.areas.push_back(std::move(a));
    }
    p.totalHours = roundedHours(totalMinutes, catalogue);
    return p;
}

} // namespace kiosk::domain

#include "kiosk/ui/review_screen.hpp"

#include <imgui.h>

#include <utility>

namespace kiosk::ui {

void ReviewScreen::refresh() {
    // The catalogue another machine may have saved, and whether the state
    // knows this proctor: read by the action queue, shown when they come.
    m_ui.act([&work = m_ui.services.work, &security = m_ui.services.security, proctorId = m_ui.proctorId] {
        work.refreshCatalogue();
        return security.proctorStaffId(proctorId).empty();
    },
             [this](bool unknown) { m_evaluatorUnknown = unknown; });
    // A screen opens on a fresh list: the worker reads, this thread waits (milliseconds as a rule).
    m_ui.services.views.invalidate(service::SessionViews::kWaitAfterCommit);
    if (auto view = m_ui.services.views.latest()) adopt(*view);
}

void ReviewScreen::adopt(const service::SessionView& view) {
    // The entry being reviewed stays selected by its id, whatever arrived
    // before it in the list (another machine's submission): a decision never
    // lands on the entry that moved into its place.
    std::string keep = m_selected < m_entries.size() ? m_entries[m_selected].entryId : std::string();
    m_entries.clear();
    m_names.clear();
    for (const auto& item : view.awaitingReview) {
        m_entries.push_back(item.entry);
        m_names.push_back(item.name.empty() ? item.entry.studentId : item.name);
    }
    for (std::size_t i = 0; i < m_entries.size(); ++i)
        if (m_entries[i].entryId == keep) m_selected = i;
    if (m_selected >= m_entries.size()) m_selected = 0;
}

bool ReviewScreen::draw() {
    m_ui.widgets.heading(m_ui.fmt("review.title", {{"count", std::to_string(m_entries.size())}}));
    if (m_ui.widgets.button(m_ui.tr("review.back"))) return false;
    auto catalogue = m_ui.services.work.catalogue();
    if (m_entries.empty()) {
        m_ui.widgets.wrappedText(m_ui.tr("review.none"));
        return true;
    }
    for (std::size_t i = 0; i < m_entries.size(); ++i) {
        const auto& e = m_entries[i];
        const auto* task = catalogue ? catalogue->catalogue.task(e.taskId) : nullptr;
        // The student's name first (what a proctor recognises); the ID stays beside the minutes to tell two namesakes apart.
        std::string label = m_names[i] + " · " + m_ui.date(e.date) + " · " + (task ? task->titleIn(m_ui.strings->language()) : e.taskId);
        std::string value = m_ui.fmt("student.minutes", {{"minutes", std::to_string(e.minutes)}}) + " · " + e.studentId;
        if (m_ui.widgets.listItem(e.entryId, label, value, i == m_selected)) m_selected = i;
    }
    const auto& e = m_entries[m_selected];
    ImGui::Separator();
    m_ui.widgets.wrappedText(m_ui.fmt("review.detail", {{"place", e.place}, {"minutes", std::to_string(e.minutes)}, {"date", m_ui.date(e.date)}}));
    m_ui.widgets.wrappedText(m_ui.fmt("review.reflection", {{"text", e.reflection}}));
    m_ui.widgets.text(m_ui.tr("review.comment"));
    m_ui.widgets.textField(m_ui.tr("review.comment"), m_comment, m_ui.tr("review.commentHint"), false, 0.0f, 1000);
    // Said before the approval, not found out at the state.
    if (m_evaluatorUnknown) m_ui.widgets.wrappedText(m_ui.tr("review.noStaffId"));
    m_ui.widgets.text(m_ui.fmt("review.pin", {{"name", m_ui.proctor}}));
    m_ui.widgets.secretField(m_ui.fmt("review.pin", {{"name", m_ui.proctor}}), m_pin, false);
    std::optional<service::Review> decision;
    if (m_ui.widgets.button(m_ui.tr("review.approve"), Emphasis::Primary)) decision = service::Review::Approve;
    m_ui.widgets.sameLineIfFits(m_ui.tr("review.sendBack"));
    if (m_ui.widgets.button(m_ui.tr("review.sendBack"))) decision = service::Review::SendBack;
    m_ui.widgets.sameLineIfFits(m_ui.tr("review.reject"));
    if (m_ui.widgets.button(m_ui.tr("review.reject"), Emphasis::Danger)) decision = service::Review::Reject;
    if (decision) {
        m_ui.act([&work = m_ui.services.work, entryId = e.entryId, d = *decision, proctorId = m_ui.proctorId, pin = std::exchange(m_pin, {}),
                  comment = m_comment] { return work.review(entryId, d, proctorId, pin, comment); },
                 [this, d = *decision](const service::ActionResult& r) {
                     if (!r.saved) {
                         m_ui.feedback = Feedback{false, m_ui.said(r)};
                         return;
                     }
                     m_ui.feedback = Feedback{true, m_ui.tr(d == service::Review::Approve    ? "review.approved"
                                                            : d == service::Review::SendBack ? "review.sentBack"
                                                                                             : "review.rejected")};
                     m_ui.dataChanged = true;
                     m_comment.clear();
                     // The list without the entry just decided: the queue had its view built before answering.
                     if (auto view = m_ui.services.views.latest()) adopt(*view);
                 });
    }
    return true;
}

std::string syncLine(const UiContext& ui, const service::SyncSummary& s) {
    using C = service::SyncSummary::Connection;
    std::string state = s.connection == C::NotEnrolled ? ui.tr("sync.notEnrolled")
                        : s.connection == C::Online     ? ui.tr("sync.online")
                        : s.connection == C::Offline    ? ui.tr("sync.offline")
                        : s.connection == C::CredentialsRefused ? ui.tr("sync.credentials")
                                                                : ui.tr("sync.connecting");
    std::string line = state;
    if (s.lastContact) line += " · " + ui.fmt("sync.lastContact", {{"time", ui.clock(*s.lastContact)}});
    if (s.waiting == 0 && s.needsAttention == 0 && s.synced > 0) line += " · " + ui.tr("outbox.allSent");
    else if (s.waiting > 0 && s.waitingSince)
        line += " · " + ui.fmt("outbox.waitingSince", {{"count", std::to_string(s.waiting)}, {"time", ui.clock(*s.waitingSince)}});
    else line += " · " + ui.fmt("outbox.waiting", {{"count", std::to_string(s.waiting)}});
    if (s.needsAttention > 0) line += " · " + ui.fmt("outbox.attention", {{"count", std::to_string(s.needsAttention)}});
    return line;
}

// The lists come with the views while this screen is open (read by the
// worker); on opening and after "send again" this thread waits for them.
void SyncScreen::refresh() {
    m_ui.services.views.watchSync(m_ui.tr("date.order"));
    m_ui.services.views.invalidate(service::SessionViews::kWaitAfterCommit);
    if (auto view = m_ui.services.views.latest()) adopt(*view);
}

void SyncScreen::adopt(const service::SessionView& view) {
    m_hub = view.siteHub;
    if (!view.syncDateOrder) return;  // built before the screen opened
    m_items = view.failed;
    m_waiting = view.waiting;
}

std::vector<std::string> siteHubLines(const UiContext& ui, const service::SiteHubSummary& h) {
    std::vector<std::string> lines;
    std::string state = !h.linked ? ui.tr("site.notLinked") : h.connected ? ui.tr("site.connected") : ui.tr("site.unreachable");
    std::string first = ui.fmt("site.hub", {{"state", state}});
    if (h.lastContact) first += " · " + ui.fmt("sync.lastContact", {{"time", ui.clock(*h.lastContact)}});
    lines.push_back(std::move(first));
    if (h.thisKioskUploads) lines.push_back(ui.tr("site.uploaderThis"));
    else if (!h.uploader.empty()) lines.push_back(ui.fmt("site.uploaderOther", {{"kiosk", h.uploader}}));
    else lines.push_back(ui.tr("site.uploaderNone"));
    std::string behind = ui.fmt("site.behind", {{"count", std::to_string(h.behind)}});
    if (h.behind > 0 && h.secondsBehind) behind += " " + ui.fmt("site.secondsBehind", {{"seconds", std::to_string(*h.secondsBehind)}});
    lines.push_back(behind + " · " + ui.fmt("site.unshared", {{"count", std::to_string(h.unshared)}}));
    return lines;
}

bool SyncScreen::draw() {
    m_ui.services.views.watchSync(m_ui.tr("date.order"));  // a new language writes the dates its way
    m_ui.widgets.heading(m_ui.tr("sync.title"));
    if (m_ui.widgets.button(m_ui.tr("review.back"))) return false;
    const service::SyncSummary& s = m_ui.sync;  // what the banner says too
    m_ui.widgets.text(syncLine(m_ui, s), accessibility::Role::Status);
    // What it takes to reach the state, where the kiosk cannot on its own.
    if (s.connection == service::SyncSummary::Connection::NotEnrolled) m_ui.widgets.wrappedText(m_ui.tr("sync.notEnrolledHelp"));
    else if (s.connection == service::SyncSummary::Connection::CredentialsRefused) m_ui.widgets.wrappedText(m_ui.tr("sync.credentialsHelp"));
    if (s.clockOffsetSeconds)
        m_ui.widgets.textColoured(m_ui.fmt("sync.clock", {{"seconds", std::to_string(*s.clockOffsetSeconds)}}),
                                  s.clockWarning ? m_ui.palette.warning : m_ui.palette.text, s.clockWarning ? accessibility::Role::Alert : accessibility::Role::Status);
    if (!s.lastError.empty()) m_ui.widgets.wrappedText(m_ui.fmt("sync.lastError", {{"error", s.lastError}}));
    if (m_hub) {
        for (const auto& line : siteHubLines(m_ui, *m_hub)) m_ui.widgets.wrappedText(line);
    }
    if (m_items.empty()) m_ui.widgets.text(m_ui.tr("sync.noneStuck"));
    else m_ui.widgets.heading(m_ui.fmt("sync.failedTitle", {{"count", std::to_string(m_items.size())}}));
    for (std::size_t i = 0; i < m_items.size(); ++i) {
        const auto& item = m_items[i];
        const char* kind = item.deletion ? "sync.deletionItem" : item.refused ? "sync.refusedItem" : "sync.waitingItem";
        m_ui.widgets.wrappedText(m_ui.fmt(kind, {{"who", item.who}}));
        // The server's own words, then what to quote to the state's help desk.
        if (!item.words.empty()) m_ui.widgets.wrappedText(m_ui.fmt("sync.serverSaid", {{"words", item.words}}));
        else m_ui.widgets.wrappedText(m_ui.fmt("sync.noWords", {{"cause", item.cause}}));
        if (item.httpStatus)
            m_ui.widgets.wrappedText(m_ui.fmt("sync.reference", {{"status", std::to_string(*item.httpStatus)},
                                                                 {"type", item.problemType.empty() ? "-" : item.problemType},
                                                                 {"id", item.correlationId.empty() ? "-" : item.correlationId}}));
        if (!item.refused) continue;
        if (m_ui.widgets.button(m_ui.tr("sync.retry") + "##r" + std::to_string(i))) {
            m_ui.act([&sync = m_ui.services.sync, resource = item.resource, key = item.naturalKey] { return static_cast<bool>(sync.retry(resource, key)); },
                     [this](bool retried) {
                         if (retried) m_ui.feedback = Feedback{true, m_ui.tr("sync.retried")};
                         m_ui.dataChanged = true;
                         if (auto view = m_ui.services.views.latest()) adopt(*view);
                     });
            break;
        }
    }
    // Everything still to go, by student, oldest first: what "waiting" in the banner counts.
    if (!m_waiting.empty()) {
        m_ui.widgets.heading(m_ui.fmt("sync.waitingTitle", {{"shown", std::to_string(m_waiting.size())}, {"count", std::to_string(s.waiting + s.needsAttention)}}));
        for (const auto& w : m_waiting)
            m_ui.widgets.wrappedText(w.since ? m_ui.fmt("sync.waitingSince", {{"who", w.who}, {"time", m_ui.clock(*w.since)}}) : w.who);
    }
    return true;
}

} // namespace kiosk::ui

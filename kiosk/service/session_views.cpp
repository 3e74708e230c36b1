#include "kiosk/service/session_views.hpp"

#include "kiosk/domain/local_date.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/store/work_repo.hpp"

#include <chrono>

namespace kiosk::service {

SessionViews::SessionViews(SessionQueries& queries, domain::Clock clock) : m_inline(&queries), m_clock(std::move(clock)) {}

SessionViews::SessionViews(std::filesystem::path database, std::optional<store::Database::SealingKey> sealingKey,
                           std::function<void()> onNewView)
    : m_database(std::move(database)), m_sealingKey(sealingKey), m_onNewView(std::move(onNewView)), m_requested(true),
      m_thread([this] { run(); }) {}

SessionViews::~SessionViews() { stop(); }

void SessionViews::stop() {
    if (!m_thread.joinable()) return;
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void SessionViews::watch(std::optional<std::string> sessionId) {
    if (ask(&SessionViews::m_sessionId, std::move(sessionId)) && m_inline) invalidate();
}

// A change in what the screens want asks the worker for a view (built inline
// by the caller's next invalidate()); false when nothing changed.
bool SessionViews::ask(std::optional<std::string> SessionViews::*field, std::optional<std::string> value) {
    {
        std::lock_guard lock(m_mutex);
        if (this->*field == value) return false;
        this->*field = std::move(value);
        m_requested = true;
    }
    if (!m_inline) m_wake.notify_all();
    return true;
}

void SessionViews::select(std::optional<std::string> studentId) { ask(&SessionViews::m_studentId, std::move(studentId)); }

void SessionViews::watchSync(std::optional<std::string> dateOrder) { ask(&SessionViews::m_syncDateOrder, std::move(dateOrder)); }

SessionViews::Asked SessionViews::asked() const { return {m_sessionId, m_studentId, m_syncDateOrder}; }

void SessionViews::invalidate(std::chrono::milliseconds wait) {
    if (m_inline) {
        Asked want;
        {
            std::lock_guard lock(m_mutex);
            want = asked();
            m_requested = false;
        }
        auto view = build(m_inline->store().db(), want);
        std::lock_guard lock(m_mutex);
        m_latest = std::move(view);
        return;
    }
    std::unique_lock lock(m_mutex);
    m_requested = true;
    const std::uint64_t asked = m_nextVersion;  // the next view built starts after this request
    m_wake.notify_all();
    if (wait.count() > 0)
        m_built.wait_for(lock, wait, [&] { return m_stopping || m_cannotOpen || (m_latest && m_latest->version >= asked); });
}

void SessionViews::tick() {
    if (m_inline) invalidate();
}

std::shared_ptr<const SessionView> SessionViews::latest() const {
    std::lock_guard lock(m_mutex);
    return m_latest;
}

std::optional<OutboxTally> SessionViews::outboxTally() const {
    std::lock_guard lock(m_mutex);
    if (!m_latest) return std::nullopt;
    return m_latest->outbox;
}

bool SessionViews::pending() const {
    std::lock_guard lock(m_mutex);
    if (m_inline || m_cannotOpen) return false;
    // The lists (sessions, review, the hub) come from every view: the first
    // one, and any asked for or under way, is still to come.
    if (m_requested || m_building || !m_latest) return true;
    return m_latest->sessionId != m_sessionId.value_or("") || m_latest->studentId != m_studentId.value_or("") ||
           m_latest->syncDateOrder != m_syncDateOrder;
}

std::shared_ptr<const SessionView> SessionViews::build(store::Database& db, const Asked& want) {
    const auto& sessionId = want.sessionId;
    const auto& studentId = want.studentId;
    auto view = std::make_shared<SessionView>();
    view->sessionId = sessionId.value_or("");
    view->studentId = studentId.value_or("");
    view->syncDateOrder = want.syncDateOrder;
    {
        std::lock_guard lock(m_mutex);
        view->version = m_nextVersion++;
    }
    // One read transaction: the roster, the counts and the copies agree.
    if (auto s = db.exec("BEGIN;"); !s) {
        view->error = s.error().describe();
        return view;
    }
    if (auto t = tallyOutbox(db)) view->outbox = *t;
    auto listFailed = [&](const store::Error& e) {
        if (view->listError.empty()) view->listError = e.describe();
    };
    if (auto list = sessionList(db)) view->sessions = std::move(*list);
    else listFailed(list.error());
    if (auto hub = siteHubSummary(db, m_clock().time_since_epoch().count())) view->siteHub = *hub;
    else listFailed(hub.error());
    if (auto entries = store::workEntriesWithStatus(db, domain::EntryStatus::Submitted)) {
        for (auto& e : *entries) {
            auto student = store::findStudent(db, e.studentId);
            std::string name = student && *student ? (*student)->firstName + " " + (*student)->lastSurname : std::string();
            view->awaitingReview.push_back({std::move(e), std::move(name)});
        }
    } else {
        listFailed(entries.error());
    }
    if (want.syncDateOrder) {
        const std::string order = *want.syncDateOrder;
        store::RecordSubject::DateFormat format = [order](std::string_view iso) { return domain::formatLocalDate(iso, order); };
        if (auto failed = failedRecords(db, kFailedListed, format)) view->failed = std::move(*failed);
        else listFailed(failed.error());
        if (auto waiting = waitingRecords(db, kWaitingListed, format)) view->waiting = std::move(*waiting);
        else listFailed(waiting.error());
    }
    if (sessionId) {
        auto snapshot = sessionSnapshot(db, *sessionId);
        if (!snapshot) {
            view->error = snapshot.error().describe();
        } else {
            auto copies = stateCopies(db, *snapshot);
            view->stateCopies = copies ? std::move(*copies) : std::vector<StateCopy>(snapshot->roster.size(), StateCopy::NoRecord);
            view->snapshot = std::move(*snapshot);
            for (const auto& row : view->snapshot.roster) {
                if (!studentId || row.student.studentUniqueId != *studentId) continue;
                if (auto d = studentDetail(db, view->snapshot.info, row)) view->detail = std::move(*d);
                else view->error = d.error().describe();
            }
        }
    }
    (void)db.exec("COMMIT;");  // a read transaction: ending it cannot lose anything
    return view;
}

// Nothing was committed, only time passed: of a view, only the hub's line
// reads the clock (is the link's report still fresh?). The rest is kept, not
// read again: with a large roster, reading every session's counts each
// kRebuildEvery was most of an idle kiosk's CPU.
std::shared_ptr<const SessionView> SessionViews::withClockMoved(store::Database& db, const Asked& want) {
    std::shared_ptr<const SessionView> latest;
    {
        std::lock_guard lock(m_mutex);
        latest = m_latest;
    }
    const bool same = latest && latest->sessionId == want.sessionId.value_or("") &&
                      latest->studentId == want.studentId.value_or("") && latest->syncDateOrder == want.syncDateOrder;
    if (!same) return build(db, want);
    if (!latest->siteHub) return nullptr;
    auto view = std::make_shared<SessionView>(*latest);
    auto hub = siteHubSummary(db, m_clock().time_since_epoch().count());
    if (!hub) {
        if (view->listError.empty()) view->listError = hub.error().describe();
    } else {
        view->siteHub = *hub;
    }
    std::lock_guard lock(m_mutex);
    view->version = m_nextVersion++;
    return view;
}

void SessionViews::run() {
    std::optional<store::Database> db;
    std::int64_t seenDataVersion = -1;
    auto lastBuilt = std::chrono::steady_clock::now();
    for (;;) {
        Asked want;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait_for(lock, std::chrono::milliseconds(250), [this] { return m_stopping || m_requested; });
            if (m_stopping) return;
            want = asked();
        }
        if (!db) {
            auto opened = store::Database::openReadOnly(m_database);
            {
                std::lock_guard lock(m_mutex);
                m_cannotOpen = !opened;
            }
            if (!opened) {
                m_built.notify_all();  // nobody waits for a view that cannot come
                continue;              // the next turn tries again; the screen keeps its last view
            }
            db.emplace(std::move(*opened));
            if (m_sealingKey) db->setSealingKey(*m_sealingKey);
        }
        // Another connection's commit changes data_version; ours never commits.
        std::int64_t dataVersion = -1;
        if (auto stmt = db->prepare("PRAGMA data_version;"); stmt)
            if (auto row = stmt->step(); row && *row) dataVersion = stmt->getInt(0);
        bool requested = false;
        {
            std::lock_guard lock(m_mutex);
            requested = m_requested;
            m_requested = false;
            m_building = requested || dataVersion != seenDataVersion;
        }
        const bool changed = requested || dataVersion != seenDataVersion;
        const auto now = std::chrono::steady_clock::now();
        if (!changed && now - lastBuilt < kRebuildEvery) continue;
        seenDataVersion = dataVersion;
        lastBuilt = now;
        auto view = changed ? build(*db, want) : withClockMoved(*db, want);
        if (!view) continue;  // nothing in the view reads the clock
        {
            std::lock_guard lock(m_mutex);
            m_building = false;
            if (asked() != want) continue;  // the screen moved on meanwhile: build again next turn
            m_latest = std::move(view);
        }
        m_built.notify_all();
        if (m_onNewView) m_onNewView();
    }
}

} // namespace kiosk::service

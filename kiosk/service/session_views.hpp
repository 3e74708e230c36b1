#pragma once
// The check-in screen's read model (docs/architecture.md, "Read models"): an
// immutable, versioned view of one session (the roster in its stable order,
// the counts, whether the state holds each student's record), built off the
// render thread. The screen adopts the newest view each frame and never
// waits for SQLite; a commit by any connection or process (this window, the
// site link applying another station's check-in, `serve`) brings a new view.
#include "kiosk/service/session_queries.hpp"
#include "kiosk/service/sync_view.hpp"
#include "kiosk/domain/work_entry.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace kiosk::service {

// A submitted task waiting for a proctor, with whom it belongs to.
struct ReviewItem {
    domain::WorkEntry entry;
    std::string name;  // "Zoë Ñúñez"; empty when the roster does not know the student
};

struct SessionView {
    std::string sessionId;          // the session asked for ("" when none: the counts alone)
    std::uint64_t version = 0;      // grows with every view built
    std::optional<std::string> error;  // why there is no snapshot (the session is gone, the store failed)
    SessionSnapshot snapshot;
    std::vector<StateCopy> stateCopies;  // one per roster row, in its order
    std::string studentId;                 // the student asked for ("" none)
    std::optional<StudentDetail> detail;   // ... with their events and the state's copy, when on the roster
    std::optional<OutboxTally> outbox;  // what waits for the state, read in the same transaction
    // What the other proctor screens list, read in the same transaction:
    std::vector<SessionSummary> sessions;  // every session, for the session list
    std::vector<ReviewItem> awaitingReview;  // submitted tasks, oldest first, with the student's name
    std::optional<SiteHubSummary> siteHub;   // the hub's line (none: this kiosk never joined one)
    // The State-sync screen's lists, while it is open (watchSync): refused and
    // retrying records first, then everything still to go, oldest first.
    std::optional<std::string> syncDateOrder;  // the order their dates are written in; none: not built
    std::vector<FailedRecord> failed;
    std::vector<WaitingRecord> waiting;
    std::string listError;                   // why a list above could not be read (it is then empty)
};

class SessionViews {
public:
    // How long the render thread waits for the view after its own commit (a
    // few milliseconds as a rule; bounded for a machine under load, after
    // which the view arrives by itself).
    static constexpr std::chrono::milliseconds kWaitAfterCommit{3000};

    // With nothing committed, the hub's line is read again this often all the
    // same (it says whether the link's report is still fresh); the rest of
    // the view is kept.
    static constexpr std::chrono::seconds kRebuildEvery{5};

    // Built on the caller's thread, at once, from `queries` (tests; a store
    // in memory): at each request and at each tick(); `clock` dates the hub's report.
    explicit SessionViews(SessionQueries& queries, domain::Clock clock = domain::systemNow);
    // Built on a worker with its own read-only connection to `database`: at
    // each request, and whenever another connection committed (checked four
    // times a second with PRAGMA data_version, which costs no read of the
    // file). `onNewView` runs on the worker after each new view (the window
    // wakes its frame loop with it).
    SessionViews(std::filesystem::path database, std::optional<store::Database::SealingKey> sealingKey,
                 std::function<void()> onNewView);
    ~SessionViews();  // stop()
    // Ends the worker (before the window it wakes goes away); idempotent.
    void stop();
    SessionViews(const SessionViews&) = delete;
    SessionViews& operator=(const SessionViews&) = delete;

    // The session to keep a view of (none: stop building).
    void watch(std::optional<std::string> sessionId);
    // The student of the watched session whose detail a dialog shows (none:
    // no detail). Built with the next view; a dialog that needs it at once
    // follows with invalidate(kWaitAfterCommit).
    void select(std::optional<std::string> studentId);
    // The State-sync screen is open: its lists come with every view, their
    // dates written in `dateOrder` (the language's "date.order"); none: closed.
    void watchSync(std::optional<std::string> dateOrder);
    // Something was committed here: build again now, and wait (at most
    // `wait`) for that view, so the frame after a proctor's action already
    // shows it. The worker reads; this thread only waits for its answer.
    void invalidate(std::chrono::milliseconds wait = std::chrono::milliseconds(0));
    // Once a second from the frame loop: a view built on the caller's thread
    // is built again (a worker keeps its own time).
    void tick();
    // The newest view built (of the watched session or an earlier one; null before the first).
    std::shared_ptr<const SessionView> latest() const;
    // A view was asked for and is not built yet (the window is not settled:
    // its tests wait for what it shows, never for a pause).
    bool pending() const;
    // The outbox counts of the newest view (the banner's "waiting"): none
    // before the first view (the banner shows none for those milliseconds).
    std::optional<OutboxTally> outboxTally() const;

private:
    struct Asked {  // what the screens want in a view, read under the lock
        std::optional<std::string> sessionId, studentId, syncDateOrder;
        bool operator==(const Asked&) const = default;
    };
    Asked asked() const;  // with m_mutex held
    bool ask(std::optional<std::string> SessionViews::*field, std::optional<std::string> value);
    std::shared_ptr<const SessionView> build(store::Database& db, const Asked& asked);
    // The latest view with its clock-dependent part read again (null: it has none).
    std::shared_ptr<const SessionView> withClockMoved(store::Database& db, const Asked& asked);
    void run();

    SessionQueries* m_inline = nullptr;
    domain::Clock m_clock = domain::systemNow;
    std::filesystem::path m_database;
    std::optional<store::Database::SealingKey> m_sealingKey;
    std::function<void()> m_onNewView;

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_built;  // a view was published
    std::optional<std::string> m_sessionId;
    std::optional<std::string> m_studentId;
    std::optional<std::string> m_syncDateOrder;
    bool m_requested = false;
    bool m_building = false;
    bool m_cannotOpen = false;  // the worker cannot read the file: nothing is pending, the screen keeps what it has
    bool m_stopping = false;
    std::uint64_t m_nextVersion = 1;
    std::shared_ptr<const SessionView> m_latest;
    std::thread m_thread;  // last: starts once the members above exist
};

} // namespace kiosk::service

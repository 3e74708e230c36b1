#pragma once
// Applies what the sync pull downloads (assessmentAdministrations, students,
// studentAssessmentRegistrations) to the kiosk's roster tables, through the
// same validation as a roster file, and the grade of each current
// studentSchoolAssociation to its student. Runs inside the puller's transaction.
// The app's wiring: the store knows rosters, not the HTTP puller.
#include "kiosk/store/roster_facts.hpp"
#include "kiosk/store/roster_import.hpp"
#include "sync/edfi/puller.hpp"

#include <atomic>

namespace kiosk::app {

class EdfiRosterSink final : public edsync::edfi::PullSink {
public:
    store::Status apply(store::Database& db, std::string_view resource, const std::vector<nlohmann::json>& items) override;
    store::Status applyDeletes(store::Database& db, std::string_view resource, const std::vector<nlohmann::json>& items) override;

    // Items refused by validation so far (counted, not logged: they hold names).
    std::int64_t skipped() const { return m_skipped.load(); }

    // On a site with a hub: what the download changed goes to the other
    // machines (the state is read once per site, by the uploader).
    void setShare(store::RosterShare share) { m_share = std::move(share); }

private:
    store::Status share(store::Database& db, const store::RosterChange& change);

    std::atomic<std::int64_t> m_skipped{0};
    store::RosterShare m_share;
};

// The resources to pull, in an order that lets references resolve.
std::vector<edsync::edfi::PullResource> rosterPullResources();

} // namespace kiosk::app

#pragma once
// Applies facts from the rest of the site to this kiosk's store, each exactly
// once (by event id) and in the same transaction as the projections it
// changes. A fact that refers to something this kiosk has not received yet
// (a session from a roster still on its way) is parked and applied as soon
// as it can be. docs/architecture.md, "One site, many machines".
#include "kiosk/store/site_facts.hpp"
#include "kiosk/store/work_repo.hpp"

#include <functional>
#include <optional>
#include <string>

namespace kiosk::service {

struct ApplyOutcome {
    // Kept: nothing to keep here (another machine's audit head, which the hub keeps).
    enum class What { Applied, Duplicate, Parked, Refused, Kept, Failed } what = What::Applied;
    std::string detail;  // why, for Parked / Refused / Failed (never personal data)
    bool ok() const { return what != What::Failed; }
};

class SiteApplier {
public:
    using Catalogue = std::function<const store::CatalogueDocument*()>;
    // `siteSeal` opens the sign-in factors a roster fact carries (none: they stay where they were set).
    SiteApplier(store::Store& store, Catalogue catalogue, std::optional<store::Database::SealingKey> siteSeal = std::nullopt)
        : m_store(store), m_catalogue(std::move(catalogue)), m_siteSeal(siteSeal) {}

    // Extra writes that must commit with the fact, e.g. the site log's cursor.
    using InTransaction = std::function<store::Status(store::Database&)>;

    // One transaction: the fact (or its parking), its projections and `inTx`.
    // Failed means nothing was written and the fact must be offered again;
    // Refused means the fact is malformed and is dropped with a count.
    ApplyOutcome apply(std::string_view payload, const InTransaction& inTx = {});

    // The same inside the caller's transaction on this applier's store
    // connection (the site link's batch, one savepoint a fact): nothing is
    // committed here, and a Failed outcome leaves the caller to roll back.
    ApplyOutcome applyWithin(std::string_view payload) { return applyInTransaction(payload, false); }

    // Parked facts whose wait is over are applied; returns how many.
    int retryParked();

private:
    ApplyOutcome applyInTransaction(std::string_view payload, bool fromParking);
    int retryParkedOnce();

    store::Store& m_store;
    Catalogue m_catalogue;
    std::optional<store::Database::SealingKey> m_siteSeal;
};

} // namespace kiosk::service

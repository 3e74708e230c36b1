#pragma once
// Work-readiness task logging: students save drafts and submit; a proctor or
// supervisor approves, sends back or rejects with their PIN. Each step is one
// transaction (event + entry + outbox); approved work goes to the state as
// studentProgramEvaluations.
#include "kiosk/domain/work_entry.hpp"
#include "kiosk/service/action_result.hpp"
#include "kiosk/service/security_service.hpp"
#include "kiosk/store/ids.hpp"
#include "kiosk/store/work_repo.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::service {

enum class Review { Approve, SendBack, Reject };

class WorkService {
public:
    WorkService(store::Store& store, domain::Clock clock, SecurityService& security);

    // The catalogue saved in the store, else the file given (first run).
    std::optional<std::string> loadCatalogue(const std::filesystem::path& defaultFile);
    // Saves it and, on a site with a hub, shares it with every machine. The error message, or nothing.
    std::optional<std::string> importCatalogue(std::string_view jsonText);
    // The catalogue in use, as it was when asked: a screen keeps it while the
    // action queue's thread takes up a newer one (any thread may ask).
    std::shared_ptr<const store::CatalogueDocument> catalogue() const;
    // Takes up a catalogue another machine of the site saved here since (at a sign-in, not every frame).
    void refreshCatalogue();

    void setOnCommitted(std::function<void()> callback) { m_onCommitted = std::move(callback); }

    // Creates the entry when entryId is empty; returns its id in eventId.
    ActionResult saveDraft(const std::string& studentId, const std::string& entryId, const domain::EntryFields& fields);
    ActionResult submit(const std::string& studentId, const std::string& entryId);
    ActionResult discard(const std::string& studentId, const std::string& entryId);
    ActionResult review(const std::string& entryId, Review decision, const std::string& proctorId, const std::string& pin,
                        const std::string& comment);

    store::Result<std::vector<domain::WorkEntry>> entries(const std::string& studentId);
    store::Result<std::vector<domain::WorkEntry>> awaitingReview();
    // "Zoë Ñúñez" for the review list; empty when the ID is not on this kiosk.
    std::string studentName(const std::string& studentId);
    store::Result<domain::Progress> progress(const std::string& studentId);

private:
    std::optional<std::string> saveCatalogue(std::string_view jsonText, bool share);
    using Step = std::function<std::optional<domain::Refusal>(domain::WorkEntry&)>;
    ActionResult apply(const std::string& entryId, const std::string& expectedStudent, const std::string& actor, const std::string& kind,
                       const std::string& payload, const Step& step, bool createIfMissing, const std::string& studentForNew);

    store::Store& m_store;
    domain::Clock m_clock;
    SecurityService& m_security;
    void useCatalogue(store::CatalogueDocument document, std::string text);
    mutable std::mutex m_catalogueMutex;  // m_catalogue is read by the render thread
    std::shared_ptr<const store::CatalogueDocument> m_catalogue;
    std::string m_catalogueText;  // what m_catalogue was read from
    std::function<void()> m_onCommitted;
};

} // namespace kiosk::service

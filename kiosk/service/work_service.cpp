#include "kiosk/service/work_service.hpp"

#include "kiosk/store/roster_facts.hpp"

#include "kiosk/service/projections.hpp"
#include "kiosk/store/audit_log.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "sync/outbox/outbox.hpp"
#include "sync/core/files.hpp"

#include <fstream>
#include <sstream>

namespace kiosk::service {

using edsync::sqlite::Transaction;
using nlohmann::json;

WorkService::WorkService(store::Store& store, domain::Clock clock, SecurityService& security)
    : m_store(store), m_clock(std::move(clock)), m_security(security) {}

std::optional<std::string> WorkService::importCatalogue(std::string_view text) { return saveCatalogue(text, true); }

std::optional<std::string> WorkService::saveCatalogue(std::string_view text, bool share) {
    auto loaded = store::parseCatalogue(text);
    if (!loaded.document) return "task catalogue: " + loaded.error;
    auto& db = m_store.db();
    auto tx = Transaction::begin(db);
    if (!tx) return tx.error().describe();
    if (auto s = store::saveCatalogue(db, text); !s) return s.error().describe();
    if (share && m_store.rosterShare()) {
        store::RosterChange change;
        change.catalogue = std::string(text);
        if (auto s = m_store.rosterShare()(db, change); !s) return s.error().describe();
    }
    if (auto s = tx->commit(); !s) return s.error().describe();
    useCatalogue(std::move(*loaded.document), std::string(text));
    return std::nullopt;
}

void WorkService::useCatalogue(store::CatalogueDocument document, std::string text) {
    auto next = std::make_shared<const store::CatalogueDocument>(std::move(document));
    std::lock_guard lock(m_catalogueMutex);
    m_catalogue = std::move(next);
    m_catalogueText = std::move(text);
}

std::shared_ptr<const store::CatalogueDocument> WorkService::catalogue() const {
    std::lock_guard lock(m_catalogueMutex);
    return m_catalogue;
}

void WorkService::refreshCatalogue() {
    auto saved = store::savedCatalogue(m_store.db());
    if (!saved || !*saved) return;
    {
        std::lock_guard lock(m_catalogueMutex);
        if (**saved == m_catalogueText) return;
    }
    auto loaded = store::parseCatalogue(**saved);
    if (!loaded.document) return;  // what was there stays in use
    useCatalogue(std::move(*loaded.document), std::move(**saved));
}

std::optional<std::string> WorkService::loadCatalogue(const std::filesystem::path& defaultFile) {
    auto saved = store::savedCatalogue(m_store.db());
    if (!saved) return saved.error().describe();
    if (*saved) {
        auto loaded = store::parseCatalogue(**saved);
        if (loaded.document) {
            useCatalogue(std::move(*loaded.document), std::move(**saved));
            return std::nullopt;
        }
    }
    auto text = edsync::files::readBounded(defaultFile, {.maxBytes = 4u << 20, .magic = {}, .jsonObject = true});
    if (!text) return "no task catalogue: " + text.error();
    // The shipped default: not shared (it must not override a catalogue the site imported elsewhere).
    return saveCatalogue(text.value(), false);
}

ActionResult WorkService::apply(const std::string& entryId, const std::string& expectedStudent, const std::string& actor,
                                const std::string& kind, const std::string& payload, const Step& step, bool createIfMissing,
                                const std::string& studentForNew) {
    auto catalogue = this->catalogue();
    if (!catalogue) return ActionResult::refused("No task catalogue is loaded on this kiosk.");
    auto& db = m_store.db();
    auto tx = Transaction::begin(db);
    if (!tx) return ActionResult::failed(tx.error().describe());
    domain::Timestamp now = m_clock();
    domain::WorkEntry entry;
    auto found = entryId.empty() ? store::Result<std::optional<domain::WorkEntry>>(std::optional<domain::WorkEntry>{})
                                 : store::findWorkEntry(db, entryId);
    if (!found) return ActionResult::failed(found.error().describe());
    if (*found) {
        entry = **found;
        if (!expectedStudent.empty() && entry.studentId != expectedStudent) return ActionResult::refused("That entry belongs to another student.");
    } else if (createIfMissing) {
        auto student = store::findStudent(db, studentForNew);
        if (!student || !*student) return ActionResult::refused("That student is not on this kiosk.");
        entry.entryId = store::uuidV7(now);
        entry.studentId = studentForNew;
    } else {
        return ActionResult::refused("That entry is not on this kiosk.");
    }
    if (auto refusal = step(entry)) return ActionResult::refused(*refusal);

    auto seq = m_store.nextSeq();
    if (!seq) return ActionResult::failed(seq.error().describe());
    store::WorkEventRecord ev{store::uuidV7(now), *seq, entry.entryId, entry.studentId, kind, actor, now, payload, m_store.kioskId(),
                              m_store.nextHlc(now.time_since_epoch().count())};
    if (auto s = store::appendWorkEvent(db, m_store.kioskId(), ev); !s) return ActionResult::failed(s.error().describe());
    if (auto s = m_store.shareWorkFact(ev.eventId); !s) return ActionResult::failed(s.error().describe());
    // The entry and the day's record are folded from every machine's events for it.
    if (auto problem = rebuildWorkEntry(m_store, *catalogue, entry.entryId, *seq)) return ActionResult::refused(*problem);
    if (kind == "approved" || kind == "sent_back" || kind == "rejected" || kind == "submitted" || kind == "discarded")
        if (auto s = store::appendAudit(m_store, now, actor, "work." + kind, json{{"entry", entry.entryId}}.dump()); !s)
            return ActionResult::failed(s.error().describe());
    if (auto s = tx->commit(); !s) return ActionResult::failed(s.error().describe());
    if (m_onCommitted) m_onCommitted();
    return ActionResult::ok(entry.entryId);
}

ActionResult WorkService::saveDraft(const std::string& studentId, const std::string& entryId, const domain::EntryFields& fields) {
    json payload{{"taskId", fields.taskId}, {"date", fields.date}, {"minutes", fields.minutes}, {"place", fields.place},
                 {"reflection", fields.reflection}};
    return apply(entryId, studentId, "student:" + studentId, "draft_saved", payload.dump(),
                 [&](domain::WorkEntry& e) { return domain::saveDraft(e, fields, catalogue()->catalogue); }, true, studentId);
}

ActionResult WorkService::submit(const std::string& studentId, const std::string& entryId) {
    domain::Timestamp now = m_clock();
    return apply(entryId, studentId, "student:" + studentId, "submitted", "{}",
                 [&](domain::WorkEntry& e) { return domain::submit(e, catalogue()->catalogue, now); }, false, {});
}

ActionResult WorkService::discard(const std::string& studentId, const std::string& entryId) {
    return apply(entryId, studentId, "student:" + studentId, "discarded", "{}", [](domain::WorkEntry& e) { return domain::discard(e); }, false, {});
}

ActionResult WorkService::review(const std::string& entryId, Review decision, const std::string& proctorId, const std::string& pin,
                                 const std::string& comment) {
    // The PIN check commits on its own, so a failure counts even when the review does not happen.
    auto pinCheck = m_security.checkProctorPin(proctorId, pin, "verify");
    if (!pinCheck.ok)
        return ActionResult::refused(pinCheck.sentence.pattern.empty() ? domain::refuse(pinCheck.message) : domain::Refusal{pinCheck.message, pinCheck.sentence});
    domain::Timestamp now = m_clock();
    std::string kind = decision == Review::Approve ? "approved" : decision == Review::SendBack ? "sent_back" : "rejected";
    json payload{{"comment", comment}};
    // The state's id of the reviewer travels with the review (every machine of the site folds the same record).
    if (auto staff = m_security.proctorStaffId(proctorId); !staff.empty()) payload["staffUniqueId"] = staff;
    return apply(entryId, {}, "proctor:" + proctorId, kind, payload.dump(),
                 [&](domain::WorkEntry& e) {
                     switch (decision) {
                     case Review::Approve: return domain::approve(e, proctorId, now);
                     case Review::SendBack: return domain::sendBack(e, proctorId, comment, now);
                     case Review::Reject: return domain::reject(e, proctorId, comment, now);
                     }
                     return std::optional<domain::Refusal>{};
                 },
                 false, {});
}

store::Result<std::vector<domain::WorkEntry>> WorkService::entries(const std::string& studentId) {
    return store::workEntriesForStudent(m_store.db(), studentId);
}

store::Result<std::vector<domain::WorkEntry>> WorkService::awaitingReview() {
    return store::workEntriesWithStatus(m_store.db(), domain::EntryStatus::Submitted);
}

std::string WorkService::studentName(const std::string& studentId) {
    auto s = store::findStudent(m_store.db(), studentId);
    if (!s || !*s) return {};
    return (*s)->firstName + " " + (*s)->lastSurname;
}

store::Result<domain::Progress> WorkService::progress(const std::string& studentId) {
    auto list = store::workEntriesForStudent(m_store.db(), studentId);
    if (!list) return edsync::fail(list.error());
    auto catalogue = this->catalogue();
    if (!catalogue) return domain::Progress{};
    return domain::progressOf(*list, catalogue->catalogue);
}

} // namespace kiosk::service

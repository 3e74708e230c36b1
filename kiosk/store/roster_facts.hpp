#pragma once
// The roster as it travels on the site log (docs/architecture.md, "One site,
// many machines"): what one machine imports from a file or downloads from
// the state (sessions, students, registrations, withdrawals, grades, and the
// students' sign-in factors) reaches every machine of the site, so a student
// signs in on whichever seat is free and the state is read once per site.
//
// A change is cut into facts of at most kMaxRosterFactBytes, each stamped
// with one hybrid logical clock. Each row remembers the stamp of the change
// that last wrote it here (`roster_stamp`): a change applies to a row only
// when it is newer, so an old import that reaches a kiosk late undoes
// nothing, and every kiosk ends with the same roster whatever the order.
//
// Sign-in factors never travel in the clear: the hash (the same Argon2id the
// kiosk stores) goes sealed with a key derived from the site key, so the
// hub's copy of the log alone gives no birth date and no PIN away; each kiosk
// seals it again with its own credential key.
#include "kiosk/store/records.hpp"
#include "kiosk/store/roster_import.hpp"
#include "kiosk/store/site_facts.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::store {

struct RosterPair {
    std::string sessionId;
    std::string studentUniqueId;
};
struct RosterGrade {
    std::string studentUniqueId;
    std::string gradeLevel;
};
struct SharedCredential {
    std::string kind;     // credentialKindCode
    std::string subject;  // the student (or proctor) it belongs to
    std::string sealed;   // the hash, sealed with the site's key
};

struct ProctorRow {
    std::string proctorId;
    std::string name;
    std::string staffUniqueId;  // "" keeps the one on file
};

struct RosterChange {
    RosterData rows;
    std::vector<ProctorRow> proctors;  // students carry no birth date: their factors are `credentials`
    std::vector<RosterPair> withdrawn;
    std::vector<RosterGrade> grades;
    // Whose sign-in factor changed (kind code, subject): read from the store
    // and sealed for the site when shared.
    std::vector<std::pair<std::string, std::string>> credentialSubjects;
    std::vector<SharedCredential> credentials;  // filled when shared, read when received
    std::optional<std::string> catalogue;       // the task catalogue's text, imported here: whole, in one fact (the default is ~2 KiB)
    std::vector<std::pair<std::string, std::string>> descriptors;  // kiosk URI -> the state's (descriptor_map.hpp)
    bool empty() const;
};

// The change a written RosterData makes: its rows, and the birth date of
// each student that had one as a credential to share.
RosterChange rosterChangeOf(const RosterData& data);

inline constexpr std::size_t kMaxRosterFactBytes = 48 * 1024;

// How a change leaves this kiosk: with the hub's fact sink, this kiosk's
// ids, a stamp from its clock, and the site's sealing key (none: sign-in
// factors stay here).
struct RosterShareContext {
    std::string kioskId;
    std::string siteId;
    std::string hlc;
    const Database::SealingKey* siteSeal = nullptr;
    const std::function<Status(Database&, const SiteFact&)>* sink = nullptr;
};
// Within the writer's transaction: stamps the change's rows and publishes it.
Status shareRosterChange(Database& db, const RosterChange& change, const RosterShareContext& ctx);

// What imports and the state's download call with each change they write,
// inside their transaction (Store::setRosterShare, the pull's sink).
using RosterShare = std::function<Status(Database&, const RosterChange&)>;
struct RosterShareSetup {
    std::string kioskId;
    std::string siteId;
    std::optional<Database::SealingKey> siteSeal;
    std::function<Status(Database&, const SiteFact&)> sink;
};
// Stamps each change with its own clock, above every stamp the store holds
// (so a change made here after one received sorts after it); thread-safe.
RosterShare makeRosterShare(RosterShareSetup setup);

// The facts for a change, each below kMaxRosterFactBytes (pure; tested).
std::vector<SiteFact> rosterFacts(const RosterChange& change, const RosterShareContext& ctx, const std::string& eventIdPrefix);

struct DecodedRoster {
    bool isRoster = false;  // the payload says it is a roster fact
    std::string eventId;
    std::string kioskId;
    std::string hlc;
    std::string rosterJson;  // the Ed-Fi shaped rows, validated when applied
    std::vector<RosterPair> withdrawn;
    std::vector<RosterGrade> grades;
    std::vector<ProctorRow> proctors;
    std::vector<SharedCredential> credentials;
    std::optional<std::string> catalogue;
    std::vector<std::pair<std::string, std::string>> descriptors;
    std::string error;  // isRoster and malformed
};
DecodedRoster decodeRosterFact(std::string_view payload);

struct RosterApplied {
    enum class What { Applied, Waiting, Refused } what = What::Applied;
    std::string detail;  // no personal data
};
// Applies a received change (within the caller's transaction): rows newer
// than what this kiosk holds (again: nothing changes). Registrations whose
// session or student has not arrived yet make it wait (parked by the caller).
Result<RosterApplied> applyRosterFact(Database& db, const DecodedRoster& fact, const Database::SealingKey* siteSeal);

} // namespace kiosk::store

#include "kiosk/store/roster_facts.hpp"

#include "kiosk/store/credentials.hpp"
#include "kiosk/store/descriptor_map.hpp"
#include "kiosk/store/ids.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/store/work_repo.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>

namespace kiosk::store {

using edsync::fail;
using nlohmann::json;

namespace {

constexpr int kRosterFactVersion = 1;
constexpr std::size_t kMaxId = 200;

// The kinds of row a stamp is kept for.
constexpr std::string_view kSessionRow = "session";
constexpr std::string_view kStudentRow = "student";
constexpr std::string_view kRegistrationRow = "registration";
constexpr std::string_view kGradeRow = "grade";
constexpr std::string_view kProctorRow = "proctor";
constexpr std::string_view kCatalogueRow = "catalogue";
constexpr std::string_view kDescriptorRow = "descriptor";

std::string pairKey(std::string_view session, std::string_view student) {
    std::string key(session);
    key += '\x1f';  // a separator no identifier carries (the parser refuses control characters)
    key += student;
    return key;
}

std::string credentialContext(std::string_view kind, std::string_view subject) {
    return "tsk-site-credential:" + std::string(kind) + ":" + std::string(subject);
}

// Ed-Fi shapes, as a roster file has them, so a received change passes the
// same validation as an import (roster_import.hpp).
json sessionJson(const SessionInfo& s) {
    json ext{{"title", s.title},
             {"room", s.room},
             {"startTime", domain::formatUtc(s.scheduledStart)},
             {"lateAfterMinutes", s.lateAfterMinutes},
             {"noShowAfterMinutes", s.noShowAfterMinutes}};
    if (s.schoolId) ext["schoolId"] = *s.schoolId;
    return json{{"administrationIdentifier", s.sessionId},
                {"assessmentReference", {{"assessmentIdentifier", s.assessmentIdentifier}, {"namespace", s.assessmentNamespace}}},
                {"assigningEducationOrganizationReference", {{"educationOrganizationId", s.assigningEdOrgId}}},
                {"_ext", {{"testsite", ext}}}};
}

json studentJson(const Student& s) {
    json j{{"studentUniqueId", s.studentUniqueId}, {"firstName", s.firstName}, {"lastSurname", s.lastSurname}};
    if (!s.middleName.empty()) j["middleName"] = s.middleName;
    if (!s.gradeLevel.empty()) j["gradeLevel"] = s.gradeLevel;
    return j;
}

json registrationJson(const Registration& r) {
    json acc = json::array();
    for (const auto& a : r.scheduledAccommodations) acc.push_back({{"accommodationDescriptor", a}});
    return json{{"assessmentAdministrationReference", {{"administrationIdentifier", r.sessionId}}},
                {"studentSchoolAssociationReference", {{"studentUniqueId", r.studentUniqueId}}},
                {"assessmentAccommodations", acc}};
}

bool plainText(const json& j, const char* key, std::string& out, std::size_t max) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    if (out.empty() || out.size() > max) return false;
    for (unsigned char c : out)
        if (c < 0x20 || c == 0x7f) return false;
    return true;
}

// The stamp of the change that last wrote a row here ("" when none did).
Result<std::string> stampOf(Database& db, std::string_view kind, std::string_view key) {
    auto stmt = db.prepare("SELECT hlc FROM roster_stamp WHERE kind = ?1 AND key = ?2;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, kind).bind(2, key);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    return *row ? stmt->getText(0) : std::string();
}

Status stamp(Database& db, std::string_view kind, std::string_view key, std::string_view hlc) {
    auto stmt = db.prepare(
        "INSERT INTO roster_stamp (kind, key, hlc) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (kind, key) DO UPDATE SET hlc = max(hlc, excluded.hlc);");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, kind).bind(2, key).bind(3, hlc);
    return stmt->run();
}

// Whether a change stamped `hlc` is newer than what wrote the row here; if
// so the row is stamped with it (the caller then writes the row).
Result<bool> claimRow(Database& db, std::string_view kind, std::string_view key, std::string_view hlc) {
    auto known = stampOf(db, kind, key);
    if (!known) return fail(known.error());
    // HLC text is fixed-width: text order is clock order.
    if (!known->empty() && *known >= hlc) return false;
    if (auto s = stamp(db, kind, key, hlc); !s) return fail(s.error());
    return true;
}

std::string credentialRow(std::string_view kind) { return "credential:" + std::string(kind); }

} // namespace

bool RosterChange::empty() const {
    return rows.sessions.empty() && rows.students.empty() && rows.registrations.empty() && proctors.empty() && withdrawn.empty() && grades.empty() &&
           credentialSubjects.empty() && credentials.empty() && !catalogue && descriptors.empty();
}

RosterChange rosterChangeOf(const RosterData& data) {
    RosterChange c;
    c.rows = data;
    for (auto& s : c.rows.students) {
        if (!s.birthDate.empty()) c.credentialSubjects.emplace_back(std::string(credentialKindCode(CredentialKind::StudentBirthDate)), s.studentUniqueId);
        s.birthDate.clear();
    }
    return c;
}

std::vector<SiteFact> rosterFacts(const RosterChange& change, const RosterShareContext& ctx, const std::string& eventIdPrefix) {
    std::vector<SiteFact> facts;
    json current;
    std::size_t size = 0;
    auto start = [&] {
        current = json{{"v", kRosterFactVersion}, {"fact", "roster"}, {"kiosk", ctx.kioskId}, {"site", ctx.siteId}, {"hlc", ctx.hlc}};
        size = current.dump().size() + 160;  // the event id and the lists' own syntax
    };
    auto flush = [&] {
        if (size == 0) return;
        char index[16];
        std::snprintf(index, sizeof index, "-%05zu", facts.size());  // text order is the order of the cut
        const std::string id = eventIdPrefix + index;
        current["eventId"] = id;
        facts.push_back(SiteFact{FactType::Roster, id, std::string(factSubject(FactType::Roster)), current.dump()});
        size = 0;
    };
    // Adds one item to the list at `path`, starting a new fact when this one is full.
    auto add = [&](const char* group, const char* list, json item) {
        const std::size_t bytes = item.dump().size() + 1;
        if (size == 0 || size + bytes > kMaxRosterFactBytes) {
            flush();
            start();
        }
        json& target = group ? current[group][list] : current[list];
        target.push_back(std::move(item));
        size += bytes;
    };
    // References first: a registration's session and student travel before it.
    for (const auto& s : change.rows.sessions) add("roster", "assessmentAdministrations", sessionJson(s));
    for (const auto& s : change.rows.students) add("roster", "students", studentJson(s));
    for (const auto& r : change.rows.registrations) add("roster", "studentAssessmentRegistrations", registrationJson(r));
    for (const auto& w : change.withdrawn) add(nullptr, "withdrawn", json{{"session", w.sessionId}, {"student", w.studentUniqueId}});
    for (const auto& g : change.grades) add(nullptr, "grades", json{{"student", g.studentUniqueId}, {"grade", g.gradeLevel}});
    for (const auto& p : change.proctors) add(nullptr, "proctors", json{{"id", p.proctorId}, {"name", p.name}, {"staffId", p.staffUniqueId}});
    for (const auto& [kiosk, state] : change.descriptors) add(nullptr, "descriptors", json{{"kiosk", kiosk}, {"state", state}});
    for (const auto& c : change.credentials) add(nullptr, "credentials", json{{"kind", c.kind}, {"subject", c.subject}, {"sealed", c.sealed}});
    flush();
    if (change.catalogue) {
        // Whole, in a fact of its own (shareRosterChange checked its size).
        start();
        current["catalogue"] = *change.catalogue;
        flush();
    }
    return facts;
}

Status shareRosterChange(Database& db, const RosterChange& change, const RosterShareContext& ctx) {
    if (change.empty()) return {};
    for (const auto& s : change.rows.sessions)
        if (auto st = stamp(db, kSessionRow, s.sessionId, ctx.hlc); !st) return st;
    for (const auto& s : change.rows.students)
        if (auto st = stamp(db, kStudentRow, s.studentUniqueId, ctx.hlc); !st) return st;
    for (const auto& r : change.rows.registrations)
        if (auto st = stamp(db, kRegistrationRow, pairKey(r.sessionId, r.studentUniqueId), ctx.hlc); !st) return st;
    for (const auto& w : change.withdrawn)
        if (auto st = stamp(db, kRegistrationRow, pairKey(w.sessionId, w.studentUniqueId), ctx.hlc); !st) return st;
    for (const auto& g : change.grades)
        if (auto st = stamp(db, kGradeRow, g.studentUniqueId, ctx.hlc); !st) return st;
    for (const auto& p : change.proctors)
        if (auto st = stamp(db, kProctorRow, p.proctorId, ctx.hlc); !st) return st;
    if (change.catalogue)
        if (auto st = stamp(db, kCatalogueRow, "site", ctx.hlc); !st) return st;
    for (const auto& d : change.descriptors)
        if (auto st = stamp(db, kDescriptorRow, d.first, ctx.hlc); !st) return st;
    RosterChange out = change;
    for (const auto& [kind, subject] : change.credentialSubjects) {
        if (auto st = stamp(db, credentialRow(kind), subject, ctx.hlc); !st) return st;
        auto parsedKind = credentialKindFromCode(kind);
        if (!ctx.siteSeal || !parsedKind) continue;  // without the site's key a factor stays on this machine
        auto hash = credentialHash(db, *parsedKind, subject);
        if (!hash) return fail(hash.error());
        if (!*hash) continue;
        auto sealed = sealValue(*ctx.siteSeal, credentialContext(kind, subject), **hash);
        if (!sealed) continue;
        out.credentials.push_back({kind, subject, std::move(*sealed)});
    }
    if (!ctx.sink || !*ctx.sink) return {};
    auto facts = rosterFacts(out, ctx, uuidV7(systemNow()));
    for (const auto& fact : facts)
        if (fact.json.size() > kMaxFactBytes) {
            // Only a catalogue can be this large (rows are cut to fit): the caller's import fails whole.
            Error e;
            e.code = 1;
            e.message = "the task catalogue is too large to go to the site's other machines (over " +
                        std::to_string(kMaxFactBytes / 1024) + " KiB as a site fact); it was not imported";
            return fail(e);
        }
    for (const auto& fact : facts)
        if (auto s = (*ctx.sink)(db, fact); !s) return s;
    return {};
}

RosterShare makeRosterShare(RosterShareSetup setup) {
    struct ShareClock {
        std::mutex mutex;
        domain::HlcClock hlc;
    };
    auto shared = std::make_shared<RosterShareSetup>(std::move(setup));
    auto clock = std::make_shared<ShareClock>();
    return [shared, clock](Database& db, const RosterChange& change) -> Status {
        if (change.empty()) return {};
        auto top = db.prepare("SELECT max(hlc) FROM roster_stamp;");
        if (!top) return fail(top.error());
        auto row = top->step();
        if (!row) return fail(row.error());
        const domain::Hlc floor = domain::parseHlc(top->getOptionalText(0).value_or("")).value_or(domain::Hlc{});
        const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(systemNow().time_since_epoch()).count();
        RosterShareContext ctx;
        {
            std::lock_guard lock(clock->mutex);
            ctx.hlc = domain::encodeHlc(clock->hlc.tickAbove(std::clamp<std::int64_t>(now, 0, domain::kHlcMaxWallMs), floor));
        }
        ctx.kioskId = shared->kioskId;
        ctx.siteId = shared->siteId;
        ctx.siteSeal = shared->siteSeal ? &*shared->siteSeal : nullptr;
        ctx.sink = &shared->sink;
        return shareRosterChange(db, change, ctx);
    };
}

DecodedRoster decodeRosterFact(std::string_view payload) {
    DecodedRoster d;
    if (payload.size() > kMaxFactBytes) return d;
    json j = json::parse(payload, nullptr, false);
    if (!j.is_object()) return d;
    auto type = j.find("fact");
    if (type == j.end() || !type->is_string() || *type != "roster") return d;
    d.isRoster = true;
    auto v = j.find("v");
    if (v == j.end() || !v->is_number_integer() || v->get<int>() != kRosterFactVersion) {
        d.error = "roster fact of an unknown version";
        return d;
    }
    if (!plainText(j, "eventId", d.eventId, 64) || !plainText(j, "kiosk", d.kioskId, 64) || !plainText(j, "hlc", d.hlc, 40) ||
        !domain::parseHlc(d.hlc)) {
        d.error = "roster fact with a missing or malformed id or clock";
        return d;
    }
    if (auto roster = j.find("roster"); roster != j.end()) {
        if (!roster->is_object()) {
            d.error = "roster fact whose rows are not an object";
            return d;
        }
        d.rosterJson = roster->dump();
    }
    auto list = [&](const char* key) -> const json* {
        auto it = j.find(key);
        if (it == j.end()) return nullptr;
        return it->is_array() ? &*it : nullptr;
    };
    for (const char* key : {"withdrawn", "grades", "proctors", "credentials", "descriptors"})
        if (j.contains(key) && !list(key)) {
            d.error = std::string("roster fact whose ") + key + " is not a list";
            return d;
        }
    if (const json* w = list("withdrawn"))
        for (const auto& item : *w) {
            RosterPair p;
            if (!item.is_object() || !plainText(item, "session", p.sessionId, kMaxId) || !plainText(item, "student", p.studentUniqueId, kMaxId)) {
                d.error = "roster fact with a malformed withdrawal";
                return d;
            }
            d.withdrawn.push_back(std::move(p));
        }
    if (const json* g = list("grades"))
        for (const auto& item : *g) {
            RosterGrade grade;
            if (!item.is_object() || !plainText(item, "student", grade.studentUniqueId, kMaxId) ||
                !plainText(item, "grade", grade.gradeLevel, 40)) {
                d.error = "roster fact with a malformed grade";
                return d;
            }
            d.grades.push_back(std::move(grade));
        }
    if (auto cat = j.find("catalogue"); cat != j.end()) {
        if (!cat->is_string()) {
            d.error = "roster fact whose catalogue is not text";
            return d;
        }
        d.catalogue = cat->get<std::string>();  // parsed as a catalogue when applied
    }
    if (const json* list_ = list("descriptors"))
        for (const auto& item : *list_) {
            std::string kiosk, state;
            if (!item.is_object() || !plainText(item, "kiosk", kiosk, 300) || !plainText(item, "state", state, 300)) {
                d.error = "roster fact with a malformed descriptor";
                return d;
            }
            d.descriptors.emplace_back(std::move(kiosk), std::move(state));
        }
    if (const json* p = list("proctors"))
        for (const auto& item : *p) {
            ProctorRow row;
            if (!item.is_object() || !plainText(item, "id", row.proctorId, 32) || !plainText(item, "name", row.name, 120)) {
                d.error = "roster fact with a malformed proctor";
                return d;
            }
            if (auto staff = item.find("staffId"); staff != item.end()) {
                if (!staff->is_string() || staff->get_ref<const std::string&>().size() > 32) {
                    d.error = "roster fact with a malformed proctor";
                    return d;
                }
                row.staffUniqueId = staff->get<std::string>();
            }
            d.proctors.push_back(std::move(row));
        }
    if (const json* c = list("credentials"))
        for (const auto& item : *c) {
            SharedCredential cred;
            if (!item.is_object() || !plainText(item, "kind", cred.kind, 40) || !credentialKindFromCode(cred.kind) ||
                !plainText(item, "subject", cred.subject, kMaxId) || !plainText(item, "sealed", cred.sealed, 1024)) {
                d.error = "roster fact with a malformed sign-in factor";
                return d;
            }
            d.credentials.push_back(std::move(cred));
        }
    return d;
}

Result<RosterApplied> applyRosterFact(Database& db, const DecodedRoster& fact, const Database::SealingKey* siteSeal) {
    RosterData rows;
    if (!fact.rosterJson.empty()) {
        json root = json::parse(fact.rosterJson, nullptr, false);
        ImportReport report = parseRosterDocument(root, rows, &db);
        if (!report.ok()) return RosterApplied{RosterApplied::What::Refused, report.fileError};
        for (const auto& p : report.problems) {
            // A registration whose student or session is still on its way waits
            // for it; anything else in the rows is malformed.
            if (p.where.rfind("$.studentAssessmentRegistrations", 0) == 0 && p.message.find("not in the file or the kiosk") != std::string::npos)
                return RosterApplied{RosterApplied::What::Waiting, "roster"};
            return RosterApplied{RosterApplied::What::Refused, "roster rows refused at " + p.where};
        }
    }
    if (fact.catalogue) {
        auto loaded = parseCatalogue(*fact.catalogue);
        if (!loaded.document) return RosterApplied{RosterApplied::What::Refused, "task catalogue: " + loaded.error};
    }
    // Every factor opens, or nothing is written.
    std::vector<std::string> hashes;
    for (const auto& c : fact.credentials) {
        if (!siteSeal) break;  // without the site's key none can be opened: the factors stay where they were set
        auto hash = openValue(*siteSeal, credentialContext(c.kind, c.subject), c.sealed);
        if (!hash) return RosterApplied{RosterApplied::What::Refused, "a sign-in factor sealed with another site's key"};
        hashes.push_back(std::move(*hash));
    }
    const std::string& hlc = fact.hlc;
    for (const auto& s : rows.sessions) {
        auto mine = claimRow(db, kSessionRow, s.sessionId, hlc);
        if (!mine) return fail(mine.error());
        if (*mine)
            if (auto st = upsertSession(db, s); !st) return fail(st.error());
    }
    for (const auto& s : rows.students) {
        auto mine = claimRow(db, kStudentRow, s.studentUniqueId, hlc);
        if (!mine) return fail(mine.error());
        if (!*mine) continue;
        Student stored = s;
        stored.birthDate.clear();
        if (auto st = upsertStudent(db, stored); !st) return fail(st.error());
    }
    for (const auto& r : rows.registrations) {
        auto mine = claimRow(db, kRegistrationRow, pairKey(r.sessionId, r.studentUniqueId), hlc);
        if (!mine) return fail(mine.error());
        if (*mine)
            if (auto st = upsertRegistration(db, r); !st) return fail(st.error());
    }
    for (const auto& w : fact.withdrawn) {
        auto mine = claimRow(db, kRegistrationRow, pairKey(w.sessionId, w.studentUniqueId), hlc);
        if (!mine) return fail(mine.error());
        if (*mine)
            if (auto st = withdrawRegistration(db, w.sessionId, w.studentUniqueId); !st) return fail(st.error());
    }
    for (const auto& g : fact.grades) {
        auto mine = claimRow(db, kGradeRow, g.studentUniqueId, hlc);
        if (!mine) return fail(mine.error());
        if (*mine)
            if (auto st = setStudentGrade(db, g.studentUniqueId, g.gradeLevel); !st) return fail(st.error());
    }
    if (fact.catalogue) {
        auto mine = claimRow(db, kCatalogueRow, "site", hlc);
        if (!mine) return fail(mine.error());
        if (*mine)
            if (auto st = saveCatalogue(db, *fact.catalogue); !st) return fail(st.error());
    }
    for (const auto& [kiosk, state] : fact.descriptors) {
        auto mine = claimRow(db, kDescriptorRow, kiosk, hlc);
        if (!mine) return fail(mine.error());
        if (*mine)
            if (auto st = setDescriptorMapping(db, kiosk, state); !st) return fail(st.error());
    }
    for (const auto& p : fact.proctors) {
        auto mine = claimRow(db, kProctorRow, p.proctorId, hlc);
        if (!mine) return fail(mine.error());
        if (*mine)
            if (auto st = upsertProctor(db, p.proctorId, p.name, p.staffUniqueId); !st) return fail(st.error());
    }
    for (std::size_t i = 0; i < hashes.size(); ++i) {
        const SharedCredential& c = fact.credentials[i];
        auto mine = claimRow(db, credentialRow(c.kind), c.subject, hlc);
        if (!mine) return fail(mine.error());
        if (*mine)
            if (auto st = putCredentialHash(db, *credentialKindFromCode(c.kind), c.subject, hashes[i], systemNow()); !st) return fail(st.error());
    }
    return RosterApplied{};
}

} // namespace kiosk::store

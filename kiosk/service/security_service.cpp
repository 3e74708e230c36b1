#include "kiosk/service/security_service.hpp"

#include "kiosk/domain/text_fold.hpp"
#include "kiosk/store/audit_log.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/roster_facts.hpp"
#include "kiosk/store/roster_repo.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace kiosk::service {

using edsync::sqlite::Transaction;
using nlohmann::json;

std::optional<std::string> normaliseBirthDate(std::string_view t) {
    std::string digits;
    for (char c : t)
        if (c >= '0' && c <= '9') digits.push_back(c);
        else if (c != '-' && c != '/' && c != '.' && c != ' ') return std::nullopt;
    std::string iso;
    if (t.size() == 10 && t[4] == '-') iso = std::string(t);  // YYYY-MM-DD
    else if (digits.size() == 8) iso = digits.substr(4, 4) + "-" + digits.substr(0, 2) + "-" + digits.substr(2, 2);  // US order
    else return std::nullopt;
    if (!domain::parseIso8601(iso)) return std::nullopt;
    return iso;
}

std::optional<DemoSignIns> SecurityService::demoSignIns() {
    if (!store::demoCredentialsHold(m_store.db())) return std::nullopt;
    return DemoSignIns{std::string(store::kDemoProctorId), std::string(store::kDemoProctorPin), std::string(store::kDemoStudentId),
                       std::string(store::kDemoStudentBirthDate)};
}

SecondFactor SecurityService::secondFactor() {
    auto v = store::getMeta(m_store.db(), "second_factor");
    return v && *v && **v == "pin" ? SecondFactor::Pin : SecondFactor::BirthDate;
}

store::Status SecurityService::setSecondFactor(SecondFactor f) {
    return store::setMeta(m_store.db(), "second_factor", f == SecondFactor::Pin ? "pin" : "birth_date");
}

SecurityService::BirthDateCheck SecurityService::checkBirthDate(const std::string& proctor, const std::string& studentId,
                                                                const std::string& isoDate) {
    auto date = normaliseBirthDate(isoDate);
    if (!date) return BirthDateCheck::NotADate;
    auto tx = Transaction::begin(m_store.db());
    if (!tx) return BirthDateCheck::NotRecorded;
    auto matches = store::credentialMatches(m_store.db(), store::CredentialKind::StudentBirthDate, studentId, *date);
    if (!matches) return BirthDateCheck::NotRecorded;
    BirthDateCheck out = !*matches ? BirthDateCheck::NotOnFile : **matches ? BirthDateCheck::Matches : BirthDateCheck::DoesNotMatch;
    const char* said = out == BirthDateCheck::Matches ? "matches" : out == BirthDateCheck::DoesNotMatch ? "does_not_match" : "not_on_file";
    // The student's id and the outcome only: never the date.
    if (auto a = store::appendAudit(m_store, m_clock(), "proctor:" + proctor, "student.birth_date_checked",
                                    json{{"student", studentId}, {"outcome", said}}.dump());
        !a)
        return BirthDateCheck::NotRecorded;
    if (auto c = tx->commit(); !c) return BirthDateCheck::NotRecorded;
    return out;
}

store::Status SecurityService::audit(const std::string& actor, const std::string& action, const std::string& detailJson) {
    auto tx = Transaction::begin(m_store.db());
    if (!tx) return edsync::fail(tx.error());
    if (auto a = store::appendAudit(m_store, m_clock(), actor, action, detailJson); !a) return a;
    return tx->commit();
}

namespace {
// An action whose audit entry cannot be written is not done: the words a
// person sees, with the database's reason.
std::string notRecorded(const edsync::sqlite::Error& e) {
    return "This could not be recorded in the audit log, so it was not done (" + e.describe() + ").";
}

// "s100001" is S100001 and "p001" is P001: an ID typed in another case is the
// one stored when exactly one row has it in any case (two that differ only in
// case keep their own spelling). `sql` selects the stored IDs equal to ?1
// COLLATE NOCASE.
std::string storedSpelling(edsync::sqlite::Database& db, const char* sql, std::string typed) {
    if (auto same = db.prepare(sql)) {
        same->bind(1, typed);
        std::vector<std::string> ids;
        while (ids.size() < 2 && same->step().value_or(false)) ids.push_back(same->getText(0));
        if (ids.size() == 1) return ids.front();
    }
    return typed;
}
} // namespace

SignIn SecurityService::signIn(const std::string& typedId, const std::string& secret) {
    SignIn r;
    auto& db = m_store.db();
    // A space typed before or after, or another case, is no other student.
    const std::string studentId = storedSpelling(
        db, "SELECT student_unique_id FROM student WHERE student_unique_id = ?1 COLLATE NOCASE LIMIT 2;", domain::trimSpaces(typedId));
    const std::string generic = "That student ID and " + std::string(secondFactor() == SecondFactor::Pin ? "PIN" : "date of birth") +
                                " do not match. Check them, or ask the proctor.";
    auto tx = Transaction::begin(db);
    if (!tx) {
        r.message = tx.error().describe();
        return r;
    }
    domain::Timestamp now = m_clock();
    SecondFactor factor = secondFactor();
    std::string typed = secret;
    if (factor == SecondFactor::BirthDate) typed = normaliseBirthDate(secret).value_or(secret);
    auto kind = factor == SecondFactor::Pin ? store::CredentialKind::StudentPin : store::CredentialKind::StudentBirthDate;
    auto check = store::checkCredential(db, kind, studentId, typed, now);
    if (!check) {
        r.message = check.error().describe();
        return r;
    }
    std::string actor = "student:" + studentId;
    store::Status audited;
    switch (check->outcome) {
    case store::CheckOutcome::Accepted: {
        auto student = store::findStudent(db, studentId);
        if (!student || !*student) {
            r.message = generic;
            return r;
        }
        auto stmt = db.prepare("SELECT scheduled_accommodations FROM registration WHERE student_unique_id = ?1;");
        std::set<std::string> acc;
        if (stmt) {
            stmt->bind(1, studentId);
            while (stmt->step().value_or(false)) {
                auto list = json::parse(stmt->getText(0), nullptr, false);
                if (list.is_array())
                    for (const auto& a : list)
                        if (a.is_string()) acc.insert(a.get<std::string>());
            }
        }
        r.ok = true;
        r.student = **student;
        r.scheduledAccommodations.assign(acc.begin(), acc.end());
        audited = store::appendAudit(m_store, now, actor, "student.sign_in", "{}");
        break;
    }
    case store::CheckOutcome::Wrong:
        r.message = generic;
        audited = store::appendAudit(m_store, now, actor, "student.sign_in_failed", json{{"failures", check->failures}}.dump());
        break;
    case store::CheckOutcome::LockedOut:
        r.sentence = {"Too many tries. Sign-in for this ID is paused until {time}; ask the proctor.",
                      {{"time", domain::formatClock(*check->lockedUntil, store::localUtcOffsetMinutes(*check->lockedUntil))}}};
        r.message = r.sentence.english();
        audited = store::appendAudit(m_store, now, actor, "student.locked_out",
                                     json{{"failures", check->failures}, {"until", domain::formatUtc(*check->lockedUntil)}}.dump());
        break;
    case store::CheckOutcome::Unknown:
        r.message = generic;
        audited = store::appendAudit(m_store, now, "unknown", "student.sign_in_failed", json{{"reason", "unknown id"}}.dump());
        break;
    }
    if (!audited) {
        // A refused try still counts toward the lock-out (its counter is in
        // this transaction); an accepted one is undone.
        r.message = notRecorded(audited.error());
        r.student.reset();
        r.scheduledAccommodations.clear();
        if (r.ok) {
            r.ok = false;
            return r;
        }
        if (auto s = tx->commit(); !s) r.message = s.error().describe();
        return r;
    }
    if (auto s = tx->commit(); !s) {
        r.ok = false;
        r.message = s.error().describe();
    }
    return r;
}

store::Status SecurityService::signOut(const std::string& studentId, bool timedOut) {
    return audit("student:" + studentId, timedOut ? "student.timed_out" : "student.sign_out", "{}");
}

PinCheck SecurityService::checkProctorPin(const std::string& typedId, const std::string& pin, const std::string& purpose,
                                          const std::string& reason) {
    PinCheck r;
    auto& db = m_store.db();
    auto tx = Transaction::begin(db);
    if (!tx) {
        r.message = tx.error().describe();
        return r;
    }
    const std::string proctorId =
        storedSpelling(db, "SELECT proctor_id FROM proctor WHERE proctor_id = ?1 COLLATE NOCASE LIMIT 2;", domain::trimSpaces(typedId));
    domain::Timestamp now = m_clock();
    auto check = store::checkCredential(db, store::CredentialKind::ProctorPin, proctorId, pin, now);
    if (!check) {
        r.message = check.error().describe();
        return r;
    }
    std::string actor = "proctor:" + proctorId;
    json detail{{"purpose", purpose}};
    if (!reason.empty()) detail["reason"] = reason;
    store::Status audited;
    switch (check->outcome) {
    case store::CheckOutcome::Accepted: {
        r.ok = true;
        r.proctorId = proctorId;
        auto stmt = db.prepare("SELECT name FROM proctor WHERE proctor_id = ?1 AND active = 1;");
        if (stmt) {
            stmt->bind(1, proctorId);
            if (stmt->step().value_or(false)) r.proctorName = stmt->getText(0);
        }
        audited = store::appendAudit(m_store, now, actor, "proctor." + purpose, detail.dump());
        break;
    }
    case store::CheckOutcome::LockedOut:
        r.sentence = {"This proctor's PIN is locked until {time} after too many wrong tries.",
                      {{"time", domain::formatClock(*check->lockedUntil, store::localUtcOffsetMinutes(*check->lockedUntil))}}};
        r.message = r.sentence.english();
        detail["failures"] = check->failures;
        audited = store::appendAudit(m_store, now, actor, "pin.locked_out", detail.dump());
        break;
    case store::CheckOutcome::Wrong:
    case store::CheckOutcome::Unknown:
        r.message = "Proctor ID or PIN not recognised.";
        detail["failures"] = check->failures;
        audited = store::appendAudit(m_store, now, check->outcome == store::CheckOutcome::Unknown ? "unknown" : actor,
                                     "pin.failure", detail.dump());
        break;
    }
    if (!audited) {
        // A wrong PIN still counts toward the lock-out; an accepted one is undone.
        r.message = notRecorded(audited.error());
        r.proctorName.clear();
        if (r.ok) {
            r.ok = false;
            return r;
        }
        if (auto s = tx->commit(); !s) r.message = s.error().describe();
        return r;
    }
    if (auto s = tx->commit(); !s) {
        r.ok = false;
        r.message = s.error().describe();
    }
    return r;
}

std::string SecurityService::proctorStaffId(const std::string& proctorId) {
    auto stmt = m_store.db().prepare("SELECT staff_unique_id FROM proctor WHERE proctor_id = ?1;");
    if (!stmt) return {};
    stmt->bind(1, proctorId);
    return stmt->step().value_or(false) ? stmt->getText(0) : std::string();
}

ActionResult SecurityService::setProctor(const std::string& proctorId, const std::string& name, const std::string& pin,
                                         const std::string& staffUniqueId) {
    if (proctorId.empty() || proctorId.size() > 32 || name.empty() || name.size() > 120)
        return ActionResult::refused("Give a proctor ID (up to 32 characters) and a name.");
    // Shown on every proctor screen and paper, and sent to other stations:
    // text as a roster's names are (no control characters, valid UTF-8).
    if (!domain::isValidUtf8(proctorId) || !domain::isValidUtf8(name) || domain::hasControlCharacter(proctorId) ||
        domain::hasControlCharacter(name) || proctorId.find(' ') != std::string::npos)
        return ActionResult::refused("A proctor ID has no spaces, and neither it nor the name may hold control characters or invalid UTF-8.");
    if (staffUniqueId.size() > 32 || std::any_of(staffUniqueId.begin(), staffUniqueId.end(), [](char c) { return static_cast<unsigned char>(c) < 0x21; }))
        return ActionResult::refused("A staff ID is up to 32 characters, without spaces.");
    if (!store::validPin(pin)) return ActionResult::refused("A PIN is 4 to 8 digits.");
    auto& db = m_store.db();
    auto tx = Transaction::begin(db);
    if (!tx) return ActionResult::failed(tx.error().describe());
    if (auto s = store::upsertProctor(db, proctorId, name, staffUniqueId); !s) return ActionResult::failed(s.error().describe());
    if (auto s = store::setCredential(db, store::CredentialKind::ProctorPin, proctorId, pin, store::HashCost::Interactive, m_clock()); !s)
        return ActionResult::failed(s.error().describe());
    // The proctor signs in at any station of the site.
    if (m_store.rosterShare()) {
        store::RosterChange change;
        change.proctors.push_back({proctorId, name, staffUniqueId});
        change.credentialSubjects.emplace_back(std::string(store::credentialKindCode(store::CredentialKind::ProctorPin)), proctorId);
        if (auto s = m_store.rosterShare()(db, change); !s) return ActionResult::failed(s.error().describe());
    }
    if (auto s = store::appendAudit(m_store, m_clock(), "technician", "proctor.pin_set", json{{"proctor", proctorId}}.dump()); !s)
        return ActionResult::failed(s.error().describe());
    if (auto s = tx->commit(); !s) return ActionResult::failed(s.error().describe());
    return ActionResult::ok({}, "PIN set for " + proctorId);
}

ActionResult SecurityService::setStudentPin(const std::string& studentId, const std::string& pin) {
    if (!store::validPin(pin)) return ActionResult::refused("A PIN is 4 to 8 digits.");
    auto& db = m_store.db();
    auto tx = Transaction::begin(db);
    if (!tx) return ActionResult::failed(tx.error().describe());
    auto student = store::findStudent(db, studentId);
    if (!student || !*student) return ActionResult::refused("No student with that ID is on this kiosk.");
    if (auto s = store::setCredential(db, store::CredentialKind::StudentPin, studentId, pin, store::HashCost::Bulk, m_clock()); !s)
        return ActionResult::failed(s.error().describe());
    if (m_store.rosterShare()) {
        store::RosterChange change;
        change.credentialSubjects.emplace_back(std::string(store::credentialKindCode(store::CredentialKind::StudentPin)), studentId);
        if (auto s = m_store.rosterShare()(db, change); !s) return ActionResult::failed(s.error().describe());
    }
    if (auto s = store::appendAudit(m_store, m_clock(), "technician", "student.pin_set", "{}"); !s)
        return ActionResult::failed(s.error().describe());
    if (auto s = tx->commit(); !s) return ActionResult::failed(s.error().describe());
    return ActionResult::ok({});
}

store::Result<int> SecurityService::hashBirthDates() {
    auto& db = m_store.db();
    auto tx = Transaction::begin(db);
    if (!tx) return edsync::fail(tx.error());
    auto stmt = db.prepare("SELECT student_unique_id, birth_date FROM student WHERE birth_date <> '';");
    if (!stmt) return edsync::fail(stmt.error());
    std::vector<std::pair<std::string, std::string>> pending;
    for (;;) {
        auto row = stmt->step();
        if (!row) return edsync::fail(row.error());
        if (!*row) break;
        pending.emplace_back(stmt->getText(0), stmt->getText(1));
    }
    domain::Timestamp now = m_clock();
    for (const auto& [id, date] : pending)
        if (auto s = store::setCredential(db, store::CredentialKind::StudentBirthDate, id, date, store::HashCost::Bulk, now); !s)
            return edsync::fail(s.error());
    if (auto s = db.exec("UPDATE student SET birth_date = '' WHERE birth_date <> '';"); !s) return edsync::fail(s.error());
    if (auto s = tx->commit(); !s) return edsync::fail(s.error());
    return static_cast<int>(pending.size());
}

} // namespace kiosk::service

#include "kiosk/store/site_facts.hpp"

#include "kiosk/domain/attendance.hpp"
#include "sync/site/site_config.hpp"

#include <nlohmann/json.hpp>

#include <cassert>
#include <cstdlib>

namespace kiosk::store {

using edsync::fail;
using nlohmann::json;

namespace {

constexpr int kFactVersion = 1;

// Event ids, kiosk ids, session and entry ids: printable, bounded.
bool plainId(const std::string& s, std::size_t max = 200) {
    if (s.empty() || s.size() > max) return false;
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return false;
    return true;
}

bool text(const json& j, const char* key, std::string& out, std::size_t max, bool required = true) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return !required;
    if (!it->is_string()) return false;
    out = it->get<std::string>();
    return out.size() <= max;
}

Result<std::optional<json>> walkInStudent(Database& db, std::string_view studentId) {
    auto stmt = db.prepare(
        "SELECT first_name, middle_name, last_surname, birth_date FROM student WHERE student_unique_id = ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, studentId);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<json>{};
    return std::optional<json>{json{{"studentUniqueId", std::string(studentId)},
                                    {"firstName", stmt->getText(0)},
                                    {"middleName", stmt->getText(1)},
                                    {"lastSurname", stmt->getText(2)},
                                    {"birthDate", stmt->getText(3)}}};
}

Result<bool> exists(Database& db, const char* sql, std::string_view a, std::string_view b = {}) {
    auto stmt = db.prepare(sql);
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, a);
    if (!b.empty()) stmt->bind(2, b);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    return *row;
}

} // namespace

std::string_view factSubject(FactType type) {
    switch (type) {
    case FactType::Attendance: return "att";
    case FactType::Work: return "work";
    case FactType::Ack: return "ack";
    case FactType::Roster: return "roster";
    case FactType::AuditHead: return "audit";
    }
    return "att";
}

Result<SiteFact> attendanceFact(Database& db, std::string_view eventId) {
    auto stmt = db.prepare(
        "SELECT event_id, kiosk_id, site_id, session_id, student_unique_id, kind, proctor, recorded_at, local_utc_offset_min,"
        " payload, corrects_event_id, hlc FROM event WHERE event_id = ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, eventId);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    assert(*row && "the fact is read back inside the transaction that wrote it");
    json j{{"v", kFactVersion},       {"fact", "attendance"},          {"eventId", stmt->getText(0)},
           {"kiosk", stmt->getText(1)}, {"site", stmt->getText(2)},      {"session", stmt->getText(3)},
           {"kind", stmt->getText(5)},  {"proctor", stmt->getText(6)},   {"recordedAt", stmt->getText(7)},
           {"offset", stmt->getInt(8)}, {"hlc", stmt->getText(11)}};
    auto student = stmt->getOptionalText(4);
    if (student) j["student"] = *student;
    j["payload"] = json::parse(stmt->getText(9), nullptr, false);
    if (auto corrects = stmt->getOptionalText(10)) j["corrects"] = *corrects;
    if (student && j["kind"] == domain::eventKindCode(domain::EventKind::WalkInAdded)) {
        // The receiving kiosk has no registration for a walk-in: the fact carries it.
        auto s = walkInStudent(db, *student);
        if (!s) return fail(s.error());
        if (*s) j["walkIn"] = **s;
    }
    return SiteFact{FactType::Attendance, std::string(eventId), std::string(factSubject(FactType::Attendance)), j.dump()};
}

Result<SiteFact> workFact(Database& db, std::string_view eventId) {
    auto stmt = db.prepare(
        "SELECT event_id, kiosk_id, entry_id, student_id, kind, actor, recorded_at, payload, hlc FROM work_event WHERE event_id = ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, eventId);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    assert(*row && "the fact is read back inside the transaction that wrote it");
    json j{{"v", kFactVersion},          {"fact", "work"},           {"eventId", stmt->getText(0)}, {"kiosk", stmt->getText(1)},
           {"entry", stmt->getText(2)},  {"student", stmt->getText(3)}, {"kind", stmt->getText(4)},  {"actor", stmt->getText(5)},
           {"recordedAt", stmt->getText(6)}, {"hlc", stmt->getText(8)}};
    j["payload"] = json::parse(stmt->getText(7), nullptr, false);
    return SiteFact{FactType::Work, std::string(eventId), std::string(factSubject(FactType::Work)), j.dump()};
}

Result<std::vector<SiteFact>> allFacts(Database& db) {
    // One per-kiosk sequence spans both tables: merged in that order.
    auto ordered = db.prepare("SELECT event_id, 0, seq FROM event UNION ALL SELECT event_id, 1, seq FROM work_event ORDER BY 3;");
    if (!ordered) return fail(ordered.error());
    std::vector<std::pair<std::string, bool>> ids;
    for (;;) {
        auto row = ordered->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        ids.emplace_back(ordered->getText(0), ordered->getInt(1) != 0);
    }
    std::vector<SiteFact> out;
    out.reserve(ids.size());
    for (const auto& [id, work] : ids) {
        auto fact = work ? workFact(db, id) : attendanceFact(db, id);
        if (!fact) return fail(fact.error());
        out.push_back(std::move(*fact));
    }
    return out;
}

DecodeResult decodeFact(std::string_view text_) {
    DecodeResult r;
    if (text_.size() > kMaxFactBytes) {
        r.error = "fact larger than " + std::to_string(kMaxFactBytes) + " bytes";
        return r;
    }
    json j = json::parse(text_, nullptr, false);
    if (!j.is_object()) {
        r.error = "fact is not a JSON object";
        return r;
    }
    auto v = j.find("v");
    if (v == j.end() || !v->is_number_integer() || v->get<int>() != kFactVersion) {
        r.error = "fact of an unknown version";
        return r;
    }
    DecodedFact f;
    std::string type;
    if (!text(j, "fact", type, 20) || (type != "attendance" && type != "work")) {
        r.error = "fact of an unknown type";
        return r;
    }
    f.type = type == "work" ? FactType::Work : FactType::Attendance;
    bool ok = text(j, "eventId", f.eventId, 64) && plainId(f.eventId) && text(j, "kiosk", f.kioskId, 64) && plainId(f.kioskId) &&
              text(j, "kind", f.kind, 40) && plainId(f.kind) && text(j, "recordedAt", f.recordedAt, 40) &&
              domain::parseIso8601(f.recordedAt).has_value() && text(j, "hlc", f.hlc, 40, false);
    if (!ok) {
        r.error = "fact with a missing or malformed id, kind or time";
        return r;
    }
    auto payload = j.find("payload");
    if (payload == j.end() || !payload->is_object()) {
        r.error = "fact without an object payload";
        return r;
    }
    f.payload = payload->dump();
    if (f.type == FactType::Attendance) {
        std::string student;
        ok = text(j, "site", f.siteId, 200, false) && text(j, "session", f.sessionId, 200) && plainId(f.sessionId) &&
             text(j, "proctor", f.actor, 200) && text(j, "student", student, 200, false) &&
             text(j, "corrects", f.correctsEventId, 64, false);
        auto offset = j.find("offset");
        ok = ok && offset != j.end() && offset->is_number_integer() && std::abs(offset->get<long long>()) <= 18 * 60;
        if (!ok) {
            r.error = "attendance fact with a malformed session, student or proctor";
            return r;
        }
        f.utcOffsetMinutes = offset->get<int>();
        if (!student.empty()) {
            if (!plainId(student)) {
                r.error = "attendance fact with a malformed student";
                return r;
            }
            f.studentId = student;
        }
        if (auto w = j.find("walkIn"); w != j.end()) {
            std::string id, first, middle, last, birth;
            if (!w->is_object() || !text(*w, "studentUniqueId", id, 200) || id != student || !text(*w, "firstName", first, 200) ||
                !text(*w, "middleName", middle, 200, false) || !text(*w, "lastSurname", last, 200) ||
                !text(*w, "birthDate", birth, 200, false)) {
                r.error = "walk-in fact with a malformed student";
                return r;
            }
            f.walkInStudentJson = w->dump();
        }
    } else {
        std::string student;
        ok = text(j, "entry", f.entryId, 64) && plainId(f.entryId) && text(j, "student", student, 200) && plainId(student) &&
             text(j, "actor", f.actor, 200);
        if (!ok) {
            r.error = "work fact with a malformed entry, student or actor";
            return r;
        }
        f.studentId = student;
    }
    r.fact = std::move(f);
    return r;
}

Result<Inserted> insertFact(Database& db, const DecodedFact& f, std::int64_t localSeq) {
    const char* known = f.type == FactType::Work ? "SELECT 1 FROM work_event WHERE event_id = ?1;" : "SELECT 1 FROM event WHERE event_id = ?1;";
    auto seen = exists(db, known, f.eventId);
    if (!seen) return fail(seen.error());
    if (*seen) return Inserted{Inserted::What::AlreadyKnown, {}};

    if (f.type == FactType::Work) {
        auto student = exists(db, "SELECT 1 FROM student WHERE student_unique_id = ?1;", *f.studentId);
        if (!student) return fail(student.error());
        if (!*student) return Inserted{Inserted::What::Waiting, "student"};
        auto stmt = db.prepare(
            "INSERT INTO work_event (seq, event_id, kiosk_id, entry_id, student_id, kind, actor, recorded_at, payload, hlc)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10);");
        if (!stmt) return fail(stmt.error());
        stmt->bind(1, localSeq).bind(2, f.eventId).bind(3, f.kioskId).bind(4, f.entryId).bind(5, *f.studentId).bind(6, f.kind);
        stmt->bind(7, f.actor).bind(8, f.recordedAt).bind(9, f.payload).bind(10, f.hlc);
        if (auto s = stmt->run(); !s) return fail(s.error());
        return Inserted{};
    }

    auto session = exists(db, "SELECT 1 FROM assessment_session WHERE session_id = ?1;", f.sessionId);
    if (!session) return fail(session.error());
    if (!*session) return Inserted{Inserted::What::Waiting, "session"};
    if (!f.correctsEventId.empty()) {
        auto target = exists(db, "SELECT 1 FROM event WHERE event_id = ?1;", f.correctsEventId);
        if (!target) return fail(target.error());
        if (!*target) return Inserted{Inserted::What::Waiting, "corrected event"};
    }
    if (f.studentId) {
        if (f.walkInStudentJson) {
            // A walk-in added elsewhere: its student and registration come with it.
            json w = json::parse(*f.walkInStudentJson);
            auto student = exists(db, "SELECT 1 FROM student WHERE student_unique_id = ?1;", *f.studentId);
            if (!student) return fail(student.error());
            if (!*student) {
                auto ins = db.prepare(
                    "INSERT INTO student (student_unique_id, first_name, middle_name, last_surname, birth_date) VALUES (?1, ?2, ?3, ?4, ?5);");
                if (!ins) return fail(ins.error());
                ins->bind(1, *f.studentId).bind(2, w.value("firstName", "")).bind(3, w.value("middleName", ""));
                ins->bind(4, w.value("lastSurname", "")).bind(5, w.value("birthDate", ""));
                if (auto s = ins->run(); !s) return fail(s.error());
            }
            auto reg = db.prepare(
                "INSERT INTO registration (session_id, student_unique_id, scheduled_accommodations, walk_in) VALUES (?1, ?2, '[]', 1)"
                " ON CONFLICT (session_id, student_unique_id) DO UPDATE SET walk_in = 1;");
            if (!reg) return fail(reg.error());
            reg->bind(1, f.sessionId).bind(2, *f.studentId);
            if (auto s = reg->run(); !s) return fail(s.error());
        }
        auto reg = exists(db, "SELECT 1 FROM registration WHERE session_id = ?1 AND student_unique_id = ?2;", f.sessionId, *f.studentId);
        if (!reg) return fail(reg.error());
        if (!*reg) return Inserted{Inserted::What::Waiting, "registration"};
    }
    auto stmt = db.prepare(
        "INSERT INTO event (seq, event_id, kiosk_id, site_id, session_id, student_unique_id, kind, proctor, recorded_at,"
        " local_utc_offset_min, payload, corrects_event_id, hlc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13);");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, localSeq).bind(2, f.eventId).bind(3, f.kioskId).bind(4, f.siteId).bind(5, f.sessionId).bind(6, f.studentId);
    stmt->bind(7, f.kind).bind(8, f.actor).bind(9, f.recordedAt).bind(10, f.utcOffsetMinutes).bind(11, f.payload);
    if (f.correctsEventId.empty()) stmt->bind(12, nullptr);
    else stmt->bind(12, f.correctsEventId);
    stmt->bind(13, f.hlc);
    if (auto s = stmt->run(); !s) return fail(s.error());
    return Inserted{};
}

namespace {

// A stable id for one acknowledgement (the same on every machine and every
// run): FNV-1a over what was acknowledged.
std::string ackId(const AckFact& a) {
    std::uint64_t h = 1469598103934665603ull;
    // Each unanswered write is news of its own: its order is part of its id.
    const std::string_view lost = a.unanswered ? std::string_view("unanswered") : std::string_view();
    const std::string_view lostOrder = a.unanswered ? std::string_view(a.order) : std::string_view();
    for (std::string_view part : {std::string_view(a.resource), std::string_view(a.naturalKey), std::string_view(a.body),
                                  std::string_view(a.etag), std::string_view(a.deletion ? "delete" : ""), lost, lostOrder}) {
        for (unsigned char c : part) {
            h ^= c;
            h *= 1099511628211ull;
        }
        h ^= 0xff;  // a separator no UTF-8 text holds
        h *= 1099511628211ull;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "ack-";
    for (int i = 15; i >= 0; --i) out.push_back(kHex[(h >> (4 * i)) & 0xf]);
    return out;
}

} // namespace

std::optional<SiteFact> ackFact(const AckFact& ack) {
    AckFact a = ack;
    a.eventId = ackId(a);
    // A deletion, or a write whose answer was lost, is a fact type of its
    // own: a kiosk of an older release parks it (unknown fact) rather than
    // read it as a write the state took.
    const char* fact = a.unanswered ? (a.deletion ? "ackUnansweredDelete" : "ackUnanswered") : a.deletion ? "ackDelete" : "ack";
    json j{{"v", kFactVersion}, {"fact", fact}, {"eventId", a.eventId}, {"kiosk", a.kioskId}, {"resource", a.resource},
           {"key", a.naturalKey}, {"body", a.body},     {"id", a.resourceId},   {"etag", a.etag}};
    if (!a.order.empty()) j["order"] = a.order;
    std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
    if (text.size() > kMaxFactBytes) return std::nullopt;
    return SiteFact{FactType::Ack, a.eventId, std::string(factSubject(FactType::Ack)), std::move(text)};
}

DecodedAck decodeAck(std::string_view text_) {
    DecodedAck r;
    if (text_.size() > kMaxFactBytes) return r;  // decodeFact refuses it
    json j = json::parse(text_, nullptr, false);
    if (!j.is_object()) return r;
    auto type = j.find("fact");
    if (type == j.end() || !type->is_string() ||
        (*type != "ack" && *type != "ackDelete" && *type != "ackUnanswered" && *type != "ackUnansweredDelete"))
        return r;
    r.isAck = true;
    auto v = j.find("v");
    if (v == j.end() || !v->is_number_integer() || v->get<int>() != kFactVersion) {
        r.error = "acknowledgement of an unknown version";
        return r;
    }
    AckFact a;
    bool ok = text(j, "eventId", a.eventId, 64) && plainId(a.eventId) && text(j, "kiosk", a.kioskId, 64) && plainId(a.kioskId) &&
              text(j, "resource", a.resource, 100) && plainId(a.resource) && text(j, "key", a.naturalKey, 400) &&
              plainId(a.naturalKey, 400) && text(j, "body", a.body, kMaxFactBytes) && text(j, "id", a.resourceId, 128, false) &&
              text(j, "etag", a.etag, 200, false) && text(j, "order", a.order, domain::kHlcTextSize, false) &&
              (a.order.empty() || domain::parseHlc(a.order).has_value());
    a.deletion = *type == "ackDelete" || *type == "ackUnansweredDelete";
    a.unanswered = *type == "ackUnanswered" || *type == "ackUnansweredDelete";
    if (!ok) {
        r.error = "acknowledgement with a missing or malformed field";
        return r;
    }
    r.ack = std::move(a);
    return r;
}

std::string auditHeadSubject(std::string_view kioskId) { return "audit." + edsync::site::natsToken(kioskId); }

SiteFact auditHeadFact(const AuditHeadFact& head) {
    json j{{"v", kFactVersion}, {"fact", "auditHead"}, {"kiosk", head.kioskId}, {"seq", head.seq}, {"hash", head.hash}, {"at", head.at}};
    // One id per entry: a head published twice (a retry) is dropped by the hub's duplicate window.
    std::string eventId = "audit-" + head.kioskId + "-" + std::to_string(head.seq);
    return SiteFact{FactType::AuditHead, std::move(eventId), auditHeadSubject(head.kioskId), j.dump()};
}

DecodedAuditHead decodeAuditHead(std::string_view text_) {
    DecodedAuditHead r;
    if (text_.size() > kMaxFactBytes) return r;
    json j = json::parse(text_, nullptr, false);
    if (!j.is_object()) return r;
    auto type = j.find("fact");
    if (type == j.end() || !type->is_string() || *type != "auditHead") return r;
    r.isAuditHead = true;
    AuditHeadFact h;
    auto seq = j.find("seq");
    bool ok = text(j, "kiosk", h.kioskId, 64) && plainId(h.kioskId) && text(j, "hash", h.hash, 80) && plainId(h.hash, 80) &&
              text(j, "at", h.at, 40) && seq != j.end() && seq->is_number_integer() && seq->get<std::int64_t>() > 0;
    if (!ok) {
        r.error = "audit head with a missing or malformed field";
        return r;
    }
    h.seq = seq->get<std::int64_t>();
    r.head = std::move(h);
    return r;
}

} // namespace kiosk::store

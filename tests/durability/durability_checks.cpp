#include "durability_checks.hpp"
#include "durability_common.hpp"

#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/store/work_repo.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace kiosk::durability {

using nlohmann::json;

namespace {

// studentAssessments: the identifier; studentProgramEvaluations: date + student
// (the program evaluation is the same for every record of a kiosk).
std::string identity(std::string_view resource, const json& body) {
    if (resource == store::kStudentAssessments) return body.value("studentAssessmentIdentifier", "");
    return body.value("evaluationDate", "") + "|" + body["studentReference"].value("studentUniqueId", "") + "|" +
           body["programEvaluationReference"].dump();
}

} // namespace

std::vector<Committed> readCommitted(const std::filesystem::path& log, int& malformed) {
    std::vector<Committed> out;
    std::ifstream in(log);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string first;
        words >> first;
        if (first != kCommitted) continue;
        Committed c;
        words >> c.kind;
        if (c.kind == "outbox") words >> c.resource;
        words >> c.id >> c.value;
        if (!words || c.id.empty()) {
            ++malformed;
            continue;
        }
        out.push_back(std::move(c));
    }
    return out;
}

Control::Control(const std::filesystem::path& ca, std::string base) : m_base(std::move(base)) {
    edsync::transport::TransportOptions options;
    options.caBundle = ca;
    auto t = edsync::transport::CurlTransport::create(options);
    if (!t) throw std::runtime_error("cannot set up libcurl");
    m_http = std::make_unique<edsync::transport::CurlTransport>(std::move(*t));
}

std::optional<json> Control::call(edsync::transport::Method method, const std::string& path, const std::string& body) {
    edsync::transport::Request r{method, m_base + path, {}, body};
    if (method == edsync::transport::Method::Post) r.headers = {{"Content-Type", "application/json"}};
    auto out = m_http->performOne(r);
    if (!out || out->status != 200) return std::nullopt;
    auto j = json::parse(out->body, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j;
}

std::string tail(const std::filesystem::path& file, std::size_t bytes) {
    std::ifstream in(file);
    std::stringstream buf;
    buf << in.rdbuf();
    std::string s = buf.str();
    return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

void checkStoreAgainstLog(store::Database& db, const std::vector<Committed>& committed, CheckReport& rep, Verdict& v) {
    auto integrity = db.prepare("PRAGMA integrity_check;");
    if (!integrity) return v.fail(integrity.error().describe());
    while (integrity->step().value_or(false)) rep.integrity += (rep.integrity.empty() ? "" : "; ") + integrity->getText(0);
    if (rep.integrity != "ok") v.fail("integrity_check: " + rep.integrity);
    auto fk = db.prepare("PRAGMA foreign_key_check;");
    if (fk && fk->step().value_or(false)) v.fail("foreign_key_check found rows violating a reference (table " + fk->getText(0) + ")");

    std::map<std::int64_t, std::string> seqOwner;
    for (const auto& c : committed) {
        ++rep.committedLines;
        if (c.kind == "event" || c.kind == "work_event") {
            (c.kind == "event" ? rep.events : rep.workEvents)++;
            auto stmt = db.prepare("SELECT seq FROM " + c.kind + " WHERE event_id = ?1;");
            if (!stmt) return v.fail(stmt.error().describe());
            stmt->bind(1, c.id);
            if (!stmt->step().value_or(false)) {
                ++rep.lost;
                v.fail("lost: committed " + c.kind + " " + c.id + " (seq " + std::to_string(c.value) + ") is not in the store");
            } else if (stmt->getInt(0) != c.value) {
                ++rep.lost;
                v.fail(c.kind + " " + c.id + " has seq " + std::to_string(stmt->getInt(0)) + ", was told " + std::to_string(c.value));
            }
            auto [it, fresh] = seqOwner.emplace(c.value, c.id);
            if (!fresh && it->second != c.id) {
                ++rep.duplicated;
                v.fail("seq " + std::to_string(c.value) + " was reported for two events: " + it->second + " and " + c.id);
            }
        } else if (c.kind == "outbox") {
            ++rep.outboxVersions;
            auto stmt = db.prepare("SELECT local_version FROM outbox WHERE resource = ?1 AND natural_key = ?2;");
            if (!stmt) return v.fail(stmt.error().describe());
            stmt->bind(1, c.resource).bind(2, c.id);
            if (!stmt->step().value_or(false) || stmt->getInt(0) < c.value) {
                ++rep.lost;
                v.fail("lost: outbox " + c.resource + " " + c.id + " version " + std::to_string(c.value));
            }
        } else if (c.kind == "proctor") {
            ++rep.other;
            auto stmt = db.prepare("SELECT count(*) FROM proctor p JOIN credential c ON c.kind = 'proctor_pin' AND c.subject_id = p.proctor_id"
                                   " WHERE p.proctor_id = ?1;");
            if (!stmt) return v.fail(stmt.error().describe());
            stmt->bind(1, c.id);
            if (!stmt->step().value_or(false) || stmt->getInt(0) != 1) {
                ++rep.lost;
                v.fail("lost: proctor " + c.id + " or its PIN");
            }
        } else {
            v.fail("unknown committed kind " + c.kind);
        }
    }
}

void checkServer(store::Database& db, Control& control, CheckReport& rep, Verdict& v) {
    auto waiting = db.prepare("SELECT count(*) FROM outbox WHERE synced_version <> local_version;");
    if (waiting && waiting->step().value_or(false) && waiting->getInt(0) != 0)
        v.fail(std::to_string(waiting->getInt(0)) + " outbox row(s) not synced after the final sync");
    for (std::string_view resource : {store::kStudentAssessments, store::kStudentProgramEvaluations}) {
        auto received = control.call(edsync::transport::Method::Get, "/_test/received?resource=" + std::string(resource));
        if (!received) return v.fail("cannot read /_test/received for " + std::string(resource));
        std::map<std::string, std::vector<json>> byIdentity;
        for (const auto& r : (*received)["records"]) byIdentity[identity(resource, r["body"])].push_back(r);
        rep.onServer[std::string(resource)] = {(*received)["records"].size(), (*received).value("totalPosts", std::int64_t{0})};
        rep.serverDeletes += (*received).value("totalDeletes", std::int64_t{0}) + (*received).value("missedDeletes", std::int64_t{0});
        rep.serverMissedDeletes += (*received).value("missedDeletes", std::int64_t{0});
        if ((*received).value("rejectedPosts", 0) != 0)
            v.fail(std::to_string((*received).value("rejectedPosts", 0)) + " " + std::string(resource) + " post(s) were rejected by the double");

        auto rows = db.prepare("SELECT natural_key, body, op FROM outbox WHERE resource = ?1;");
        if (!rows) return v.fail(rows.error().describe());
        rows->bind(1, resource);
        std::set<std::string> seen;
        while (rows->step().value_or(false)) {
            json body = json::parse(rows->getText(1), nullptr, false);
            std::string id = identity(resource, body);
            seen.insert(id);
            auto it = byIdentity.find(id);
            if (rows->getText(2) == "delete") {
                // Deleted: never sent, or no longer held (an orphan is a stale record).
                ++rep.deletions;
                if (it == byIdentity.end()) continue;
                bool held = false;
                for (const auto& r : it->second) held = held || r.value("present", true);
                if (held) {
                    ++rep.stale;
                    v.fail("orphan: the server still holds " + std::string(resource) + " " + rows->getText(0) + ", deleted by the store");
                } else {
                    ++rep.deletedAtState;
                }
                continue;
            }
            if (it != byIdentity.end() && !it->second.front().value("present", true)) {
                ++rep.lost;
                v.fail("lost: the server deleted " + std::string(resource) + " " + rows->getText(0) + ", which the store still holds");
                continue;
            }
            if (it == byIdentity.end()) {
                ++rep.lost;
                v.fail("lost on the way: " + std::string(resource) + " " + rows->getText(0) + " is not on the server");
                continue;
            }
            if (it->second.size() != 1) {
                ++rep.duplicated;
                v.fail("duplicated: " + std::string(resource) + " " + rows->getText(0) + " is on the server " +
                       std::to_string(it->second.size()) + " times");
            }
            if (it->second.front()["body"] != body) {
                ++rep.stale;
                v.fail("stale: the server's " + std::string(resource) + " " + rows->getText(0) + " is not the store's latest version");
            }
        }
        // A record the state took and deleted again holds nothing: a kiosk of
        // the site whose merge never made it (another kiosk's approval that
        // lost) has no row for it, and need not.
        for (const auto& [id, records] : byIdentity)
            if (!seen.count(id) && records.front().value("present", true)) {
                ++rep.duplicated;
                v.fail("the server holds a " + std::string(resource) + " the store never wrote");
            }
    }
}

} // namespace kiosk::durability

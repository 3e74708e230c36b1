#include "kiosk/store/audit_log.hpp"

#include <sodium.h>

#include <array>

namespace kiosk::store {

using edsync::fail;

namespace {

const std::string kGenesis(64, '0');

std::string toHex(const unsigned char* p, std::size_t n) {
    static constexpr char d[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s.push_back(d[p[i] >> 4]);
        s.push_back(d[p[i] & 0xF]);
    }
    return s;
}

} // namespace

std::string auditHash(const AuditEntry& e) {
    if (sodium_init() < 0) return {};
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, 32);
    const std::string seq = std::to_string(e.seq);
    for (const std::string* part : {&e.prevHash, &seq, &e.at, &e.kioskId, &e.actor, &e.action, &e.detail}) {
        auto len = static_cast<std::uint32_t>(part->size());
        crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(&len), sizeof len);
        crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(part->data()), part->size());
    }
    std::array<unsigned char, 32> out{};
    crypto_generichash_final(&st, out.data(), out.size());
    return toHex(out.data(), out.size());
}

Status appendAudit(Database& db, const std::string& kioskId, domain::Timestamp at, std::string_view actor, std::string_view action,
                   std::string_view detailJson) {
    auto last = db.prepare("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1;");
    if (!last) return fail(last.error());
    auto row = last->step();
    if (!row) return fail(row.error());
    AuditEntry e;
    e.seq = *row ? last->getInt(0) + 1 : 1;
    e.prevHash = *row ? last->getText(1) : kGenesis;
    e.at = domain::formatUtc(at);
    e.kioskId = kioskId;
    e.actor = std::string(actor);
    e.action = std::string(action);
    e.detail = detailJson.empty() ? "{}" : std::string(detailJson);
    e.hash = auditHash(e);
    auto insert = db.prepare(
        "INSERT INTO audit_log (seq, at, kiosk_id, actor, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8);");
    if (!insert) return fail(insert.error());
    insert->bind(1, e.seq).bind(2, e.at).bind(3, e.kioskId).bind(4, e.actor).bind(5, e.action).bind(6, e.detail);
    insert->bind(7, e.prevHash).bind(8, e.hash);
    if (auto s = insert->run(); !s) return s;
    if (auto s = setMeta(db, "audit_head", std::to_string(e.seq) + ":" + e.hash); !s) return s;
    return {};
}

Result<AuditVerdict> verifyAudit(Database& db) {
    auto stmt = db.prepare("SELECT seq, at, kiosk_id, actor, action, detail, prev_hash, hash FROM audit_log ORDER BY seq;");
    if (!stmt) return fail(stmt.error());
    AuditVerdict v;
    std::string expectedPrev = kGenesis;
    std::int64_t expectedSeq = 1;
    std::string lastHead;
    auto broken = [&](std::int64_t seq, std::string problem) {
        v.intact = false;
        v.brokenAtSeq = seq;
        v.problem = std::move(problem);
    };
    for (;;) {
        auto row = stmt->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        AuditEntry e{stmt->getInt(0), stmt->getText(1), stmt->getText(2), stmt->getText(3),
                     stmt->getText(4), stmt->getText(5), stmt->getText(6), stmt->getText(7)};
        ++v.entries;
        if (v.intact) {
            if (e.seq != expectedSeq) broken(expectedSeq, "entry " + std::to_string(expectedSeq) + " is missing (deleted)");
            else if (e.prevHash != expectedPrev) broken(e.seq, "entry " + std::to_string(e.seq) + " does not follow the one before (reordered or a row before it was replaced)");
            else if (auditHash(e) != e.hash) broken(e.seq, "entry " + std::to_string(e.seq) + " was changed after it was written");
        }
        expectedPrev = e.hash;
        expectedSeq = e.seq + 1;
        lastHead = std::to_string(e.seq) + ":" + e.hash;
    }
    auto head = getMeta(db, "audit_head");
    if (!head) return fail(head.error());
    if (v.intact && head->value_or("") != lastHead) {
        if (head->has_value()) broken(expectedSeq, "the last entries were removed (the chain ends before its recorded head " + head->value() + ")");
        else if (v.entries > 0) broken(1, "the chain's head record is missing");
    }
    return v;
}

Result<std::vector<AuditEntry>> recentAudit(Database& db, int limit) {
    auto stmt = db.prepare("SELECT seq, at, kiosk_id, actor, action, detail, prev_hash, hash FROM audit_log ORDER BY seq DESC LIMIT ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, limit);
    std::vector<AuditEntry> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        out.push_back({stmt->getInt(0), stmt->getText(1), stmt->getText(2), stmt->getText(3), stmt->getText(4), stmt->getText(5),
                       stmt->getText(6), stmt->getText(7)});
    }
    return out;
}

} // namespace kiosk::store

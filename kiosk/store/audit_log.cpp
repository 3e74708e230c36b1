#include "kiosk/store/audit_log.hpp"

#include "kiosk/store/credentials.hpp"

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

namespace {

constexpr std::string_view kKeyedPrefix = "k1:";
// Where MACs begin: a value sealed with the credential key, so it cannot be
// moved back (or forged) without it.
constexpr std::string_view kKeyedFromMeta = "audit_keyed_from";
constexpr std::string_view kKeyedFromContext = "audit_keyed_from";

// The audit's own key, derived from the credential key: a MAC the database's
// owner cannot recompute from the database alone.
std::array<unsigned char, 32> auditKey(const Database::SealingKey& credentialKey) {
    std::array<unsigned char, 32> out{};
    static constexpr unsigned char kLabel[] = "testsite-kiosk audit chain key v1";
    crypto_generichash(out.data(), out.size(), kLabel, sizeof kLabel - 1, credentialKey.data(), credentialKey.size());
    return out;
}

std::string chainHash(const AuditEntry& e, const std::array<unsigned char, 32>* key) {
    if (sodium_init() < 0) return {};
    crypto_generichash_state st;
    crypto_generichash_init(&st, key ? key->data() : nullptr, key ? key->size() : 0, 32);
    const std::string seq = std::to_string(e.seq);
    for (const std::string* part : {&e.prevHash, &seq, &e.at, &e.kioskId, &e.actor, &e.action, &e.detail}) {
        auto len = static_cast<std::uint32_t>(part->size());
        crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(&len), sizeof len);
        crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(part->data()), part->size());
    }
    std::array<unsigned char, 32> out{};
    crypto_generichash_final(&st, out.data(), out.size());
    return (key ? std::string(kKeyedPrefix) : std::string()) + toHex(out.data(), out.size());
}

bool isKeyed(std::string_view hash) { return hash.starts_with(kKeyedPrefix); }

} // namespace

std::string auditHash(const AuditEntry& e) { return chainHash(e, nullptr); }

std::string auditHash(const AuditEntry& e, const Database::SealingKey& credentialKey) {
    auto key = auditKey(credentialKey);
    std::string out = chainHash(e, &key);
    sodium_memzero(key.data(), key.size());
    return out;
}

namespace {

Result<AuditEntry> appendEntry(Database& db, const std::string& kioskId, domain::Timestamp at, std::string_view actor,
                               std::string_view action, std::string_view detailJson) {
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
    // MACed with the key kept outside the database when the kiosk has it
    // (docs/architecture.md, "Personal data at rest"); a bare hash otherwise.
    e.hash = db.sealingKey() ? auditHash(e, *db.sealingKey()) : auditHash(e);
    auto insert = db.prepare(
        "INSERT INTO audit_log (seq, at, kiosk_id, actor, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8);");
    if (!insert) return fail(insert.error());
    insert->bind(1, e.seq).bind(2, e.at).bind(3, e.kioskId).bind(4, e.actor).bind(5, e.action).bind(6, e.detail);
    insert->bind(7, e.prevHash).bind(8, e.hash);
    if (auto s = insert->run(); !s) return fail(s.error());
    if (auto s = setMeta(db, "audit_head", std::to_string(e.seq) + ":" + e.hash); !s) return fail(s.error());
    return e;
}

} // namespace

Status appendAudit(Database& db, const std::string& kioskId, domain::Timestamp at, std::string_view actor, std::string_view action,
                   std::string_view detailJson) {
    auto e = appendEntry(db, kioskId, at, actor, action, detailJson);
    if (!e) return fail(e.error());
    return {};
}

Status appendAudit(Store& store, domain::Timestamp at, std::string_view actor, std::string_view action, std::string_view detailJson) {
    auto e = appendEntry(store.db(), store.kioskId(), at, actor, action, detailJson);
    if (!e) return fail(e.error());
    // In the same transaction: the head reaches the hub with the entry, or neither is kept.
    return store.shareAuditHead(e->seq, e->hash, e->at);
}

Status markAuditKeyed(Database& db) {
    if (!db.sealingKey()) return {};
    auto tx = edsync::sqlite::Transaction::begin(db);
    if (!tx) return fail(tx.error());
    auto known = getMeta(db, kKeyedFromMeta);
    if (!known) return fail(known.error());
    if (*known) return {};
    auto last = db.prepare("SELECT coalesce(max(seq), 0) FROM audit_log;");
    if (!last) return fail(last.error());
    auto row = last->step();
    if (!row) return fail(row.error());
    auto sealed = sealValue(*db.sealingKey(), kKeyedFromContext, std::to_string(last->getInt(0) + 1));
    if (!sealed) return fail(Error{1, 0, "could not seal the audit mark"});
    if (auto s = setMeta(db, kKeyedFromMeta, *sealed); !s) return s;
    return tx->commit();
}

Result<AuditVerdict> verifyAudit(Database& db) {
    auto stmt = db.prepare("SELECT seq, at, kiosk_id, actor, action, detail, prev_hash, hash FROM audit_log ORDER BY seq;");
    if (!stmt) return fail(stmt.error());
    AuditVerdict v;
    std::string expectedPrev = kGenesis;
    std::int64_t expectedSeq = 1;
    std::string lastHead;
    bool keyedSeen = false;  // once entries carry a MAC, every later one must
    auto broken = [&](std::int64_t seq, std::string problem) {
        v.intact = false;
        v.brokenAtSeq = seq;
        v.problem = std::move(problem);
    };
    // From which entry on MACs are due (markAuditKeyed): a chain rewritten
    // bare from the database alone must also move this mark, and cannot.
    std::optional<std::int64_t> keyedFrom;
    auto mark = getMeta(db, kKeyedFromMeta);
    if (!mark) return fail(mark.error());
    auto keyIdMeta = getMeta(db, "credential_key_id");
    if (!keyIdMeta) return fail(keyIdMeta.error());
    if (*mark && db.sealingKey()) {
        auto opened = openValue(*db.sealingKey(), kKeyedFromContext, **mark);
        if (!opened || opened->empty() || opened->find_first_not_of("0123456789") != std::string::npos)
            broken(1, "the mark of where the chain's MACs begin was not made with this kiosk's credential key (forged or moved)");
        else keyedFrom = std::stoll(*opened);
    } else if (!*mark && *keyIdMeta && db.sealingKey()) {
        broken(1, "the mark of where the chain's MACs begin is missing from a store that has a credential key (removed)");
    }
    for (;;) {
        auto row = stmt->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        AuditEntry e{stmt->getInt(0), stmt->getText(1), stmt->getText(2), stmt->getText(3),
                     stmt->getText(4), stmt->getText(5), stmt->getText(6), stmt->getText(7)};
        ++v.entries;
        if (v.intact) {
            const std::string n = std::to_string(e.seq);
            if (e.seq != expectedSeq) broken(expectedSeq, "entry " + std::to_string(expectedSeq) + " is missing (deleted)");
            else if (e.prevHash != expectedPrev) broken(e.seq, "entry " + n + " does not follow the one before (reordered or a row before it was replaced)");
            else if ((keyedSeen || (keyedFrom && e.seq >= *keyedFrom)) && !isKeyed(e.hash))
                broken(e.seq, "entry " + n + " has no MAC after entries that had one (the chain was rewritten without the key)");
            else if (isKeyed(e.hash) && !db.sealingKey())
                broken(e.seq, "entry " + n + " is MACed with the credential key, which this kiosk does not have: the chain cannot be checked");
            else if ((isKeyed(e.hash) ? auditHash(e, *db.sealingKey()) : auditHash(e)) != e.hash)
                broken(e.seq, "entry " + n + " was changed after it was written");
        }
        keyedSeen = keyedSeen || isKeyed(e.hash);
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

Result<AuditActionSummary> auditActionSummary(Database& db, std::string_view action) {
    auto stmt = db.prepare(
        "SELECT seq, at, kiosk_id, actor, action, detail, prev_hash, hash, (SELECT count(*) FROM audit_log WHERE action = ?1)"
        " FROM audit_log WHERE action = ?1 ORDER BY seq DESC LIMIT 1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, action);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    AuditActionSummary s;
    if (!*row) return s;
    s.last = AuditEntry{stmt->getInt(0), stmt->getText(1), stmt->getText(2), stmt->getText(3), stmt->getText(4), stmt->getText(5),
                        stmt->getText(6), stmt->getText(7)};
    s.count = stmt->getInt(8);
    return s;
}

namespace {
constexpr std::size_t kPrintedHashDigits = 16;

// The hash's hex digits, without the "k1:" of a MACed entry.
std::string hashDigits(std::string_view hash) {
    if (isKeyed(hash)) hash.remove_prefix(kKeyedPrefix.size());
    return std::string(hash.substr(0, kPrintedHashDigits));
}
} // namespace

Result<std::string> printableAuditHead(Database& db) {
    auto last = recentAudit(db, 1);
    if (!last) return fail(last.error());
    if (last->empty()) return std::string();
    return std::to_string(last->front().seq) + ":" + hashDigits(last->front().hash);
}

Result<std::optional<std::string>> checkSiteHead(Database& db, std::int64_t seq, std::string_view hash) {
    auto stmt = db.prepare("SELECT hash FROM audit_log WHERE seq = ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, seq);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    const std::string n = std::to_string(seq);
    if (!*row)
        return std::optional<std::string>("entry " + n + ", the last head the site hub holds, is no longer in the chain (entries were removed)");
    if (stmt->getText(0) != hash)
        return std::optional<std::string>("entry " + n + " differs from the copy of the head the site hub holds: the chain was rewritten");
    return std::optional<std::string>();
}

Result<std::optional<std::string>> checkPrintedHead(Database& db, std::string_view printed) {
    auto colon = printed.find(':');
    std::string_view seqText = printed.substr(0, colon);
    std::string_view digits = colon == std::string_view::npos ? std::string_view() : printed.substr(colon + 1);
    if (seqText.empty() || seqText.size() > 18 || seqText.find_first_not_of("0123456789") != std::string_view::npos || digits.size() < 8 ||
        digits.find_first_not_of("0123456789abcdef") != std::string_view::npos)
        return std::optional<std::string>("\"" + std::string(printed.substr(0, 60)) + "\" is not a printed audit head (SEQ:HEX, as on the papers)");
    auto stmt = db.prepare("SELECT hash FROM audit_log WHERE seq = ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, static_cast<std::int64_t>(std::stoll(std::string(seqText))));
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<std::string>("entry " + std::string(seqText) + ", printed as the head, is no longer in the chain");
    if (!hashDigits(stmt->getText(0)).starts_with(digits))
        return std::optional<std::string>("entry " + std::string(seqText) + " differs from the head printed on paper: the chain was rewritten");
    return std::optional<std::string>();
}

} // namespace kiosk::store

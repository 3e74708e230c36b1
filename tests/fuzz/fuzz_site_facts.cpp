// libFuzzer: everything a kiosk takes from the site hub, which is network
// input: the decoders (store::decodeFact, decodeAck, decodeAuditHead,
// decodeRosterFact) and the whole apply path, a service::SiteApplier over an
// in-memory store holding a small roster (site_facts_setup.hpp) with the
// site's sealing key, applied as the site link applies a fetched batch: in
// the caller's transaction, one savepoint a fact.
//
// What must hold, beyond not crashing: a decoder answers a value or a
// reason; an acknowledgement or audit head that decodes encodes back to the
// same fields; an in-memory store never fails to apply (Failed is for I/O);
// a refused fact changes nothing but its own row in site_parked, and leaves
// quick_check and foreign_key_check clean; a fact applied twice changes
// nothing the second time; and every input is rolled back, so each starts
// from the same store.
//
// Input: one payload as the hub delivers it. Seeds (corpus/fuzz_site_facts)
// are made by site_facts_seeds with the real encoders.
#include "site_facts_setup.hpp"

#include "kiosk/service/site_apply.hpp"
#include "kiosk/store/roster_facts.hpp"
#include "kiosk/store/roster_import.hpp"
#include "kiosk/store/site_facts.hpp"
#include "kiosk/store/work_repo.hpp"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

using namespace kiosk;

namespace {

// Each table's rows as text, read by one statement per table prepared once.
struct TableReader {
    std::string table;
    edsync::sqlite::Statement rows;
};

struct Rig {
    store::Store store;
    std::optional<store::CatalogueDocument> catalogue;
    service::SiteApplier applier;
    std::vector<TableReader> tables;
    std::map<std::string, std::size_t> clean;  // the store every input starts from

    explicit Rig(store::Store s)
        : store(std::move(s)), applier(store, [this] { return catalogue ? &*catalogue : nullptr; }, fuzz::siteSeal()) {}
};

std::vector<TableReader> tableReaders(store::Database& db) {
    std::vector<std::string> names;
    {
        auto stmt = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name;");
        if (!stmt) __builtin_trap();
        while (stmt->step().value_or(false)) names.push_back(stmt->getText(0));
    }
    std::vector<TableReader> out;
    for (const auto& table : names) {
        std::vector<std::string> columns;
        auto info = db.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid;");
        if (!info) __builtin_trap();
        info->bind(1, table);
        while (info->step().value_or(false)) columns.push_back(info->getText(0));
        // Identifiers from the schema itself, quoted: no value is built into SQL.
        std::string row = "''";
        for (const auto& c : columns) row += " || char(31) || quote(\"" + c + "\")";
        auto stmt = db.prepare("SELECT " + row + " FROM \"" + table + "\";");
        if (!stmt) __builtin_trap();
        out.push_back({table, std::move(*stmt)});
    }
    return out;
}

// Each table's rows, sorted and hashed: what "changes nothing" compares.
std::map<std::string, std::size_t> fingerprint(Rig& r) {
    std::map<std::string, std::size_t> out;
    std::vector<std::string> rows;
    for (auto& t : r.tables) {
        rows.clear();
        t.rows.reset();
        while (t.rows.step().value_or(false)) rows.push_back(t.rows.getText(0));
        std::sort(rows.begin(), rows.end());
        std::size_t h = rows.size();
        for (const auto& row : rows) h = h * 1000003u ^ std::hash<std::string>{}(row);
        out[t.table] = h;
    }
    return out;
}

bool sound(store::Database& db) {
    auto findings = db.checkIntegrity(store::Database::Check::Quick, 1);
    if (!findings || !findings->empty()) return false;
    auto fk = db.prepare("SELECT count(*) FROM pragma_foreign_key_check;");
    return fk && fk->step().value_or(false) && fk->getInt(0) == 0;
}

std::int64_t refusedRows(store::Database& db) {
    auto stmt = db.prepare("SELECT count(*) FROM site_parked WHERE waiting_for LIKE 'refused: %';");
    if (!stmt || !stmt->step().value_or(false)) __builtin_trap();
    return stmt->getInt(0);
}

Rig& rig() {
    static Rig* r = [] {
        auto opened = store::Store::openInMemory();
        if (!opened) __builtin_trap();
        auto* made = new Rig(std::move(*opened));
        made->store.db().setSealingKey(fuzz::localKey(0x42));
        if (!store::importRosterText(made->store, fuzz::kRosterJson).ok()) __builtin_trap();
        std::ifstream in(std::filesystem::path(KIOSK_ASSETS_DIR) / "tasks" / "work-readiness.json");
        auto parsed = store::parseCatalogue(std::string(std::istreambuf_iterator<char>(in), {}));
        if (!parsed.document) __builtin_trap();
        made->catalogue = std::move(parsed.document);
        made->tables = tableReaders(made->store.db());
        made->clean = fingerprint(*made);
        return made;
    }();
    return *r;
}

bool exec(store::Database& db, const char* sql) { return db.exec(sql).ok(); }

// One fact as the site link applies it in a batch.
service::ApplyOutcome applyOne(Rig& r, std::string_view payload) {
    auto& db = r.store.db();
    if (!exec(db, "SAVEPOINT fuzz_fact;")) __builtin_trap();
    auto out = r.applier.applyWithin(payload);
    if (!out.ok() && !exec(db, "ROLLBACK TO fuzz_fact;")) __builtin_trap();
    if (!exec(db, "RELEASE fuzz_fact;")) __builtin_trap();
    return out;
}

void checkDecoders(std::string_view payload) {
    auto fact = store::decodeFact(payload);
    if (!fact.fact && fact.error.empty()) __builtin_trap();
    if (fact.fact && fact.fact->eventId.empty()) __builtin_trap();

    auto ack = store::decodeAck(payload);
    if (!ack.isAck && (ack.ack || !ack.error.empty())) __builtin_trap();
    if (ack.isAck && !ack.ack && ack.error.empty()) __builtin_trap();
    if (ack.ack) {
        // What decodes, encodes back to the same acknowledgement (under the id ackFact gives it).
        auto again = store::ackFact(*ack.ack);
        if (again) {
            auto back = store::decodeAck(again->json);
            if (!back.ack) __builtin_trap();
            const auto& a = *ack.ack;
            const auto& b = *back.ack;
            if (a.kioskId != b.kioskId || a.resource != b.resource || a.naturalKey != b.naturalKey || a.body != b.body ||
                a.resourceId != b.resourceId || a.etag != b.etag || a.deletion != b.deletion || a.order != b.order ||
                a.unanswered != b.unanswered)
                __builtin_trap();
        }
    }

    auto head = store::decodeAuditHead(payload);
    if (!head.isAuditHead && (head.head || !head.error.empty())) __builtin_trap();
    if (head.isAuditHead && !head.head && head.error.empty()) __builtin_trap();
    if (head.head) {
        auto back = store::decodeAuditHead(store::auditHeadFact(*head.head).json);
        if (!back.head || back.head->kioskId != head.head->kioskId || back.head->seq != head.head->seq || back.head->hash != head.head->hash ||
            back.head->at != head.head->at)
            __builtin_trap();
    }

    auto roster = store::decodeRosterFact(payload);
    if (!roster.isRoster && !roster.error.empty()) __builtin_trap();
    if (roster.isRoster && roster.error.empty() && roster.eventId.empty()) __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view payload(reinterpret_cast<const char*>(data), size);
    checkDecoders(payload);

    Rig& r = rig();
    auto& db = r.store.db();
    {
        auto tx = edsync::sqlite::Transaction::begin(db);
        if (!tx) __builtin_trap();
        const auto& before = r.clean;  // the previous input checked it was rolled back
        const auto refusedBefore = refusedRows(db);
        auto first = applyOne(r, payload);
        // A fact from the network never makes an in-memory store "fail": that
        // outcome is for I/O, and the site link offers such a fact again forever.
        if (first.what == service::ApplyOutcome::What::Failed) __builtin_trap();
        const auto after = fingerprint(r);
        if (first.what == service::ApplyOutcome::What::Refused) {
            // Kept for a technician as "refused: …", and nothing else written.
            if (first.detail.empty() || refusedRows(db) != refusedBefore + 1) __builtin_trap();
            for (const auto& [table, hash] : before)
                if (table != "site_parked" && after.at(table) != hash) __builtin_trap();
            if (after.size() != before.size() || !sound(db)) __builtin_trap();
        }
        if (first.what == service::ApplyOutcome::What::Kept && after != before) __builtin_trap();
        // The hub delivers a fact again after a lost ack: it changes nothing.
        auto second = applyOne(r, payload);
        if (second.what == service::ApplyOutcome::What::Failed) __builtin_trap();
        if (fingerprint(r) != after) __builtin_trap();
        // Rolled back by the transaction's destructor.
    }
    if (db.inTransaction() || fingerprint(r) != r.clean) __builtin_trap();
    return 0;
}

#include "sync/site/lease.hpp"

#include "sync/site/nats_handles.hpp"

#include <nats/nats.h>

#include <algorithm>

namespace edsync::site {

namespace {

constexpr const char* kLeaseKey = "uploader";

Result<kvStore*> openBucket(SiteConnection& conn, const std::string& bucket, std::chrono::nanoseconds ttl,
                            const char* description) {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = bucket.c_str();
    cfg.Description = description;
    cfg.History = 1;
    cfg.TTL = ttl.count();
    cfg.StorageType = js_FileStorage;
    kvStore* kv = nullptr;
    natsStatus s = js_CreateKeyValue(&kv, conn.nats().js, &cfg);
    if (s != NATS_OK) {
        // It exists with another configuration (say an older TTL): use it as it is.
        kv = nullptr;
        s = js_KeyValue(&kv, conn.nats().js, bucket.c_str());
    }
    if (s != NATS_OK) return fail(natsError(s, 0, "opening the site's " + std::string(description)));
    conn.noteContact();
    return kv;
}

struct Entry {
    std::uint64_t revision = 0;
    std::string value;
    std::int64_t createdNs = 0;
};

// nullopt: no entry (never written, expired or deleted).
Result<std::optional<Entry>> get(SiteConnection& conn, kvStore* kv, const char* key) {
    kvEntry* e = nullptr;
    natsStatus s = kvStore_Get(&e, kv, key);
    if (s == NATS_NOT_FOUND) {
        conn.noteContact();
        return std::optional<Entry>{};
    }
    if (s != NATS_OK) return fail(natsError(s, 0, "reading the site's key-value store"));
    conn.noteContact();
    Entry out;
    out.revision = kvEntry_Revision(e);
    const void* v = kvEntry_Value(e);
    out.value.assign(v != nullptr ? static_cast<const char*>(v) : "", static_cast<std::size_t>(kvEntry_ValueLen(e)));
    out.createdNs = kvEntry_Created(e);
    kvEntry_Destroy(e);
    return std::optional<Entry>{std::move(out)};
}

// A compare-and-set lost to another writer, as opposed to a hub not answering.
bool lostRace(natsStatus s) {
    if (s != NATS_ERR) return false;
    natsStatus last = NATS_OK;
    const char* text = nats_GetLastError(&last);
    return text != nullptr && std::string_view(text).find("wrong last sequence") != std::string_view::npos;
}

} // namespace

struct Lease::Kv {
    kvStore* kv = nullptr;
    ~Kv() {
        if (kv != nullptr) kvStore_Destroy(kv);
    }
};
struct Machines::Kv {
    kvStore* kv = nullptr;
    ~Kv() {
        if (kv != nullptr) kvStore_Destroy(kv);
    }
};

Lease::Lease(SiteConnection& connection) : m_conn(connection) {}
Machines::Machines(SiteConnection& connection) : m_conn(connection) {}
Lease::~Lease() = default;
Machines::~Machines() = default;

Result<std::unique_ptr<Lease>> Lease::open(SiteConnection& connection) {
    auto kv = openBucket(connection, leaseBucket(connection.config()), connection.config().leaseTtl, "uploader lease");
    if (!kv) return fail(kv.error());
    std::unique_ptr<Lease> l(new Lease(connection));
    l->m_kv = std::make_unique<Kv>();
    l->m_kv->kv = *kv;
    return l;
}

Result<bool> Lease::write(const std::string& kioskId, bool mayCreate) {
    const auto started = std::chrono::steady_clock::now();
    auto current = get(m_conn, m_kv->kv, kLeaseKey);
    if (!current) return fail(current.error());
    natsStatus s = NATS_OK;
    std::uint64_t rev = 0;
    const int len = static_cast<int>(kioskId.size());
    if (!*current) {
        if (!mayCreate) {
            m_validUntil = {};
            return false;
        }
        s = kvStore_Create(&rev, m_kv->kv, kLeaseKey, kioskId.data(), len);
    } else {
        const Entry& e = **current;
        const bool ours = e.value == kioskId;
        if (!ours && !(mayCreate && e.value.empty())) {
            m_validUntil = {};
            return false;
        }
        s = kvStore_Update(&rev, m_kv->kv, kLeaseKey, kioskId.data(), len, e.revision);
    }
    if (s != NATS_OK) {
        if (lostRace(s)) {
            m_validUntil = {};
            return false;
        }
        return fail(natsError(s, 0, "writing the uploader lease"));
    }
    m_conn.noteContact();
    const auto ttl = std::chrono::duration_cast<std::chrono::steady_clock::duration>(m_conn.config().leaseTtl);
    const auto margin = std::max<std::chrono::steady_clock::duration>(ttl / 5, std::chrono::seconds(2));
    m_validUntil = started + ttl - margin;
    return true;
}

Result<bool> Lease::tryAcquire(const std::string& kioskId) { return write(kioskId, true); }
Result<bool> Lease::renew(const std::string& kioskId) { return write(kioskId, false); }

Status Lease::release(const std::string& kioskId) {
    m_validUntil = {};
    auto current = get(m_conn, m_kv->kv, kLeaseKey);
    if (!current) return fail(current.error());
    if (!*current || (*current)->value != kioskId) return {};
    std::uint64_t rev = 0;
    natsStatus s = kvStore_Update(&rev, m_kv->kv, kLeaseKey, "", 0, (*current)->revision);
    if (s != NATS_OK && !lostRace(s)) return fail(natsError(s, 0, "releasing the uploader lease"));
    return {};
}

Result<std::optional<std::string>> Lease::holder() {
    auto current = get(m_conn, m_kv->kv, kLeaseKey);
    if (!current) return fail(current.error());
    if (!*current || (*current)->value.empty()) return std::optional<std::string>{};
    return std::optional<std::string>{(*current)->value};
}

bool Lease::heldLocally() const { return std::chrono::steady_clock::now() < m_validUntil; }

Result<std::unique_ptr<Machines>> Machines::open(SiteConnection& connection) {
    auto kv = openBucket(connection, machinesBucket(connection.config()), std::chrono::hours(24 * 30), "machine list");
    if (!kv) return fail(kv.error());
    std::unique_ptr<Machines> m(new Machines(connection));
    m->m_kv = std::make_unique<Kv>();
    m->m_kv->kv = *kv;
    return m;
}

Status Machines::announce(const std::string& kioskId, const std::string& json) {
    // The key is the token (KV keys are restricted); the raw id leads the value.
    const std::string key = natsToken(kioskId);
    const std::string value = kioskId + "\n" + json;
    std::uint64_t rev = 0;
    natsStatus s = kvStore_Put(&rev, m_kv->kv, key.c_str(), value.data(), static_cast<int>(value.size()));
    if (s != NATS_OK) return fail(natsError(s, 0, "announcing this machine to the site"));
    m_conn.noteContact();
    return {};
}

Result<std::vector<MachineInfo>> Machines::machines() {
    kvKeysList keys{};
    natsStatus s = kvStore_Keys(&keys, m_kv->kv, nullptr);
    std::vector<MachineInfo> out;
    if (s == NATS_NOT_FOUND) return out;  // nobody announced yet
    if (s != NATS_OK) return fail(natsError(s, 0, "listing the site's machines"));
    for (int i = 0; i < keys.Count; ++i) {
        auto e = get(m_conn, m_kv->kv, keys.Keys[i]);
        if (!e) {
            kvKeysList_Destroy(&keys);
            return fail(e.error());
        }
        if (!*e) continue;  // lapsed meanwhile
        const std::string& v = (*e)->value;
        auto nl = v.find('\n');
        MachineInfo m;
        m.kioskId = v.substr(0, nl);
        m.json = nl == std::string::npos ? std::string() : v.substr(nl + 1);
        m.updatedUnixMs = (*e)->createdNs / 1'000'000;
        out.push_back(std::move(m));
    }
    kvKeysList_Destroy(&keys);
    std::sort(out.begin(), out.end(), [](const MachineInfo& a, const MachineInfo& b) { return a.kioskId < b.kioskId; });
    return out;
}

} // namespace edsync::site

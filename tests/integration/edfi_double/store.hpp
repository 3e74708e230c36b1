#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "edfi_double/clock.hpp"

namespace edfi_double {

enum class WriteSource { Client, Seed };

enum class UpsertOutcome { Created, Updated, PreconditionFailed };

struct UpsertResult {
    UpsertOutcome outcome = UpsertOutcome::Created;
    std::string id;
    std::string etag;
    std::uint64_t changeVersion = 0;
};

struct ListQuery {
    std::uint64_t offset = 0;
    std::uint64_t limit = 25;
    std::optional<std::uint64_t> minChangeVersion;
    std::optional<std::uint64_t> maxChangeVersion;
    // Flat-name filters, e.g. schoolId=255901, matched at the top level or
    // inside a top-level "...Reference" object.
    std::vector<std::pair<std::string, std::string>> filters;
};

struct ListPage {
    std::vector<nlohmann::json> items;
    std::uint64_t totalCount = 0; // matches before paging
};

// In-memory Ed-Fi store: resources keyed by natural key, one global change
// version counter (as the ODS keeps), deletes, and a log of what clients
// posted so tests can count deliveries exactly. Thread-safe.
class Store {
public:
    explicit Store(Clock clock);

    // Full replacement of the record at `key`. `ifMatch` (an etag, quotes
    // optional) must equal the stored etag when the record exists.
    UpsertResult upsert(const std::string& resource, const nlohmann::json& key, nlohmann::json body, WriteSource source,
                        const std::optional<std::string>& ifMatch = std::nullopt);
    void recordRejectedPost(const std::string& resource);

    bool contains(const std::string& resource, const nlohmann::json& key) const;
    std::optional<nlohmann::json> findById(const std::string& resource, const std::string& id) const;
    ListPage list(const std::string& resource, const ListQuery& query) const;
    ListPage deletes(const std::string& resource, const ListQuery& query) const;

    bool removeByKey(const std::string& resource, const nlohmann::json& key);
    bool removeById(const std::string& resource, const std::string& id);
    // A client's DELETE {resource}/{id}: counted in the received log (per key
    // and in total) whether or not the record was there.
    bool removeByIdForClient(const std::string& resource, const std::string& id);

    // {"records": [{"key", "body", "posts", "deletes", "present" (held now), "history" (the last client writes)}],
    //  "totalPosts", "rejectedPosts", "totalDeletes", "missedDeletes"}
    nlohmann::json received(const std::string& resource) const;
    std::uint64_t newestChangeVersion() const;
    void clear();
    // Replaces this store's records with a copy of `other`'s (a snapshot).
    void copyRecordsFrom(const Store& other);

private:
    struct Item {
        std::string id;
        nlohmann::json key;
        nlohmann::json body;
        std::uint64_t changeVersion = 0;
        std::uint64_t sequence = 0;
        std::string lastModified;
    };
    struct Deleted {
        std::string id;
        nlohmann::json keyValues;
        std::uint64_t changeVersion = 0;
    };
    struct Collection {
        std::map<std::string, Item> byKey;          // canonical key text -> item
        std::map<std::uint64_t, std::string> order; // creation sequence -> key text
        std::map<std::string, std::string> keyById; // id -> key text
        std::vector<Deleted> deleted;
    };
    struct ReceivedRecord {
        nlohmann::json key;
        nlohmann::json body;
        std::uint64_t posts = 0;
        std::uint64_t deletes = 0;
        // The client's last writes of this record, in the order the double
        // decided them (stored or refused with 412, the If-Match they carried,
        // the ETag after): what a test prints when a record ends wrong.
        nlohmann::json history = nlohmann::json::array();
    };
    struct ReceivedLog {
        std::vector<std::string> order;
        std::map<std::string, ReceivedRecord> byKey;
        std::uint64_t totalPosts = 0;
        std::uint64_t rejectedPosts = 0;
        std::uint64_t totalDeletes = 0;   // client DELETEs that removed a record
        std::uint64_t missedDeletes = 0;  // client DELETEs of an unknown id (404)
    };

    static std::string etagFor(const Item& item);
    static nlohmann::json render(const Item& item);
    bool removeLocked(Collection& collection, const std::string& keyText);

    Clock m_clock;
    mutable std::mutex m_mutex;
    std::map<std::string, Collection, std::less<>> m_collections;
    std::map<std::string, ReceivedLog, std::less<>> m_received;
    std::uint64_t m_changeVersion = 0;
    std::uint64_t m_sequence = 0;
    std::uint64_t m_clientWrites = 0;  // orders the entries of ReceivedRecord::history across records
};

// Canonical text of a key object (nlohmann::json objects are sorted maps).
std::string keyText(const nlohmann::json& key);

} // namespace edfi_double

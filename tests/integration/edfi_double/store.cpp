#include "edfi_double/store.hpp"

#include "edfi_double/text_codec.hpp"

#include <cctype>

namespace edfi_double {

namespace {

std::optional<std::string> scalarText(const nlohmann::json& value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_number() || value.is_boolean()) return value.dump();
    return std::nullopt;
}

// A role-named reference's key is queried under its role, as the ODS/API
// does: reportedSchoolReference.schoolId answers ?reportedSchoolId=.
bool roleNamedKey(std::string_view member, std::string_view key, std::string_view name) {
    if (key.empty() || !member.ends_with("Reference")) return false;
    std::string capitalised(key);
    capitalised[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(capitalised[0])));
    if (!name.ends_with(capitalised) || name.size() == capitalised.size()) return false;
    std::string_view role = name.substr(0, name.size() - capitalised.size());
    // The reference is the role, the entity (the key less its Id/Identifier) and "Reference".
    std::string entity = capitalised;
    for (std::string_view suffix : {"Identifier", "UniqueId", "Id"})
        if (entity.size() > suffix.size() && std::string_view(entity).ends_with(suffix)) {
            entity.resize(entity.size() - suffix.size());
            break;
        }
    return member == std::string(role) + entity + "Reference";
}

bool matchesFilter(const nlohmann::json& body, const std::string& name, const std::string& wanted) {
    auto direct = body.find(name);
    if (direct != body.end()) return scalarText(*direct) == wanted;
    for (const auto& [member, value] : body.items()) {
        if (!value.is_object() || !std::string_view(member).ends_with("Reference")) continue;
        auto nested = value.find(name);
        if (nested != value.end()) return scalarText(*nested) == wanted;
        for (const auto& [key, inner] : value.items())
            if (roleNamedKey(member, key, name)) return scalarText(inner) == wanted;
    }
    return false;
}

bool inChangeWindow(std::uint64_t version, const ListQuery& query) {
    if (query.minChangeVersion && version < *query.minChangeVersion) return false;
    if (query.maxChangeVersion && version > *query.maxChangeVersion) return false;
    return true;
}

std::string unquote(std::string_view etag) {
    etag = trim(etag);
    if (etag.starts_with("W/")) etag.remove_prefix(2);
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
    return std::string(etag);
}

} // namespace

std::string keyText(const nlohmann::json& key) {
    return key.dump();
}

Store::Store(Clock clock) : m_clock(std::move(clock)) {}

std::string Store::etagFor(const Item& item) {
    return std::to_string(item.changeVersion);
}

nlohmann::json Store::render(const Item& item) {
    nlohmann::json out = item.body;
    out["id"] = item.id;
    out["_etag"] = etagFor(item);
    out["_lastModifiedDate"] = item.lastModified;
    return out;
}

UpsertResult Store::upsert(const std::string& resource, const nlohmann::json& key, nlohmann::json body,
                           WriteSource source, const std::optional<std::string>& ifMatch) {
    // Server-owned members never come from the body.
    body.erase("id");
    body.erase("_etag");
    body.erase("_lastModifiedDate");

    std::lock_guard lock(m_mutex);
    Collection& collection = m_collections[resource];
    const std::string text = keyText(key);
    auto existing = collection.byKey.find(text);
    // A client's write, as the record's history keeps it (the last kHistory).
    auto remember = [&](ReceivedRecord& record, const char* result, const std::string& etag, const nlohmann::json& sent) {
        constexpr std::size_t kHistory = 12;
        if (record.history.size() >= kHistory) record.history.erase(record.history.begin());
        record.history.push_back({{"n", ++m_clientWrites}, {"result", result}, {"ifMatch", ifMatch ? nlohmann::json(*ifMatch) : nlohmann::json()},
                                  {"etag", etag}, {"body", sent}});
    };
    if (ifMatch && existing != collection.byKey.end() && unquote(*ifMatch) != etagFor(existing->second)) {
        if (source == WriteSource::Client) {
            auto log = m_received.find(resource);
            if (log != m_received.end())
                if (auto record = log->second.byKey.find(text); record != log->second.byKey.end())
                    remember(record->second, "412", etagFor(existing->second), body);
        }
        return UpsertResult{UpsertOutcome::PreconditionFailed, existing->second.id, etagFor(existing->second),
                            existing->second.changeVersion};
    }

    UpsertOutcome outcome = UpsertOutcome::Updated;
    if (existing == collection.byKey.end()) {
        outcome = UpsertOutcome::Created;
        Item fresh;
        fresh.id = randomHex(16);
        fresh.key = key;
        fresh.sequence = ++m_sequence;
        collection.order[fresh.sequence] = text;
        collection.keyById[fresh.id] = text;
        existing = collection.byKey.emplace(text, std::move(fresh)).first;
    }
    Item& item = existing->second;
    if (source == WriteSource::Client) {
        ReceivedLog& log = m_received[resource];
        auto [record, inserted] = log.byKey.try_emplace(text);
        if (inserted) {
            log.order.push_back(text);
            record->second.key = key;
        }
        record->second.body = body;
        record->second.posts += 1;
        log.totalPosts += 1;
    }
    item.body = std::move(body);
    item.changeVersion = ++m_changeVersion;
    item.lastModified = isoUtc(m_clock());
    if (source == WriteSource::Client)
        remember(m_received[resource].byKey.at(text), outcome == UpsertOutcome::Created ? "created" : "updated", etagFor(item), item.body);
    return UpsertResult{outcome, item.id, etagFor(item), item.changeVersion};
}

void Store::recordRejectedPost(const std::string& resource) {
    std::lock_guard lock(m_mutex);
    m_received[resource].rejectedPosts += 1;
}

bool Store::contains(const std::string& resource, const nlohmann::json& key) const {
    std::lock_guard lock(m_mutex);
    auto collection = m_collections.find(resource);
    return collection != m_collections.end() && collection->second.byKey.contains(keyText(key));
}

std::optional<nlohmann::json> Store::findById(const std::string& resource, const std::string& id) const {
    std::lock_guard lock(m_mutex);
    auto collection = m_collections.find(resource);
    if (collection == m_collections.end()) return std::nullopt;
    auto key = collection->second.keyById.find(id);
    if (key == collection->second.keyById.end()) return std::nullopt;
    return render(collection->second.byKey.at(key->second));
}

ListPage Store::list(const std::string& resource, const ListQuery& query) const {
    ListPage page;
    std::lock_guard lock(m_mutex);
    auto collection = m_collections.find(resource);
    if (collection == m_collections.end()) return page;
    // Creation order keeps offset paging stable while records are updated.
    for (const auto& [sequence, text] : collection->second.order) {
        const Item& item = collection->second.byKey.at(text);
        if (!inChangeWindow(item.changeVersion, query)) continue;
        bool matches = true;
        for (const auto& [name, value] : query.filters) {
            if (!matchesFilter(item.body, name, value)) {
                matches = false;
                break;
            }
        }
        if (!matches) continue;
        if (page.totalCount >= query.offset && page.items.size() < query.limit) page.items.push_back(render(item));
        page.totalCount += 1;
    }
    return page;
}

ListPage Store::deletes(const std::string& resource, const ListQuery& query) const {
    ListPage page;
    std::lock_guard lock(m_mutex);
    auto collection = m_collections.find(resource);
    if (collection == m_collections.end()) return page;
    for (const auto& deleted : collection->second.deleted) {
        if (!inChangeWindow(deleted.changeVersion, query)) continue;
        if (page.totalCount >= query.offset && page.items.size() < query.limit) {
            page.items.push_back(
                {{"id", deleted.id}, {"changeVersion", deleted.changeVersion}, {"keyValues", deleted.keyValues}});
        }
        page.totalCount += 1;
    }
    return page;
}

bool Store::removeLocked(Collection& collection, const std::string& text) {
    auto it = collection.byKey.find(text);
    if (it == collection.byKey.end()) return false;
    const Item& item = it->second;
    collection.deleted.push_back(Deleted{item.id, item.key, ++m_changeVersion});
    collection.order.erase(item.sequence);
    collection.keyById.erase(item.id);
    collection.byKey.erase(it);
    return true;
}

bool Store::removeByKey(const std::string& resource, const nlohmann::json& key) {
    std::lock_guard lock(m_mutex);
    auto collection = m_collections.find(resource);
    return collection != m_collections.end() && removeLocked(collection->second, keyText(key));
}

bool Store::removeById(const std::string& resource, const std::string& id) {
    std::lock_guard lock(m_mutex);
    auto collection = m_collections.find(resource);
    if (collection == m_collections.end()) return false;
    auto key = collection->second.keyById.find(id);
    if (key == collection->second.keyById.end()) return false;
    std::string text = key->second;
    return removeLocked(collection->second, text);
}

bool Store::removeByIdForClient(const std::string& resource, const std::string& id) {
    std::lock_guard lock(m_mutex);
    ReceivedLog& log = m_received[resource];
    auto collection = m_collections.find(resource);
    auto key = collection == m_collections.end() ? std::map<std::string, std::string>::iterator{} : collection->second.keyById.find(id);
    if (collection == m_collections.end() || key == collection->second.keyById.end()) {
        log.missedDeletes += 1;
        return false;
    }
    std::string text = key->second;
    if (auto record = log.byKey.find(text); record != log.byKey.end()) record->second.deletes += 1;
    log.totalDeletes += 1;
    return removeLocked(collection->second, text);
}

nlohmann::json Store::received(const std::string& resource) const {
    std::lock_guard lock(m_mutex);
    nlohmann::json out = {
        {"resource", resource}, {"records", nlohmann::json::array()}, {"totalPosts", 0}, {"rejectedPosts", 0},
        {"totalDeletes", 0}, {"missedDeletes", 0}};
    auto log = m_received.find(resource);
    if (log == m_received.end()) return out;
    for (const auto& text : log->second.order) {
        const ReceivedRecord& record = log->second.byKey.at(text);
        auto collection = m_collections.find(resource);
        const bool present = collection != m_collections.end() && collection->second.byKey.count(text) > 0;
        out["records"].push_back(
            {{"key", record.key}, {"body", record.body}, {"posts", record.posts}, {"deletes", record.deletes}, {"present", present},
             {"history", record.history}});
    }
    out["totalPosts"] = log->second.totalPosts;
    out["rejectedPosts"] = log->second.rejectedPosts;
    out["totalDeletes"] = log->second.totalDeletes;
    out["missedDeletes"] = log->second.missedDeletes;
    return out;
}

std::uint64_t Store::newestChangeVersion() const {
    std::lock_guard lock(m_mutex);
    return m_changeVersion;
}

void Store::copyRecordsFrom(const Store& other) {
    if (&other == this) return;
    std::scoped_lock lock(m_mutex, other.m_mutex);
    m_collections = other.m_collections;
    m_changeVersion = other.m_changeVersion;
    m_sequence = other.m_sequence;
}

void Store::clear() {
    std::lock_guard lock(m_mutex);
    m_collections.clear();
    m_received.clear();
    m_changeVersion = 0;
    m_sequence = 0;
}

} // namespace edfi_double

#pragma once
// Test doubles for the sync library: a settable clock, an HttpClient that
// hands each request to a function, and a small in-memory Ed-Fi server model
// (token, discovery, upsert on a natural key, change queries, deletes) with
// hooks for injecting faults. No sockets, no threads of its own.
#include "sync/edfi/clock.hpp"
#include "sync/transport/http.hpp"
#include "support/eventually.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <chrono>
#include <thread>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace edsync::testing {

using transport::Outcome;
using transport::Request;
using transport::Response;

class FakeClock final : public edfi::Clock {
public:
    std::int64_t unixMs() const override { return m_unix.load(); }
    std::int64_t steadyMs() const override { return m_steady.load(); }
    void advance(std::int64_t ms) {
        m_unix += ms;
        m_steady += ms;
    }
    void setUnix(std::int64_t ms) { m_unix = ms; }

private:
    std::atomic<std::int64_t> m_unix{1'700'000'000'000};
    std::atomic<std::int64_t> m_steady{1'000'000};
};

inline Response respond(int status, std::string body = {}, std::vector<transport::Header> headers = {}) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}

inline Outcome noAnswer(transport::FailureKind kind = transport::FailureKind::Connect, int curlCode = 7) {
    return fail(transport::TransportError{kind, curlCode, "test: no answer"});
}

class FakeHttp final : public transport::HttpClient {
public:
    using Handler = std::function<Outcome(const Request&)>;
    explicit FakeHttp(Handler handler) : m_handler(std::move(handler)) {}

    void perform(std::span<const Request> batch, const transport::Completion& done) override {
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (m_interrupted.load()) {
                done(i, fail(transport::TransportError{transport::FailureKind::Cancelled, 0, "interrupted"}));
                continue;
            }
            {
                std::lock_guard lock(m_mutex);
                m_log.push_back(batch[i]);
            }
            done(i, m_handler(batch[i]));
        }
    }
    // One request at a time, answered before the next is asked for.
    void performStream(const transport::NextRequest& next, const transport::Completion& done) override {
        for (std::size_t i = 0; !m_interrupted.load(); ++i) {
            std::optional<Request> request = next();
            if (!request) return;
            if (m_interrupted.load()) {
                done(i, fail(transport::TransportError{transport::FailureKind::Cancelled, 0, "interrupted"}));
                return;
            }
            {
                std::lock_guard lock(m_mutex);
                m_log.push_back(*request);
                m_streamLog.push_back(*request);
            }
            done(i, m_handler(*request));
        }
    }
    void interrupt() override { m_interrupted = true; }
    void resume() override { m_interrupted = false; }

    std::vector<Request> log() const {
        std::lock_guard lock(m_mutex);
        return m_log;
    }
    // The requests that went through performStream() (a drain's flights), in order.
    std::vector<Request> streamLog() const {
        std::lock_guard lock(m_mutex);
        return m_streamLog;
    }
    std::size_t count(std::string_view urlPart) const {
        std::lock_guard lock(m_mutex);
        std::size_t n = 0;
        for (const Request& r : m_log)
            if (r.url.find(urlPart) != std::string::npos) ++n;
        return n;
    }

private:
    Handler m_handler;
    mutable std::mutex m_mutex;
    std::vector<Request> m_log;
    std::vector<Request> m_streamLog;
    std::atomic<bool> m_interrupted{false};
};

// A streaming client that keeps up to `window` requests in flight and answers
// them out of order: each time its slots are full (or nothing more comes) it
// answers the in-flight request `pick` chooses — by default the newest, so the
// first request of a stream waits the longest. It records when each request
// started and finished, so a test can see whether slots were refilled before
// a slow answer arrived. Single-threaded; interrupt() from a handler or a
// completion callback cancels what is in flight.
class ReorderingHttp final : public transport::HttpClient {
public:
    using Handler = std::function<Outcome(const Request&)>;
    struct Event {
        bool started = false;  // false: completed
        std::size_t index = 0;
    };
    struct Pending {
        std::size_t index = 0;
        Request request;
    };
    // Index into `inFlight` of the request to answer next.
    using Pick = std::function<std::size_t(const std::vector<Pending>& inFlight)>;

    ReorderingHttp(Handler handler, std::size_t window) : m_handler(std::move(handler)), m_window(window) {}
    Pick pick = [](const std::vector<Pending>& inFlight) { return inFlight.size() - 1; };

    void perform(std::span<const Request> batch, const transport::Completion& done) override {
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (m_interrupted) done(i, fail(transport::TransportError{transport::FailureKind::Cancelled, 0, "interrupted"}));
            else done(i, m_handler(batch[i]));
        }
    }
    void performStream(const transport::NextRequest& next, const transport::Completion& done) override {
        std::vector<Pending> inFlight;
        std::size_t counter = 0;
        bool more = true;
        for (;;) {
            if (m_interrupted) {
                for (auto& p : inFlight) done(p.index, fail(transport::TransportError{transport::FailureKind::Cancelled, 0, "interrupted"}));
                return;
            }
            while (more && inFlight.size() < m_window) {
                std::optional<Request> r = next();
                if (!r) {
                    more = false;
                    break;
                }
                events.push_back({true, counter});
                requests.push_back(*r);
                inFlight.push_back({counter++, std::move(*r)});
                maxInFlight = std::max(maxInFlight, inFlight.size());
            }
            if (inFlight.empty()) return;
            std::size_t chosen = std::min(pick(inFlight), inFlight.size() - 1);
            Pending p = std::move(inFlight[chosen]);
            inFlight.erase(inFlight.begin() + static_cast<std::ptrdiff_t>(chosen));
            Outcome outcome = m_handler(p.request);
            if (m_interrupted) outcome = fail(transport::TransportError{transport::FailureKind::Cancelled, 0, "interrupted"});
            events.push_back({false, p.index});
            done(p.index, std::move(outcome));
        }
    }
    void interrupt() override { m_interrupted = true; }
    void resume() override { m_interrupted = false; }

    std::vector<Event> events;
    std::vector<Request> requests;  // in the order they started
    std::size_t maxInFlight = 0;

private:
    Handler m_handler;
    std::size_t m_window;
    bool m_interrupted = false;
};

using kiosk::test::eventually;

// The Ed-Fi behaviour the client relies on, in memory. Thread-safe.
class FakeEdfi {
public:
    static constexpr const char* kBase = "https://edfi.test/api";

    struct Item {
        std::int64_t changeVersion = 0;
        nlohmann::json doc;
    };

    // Runs before normal handling; returning an outcome short-circuits it.
    std::function<std::optional<Outcome>(const Request&)> before;
    // Adds a Date header this many ms away from `clock` (when set).
    const edfi::Clock* clock = nullptr;
    std::int64_t dateSkewMs = 0;

    bool rejectCredentials = false;
    std::string tokenPath = "/oauth/token";  // ODS/API 8 names /connect/token in its discovery document
    std::int64_t tokenLifetimeSeconds = 1800;
    int maxLiveTokens = 15;

    Outcome handle(const Request& request) {
        if (before)
            if (auto o = before(request)) return std::move(*o);
        std::lock_guard lock(m_mutex);
        Response r = route(request);
        if (clock) r.headers.push_back({"date", httpDate((clock->unixMs() + dateSkewMs) / 1000)});
        return r;
    }
    FakeHttp::Handler handler() {
        return [this](const Request& r) { return handle(r); };
    }

    // --- server-side state, for assertions and setup ---
    void expireAllTokens() {
        std::lock_guard lock(m_mutex);
        m_tokens.clear();
    }
    int tokensIssued() const {
        std::lock_guard lock(m_mutex);
        return m_tokensIssued;
    }
    std::optional<nlohmann::json> stored(const std::string& resource, const std::string& key) const {
        std::lock_guard lock(m_mutex);
        auto r = m_upserts.find(resource);
        if (r == m_upserts.end()) return std::nullopt;
        auto k = r->second.find(key);
        if (k == r->second.end()) return std::nullopt;
        return k->second;
    }
    std::size_t storedCount(const std::string& resource) const {
        std::lock_guard lock(m_mutex);
        auto r = m_upserts.find(resource);
        return r == m_upserts.end() ? 0 : r->second.size();
    }
    int posts(const std::string& resource, const std::string& key) const {
        std::lock_guard lock(m_mutex);
        auto it = m_posts.find(resource + "|" + key);
        return it == m_posts.end() ? 0 : it->second;
    }
    int deleteRequests(const std::string& resource, const std::string& key) const {
        std::lock_guard lock(m_mutex);
        auto it = m_deleteRequests.find(resource + "|" + key);
        return it == m_deleteRequests.end() ? 0 : it->second;
    }
    // Another writer (a second kiosk, a district system) stores `doc` under `key`.
    void writeAsOther(const std::string& resource, const std::string& key, nlohmann::json doc) {
        std::lock_guard lock(m_mutex);
        doc["naturalKey"] = key;
        m_upserts[resource][key] = std::move(doc);
        m_etags[resource + "|" + key] = ++m_etagCounter;
    }
    // Another writer deleted the record stored under `key` (or a deletion
    // whose answer was lost landed).
    void removeAsOther(const std::string& resource, const std::string& key) {
        std::lock_guard lock(m_mutex);
        m_upserts[resource].erase(key);
        m_etags.erase(resource + "|" + key);
    }
    int lookups(const std::string& resource, const std::string& key) const {
        std::lock_guard lock(m_mutex);
        auto it = m_lookups.find(resource + "|" + key);
        return it == m_lookups.end() ? 0 : it->second;
    }
    // Change-query data: set (or replace) an item; bumps the change version.
    void upsertItem(const std::string& resource, const std::string& id, nlohmann::json doc) {
        std::lock_guard lock(m_mutex);
        doc["id"] = id;
        m_items[resource][id] = Item{++m_changeVersion, std::move(doc)};
    }
    void deleteItem(const std::string& resource, const std::string& id) {
        std::lock_guard lock(m_mutex);
        m_items[resource].erase(id);
        m_deletes[resource][id] = ++m_changeVersion;
    }
    bool isLive(const std::string& resource, const std::string& id) const {
        std::lock_guard lock(m_mutex);
        auto it = m_items.find(resource);
        return it != m_items.end() && it->second.count(id) > 0;
    }
    std::map<std::string, nlohmann::json> liveItems(const std::string& resource) const {
        std::lock_guard lock(m_mutex);
        std::map<std::string, nlohmann::json> out;
        auto it = m_items.find(resource);
        if (it != m_items.end())
            for (const auto& [id, item] : it->second) out[id] = item.doc;
        return out;
    }

    static std::string httpDate(std::int64_t unixSeconds) {
        std::time_t t = static_cast<std::time_t>(unixSeconds);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char buf[64];
        std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        return buf;
    }

private:
    static std::map<std::string, std::string> query(std::string_view q) {
        std::map<std::string, std::string> out;
        while (!q.empty()) {
            auto amp = q.find('&');
            std::string_view pair = q.substr(0, amp);
            auto eq = pair.find('=');
            if (eq != std::string_view::npos) out[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
            if (amp == std::string_view::npos) break;
            q.remove_prefix(amp + 1);
        }
        return out;
    }

    static Response problem(int status, std::string type, std::string detail) {
        nlohmann::json p{{"type", type}, {"status", status}, {"title", "problem"}, {"detail", detail}};
        return respond(status, p.dump(), {{"content-type", "application/problem+json"}});
    }

    bool authorised(const Request& r) const {
        for (const auto& h : r.headers)
            if (h.name == "Authorization" && h.value.starts_with("Bearer ")) return m_tokens.count(h.value.substr(7)) > 0;
        return false;
    }

    Response route(const Request& request) {
        std::string_view url = request.url;
        if (!url.starts_with(kBase)) return respond(404);
        url.remove_prefix(std::string_view(kBase).size());
        std::string_view path = url.substr(0, url.find('?'));
        auto params = query(url.find('?') == std::string_view::npos ? std::string_view{} : url.substr(url.find('?') + 1));

        if (path == "/" || path.empty()) {
            nlohmann::json d{{"version", "7.2"},
                             {"dataModels", {{{"name", "Ed-Fi"}, {"version", "5.1.0"}}}},
                             {"urls",
                              {{"oauth", std::string(kBase) + tokenPath},
                               {"dataManagementApi", std::string(kBase) + "/data/v3/"},
                               {"changeQueries", std::string(kBase) + "/changeQueries/v1/"}}}};
            return respond(200, d.dump());
        }
        if (path == tokenPath) {
            if (rejectCredentials) return respond(401, R"({"error":"invalid_client"})");
            if (static_cast<int>(m_tokens.size()) >= maxLiveTokens)
                return problem(429, "urn:ed-fi:api:security:authentication:too-many-tokens", "too many tokens");
            std::string token = "tok-" + std::to_string(++m_tokensIssued);
            m_tokens.insert(token);
            nlohmann::json t{{"access_token", token}, {"expires_in", tokenLifetimeSeconds}, {"token_type", "bearer"}};
            return respond(200, t.dump());
        }
        if (!authorised(request)) return problem(401, "urn:ed-fi:api:security:authentication", "Authorization denied.");
        if (path == "/changeQueries/v1/availableChangeVersions") {
            nlohmann::json v{{"oldestChangeVersion", 0}, {"newestChangeVersion", m_changeVersion}};
            return respond(200, v.dump());
        }
        constexpr std::string_view kData = "/data/v3/ed-fi/";
        if (!path.starts_with(kData)) return respond(404);
        std::string rest(path.substr(kData.size()));
        bool deletes = false;
        if (rest.ends_with("/deletes")) {
            deletes = true;
            rest.resize(rest.size() - 8);
        }
        if (request.method == transport::Method::Post) return upsert(rest, request);
        if (request.method == transport::Method::Delete) return remove(rest);
        if (params.count("naturalKey")) return lookup(rest, params.at("naturalKey"));
        if (auto slash = rest.rfind('/'); slash != std::string::npos && rest.compare(slash + 1, 3, "id-") == 0)
            return byId(rest.substr(0, slash), rest.substr(slash + 4));
        return list(rest, deletes, params);
    }

    static std::optional<std::string> header(const Request& r, std::string_view name) {
        for (const auto& h : r.headers)
            if (h.name == name) return h.value;
        return std::nullopt;
    }
    std::string etagOf(const std::string& resource, const std::string& key) { return std::to_string(m_etags[resource + "|" + key]); }

    Response upsert(const std::string& resource, const Request& request) {
        nlohmann::json doc = nlohmann::json::parse(request.body, nullptr, false);
        if (doc.is_discarded() || !doc.is_object() || !doc.contains("naturalKey") || !doc["naturalKey"].is_string())
            return problem(400, "urn:ed-fi:api:bad-request", "The request body could not be read.");
        if (doc.value("invalid", false)) {
            nlohmann::json p{{"type", "urn:ed-fi:api:bad-request:data-validation-failed"},
                             {"status", 400},
                             {"detail", "Data validation failed. See 'validationErrors' for details."},
                             {"validationErrors", {{"$.administrationDate", {"administrationDate is required."}}}}};
            return respond(400, p.dump());
        }
        const std::string key = doc["naturalKey"];
        ++m_posts[resource + "|" + key];
        auto& slot = m_upserts[resource];
        bool existed = slot.count(key) > 0;
        // As ODS/API: If-Match is checked against an existing record only.
        if (auto ifMatch = header(request, "If-Match"); ifMatch && existed && *ifMatch != "\"" + etagOf(resource, key) + "\"")
            return problem(412, "urn:ed-fi:api:optimistic-lock-failed", "The resource item's etag value does not match what was specified in the 'If-Match' request header.");
        slot[key] = doc;
        m_etags[resource + "|" + key] = ++m_etagCounter;
        return respond(existed ? 200 : 201, "",
                       {{"location", std::string(kBase) + "/data/v3/ed-fi/" + resource + "/id-" + key},
                        {"etag", "\"" + etagOf(resource, key) + "\""}});
    }

    // DELETE {resource}/id-{key}: the id a POST's Location named.
    Response remove(const std::string& path) {
        auto slash = path.rfind('/');
        if (slash == std::string::npos || path.compare(slash + 1, 3, "id-") != 0) return respond(404);
        const std::string resource = path.substr(0, slash), key = path.substr(slash + 4);
        ++m_deleteRequests[resource + "|" + key];
        auto& slot = m_upserts[resource];
        if (slot.erase(key) == 0) return problem(404, "urn:ed-fi:api:not-found", "No item has that id.");
        return respond(204);
    }

    // GET {resource}?naturalKey=k: the record's id, or nothing.
    Response lookup(const std::string& resource, const std::string& key) {
        ++m_lookups[resource + "|" + key];
        nlohmann::json page = nlohmann::json::array();
        if (auto it = m_upserts[resource].find(key); it != m_upserts[resource].end()) {
            nlohmann::json item = it->second;
            item["id"] = "id-" + key;
            item["_etag"] = etagOf(resource, key);
            item["_lastModifiedDate"] = "2026-11-23T08:30:00Z";
            page.push_back(std::move(item));
        }
        return respond(200, page.dump());
    }

    // GET {resource}/id-{key}: the one item, or 404.
    Response byId(const std::string& resource, const std::string& key) {
        auto it = m_upserts[resource].find(key);
        if (it == m_upserts[resource].end()) return problem(404, "urn:ed-fi:api:not-found", "No item has that id.");
        nlohmann::json item = it->second;
        item["id"] = "id-" + key;
        item["_etag"] = etagOf(resource, key);
        return respond(200, item.dump());
    }

    Response list(const std::string& resource, bool deletes, const std::map<std::string, std::string>& params) {
        auto num = [&](const char* key, std::int64_t fallback) {
            auto it = params.find(key);
            return it == params.end() ? fallback : std::stoll(it->second);
        };
        std::int64_t minV = num("minChangeVersion", 0), maxV = num("maxChangeVersion", INT64_MAX);
        std::int64_t offset = num("offset", 0), limit = num("limit", 25);
        if (limit > 500) return problem(400, "urn:ed-fi:api:bad-request:parameter", "Limit must be at most 500.");
        std::vector<nlohmann::json> window;
        if (deletes) {
            for (const auto& [id, cv] : m_deletes[resource])
                if (cv >= minV && cv <= maxV) window.push_back({{"id", id}, {"changeVersion", cv}});
        } else {
            for (const auto& [id, item] : m_items[resource])
                if (item.changeVersion >= minV && item.changeVersion <= maxV) window.push_back(item.doc);
        }
        nlohmann::json page = nlohmann::json::array();
        for (std::int64_t i = offset; i < static_cast<std::int64_t>(window.size()) && i < offset + limit; ++i) page.push_back(window[i]);
        std::vector<transport::Header> headers;
        if (params.count("totalCount")) headers.push_back({"total-count", std::to_string(window.size())});
        return respond(200, page.dump(), headers);
    }

    mutable std::mutex m_mutex;
    std::set<std::string> m_tokens;
    int m_tokensIssued = 0;
    std::map<std::string, std::map<std::string, nlohmann::json>> m_upserts;
    std::map<std::string, int> m_posts;
    std::map<std::string, int> m_deleteRequests;
    std::map<std::string, int> m_lookups;
    std::map<std::string, std::int64_t> m_etags;  // resource|key -> the record's current ETag
    std::int64_t m_etagCounter = 0;
    std::int64_t m_changeVersion = 0;
    std::map<std::string, std::map<std::string, Item>> m_items;
    std::map<std::string, std::map<std::string, std::int64_t>> m_deletes;
};

} // namespace edsync::testing

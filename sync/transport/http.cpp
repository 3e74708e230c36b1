#include "sync/transport/http.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <ctime>
#include <cctype>
#include <memory>

namespace edsync::transport {

namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

struct UrlDeleter {
    void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

std::optional<std::string> urlPart(CURLU* u, CURLUPart part) {
    char* text = nullptr;
    if (curl_url_get(u, part, &text, 0) != CURLUE_OK || text == nullptr) return std::nullopt;
    std::string out(text);
    curl_free(text);
    return out;
}

} // namespace

std::optional<std::string_view> Response::header(std::string_view name) const {
    for (const Header& h : headers)
        if (equalsIgnoreCase(h.name, name)) return std::string_view(h.value);
    return std::nullopt;
}

std::string_view toString(FailureKind kind) {
    switch (kind) {
    case FailureKind::Resolve: return "host not found";
    case FailureKind::Connect: return "cannot connect";
    case FailureKind::Timeout: return "timed out";
    case FailureKind::Tls: return "TLS failure";
    case FailureKind::Reset: return "connection reset";
    case FailureKind::Truncated: return "response cut short";
    case FailureKind::TooLarge: return "response too large";
    case FailureKind::Cancelled: return "cancelled";
    case FailureKind::LinkDown: return "the network link is down";
    case FailureKind::Config: return "bad address";
    case FailureKind::Other: return "network error";
    }
    return "network error";
}

bool isCertificateDateFailure(std::string_view m) {
    std::string lower(m);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (std::string_view needle : {"not yet valid", "has expired", "certificate expired", "not yet activated", "expired certificate"})
        if (lower.find(needle) != std::string::npos) return true;
    return false;
}

std::string withClockHint(std::string message, std::int64_t nowUnixMs) {
    if (!isCertificateDateFailure(message)) return message;
    std::time_t secs = static_cast<std::time_t>(nowUnixMs / 1000);
    std::tm utc{};
    char date[32] = "?";
    if (::gmtime_r(&secs, &utc)) std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &utc);
    return message + " — this machine's clock says " + date +
           "; if that is wrong, set the clock (timedatectl set-time, or NTP) and try again: a certificate is valid only between two dates";
}

std::string TransportError::describe() const {
    std::string out(toString(kind));
    if (!message.empty()) out += ": " + message;
    if (curlCode != 0) out += " (curl " + std::to_string(curlCode) + ")";
    return out;
}

std::vector<Outcome> HttpClient::performAll(std::span<const Request> batch) {
    std::vector<std::optional<Outcome>> slots(batch.size());
    perform(batch, [&](std::size_t index, Outcome&& outcome) {
        // The first report counts; an out-of-range or repeated one is a transport bug, ignored.
        if (index < slots.size() && !slots[index]) slots[index].emplace(std::move(outcome));
    });
    std::vector<Outcome> out;
    out.reserve(batch.size());
    for (auto& slot : slots) {
        if (slot) out.push_back(std::move(*slot));
        else out.push_back(fail(TransportError{FailureKind::Cancelled, 0, "no outcome reported"}));
    }
    return out;
}

void HttpClient::performStream(const NextRequest& next, const Completion& done) {
    std::size_t base = 0;
    bool more = true;
    std::vector<Request> batch;
    while (more) {
        batch.clear();
        while (batch.size() < kFallbackStreamBatch) {
            std::optional<Request> r = next();
            if (!r) {
                more = false;
                break;
            }
            batch.push_back(std::move(*r));
        }
        if (batch.empty()) break;
        bool cancelled = false;
        perform(batch, [&](std::size_t index, Outcome&& outcome) {
            if (!outcome && outcome.error().kind == FailureKind::Cancelled) cancelled = true;
            done(base + index, std::move(outcome));
        });
        base += batch.size();
        if (cancelled) break;  // interrupted: ask for nothing more
    }
}

Outcome HttpClient::performOne(const Request& request) {
    auto all = performAll(std::span<const Request>(&request, 1));
    return std::move(all.front());
}

std::optional<std::int64_t> parseHttpDate(std::string_view text) {
    // curl_getdate needs a NUL-terminated string; dates are short.
    if (text.empty() || text.size() > 64) return std::nullopt;
    std::string copy(text);
    time_t t = curl_getdate(copy.c_str(), nullptr);
    if (t == static_cast<time_t>(-1)) return std::nullopt;
    return static_cast<std::int64_t>(t);
}

std::optional<std::string> onConfiguredOrigin(std::string_view configuredBase, std::string_view serverUrl) {
    if (configuredBase.size() > 4096 || serverUrl.size() > 4096) return std::nullopt;
    UrlHandle base(curl_url());
    UrlHandle target(curl_url());
    if (!base || !target) return std::nullopt;
    std::string baseText(configuredBase);
    if (curl_url_set(base.get(), CURLUPART_URL, baseText.c_str(), 0) != CURLUE_OK) return std::nullopt;
    // A relative reference resolves against the base; an absolute one stands alone.
    std::string serverText(serverUrl);
    if (curl_url_set(target.get(), CURLUPART_URL, baseText.c_str(), 0) != CURLUE_OK) return std::nullopt;
    if (curl_url_set(target.get(), CURLUPART_URL, serverText.c_str(), 0) != CURLUE_OK) return std::nullopt;
    auto path = urlPart(target.get(), CURLUPART_PATH);
    if (!path) return std::nullopt;
    auto query = urlPart(target.get(), CURLUPART_QUERY);
    if (curl_url_set(base.get(), CURLUPART_PATH, path->c_str(), 0) != CURLUE_OK) return std::nullopt;
    if (curl_url_set(base.get(), CURLUPART_QUERY, query ? query->c_str() : nullptr, 0) != CURLUE_OK) return std::nullopt;
    curl_url_set(base.get(), CURLUPART_FRAGMENT, nullptr, 0);
    return urlPart(base.get(), CURLUPART_URL);
}

} // namespace edsync::transport

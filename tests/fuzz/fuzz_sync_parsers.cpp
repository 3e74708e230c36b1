// libFuzzer target for everything the sync client reads from a server:
// problem details, token and OAuth error bodies, list pages,
// availableChangeVersions, discovery, Retry-After/Date headers, URL rebasing,
// the upsert and delete classifiers on arbitrary responses, the server's words
// from any error body, and the deletion helpers (Location ids, lookup pages).
// None may crash or hang.
#include "sync/edfi/backoff.hpp"
#include "sync/edfi/deletion.hpp"
#include "sync/edfi/parsers.hpp"
#include "sync/edfi/session.hpp"
#include "sync/edfi/uploader.hpp"
#include "sync/transport/http.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace edsync;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t selector = data[0];
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

    switch (selector % 11) {
    case 0: {
        auto p = edfi::parseProblemDetails(input);
        if (p) (void)p->summary();
        break;
    }
    case 1: (void)edfi::parseTokenResponse(input); break;
    case 2: (void)edfi::parseOAuthError(input); break;
    case 3: (void)edfi::parseAvailableChangeVersions(input); break;
    case 4: {
        auto page = edfi::parseListPage(input, 500);
        if (page)
            for (const auto& item : *page) (void)item.dump();
        break;
    }
    case 5: {
        auto d = edfi::parseDiscovery(input);
        if (d) {
            (void)d->dataStandardMajor();
            (void)edfi::Endpoints::fromDiscovery("https://127.0.0.1:8443/api", *d);
        }
        break;
    }
    case 6:
        (void)edfi::parseRetryAfterMs(input, 1'700'000'000'000, 3'600'000);
        (void)transport::parseHttpDate(input);
        (void)edfi::isValidResourceName(input);
        break;
    case 7: (void)transport::onConfiguredOrigin("https://127.0.0.1:8443/api/", input); break;
    case 8: {
        transport::Response r;
        r.status = 100 + static_cast<int>(selector) * 2;
        r.body = std::string(input);
        r.headers.push_back({"retry-after", std::string(input.substr(0, 40))});
        r.headers.push_back({"date", std::string(input.substr(0, 40))});
        (void)edfi::classifyUpsert(transport::Outcome(r), 1'700'000'000'000, 3'600'000);
        (void)edfi::classifyDelete(transport::Outcome(std::move(r)), 1'700'000'000'000, 3'600'000);
        break;
    }
    case 9: {
        auto w = edfi::readServerWords(input);
        (void)edfi::journalLine(w.status, w.type, w.correlationId);
        break;
    }
    case 10:
        (void)edfi::resourceIdFromLocation(input);
        (void)edfi::idFromLookupPage(input);
        (void)edfi::percentEncode(input);
        break;
    }
    (void)edfi::sanitizeText(input, selector);
    return 0;
}

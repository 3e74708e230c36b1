// libFuzzer: the USB export file (import-pending reads it from a stick that
// anyone could have written) and the site key file. Two modes, by the first
// byte: 0 opens the rest as a file; otherwise the rest names a bundle
// (manifest fields and one record, split on NUL), which is sealed, opened
// back whole, then opened again with one byte changed. Only UTF-8 names are
// sealed: a bundle is made from the kiosk's own rows, which are UTF-8.
#include "kiosk/app/pending_bundle.hpp"
#include "kiosk/app/printable.hpp"
#include "kiosk/app/site_key.hpp"
#include "kiosk/domain/text_fold.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

const kiosk::app::SiteKey& fuzzKey() {
    static const kiosk::app::SiteKey key = kiosk::app::deriveSiteKey("255901001", "kiosk", "kiosk-secret");
    return key;
}

void checkPrintable(std::string_view text) {
    for (unsigned char c : kiosk::app::printable(text))
        if (c < 0x20 || c == 0x7f) __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    using kiosk::app::openBundle;

    std::string error;
    if (auto key = kiosk::app::parseSiteKey(rest, error)) {
        // A key that parses formats back to the same key.
        std::string again;
        auto back = kiosk::app::parseSiteKey(kiosk::app::formatSiteKey(*key), again);
        if (!back || back->bytes != key->bytes) __builtin_trap();
    } else if (error.empty()) {
        __builtin_trap();
    }

    if (data[0] == 0) {
        auto opened = openBundle(rest, fuzzKey());
        if (opened) {
            // Only a file this key sealed opens; what it says is printed escaped.
            checkPrintable(opened.value().manifest.kioskName);
            checkPrintable(opened.value().manifest.siteId);
        } else {
            if (opened.error().message.empty()) __builtin_trap();
            checkPrintable(opened.error().message);
        }
        return 0;
    }

    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= rest.size(); ++i)
        if (i == rest.size() || rest[i] == '\0') {
            parts.emplace_back(rest.substr(start, i - start));
            start = i + 1;
        }
    parts.resize(6);
    for (const auto& part : parts)
        if (!kiosk::domain::isValidUtf8(part)) return 0;
    kiosk::app::PendingBundle bundle;
    bundle.manifest = {parts[0], parts[1], parts[2], parts[3], "2026-11-23T08:30:00+00:00"};
    bundle.records.push_back({"studentAssessments", parts[4], static_cast<std::int64_t>(data[0]), parts[5]});
    std::string sealed = kiosk::app::sealBundle(bundle, fuzzKey());
    auto opened = openBundle(sealed, fuzzKey());
    if (!opened) __builtin_trap();  // what we seal, we open
    const auto& m = opened.value().manifest;
    if (m.kioskId != parts[0] || m.kioskName != parts[1] || m.siteId != parts[2] || opened.value().records.size() != 1 ||
        opened.value().records[0].json != parts[5])
        __builtin_trap();
    // Any one changed byte is refused (signature, AEAD or header checks).
    std::string flipped = sealed;
    std::size_t at = (static_cast<std::size_t>(data[0]) * 7919u + rest.size()) % flipped.size();
    flipped[at] = static_cast<char>(flipped[at] ^ 0x5a);
    if (openBundle(flipped, fuzzKey())) __builtin_trap();
    return 0;
}

#pragma once
// The site key: 32 bytes every enrolled kiosk of one site holds (file 0600),
// from which the USB export keys are derived (pending_bundle.hpp).
//
// By default `enrol` derives it from the site id and the site's Ed-Fi client
// key and secret (BLAKE2b, domain-separated), so every kiosk enrolled with the
// same credentials arrives at the same key with no extra step; anyone able to
// read it could already write to the state as that site. A site that gives
// each kiosk its own credentials copies the first kiosk's file to the others
// (`enrol --site-key-file`).
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace kiosk::app {

struct SiteKey {
    std::array<unsigned char, 32> bytes{};
    ~SiteKey();
    SiteKey() = default;
    SiteKey(const SiteKey&) = default;
    SiteKey& operator=(const SiteKey&) = default;
};

SiteKey deriveSiteKey(std::string_view siteId, std::string_view clientKey, std::string_view clientSecret);

// File format: one line "testsite-site-key-v1 <base64>".
std::string formatSiteKey(const SiteKey& key);
std::optional<SiteKey> parseSiteKey(std::string_view text, std::string& error);

// Any of the kiosk's key files: one line "<label> <base64 of 32 bytes>"
// (the site key's label is "testsite-site-key-v1"). `what` names the key in errors.
std::string formatKeyLine(std::string_view label, const SiteKey& key);
std::optional<SiteKey> parseKeyLine(std::string_view label, std::string_view what, std::string_view text, std::string& error);
// Refuses a file that other users can read.
std::optional<SiteKey> readSiteKey(const std::filesystem::path& file, std::string& error);

} // namespace kiosk::app

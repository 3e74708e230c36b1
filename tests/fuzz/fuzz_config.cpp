// libFuzzer: the site configuration (TOML, /etc/testsite-kiosk/kiosk.toml) and
// the credentials file (key=... / secret=...), both written by a technician.
#include "kiosk/app/config.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = kiosk::app::parseConfig(text);
    if (r.config) {
        // What the parser promises: an enrolled kiosk only ever talks https,
        // and knows where its credentials are.
        if (r.config->state) {
            const auto& s = *r.config->state;
            // A host follows the scheme (seed known-bare-https.toml was found by this target).
            if (s.baseUrl.rfind("https://", 0) != 0 || s.baseUrl.size() <= 8 || s.credentialsFile.empty()) __builtin_trap();
            if (!s.baseUrl.empty() && s.baseUrl.back() == '/') __builtin_trap();
        }
        if (!r.error.empty()) __builtin_trap();
    } else if (r.error.empty()) {
        __builtin_trap();
    }

    std::string error;
    auto creds = kiosk::app::parseCredentials(text, error);
    if (creds) {
        if (creds->key.empty() || creds->secret.empty()) __builtin_trap();
    } else if (error.empty()) {
        __builtin_trap();
    }
    return 0;
}

#include "kiosk/app/config.hpp"

#include "kiosk/app/printable.hpp"
#include "sync/core/files.hpp"
#include "sync/edfi/session.hpp"

#include <sodium.h>
#include <toml++/toml.h>

#include <cstdlib>
#include <sstream>

namespace kiosk::app {

ConfigLoad parseConfig(std::string_view text) {
    ConfigLoad out;
    toml::table t;
    try {
        t = toml::parse(text);
    } catch (const toml::parse_error& err) {
        out.error = "the configuration is not valid TOML (line " + std::to_string(err.source().begin.line) + "): " +
                    printable(err.description());
        return out;
    }
    KioskConfig c;
    if (auto name = t["kiosk"]["name"].value<std::string>()) c.kioskName = *name;
    if (auto lock = t["kiosk"]["proctor_lock_minutes"]) {
        auto n = lock.value_exact<std::int64_t>();
        if (!n || *n < 1 || *n > 120) {
            out.error = "[kiosk] proctor_lock_minutes must be a whole number from 1 to 120";
            return out;
        }
        c.proctorLockMinutes = static_cast<int>(*n);
    }
    if (const toml::table* site = t["site"].as_table()) {
        SiteConfig s;
        s.id = (*site)["id"].value<std::string>().value_or("");
        s.name = (*site)["name"].value<std::string>().value_or("");
        if (auto key = (*site)["key_file"].value<std::string>(); key && !key->empty()) s.keyFile = *key;
        if (s.id.empty()) {
            out.error = "[site] needs id";
            return out;
        }
        c.site = std::move(s);
    }
    if (const toml::table* hub = t["hub"].as_table()) {
        HubConfig h;
        if (auto one = (*hub)["servers"].value<std::string>()) h.servers.push_back(*one);
        if (const toml::array* many = (*hub)["servers"].as_array())
            for (const auto& v : *many)
                if (auto sv = v.value<std::string>()) h.servers.push_back(*sv);
        if (auto ca = (*hub)["ca_file"].value<std::string>(); ca && !ca->empty()) h.caFile = *ca;
        if (h.servers.empty()) {
            out.error = "[hub] needs servers (e.g. [\"tls://lab-hub.local:4222\"])";
            return out;
        }
        for (const auto& url : h.servers) {
            bool loopback = url.rfind("nats://127.", 0) == 0 || url.rfind("nats://localhost:", 0) == 0;
            if (url.rfind("tls://", 0) != 0 && !loopback) {
                out.error = "[hub] servers must start with tls:// (the site's facts cross the LAN only over verified TLS)";
                return out;
            }
            if (url.rfind("tls://", 0) == 0 && !h.caFile) {
                out.error = "[hub] needs ca_file, the hub's certificate made at enrolment";
                return out;
            }
        }
        if (!c.site) {
            out.error = "[hub] needs a [site] section: the hub's password is derived from the site key";
            return out;
        }
        c.hub = std::move(h);
    }
    if (const toml::table* state = t["state"].as_table()) {
        StateConfig s;
        auto base = (*state)["base_url"].value<std::string>();
        auto creds = (*state)["credentials_file"].value<std::string>();
        if (!base || base->empty()) {
            out.error = "[state] needs base_url";
            return out;
        }
        if (base->rfind("https://", 0) != 0) {
            out.error = "[state] base_url must start with https:// (the kiosk only talks to the state over verified TLS)";
            return out;
        }
        if (!creds || creds->empty()) {
            out.error = "[state] needs credentials_file";
            return out;
        }
        while (!base->empty() && base->back() == '/') base->pop_back();
        // A host must follow the scheme ("https://" alone names no server).
        if (base->size() <= std::string_view("https://").size() || (*base)[8] == '/' || (*base)[8] == ':') {
            out.error = "[state] base_url has no host name (e.g. https://edfi.state.example/api)";
            return out;
        }
        s.baseUrl = *base;
        s.credentialsFile = *creds;
        if (auto ca = (*state)["ca_bundle"].value<std::string>(); ca && !ca->empty()) s.caBundle = *ca;
        if (auto route = (*state)["route"].value<std::string>()) {
            while (!route->empty() && route->front() == '/') route->erase(0, 1);
            while (!route->empty() && route->back() == '/') route->pop_back();
            if (!edsync::edfi::isValidRoute(*route)) {
                out.error = "[state] route must be up to 3 segments of letters, digits, - and _ (e.g. \"2026\" or \"district-a/2026\")";
                return out;
            }
            s.route = *route;
        }
        if (auto hours = (*state)["full_resync_hours"].value<std::int64_t>()) {
            if (*hours < 0 || *hours > 24 * 90) {
                out.error = "[state] full_resync_hours must be between 0 (never) and 2160";
                return out;
            }
            s.fullResyncHours = static_cast<int>(*hours);
        }
        if (const toml::node* cap = state->get("max_in_flight")) {
            auto n = cap->value_exact<std::int64_t>();
            if (!n || *n < 1 || *n > 256) {
                out.error = "[state] max_in_flight must be a whole number from 1 to 256";
                return out;
            }
            s.maxInFlight = static_cast<int>(*n);
        }
        for (const auto& [key, value] : *state) {
            std::string_view k = key.str();
            if (k != "base_url" && k != "credentials_file" && k != "ca_bundle" && k != "route" && k != "full_resync_hours" && k != "max_in_flight") {
                out.error = "[state] has an unknown setting \"" + printable(k) + "\"";
                return out;
            }
        }
        c.state = std::move(s);
    }
    out.config = std::move(c);
    return out;
}

ConfigLoad loadConfig(const std::filesystem::path& file) {
    // A site configuration is a few hundred bytes; 1 MiB is generous.
    auto text = edsync::files::readBounded(file, {.maxBytes = 1u << 20, .magic = {}, .jsonObject = false});
    if (!text) return {std::nullopt, printable(text.error())};
    ConfigLoad r = parseConfig(text.value());
    if (r.config) r.config->source = file;
    else r.error = file.string() + ": " + r.error;
    return r;
}

std::optional<std::filesystem::path> findConfig(const std::optional<std::filesystem::path>& explicitFile,
                                                const std::filesystem::path& dataDir) {
    if (explicitFile) return explicitFile;
    if (const char* env = std::getenv("TESTSITE_KIOSK_CONFIG"); env && *env) return std::filesystem::path(env);
    std::error_code ec;
    for (const auto& candidate : {std::filesystem::path("/etc/testsite-kiosk/kiosk.toml"), dataDir / "kiosk.toml"})
        if (std::filesystem::exists(candidate, ec)) return candidate;
    return std::nullopt;
}

std::optional<Credentials> parseCredentials(std::string_view text, std::string& error) {
    // Errors name the line by its number only: a secret pasted on a line of
    // its own must never be echoed to a terminal or the journal.
    Credentials c;
    std::istringstream in{std::string(text)};
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        auto eq = line.find('=');
        std::string name = eq == std::string::npos ? std::string() : line.substr(0, eq);
        std::string value = eq == std::string::npos ? std::string() : line.substr(eq + 1);
        if (name != "key" && name != "secret") {
            error = "credentials: line " + std::to_string(number) + " is not key=... or secret=... (its text is not shown: it may be a secret)";
            return std::nullopt;
        }
        for (char ch : value) {
            if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) {
                error = "credentials: the " + name + " on line " + std::to_string(number) +
                        " holds a control character (a NUL byte?); write it again without one";
                return std::nullopt;
            }
        }
        (name == "key" ? c.key : c.secret) = std::move(value);
    }
    if (c.key.empty() || c.secret.empty()) {
        error = "credentials: both key and secret are needed";
        return std::nullopt;
    }
    return c;
}

std::optional<Credentials> readCredentials(const std::filesystem::path& file, std::string& error) {
    auto text = edsync::files::readSecretFile(file, "the credentials file");
    if (!text) {
        error = printable(text.error());
        return std::nullopt;
    }
    auto creds = parseCredentials(text.value(), error);
    sodium_memzero(text.value().data(), text.value().size());
    return creds;
}

} // namespace kiosk::app

#include "kiosk/app/config.hpp"

#include <toml++/toml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace kiosk::app {

ConfigLoad parseConfig(std::string_view text) {
    ConfigLoad out;
    toml::table t;
    try {
        t = toml::parse(text);
    } catch (const toml::parse_error& err) {
        out.error = "the configuration is not valid TOML (line " + std::to_string(err.source().begin.line) + "): " +
                    std::string(err.description());
        return out;
    }
    KioskConfig c;
    if (auto name = t["kiosk"]["name"].value<std::string>()) c.kioskName = *name;
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
            if (k != "base_url" && k != "credentials_file" && k != "ca_bundle" && k != "max_in_flight") {
                out.error = "[state] has an unknown setting \"" + std::string(k) + "\"";
                return out;
            }
        }
        c.state = std::move(s);
    }
    out.config = std::move(c);
    return out;
}

ConfigLoad loadConfig(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) return {std::nullopt, "cannot read " + file.string()};
    std::stringstream buf;
    buf << in.rdbuf();
    ConfigLoad r = parseConfig(buf.str());
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
    Credentials c;
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        auto eq = line.find('=');
        if (eq == std::string::npos) {
            error = "credentials: each line is key=... or secret=...";
            return std::nullopt;
        }
        std::string name = line.substr(0, eq), value = line.substr(eq + 1);
        if (name == "key") c.key = value;
        else if (name == "secret") c.secret = value;
        else {
            error = "credentials: unknown line \"" + name + "\"";
            return std::nullopt;
        }
    }
    if (c.key.empty() || c.secret.empty()) {
        error = "credentials: both key and secret are needed";
        return std::nullopt;
    }
    return c;
}

std::optional<Credentials> readCredentials(const std::filesystem::path& file, std::string& error) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
        error = "cannot read the credentials file " + file.string();
        return std::nullopt;
    }
    if ((st.st_mode & 077) != 0) {
        error = "the credentials file " + file.string() + " can be read by others; make it 0600 (chmod 600)";
        return std::nullopt;
    }
    std::ifstream in(file);
    if (!in) {
        error = "cannot read the credentials file " + file.string();
        return std::nullopt;
    }
    std::stringstream buf;
    buf << in.rdbuf();
    return parseCredentials(buf.str(), error);
}

} // namespace kiosk::app

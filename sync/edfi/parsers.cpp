#include "sync/edfi/parsers.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <limits>

namespace edsync::edfi {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxFieldBytes = 1000;
constexpr std::size_t kMaxListEntries = 50;
constexpr std::size_t kMaxMessagesPerField = 10;
constexpr std::int64_t kDefaultTokenSeconds = 300;
constexpr std::size_t kMaxTokenBytes = 4096;
constexpr std::int64_t kAbsoluteTimeSeconds = 1'000'000'000;  // 2001-09-09 as Unix seconds
constexpr std::int64_t kAbsoluteTimeMs = 1'000'000'000'000;

struct TooDeep {};

ParseError error(std::string_view what, std::string_view why) {
    return ParseError{std::string(what) + " " + std::string(why)};
}

// The only place JSON text becomes a json value: size and depth are capped
// first, and every exception the library can throw stops here.
Parsed<json> parseBounded(std::string_view body, std::size_t maxBytes, int maxDepth, std::string_view what) {
    if (body.size() > maxBytes)
        return fail(error(what, "is too large (" + std::to_string(body.size()) + " bytes, limit " + std::to_string(maxBytes) + ")"));
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return fail(error(what, "is empty"));
    try {
        json::parser_callback_t guard = [maxDepth](int depth, json::parse_event_t, json&) {
            if (depth > maxDepth) throw TooDeep{};
            return true;
        };
        return json::parse(body.begin(), body.end(), guard, /*allow_exceptions=*/true, /*ignore_comments=*/false);
    } catch (const TooDeep&) {
        return fail(error(what, "is nested deeper than " + std::to_string(maxDepth) + " levels"));
    } catch (const json::parse_error& e) {
        // Position only: the library's own message quotes the input, which may hold personal data.
        return fail(error(what, "is not valid JSON (error at byte " + std::to_string(e.byte) + ")"));
    } catch (const json::exception& e) {
        return fail(error(what, "could not be read as JSON (code " + std::to_string(e.id) + ")"));
    } catch (const std::exception&) {
        return fail(error(what, "could not be read"));
    }
}

std::optional<std::string> stringField(const json& obj, const char* key, std::size_t maxBytes) {
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_string()) return std::nullopt;
    return sanitizeText(it->get_ref<const std::string&>(), maxBytes);
}

std::optional<std::int64_t> integerField(const json& value) {
    if (value.is_number_unsigned()) {
        auto v = value.get<std::uint64_t>();
        if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
        return static_cast<std::int64_t>(v);
    }
    if (value.is_number_integer()) return value.get<std::int64_t>();
    return std::nullopt;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

} // namespace

std::string sanitizeText(std::string_view text, std::size_t maxBytes) {
    std::string out;
    out.reserve(std::min(text.size(), maxBytes));
    for (char c : text) {
        unsigned char u = static_cast<unsigned char>(c);
        out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
    }
    if (out.size() > maxBytes) {
        std::size_t cut = maxBytes;
        // Never split a UTF-8 sequence: step back over continuation bytes.
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
        out.resize(cut);
        if (maxBytes >= 3 && cut + 3 <= maxBytes) out += "...";
    }
    return out;
}

// --- problem details ---------------------------------------------------------

std::string ProblemDetails::summary() const {
    std::string out = !detail.empty() ? detail : title;
    auto add = [&out](std::string_view piece) {
        if (piece.empty()) return;
        if (!out.empty()) out += "; ";
        out += piece;
    };
    for (const auto& [field, messages] : validationErrors) {
        std::string line = field + ":";
        for (std::size_t i = 0; i < messages.size(); ++i) line += (i ? ", " : " ") + messages[i];
        add(line);
    }
    for (const std::string& e : errors) add(e);
    if (out.empty() && !type.empty()) out = type;
    return sanitizeText(out, kMaxMessageChars);
}

Parsed<ProblemDetails> parseProblemDetails(std::string_view body) {
    auto parsed = parseBounded(body, kMaxSmallBody, kMaxSmallDepth, "the error response");
    if (!parsed) return fail(parsed.error());
    const json& doc = *parsed;
    if (!doc.is_object()) return fail(error("the error response", "is not a problem-details object"));

    ProblemDetails p;
    if (auto it = doc.find("status"); it != doc.end())
        if (auto v = integerField(*it); v && *v >= 100 && *v <= 599) p.status = static_cast<int>(*v);
    p.type = stringField(doc, "type", kMaxFieldBytes).value_or("");
    p.title = stringField(doc, "title", kMaxFieldBytes).value_or("");
    p.detail = stringField(doc, "detail", kMaxFieldBytes).value_or("");
    p.correlationId = stringField(doc, "correlationId", 200).value_or("");

    if (auto it = doc.find("validationErrors"); it != doc.end() && it->is_object()) {
        for (auto field = it->begin(); field != it->end() && p.validationErrors.size() < kMaxListEntries; ++field) {
            std::vector<std::string> messages;
            if (field->is_string()) {
                messages.push_back(sanitizeText(field->get_ref<const std::string&>(), kMaxFieldBytes));
            } else if (field->is_array()) {
                for (const json& m : *field) {
                    if (messages.size() >= kMaxMessagesPerField) break;
                    if (m.is_string()) messages.push_back(sanitizeText(m.get_ref<const std::string&>(), kMaxFieldBytes));
                }
            }
            p.validationErrors.emplace_back(sanitizeText(field.key(), 200), std::move(messages));
        }
    }
    if (auto it = doc.find("errors"); it != doc.end() && it->is_array()) {
        for (const json& e : *it) {
            if (p.errors.size() >= kMaxListEntries) break;
            if (e.is_string()) p.errors.push_back(sanitizeText(e.get_ref<const std::string&>(), kMaxFieldBytes));
        }
    }
    return p;
}

// --- the server's words -------------------------------------------------------

namespace {

constexpr std::size_t kMaxTextScan = 64u << 10;  // of a text/HTML body, only the start is read
constexpr std::size_t kFirstValidationErrors = 3;

// Invalid UTF-8 becomes '?', so the words are safe for the UI and JSON output.
std::string validUtf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const auto u = static_cast<unsigned char>(text[i]);
        std::size_t len = u < 0x80 ? 1 : (u >> 5) == 0x6 ? 2 : (u >> 4) == 0xE ? 3 : (u >> 3) == 0x1E ? 4 : 0;
        bool ok = len > 0 && i + len <= text.size();
        for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
        if (ok && len == 2 && u < 0xC2) ok = false;  // overlong
        if (!ok) {
            out.push_back('?');
            ++i;
            continue;
        }
        out.append(text.substr(i, len));
        i += len;
    }
    return out;
}

// Tags dropped (and what script/style hold), a few entities decoded,
// whitespace collapsed: what a person would read on the page.
std::string textOfPage(std::string_view body) {
    body = body.substr(0, kMaxTextScan);
    std::string out;
    bool space = false;
    auto put = [&](char c) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space = !out.empty();
            return;
        }
        if (space) out.push_back(' ');
        space = false;
        out.push_back(c);
    };
    auto startsWithCI = [&](std::size_t at, std::string_view word) {
        return at + word.size() <= body.size() && equalsIgnoreCase(body.substr(at, word.size()), word);
    };
    for (std::size_t i = 0; i < body.size() && out.size() < kMaxWordsBytes * 2;) {
        const char c = body[i];
        if (c == '<') {
            const bool skipped = startsWithCI(i, "<script") || startsWithCI(i, "<style");
            std::size_t close = body.find('>', i);
            if (close == std::string_view::npos) break;
            if (skipped) {
                std::size_t end = body.find("</", close);
                close = end == std::string_view::npos ? body.size() : body.find('>', end);
                if (close == std::string_view::npos) break;
            }
            i = close + 1;
            space = !out.empty();
            continue;
        }
        if (c == '&') {
            static constexpr std::pair<std::string_view, char> kEntities[] = {
                {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&nbsp;", ' '}};
            bool decoded = false;
            for (const auto& [name, ch] : kEntities)
                if (startsWithCI(i, name)) {
                    put(ch);
                    i += name.size();
                    decoded = true;
                    break;
                }
            if (decoded) continue;
        }
        put(c);
        ++i;
    }
    return out;
}

std::string joinWords(std::string head, const std::vector<std::string>& more) {
    for (const std::string& piece : more) {
        if (piece.empty()) continue;
        if (!head.empty()) head += "; ";
        head += piece;
    }
    return head;
}

} // namespace

std::string loggableToken(std::string_view text, std::size_t maxBytes) {
    std::string out;
    for (char c : text) {
        if (out.size() >= maxBytes) break;
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        std::string_view(":._/-#+=@").find(c) != std::string_view::npos;
        if (ok) out.push_back(c);
    }
    return out;
}

ServerWords readServerWords(std::string_view body) {
    ServerWords w;
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return w;
    auto parsed = parseBounded(body, kMaxSmallBody, kMaxSmallDepth, "the error response");
    if (!parsed || !parsed->is_object()) {
        // JSON that is not an object, or broken JSON: nothing a person could read.
        const char first = body[body.find_first_not_of(" \t\r\n")];
        if (parsed || first == '{' || first == '[') return w;
        w.shape = ServerWords::Shape::Text;
        w.words = sanitizeText(validUtf8(textOfPage(body)), kMaxWordsBytes);
        return w;
    }
    const json& doc = *parsed;
    auto field = [&doc](const char* key) { return stringField(doc, key, kMaxFieldBytes).value_or(""); };
    if (auto it = doc.find("status"); it != doc.end())
        if (auto v = integerField(*it); v && *v >= 100 && *v <= 599) w.status = static_cast<int>(*v);
    w.correlationId = loggableToken(field("correlationId"), kMaxCorrelationIdBytes);

    const bool problem = doc.contains("type") || doc.contains("title") || doc.contains("detail") ||
                         doc.contains("validationErrors") || doc.contains("errors");
    if (problem) {
        w.shape = ServerWords::Shape::ProblemDetails;
        w.type = loggableToken(field("type"), kMaxTypeBytes);
        auto p = parseProblemDetails(body);
        std::vector<std::string> first;
        if (p) {
            for (const auto& [path, messages] : p->validationErrors) {
                if (first.size() >= kFirstValidationErrors) break;
                std::string line = path + ":";
                for (std::size_t i = 0; i < messages.size() && i < 2; ++i) line += (i ? ", " : " ") + messages[i];
                first.push_back(line);
            }
            for (const std::string& e : p->errors) {
                if (first.size() >= kFirstValidationErrors) break;
                first.push_back(e);
            }
        }
        std::string head = field("detail");
        if (head.empty()) head = field("title");
        if (head.empty()) head = field("message");
        w.words = sanitizeText(joinWords(std::move(head), first), kMaxWordsBytes);
        return w;
    }
    if (auto message = field("message"); !message.empty()) {
        w.shape = ServerWords::Shape::Message;
        w.words = sanitizeText(message, kMaxWordsBytes);
        return w;
    }
    if (auto code = field("error"); !code.empty()) {
        w.shape = ServerWords::Shape::OAuthError;
        auto description = field("error_description");
        w.words = sanitizeText(description.empty() ? code : code + ": " + description, kMaxWordsBytes);
        return w;
    }
    return w;
}

// --- OAuth -------------------------------------------------------------------

Parsed<TokenResponse> parseTokenResponse(std::string_view body) {
    auto parsed = parseBounded(body, kMaxSmallBody, kMaxSmallDepth, "the token response");
    if (!parsed) return fail(parsed.error());
    const json& doc = *parsed;
    if (!doc.is_object()) return fail(error("the token response", "is not a JSON object"));

    TokenResponse t;
    auto token = doc.find("access_token");
    if (token == doc.end() || !token->is_string()) return fail(error("the token response", "has no access_token string"));
    const auto& text = token->get_ref<const std::string&>();
    if (text.empty() || text.size() > kMaxTokenBytes) return fail(error("the token response", "has an access_token of unusable length"));
    // The token is pasted into an Authorization header: visible ASCII only.
    if (!std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
        return fail(error("the token response", "has an access_token with characters a header cannot carry"));
    t.accessToken = text;

    t.tokenType = "bearer";
    if (auto it = doc.find("token_type"); it != doc.end()) {
        if (!it->is_string() || !equalsIgnoreCase(it->get_ref<const std::string&>(), "bearer"))
            return fail(error("the token response", "names a token type other than bearer"));
    }

    t.expiresInSeconds = kDefaultTokenSeconds;
    if (auto it = doc.find("expires_in"); it != doc.end() && !it->is_null()) {
        std::optional<std::int64_t> seconds = integerField(*it);
        if (!seconds && it->is_number_float()) {
            double d = it->get<double>();
            if (d >= 1 && d < 1e15) seconds = static_cast<std::int64_t>(d);
        }
        if (!seconds && it->is_string()) {
            const auto& s = it->get_ref<const std::string&>();
            if (!s.empty() && s.size() <= 15 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
                seconds = std::stoll(s);
            else if (auto at = parseIsoDateTime(s)) t.expiresAtUnixSeconds = at;
        }
        if (!t.expiresAtUnixSeconds) {
            if (!seconds || *seconds <= 0) return fail(error("the token response", "has an unusable expires_in"));
            // A lifetime is never a billion seconds: that is a point in time
            // (epoch seconds, or milliseconds past 10^12).
            if (*seconds >= kAbsoluteTimeSeconds) t.expiresAtUnixSeconds = *seconds >= kAbsoluteTimeMs ? *seconds / 1000 : *seconds;
            else t.expiresInSeconds = std::min(*seconds, kMaxTokenSeconds);
        }
    }
    return t;
}

std::optional<std::int64_t> parseIsoDateTime(std::string_view text) {
    // YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|+HH:MM|-HH:MM]
    if (text.size() < 19 || text.size() > 40) return std::nullopt;
    auto digits = [&](std::size_t at, std::size_t n) -> std::optional<int> {
        int v = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (i >= text.size() || text[i] < '0' || text[i] > '9') return std::nullopt;
            v = v * 10 + (text[i] - '0');
        }
        return v;
    };
    auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2), hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
    if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != ' ' && text[10] != 't') ||
        text[13] != ':' || text[16] != ':')
        return std::nullopt;
    if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
    std::size_t at = 19;
    if (at < text.size() && text[at] == '.') {
        ++at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
    }
    std::int64_t offsetSeconds = 0;
    if (at < text.size()) {
        if ((text[at] == 'Z' || text[at] == 'z') && at + 1 == text.size()) {
        } else if ((text[at] == '+' || text[at] == '-') && at + 6 == text.size() && text[at + 3] == ':') {
            auto oh = digits(at + 1, 2), om = digits(at + 4, 2);
            if (!oh || !om || *oh > 23 || *om > 59) return std::nullopt;
            offsetSeconds = (*oh * 3600 + *om * 60) * (text[at] == '-' ? -1 : 1);
        } else {
            return std::nullopt;
        }
    }
    // Days from the civil date (proleptic Gregorian), Howard Hinnant's method.
    const std::int64_t y = *year - (*month <= 2 ? 1 : 0);
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;
    const std::int64_t mp = (*month + 9) % 12;
    const std::int64_t doy = (153 * mp + 2) / 5 + *day - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    const std::int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + *hour * 3600 + *minute * 60 + *second - offsetSeconds;
}

Parsed<OAuthError> parseOAuthError(std::string_view body) {
    auto parsed = parseBounded(body, kMaxSmallBody, kMaxSmallDepth, "the token error");
    if (!parsed) return fail(parsed.error());
    const json& doc = *parsed;
    if (!doc.is_object()) return fail(error("the token error", "is not a JSON object"));
    auto code = stringField(doc, "error", 100);
    if (!code) return fail(error("the token error", "has no error code"));
    return OAuthError{*code, stringField(doc, "error_description", kMaxFieldBytes).value_or("")};
}

// --- change queries and lists -------------------------------------------------

Parsed<ChangeVersions> parseAvailableChangeVersions(std::string_view body) {
    auto parsed = parseBounded(body, kMaxSmallBody, kMaxSmallDepth, "availableChangeVersions");
    if (!parsed) return fail(parsed.error());
    const json& doc = *parsed;
    if (!doc.is_object()) return fail(error("availableChangeVersions", "is not a JSON object"));
    auto read = [&doc](const char* key) -> std::optional<std::int64_t> {
        auto it = doc.find(key);
        if (it == doc.end()) return std::nullopt;
        auto v = integerField(*it);
        if (!v || *v < 0) return std::nullopt;
        return v;
    };
    auto oldest = read("oldestChangeVersion");
    auto newest = read("newestChangeVersion");
    if (!oldest || !newest) return fail(error("availableChangeVersions", "lacks non-negative integer change versions"));
    if (*newest < *oldest) return fail(error("availableChangeVersions", "has newest below oldest"));
    return ChangeVersions{*oldest, *newest};
}

Parsed<std::vector<json>> parseListPage(std::string_view body, std::size_t maxItems) {
    auto parsed = parseBounded(body, kMaxPageBody, kMaxPageDepth, "the list page");
    if (!parsed) return fail(parsed.error());
    json& doc = *parsed;
    if (!doc.is_array()) return fail(error("the list page", "is not a JSON array"));
    if (doc.size() > maxItems)
        return fail(error("the list page", "holds " + std::to_string(doc.size()) + " items, more than the " + std::to_string(maxItems) + " asked for"));
    std::vector<json> items;
    items.reserve(doc.size());
    for (json& item : doc) {
        if (!item.is_object()) return fail(error("the list page", "holds an item that is not an object"));
        items.push_back(std::move(item));
    }
    return items;
}

// --- discovery -----------------------------------------------------------------

std::optional<std::string> Discovery::url(std::string_view key) const {
    for (const auto& [k, v] : urls)
        if (k == key) return v;
    return std::nullopt;
}

std::optional<std::string> Discovery::edfiDataModelVersion() const {
    for (const DataModel& m : dataModels)
        if (equalsIgnoreCase(m.name, "Ed-Fi")) return m.version;
    return std::nullopt;
}

int Discovery::dataStandardMajor() const {
    auto v = edfiDataModelVersion();
    if (!v) return 0;
    int major = 0;
    for (char c : *v) {
        if (c < '0' || c > '9') break;
        major = major * 10 + (c - '0');
        if (major > 1000) return 0;
    }
    return major;
}

Parsed<Discovery> parseDiscovery(std::string_view body) {
    auto parsed = parseBounded(body, kMaxSmallBody, kMaxSmallDepth, "the discovery document");
    if (!parsed) return fail(parsed.error());
    const json& doc = *parsed;
    if (!doc.is_object()) return fail(error("the discovery document", "is not a JSON object"));
    Discovery d;
    d.version = stringField(doc, "version", 100).value_or("");
    if (auto it = doc.find("dataModels"); it != doc.end() && it->is_array()) {
        for (const json& m : *it) {
            if (d.dataModels.size() >= kMaxListEntries) break;
            if (!m.is_object()) continue;
            auto name = stringField(m, "name", 100);
            auto version = stringField(m, "version", 100);
            if (name && version) d.dataModels.push_back({*name, *version});
        }
    }
    if (auto it = doc.find("urls"); it != doc.end() && it->is_object()) {
        for (auto u = it->begin(); u != it->end() && d.urls.size() < kMaxListEntries; ++u)
            if (u->is_string() && u->get_ref<const std::string&>().size() <= 2048)
                d.urls.emplace_back(u.key(), u->get<std::string>());
    }
    return d;
}

} // namespace edsync::edfi

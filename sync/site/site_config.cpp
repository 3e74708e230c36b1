#include "sync/site/site_config.hpp"

namespace edsync::site {

namespace {
bool tokenChar(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}
} // namespace

bool SiteError::authFailed() const {
    return message.find("uthorization") != std::string::npos || message.find("uthentication") != std::string::npos;
}

bool SiteError::notConnected() const { return status != 0 && status != -1 && !authFailed(); }

std::string natsToken(std::string_view id) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(id.size());
    for (char ch : id) {
        auto c = static_cast<unsigned char>(ch);
        if (tokenChar(c)) {
            out.push_back(ch);
        } else {
            out.push_back('_');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xF]);
        }
    }
    if (out.empty()) out = "_";
    return out;
}

std::string streamName(const SiteLogConfig& c) { return "SITE_" + natsToken(c.siteId); }
std::string subjectPrefix(const SiteLogConfig& c) { return "site." + natsToken(c.siteId) + ".ev."; }
std::string consumerName(const SiteLogConfig& c) { return "kiosk-" + natsToken(c.kioskId); }
std::string leaseBucket(const SiteLogConfig& c) { return "lease_" + natsToken(c.siteId); }
std::string machinesBucket(const SiteLogConfig& c) { return "machines_" + natsToken(c.siteId); }

bool validSubjectSuffix(std::string_view suffix) {
    if (suffix.empty() || suffix.size() > 200) return false;
    bool tokenStart = true;
    for (char ch : suffix) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '.') {
            if (tokenStart) return false;  // empty token
            tokenStart = true;
            continue;
        }
        if (!tokenChar(c) && c != '_') return false;
        tokenStart = false;
    }
    return !tokenStart;
}

} // namespace edsync::site

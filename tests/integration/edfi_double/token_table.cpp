#include "edfi_double/token_table.hpp"

#include <algorithm>

#include "edfi_double/text_codec.hpp"

namespace edfi_double {

TokenTable::TokenTable(std::chrono::seconds ttl, std::size_t maxLivePerClient, Clock clock)
    : m_ttl(ttl), m_maxLivePerClient(maxLivePerClient), m_clock(std::move(clock)) {}

void TokenTable::dropExpiredLocked(TimePoint now) {
    std::erase_if(m_tokens, [now](const auto& item) { return item.second.expiresAt <= now; });
}

std::optional<IssuedToken> TokenTable::issue(const std::string& clientId) {
    std::lock_guard lock(m_mutex);
    TimePoint now = m_clock();
    dropExpiredLocked(now);
    auto live = static_cast<std::size_t>(std::count_if(
        m_tokens.begin(), m_tokens.end(), [&](const auto& item) { return item.second.clientId == clientId; }));
    if (live >= m_maxLivePerClient) return std::nullopt;
    std::string token = randomHex(16);
    m_tokens[token] = Entry{clientId, now + m_ttl};
    ++m_issuedTotal;
    return IssuedToken{token, m_ttl};
}

std::optional<std::string> TokenTable::clientFor(const std::string& token) {
    std::lock_guard lock(m_mutex);
    dropExpiredLocked(m_clock());
    auto it = m_tokens.find(token);
    if (it == m_tokens.end()) return std::nullopt;
    return it->second.clientId;
}

std::size_t TokenTable::liveCount(const std::string& clientId) {
    std::lock_guard lock(m_mutex);
    dropExpiredLocked(m_clock());
    return static_cast<std::size_t>(std::count_if(m_tokens.begin(), m_tokens.end(),
                                                  [&](const auto& item) { return item.second.clientId == clientId; }));
}

std::size_t TokenTable::expireAll() {
    std::lock_guard lock(m_mutex);
    dropExpiredLocked(m_clock());
    std::size_t count = m_tokens.size();
    m_tokens.clear();
    return count;
}

void TokenTable::clear() {
    std::lock_guard lock(m_mutex);
    m_tokens.clear();
    m_issuedTotal = 0;
}

std::size_t TokenTable::issuedTotal() {
    std::lock_guard lock(m_mutex);
    return m_issuedTotal;
}

void TokenTable::setMaxLivePerClient(std::size_t max) {
    std::lock_guard lock(m_mutex);
    m_maxLivePerClient = max;
}

} // namespace edfi_double

#pragma once
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "edfi_double/clock.hpp"

namespace edfi_double {

struct IssuedToken {
    std::string accessToken;
    std::chrono::seconds expiresIn;
};

// Bearer tokens with a lifetime and a cap on live tokens per client, like the
// ODS/API's 15-token limit. Thread-safe.
class TokenTable {
public:
    static constexpr std::size_t kDefaultMaxLivePerClient = 15;

    TokenTable(std::chrono::seconds ttl, std::size_t maxLivePerClient, Clock clock);

    // nullopt when the client already holds the maximum of live tokens.
    std::optional<IssuedToken> issue(const std::string& clientId);
    // The client a live token belongs to; nullopt for unknown or expired.
    std::optional<std::string> clientFor(const std::string& token);
    std::size_t liveCount(const std::string& clientId);
    // Every token issued since start (or clear()), live or not.
    std::size_t issuedTotal();
    void setMaxLivePerClient(std::size_t max);
    // Ends every live token now (test control); returns how many there were.
    std::size_t expireAll();
    void clear();

private:
    struct Entry {
        std::string clientId;
        TimePoint expiresAt;
    };
    void dropExpiredLocked(TimePoint now);

    std::chrono::seconds m_ttl;
    std::size_t m_maxLivePerClient;
    Clock m_clock;
    std::mutex m_mutex;
    std::map<std::string, Entry> m_tokens;
    std::size_t m_issuedTotal = 0;
};

} // namespace edfi_double

#pragma once
// Who writes, and how many at once: each write (POST, PUT, DELETE) counted
// by the bearer token it carries while it is being served. Kiosks of one
// site share the client but each holds its own token, so "at most one
// uploader at a time" is maxConcurrent() == 1 (GET /_test/tokens).
#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <string>

namespace edfi_double {

class WriterTally {
public:
    class Writing {
    public:
        Writing(WriterTally& tally, std::string token) : m_tally(tally), m_token(std::move(token)) { m_tally.begin(m_token); }
        ~Writing() { m_tally.end(m_token); }
        Writing(const Writing&) = delete;
        Writing& operator=(const Writing&) = delete;

    private:
        WriterTally& m_tally;
        std::string m_token;
    };

    int writers() const {
        std::lock_guard lock(m_mutex);
        return static_cast<int>(m_seen.size());
    }
    int maxConcurrent() const {
        std::lock_guard lock(m_mutex);
        return m_maxConcurrent;
    }
    void clear() {
        std::lock_guard lock(m_mutex);
        m_inFlight.clear();
        m_seen.clear();
        m_maxConcurrent = 0;
    }

private:
    void begin(const std::string& token) {
        std::lock_guard lock(m_mutex);
        ++m_inFlight[token];
        m_seen.insert(token);
        m_maxConcurrent = std::max(m_maxConcurrent, static_cast<int>(m_inFlight.size()));
    }
    void end(const std::string& token) {
        std::lock_guard lock(m_mutex);
        if (auto it = m_inFlight.find(token); it != m_inFlight.end() && --it->second <= 0) m_inFlight.erase(it);
    }

    mutable std::mutex m_mutex;
    std::map<std::string, int> m_inFlight;  // token -> writes being served
    std::set<std::string> m_seen;
    int m_maxConcurrent = 0;
};

} // namespace edfi_double

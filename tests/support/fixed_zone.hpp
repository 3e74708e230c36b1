#pragma once
// A fixed time zone for the length of a test (TZ and tzset), whatever this
// machine's own; the old value comes back when it ends, failed or not.
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace kiosk::test {

class FixedZone {
public:
    explicit FixedZone(const char* zone) {
        if (const char* old = std::getenv("TZ")) m_saved = old;
        ::setenv("TZ", zone, 1);
        ::tzset();
    }
    ~FixedZone() {
        if (m_saved) ::setenv("TZ", m_saved->c_str(), 1);
        else ::unsetenv("TZ");
        ::tzset();
    }
    FixedZone(const FixedZone&) = delete;
    FixedZone& operator=(const FixedZone&) = delete;

private:
    std::optional<std::string> m_saved;
};

} // namespace kiosk::test

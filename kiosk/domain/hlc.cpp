#include "kiosk/domain/hlc.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

namespace kiosk::domain {

namespace {

constexpr std::size_t kWallDigits = 15;
constexpr std::size_t kCounterDigits = 10;
constexpr std::uint32_t kCounterMax = std::numeric_limits<std::uint32_t>::max();

void putDigits(std::string& out, std::uint64_t value, std::size_t width) {
    std::string digits(width, '0');
    for (std::size_t i = width; i-- > 0 && value > 0; value /= 10) digits[i] = static_cast<char>('0' + value % 10);
    out += digits;
}

std::optional<std::uint64_t> readDigits(std::string_view text) {
    std::uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');  // at most 15 digits: no overflow
    }
    return v;
}

bool physicalValid(std::int64_t ms) { return ms >= 0 && ms <= kHlcMaxWallMs; }

// The stamp just after `h`: a full counter carries into the next millisecond,
// which keeps the clock strictly increasing at the cost of running 1 ms ahead.
Hlc successor(Hlc h) {
    if (h.counter < kCounterMax) return {h.wallMs, h.counter + 1};
    return {h.wallMs + 1, 0};
}

} // namespace

bool hlcValid(const Hlc& h) { return physicalValid(h.wallMs); }

std::string encodeHlc(const Hlc& h) {
    assert(hlcValid(h));
    std::string out;
    out.reserve(kHlcTextSize);
    putDigits(out, static_cast<std::uint64_t>(h.wallMs), kWallDigits);
    out += '.';
    putDigits(out, h.counter, kCounterDigits);
    return out;
}

std::optional<Hlc> parseHlc(std::string_view text) {
    if (text.size() != kHlcTextSize || text[kWallDigits] != '.') return std::nullopt;
    auto wall = readDigits(text.substr(0, kWallDigits));
    auto counter = readDigits(text.substr(kWallDigits + 1));
    if (!wall || !counter || *counter > kCounterMax) return std::nullopt;
    return Hlc{static_cast<std::int64_t>(*wall), static_cast<std::uint32_t>(*counter)};
}

Hlc HlcClock::tick(std::int64_t physicalMs) {
    assert(physicalValid(physicalMs));
    if (physicalMs > m_last.wallMs) m_last = {physicalMs, 0};
    else m_last = successor(m_last);  // the wall clock stood still or went back
    return m_last;
}

Hlc HlcClock::tickAbove(std::int64_t physicalMs, const Hlc& floor) {
    if (hlcValid(floor) && floor > m_last) m_last = floor;
    return tick(physicalMs);
}

Observation HlcClock::observe(const Hlc& remote, std::int64_t physicalMs) {
    assert(physicalValid(physicalMs));
    if (!hlcValid(remote)) return {Observed::RefusedInvalid, m_last};
    if (remote.wallMs > physicalMs && remote.wallMs - physicalMs > kHlcMaxDriftMs) return {Observed::RefusedFarAhead, m_last};
    std::int64_t wall = std::max({m_last.wallMs, remote.wallMs, physicalMs});
    if (wall == m_last.wallMs && wall == remote.wallMs) m_last = successor({wall, std::max(m_last.counter, remote.counter)});
    else if (wall == m_last.wallMs) m_last = successor(m_last);
    else if (wall == remote.wallMs) m_last = successor(remote);
    else m_last = {wall, 0};
    return {Observed::Followed, m_last};
}

} // namespace kiosk::domain

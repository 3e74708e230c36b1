#pragma once
// Hybrid logical clock (Kulkarni et al., 2014): a physical time in ms plus a
// counter, so every event a machine records or receives gets a stamp greater
// than everything it has seen, while staying close to the wall clock. The site
// merge orders concurrent facts by it (docs/architecture.md, "Site merge").
// Physical time is always passed in, never read here.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kiosk::domain {

struct Hlc {
    std::int64_t wallMs = 0;     // ms since 1970-01-01 UTC
    std::uint32_t counter = 0;   // orders stamps within one wallMs
};

inline bool operator==(const Hlc& a, const Hlc& b) { return a.wallMs == b.wallMs && a.counter == b.counter; }
inline bool operator!=(const Hlc& a, const Hlc& b) { return !(a == b); }
inline bool operator<(const Hlc& a, const Hlc& b) { return a.wallMs < b.wallMs || (a.wallMs == b.wallMs && a.counter < b.counter); }
inline bool operator>(const Hlc& a, const Hlc& b) { return b < a; }
inline bool operator<=(const Hlc& a, const Hlc& b) { return !(b < a); }
inline bool operator>=(const Hlc& a, const Hlc& b) { return !(a < b); }

// The text form has 15 decimal digits of wallMs (up to year 33658), a '.', and
// 10 of counter: "001764680000000.0000000003". Fixed width and zero padded, so
// comparing the text byte by byte orders stamps exactly as operator< does.
inline constexpr std::int64_t kHlcMaxWallMs = 999'999'999'999'999;
inline constexpr std::size_t kHlcTextSize = 26;

// A stamp the text form can hold (0 <= wallMs <= kHlcMaxWallMs).
bool hlcValid(const Hlc& h);
// Precondition: hlcValid(h).
std::string encodeHlc(const Hlc& h);
// Exactly kHlcTextSize bytes: 15 digits, '.', 10 digits, counter <= 2^32-1.
// Anything else (signs, spaces, short or long text, overflow) is nullopt.
std::optional<Hlc> parseHlc(std::string_view text);

// How far ahead of this machine's physical clock a received stamp may be
// before the clock refuses to follow it. A machine whose clock was set a year
// ahead would otherwise drag every clock of the site with it, and every later
// local event would carry its absurd time. 24 h covers any honest skew (time
// zones are not involved: stamps are UTC) and a site that was offline all day.
inline constexpr std::int64_t kHlcMaxDriftMs = 24LL * 60 * 60 * 1000;

enum class Observed {
    Followed,          // the clock moved to (at least) the remote stamp
    RefusedFarAhead,   // remote.wallMs > physicalMs + kHlcMaxDriftMs: clock unchanged
    RefusedInvalid,    // !hlcValid(remote): clock unchanged
};

struct Observation {
    Observed outcome = Observed::Followed;
    Hlc now;  // the clock after the call (unchanged when refused)
};

// One machine's clock. Keep it across restarts by constructing it from the
// greatest stamp this machine has stored, so it never goes back even when the
// wall clock does. Not thread-safe: the owner serialises calls.
class HlcClock {
public:
    explicit HlcClock(Hlc last = {}) : m_last(last) {}

    // Stamp for a local event: greater than every stamp seen so far.
    // Precondition: 0 <= physicalMs <= kHlcMaxWallMs.
    Hlc tick(std::int64_t physicalMs);
    // The same, and greater than `floor` too however far ahead it is (no
    // drift cap: an order that must stay above what it follows).
    Hlc tickAbove(std::int64_t physicalMs, const Hlc& floor);

    // Takes in a stamp received from another machine. The event it came with
    // is still a fact and is merged under its own stamp whatever this returns:
    // a refusal only keeps this clock from following it.
    // Precondition: 0 <= physicalMs <= kHlcMaxWallMs.
    Observation observe(const Hlc& remote, std::int64_t physicalMs);

    Hlc last() const { return m_last; }

private:
    Hlc m_last;
};

} // namespace kiosk::domain

#pragma once
// Small helpers shared by the benchmark programs: timing, percentiles,
// /proc/self/status memory figures, and one table line per figure with the
// DESIGN.md §8 budget beside it. Benchmarks print; they never pass or fail.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace kiosk::bench {

using SteadyClock = std::chrono::steady_clock;

inline double microsSince(SteadyClock::time_point start) {
    return std::chrono::duration<double, std::micro>(SteadyClock::now() - start).count();
}

// Nearest-rank percentile of an unsorted sample (p in 0..100).
inline double percentile(std::vector<double> sample, double p) {
    if (sample.empty()) return 0.0;
    std::sort(sample.begin(), sample.end());
    auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sample.size()) + 0.999999);
    rank = std::clamp<std::size_t>(rank, 1, sample.size());
    return sample[rank - 1];
}

// A field of /proc/self/status in kB ("VmHWM", "VmRSS"), or -1.
inline long procStatusKb(const std::string& field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
    }
    return -1;
}

inline const char* buildType() {
#ifdef NDEBUG
    return "optimised (NDEBUG)";
#else
    return "debug (asserts on; figures are pessimistic)";
#endif
}

inline void header(const char* title) {
    std::printf("\n%s\n", title);
    std::printf("build: %s\n", buildType());
    std::printf("%-52s %14s   %-28s %s\n", "figure", "measured", "budget (DESIGN.md §8)", "verdict");
    std::printf("%s\n", std::string(110, '-').c_str());
}

// One table line. `within` is nullptr for an informational figure.
inline void row(const std::string& figure, const std::string& measured, const std::string& budget, const bool* within) {
    std::printf("%-52s %14s   %-28s %s\n", figure.c_str(), measured.c_str(), budget.c_str(),
                within ? (*within ? "within budget" : "OVER BUDGET") : "");
}

// A machine-readable copy of a figure for tests/bench/run-all.sh:
// "@metric <id> <value> <unit>" on its own line.
inline void metric(const char* id, double value, const char* unit) {
    std::printf("@metric %s %.4f %s\n", id, value, unit);
}

inline std::string fixed(double value, const char* unit, int decimals = 1) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f %s", decimals, value, unit);
    return buf;
}

} // namespace kiosk::bench

#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace fault_proxy {

enum class FaultKind {
    Reset,              // close with a TCP reset, no reply
    Stall,              // hold the connection past the client's timeout, then close
    Truncate,           // forward, then send headers and half the body, then close
    TooManyRequests,    // 429 with Retry-After, not forwarded
    InternalError,      // 500, not forwarded
    ServiceUnavailable, // 503, not forwarded
    ExpireToken,        // expire the double's tokens, then forward (the client sees 401)
    CommitThenDrop,     // forward so the upstream stores it, then close without a reply
};

inline constexpr std::array<FaultKind, 8> kAllFaults = {FaultKind::Reset,         FaultKind::Stall,
                                                        FaultKind::Truncate,      FaultKind::TooManyRequests,
                                                        FaultKind::InternalError, FaultKind::ServiceUnavailable,
                                                        FaultKind::ExpireToken,   FaultKind::CommitThenDrop};

// "reset", "stall", "truncate", "429", "500", "503", "expire", "commit-drop"
std::string_view faultName(FaultKind kind);
std::optional<FaultKind> parseFaultName(std::string_view name);

struct FaultDecision {
    std::optional<FaultKind> fault; // nullopt: pass the request through (unless held)
    bool hold = false;              // blackhole: no answer until the mode changes, then a silent close
    int stallSeconds = 10;
    int retryAfterSeconds = 1;
};

// Which fault, if any, the next proxied request gets. Modes (POST /_proxy/mode):
//   {"mode":"pass"}
//   {"mode":"fault","fault":"reset","count":N}       the next N requests
//   {"mode":"fault",...,"method":"POST"}             the next N requests of that method; the rest pass
//   {"mode":"random","rate":0.3,"seed":7}            each request independently
//   {"mode":"blackhole"}                             every request, until the mode changes: a dead link
// with optional "stallSeconds" and "retryAfter" in the last two. Thread-safe.
class FaultPlan {
public:
    static constexpr int kDefaultStallSeconds = 10;
    static constexpr int kDefaultRetryAfterSeconds = 1;

    explicit FaultPlan(std::uint64_t defaultSeed);

    // An error message when the mode document is not valid (nothing changes then).
    std::optional<std::string> applyMode(const nlohmann::json& mode);
    // Called once per proxied request; counts what it decides.
    FaultDecision next(std::string_view method);
    void recordForwarded();
    bool blackholed() const;

    nlohmann::json mode() const;
    // {"requests", "forwarded", "injected": {"reset": n, ...}, "injectedTotal", "mode"}
    nlohmann::json stats() const;
    void resetStats();

private:
    enum class Mode { Pass, Fault, Random, Blackhole };

    nlohmann::json modeLocked() const;

    mutable std::mutex m_mutex;
    std::uint64_t m_defaultSeed;
    Mode m_mode = Mode::Pass;
    FaultKind m_fault = FaultKind::Reset;
    std::uint64_t m_remaining = 0;
    std::string m_method; // empty: every method takes a fault
    double m_rate = 0.0;
    std::uint64_t m_seed = 0;
    int m_stallSeconds = kDefaultStallSeconds;
    int m_retryAfterSeconds = kDefaultRetryAfterSeconds;
    std::mt19937_64 m_random;
    std::uint64_t m_requests = 0;
    std::uint64_t m_forwarded = 0;
    std::uint64_t m_held = 0;
    std::map<FaultKind, std::uint64_t> m_injected;
};

} // namespace fault_proxy

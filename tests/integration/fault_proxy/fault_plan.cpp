#include "fault_proxy/fault_plan.hpp"

namespace fault_proxy {

namespace {

// Reads an optional integer member within [low, high]; false on a bad value.
bool readInt(const nlohmann::json& document, const char* name, int low, int high, int& out, std::string& error) {
    auto it = document.find(name);
    if (it == document.end()) return true;
    if (!it->is_number_integer() || it->get<long long>() < low || it->get<long long>() > high) {
        error = std::string("'") + name + "' must be an integer from " + std::to_string(low) + " to " +
                std::to_string(high);
        return false;
    }
    out = it->get<int>();
    return true;
}

} // namespace

std::string_view faultName(FaultKind kind) {
    switch (kind) {
    case FaultKind::Reset: return "reset";
    case FaultKind::Stall: return "stall";
    case FaultKind::Truncate: return "truncate";
    case FaultKind::TooManyRequests: return "429";
    case FaultKind::InternalError: return "500";
    case FaultKind::ServiceUnavailable: return "503";
    case FaultKind::ExpireToken: return "expire";
    case FaultKind::CommitThenDrop: return "commit-drop";
    }
    return "unknown";
}

std::optional<FaultKind> parseFaultName(std::string_view name) {
    for (FaultKind kind : kAllFaults) {
        if (faultName(kind) == name) return kind;
    }
    return std::nullopt;
}

FaultPlan::FaultPlan(std::uint64_t defaultSeed)
    : m_defaultSeed(defaultSeed), m_seed(defaultSeed), m_random(defaultSeed) {}

std::optional<std::string> FaultPlan::applyMode(const nlohmann::json& mode) {
    if (!mode.is_object() || !mode.contains("mode") || !mode["mode"].is_string()) {
        return "expected {\"mode\": \"pass\" | \"fault\" | \"random\" | \"blackhole\", ...}";
    }
    const std::string name = mode["mode"].get<std::string>();
    std::string error;
    int stallSeconds = kDefaultStallSeconds;
    int retryAfter = kDefaultRetryAfterSeconds;
    if (!readInt(mode, "stallSeconds", 0, 3600, stallSeconds, error)) return error;
    if (!readInt(mode, "retryAfter", 0, 3600, retryAfter, error)) return error;

    if (name == "pass") {
        std::lock_guard lock(m_mutex);
        m_mode = Mode::Pass;
        return std::nullopt;
    }
    if (name == "blackhole") {
        std::lock_guard lock(m_mutex);
        m_mode = Mode::Blackhole;
        return std::nullopt;
    }
    if (name == "fault") {
        auto fault = mode.find("fault");
        if (fault == mode.end() || !fault->is_string() || !parseFaultName(fault->get<std::string>())) {
            return "'fault' must be one of reset, stall, truncate, 429, 500, 503, expire, commit-drop";
        }
        int count = 1;
        if (!readInt(mode, "count", 1, 1000000, count, error)) return error;
        std::string method;
        if (auto only = mode.find("method"); only != mode.end()) {
            if (!only->is_string() || only->get<std::string>().empty()) return "'method' must be an HTTP method, such as \"POST\"";
            method = only->get<std::string>();
        }
        std::lock_guard lock(m_mutex);
        m_method = std::move(method);
        m_mode = Mode::Fault;
        m_fault = *parseFaultName(fault->get<std::string>());
        m_remaining = static_cast<std::uint64_t>(count);
        m_stallSeconds = stallSeconds;
        m_retryAfterSeconds = retryAfter;
        return std::nullopt;
    }
    if (name == "random") {
        auto rate = mode.find("rate");
        if (rate == mode.end() || !rate->is_number() || rate->get<double>() < 0.0 || rate->get<double>() > 1.0) {
            return "'rate' must be a number from 0 to 1";
        }
        std::uint64_t seed = m_defaultSeed;
        if (auto given = mode.find("seed"); given != mode.end()) {
            // JSON parsers store 7 as signed; any non-negative integer will do.
            if (!given->is_number_integer() || (!given->is_number_unsigned() && given->get<long long>() < 0)) {
                return "'seed' must be a non-negative integer";
            }
            seed = given->get<std::uint64_t>();
        }
        std::lock_guard lock(m_mutex);
        m_mode = Mode::Random;
        m_rate = rate->get<double>();
        m_seed = seed;
        m_random.seed(seed); // the same seed gives the same sequence of decisions
        m_stallSeconds = stallSeconds;
        m_retryAfterSeconds = retryAfter;
        return std::nullopt;
    }
    return "unknown mode '" + name + "'";
}

FaultDecision FaultPlan::next(std::string_view method) {
    std::lock_guard lock(m_mutex);
    m_requests += 1;
    FaultDecision decision;
    decision.stallSeconds = m_stallSeconds;
    decision.retryAfterSeconds = m_retryAfterSeconds;
    // A client's other requests (a discovery GET, a lookup) may come first;
    // a fault meant for a write waits for one.
    if (m_mode == Mode::Fault && (m_method.empty() || m_method == method)) {
        decision.fault = m_fault;
        if (--m_remaining == 0) m_mode = Mode::Pass;
    } else if (m_mode == Mode::Random) {
        std::uniform_real_distribution<double> chance(0.0, 1.0);
        if (chance(m_random) < m_rate) {
            std::uniform_int_distribution<std::size_t> pick(0, kAllFaults.size() - 1);
            decision.fault = kAllFaults[pick(m_random)];
        }
    }
    if (m_mode == Mode::Blackhole) {
        decision.hold = true;
        m_held += 1;
    }
    if (decision.fault) m_injected[*decision.fault] += 1;
    return decision;
}

bool FaultPlan::blackholed() const {
    std::lock_guard lock(m_mutex);
    return m_mode == Mode::Blackhole;
}

void FaultPlan::recordForwarded() {
    std::lock_guard lock(m_mutex);
    m_forwarded += 1;
}

nlohmann::json FaultPlan::modeLocked() const {
    nlohmann::json out;
    switch (m_mode) {
    case Mode::Pass: out = {{"mode", "pass"}}; break;
    case Mode::Fault:
        out = {{"mode", "fault"}, {"fault", faultName(m_fault)}, {"remaining", m_remaining}};
        if (!m_method.empty()) out["method"] = m_method;
        break;
    case Mode::Random: out = {{"mode", "random"}, {"rate", m_rate}, {"seed", m_seed}}; break;
    case Mode::Blackhole: out = {{"mode", "blackhole"}}; break;
    }
    if (m_mode == Mode::Fault || m_mode == Mode::Random) {
        out["stallSeconds"] = m_stallSeconds;
        out["retryAfter"] = m_retryAfterSeconds;
    }
    return out;
}

nlohmann::json FaultPlan::mode() const {
    std::lock_guard lock(m_mutex);
    return modeLocked();
}

nlohmann::json FaultPlan::stats() const {
    std::lock_guard lock(m_mutex);
    nlohmann::json injected = nlohmann::json::object();
    std::uint64_t total = 0;
    for (FaultKind kind : kAllFaults) {
        auto it = m_injected.find(kind);
        std::uint64_t count = it == m_injected.end() ? 0 : it->second;
        injected[std::string(faultName(kind))] = count;
        total += count;
    }
    return {{"requests", m_requests},
            {"forwarded", m_forwarded},
            {"injected", injected},
            {"injectedTotal", total},
            {"held", m_held},
            {"mode", modeLocked()}};
}

void FaultPlan::resetStats() {
    std::lock_guard lock(m_mutex);
    m_requests = 0;
    m_forwarded = 0;
    m_held = 0;
    m_injected.clear();
}

} // namespace fault_proxy

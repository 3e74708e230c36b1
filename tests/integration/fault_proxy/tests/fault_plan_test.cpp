#include <doctest/doctest.h>

#include <vector>

#include "fault_proxy/fault_plan.hpp"

using namespace fault_proxy;

namespace {

std::vector<std::string> decide(FaultPlan& plan, int requests) {
    std::vector<std::string> seen;
    for (int i = 0; i < requests; ++i) {
        auto decision = plan.next("GET");
        seen.emplace_back(decision.fault ? faultName(*decision.fault) : "pass");
    }
    return seen;
}

} // namespace

TEST_CASE("every fault has a name that parses back") {
    for (FaultKind kind : kAllFaults)
        CHECK(parseFaultName(faultName(kind)) == kind);
    CHECK(parseFaultName("commit-drop") == FaultKind::CommitThenDrop);
    CHECK(parseFaultName("429") == FaultKind::TooManyRequests);
    CHECK_FALSE(parseFaultName("meteor").has_value());
}

TEST_CASE("pass mode injects nothing") {
    FaultPlan plan(1);
    CHECK(decide(plan, 3) == std::vector<std::string>{"pass", "pass", "pass"});
    CHECK(plan.stats()["injectedTotal"] == 0);
    CHECK(plan.stats()["requests"] == 3);
}

TEST_CASE("fault mode hits the next N requests, then passes") {
    FaultPlan plan(1);
    REQUIRE_FALSE(plan.applyMode({{"mode", "fault"}, {"fault", "503"}, {"count", 2}}).has_value());
    CHECK(plan.mode()["remaining"] == 2);
    CHECK(decide(plan, 3) == std::vector<std::string>{"503", "503", "pass"});
    CHECK(plan.mode()["mode"] == "pass");
    auto stats = plan.stats();
    CHECK(stats["injected"]["503"] == 2);
    CHECK(stats["injected"]["reset"] == 0);
    CHECK(stats["injectedTotal"] == 2);
}

TEST_CASE("a fault kept for one method lets the others pass and waits for that method") {
    FaultPlan plan(1);
    REQUIRE_FALSE(plan.applyMode({{"mode", "fault"}, {"fault", "truncate"}, {"count", 1}, {"method", "POST"}}).has_value());
    CHECK(plan.mode()["method"] == "POST");
    CHECK_FALSE(plan.next("GET").fault.has_value());
    CHECK_FALSE(plan.next("GET").fault.has_value());
    CHECK(plan.next("POST").fault == FaultKind::Truncate);
    CHECK_FALSE(plan.next("POST").fault.has_value());
    CHECK(plan.stats()["injectedTotal"] == 1);
    CHECK(plan.stats()["requests"] == 4);
    CHECK(plan.applyMode({{"mode", "fault"}, {"fault", "500"}, {"method", ""}}).has_value());
    CHECK(plan.applyMode({{"mode", "fault"}, {"fault", "500"}, {"method", 7}}).has_value());
}

TEST_CASE("count defaults to one, stallSeconds and retryAfter travel with the decision") {
    FaultPlan plan(1);
    REQUIRE_FALSE(plan.applyMode({{"mode", "fault"}, {"fault", "stall"}, {"stallSeconds", 4}}).has_value());
    auto decision = plan.next("GET");
    CHECK(decision.fault == FaultKind::Stall);
    CHECK(decision.stallSeconds == 4);
    CHECK_FALSE(plan.next("GET").fault.has_value());

    REQUIRE_FALSE(plan.applyMode({{"mode", "fault"}, {"fault", "429"}, {"retryAfter", 7}}).has_value());
    CHECK(plan.next("GET").retryAfterSeconds == 7);
}

TEST_CASE("random mode: rate 0 never, rate 1 always, the same seed the same faults") {
    FaultPlan plan(99);
    REQUIRE_FALSE(plan.applyMode({{"mode", "random"}, {"rate", 0.0}, {"seed", 7}}).has_value());
    for (const auto& seen : decide(plan, 50))
        CHECK(seen == "pass");

    REQUIRE_FALSE(plan.applyMode({{"mode", "random"}, {"rate", 1.0}, {"seed", 7}}).has_value());
    auto first = decide(plan, 200);
    for (const auto& seen : first)
        CHECK(seen != "pass");
    // Over 200 draws every kind turns up: the whole set is in play.
    for (FaultKind kind : kAllFaults)
        CHECK(plan.stats()["injected"][std::string(faultName(kind))] > 0);

    REQUIRE_FALSE(plan.applyMode({{"mode", "random"}, {"rate", 1.0}, {"seed", 7}}).has_value());
    CHECK(decide(plan, 200) == first);
    REQUIRE_FALSE(plan.applyMode({{"mode", "random"}, {"rate", 1.0}, {"seed", 8}}).has_value());
    CHECK(decide(plan, 200) != first);
}

TEST_CASE("random mode at rate 0.3 faults some requests, not all") {
    FaultPlan plan(1);
    REQUIRE_FALSE(plan.applyMode({{"mode", "random"}, {"rate", 0.3}, {"seed", 7}}).has_value());
    decide(plan, 1000);
    auto total = plan.stats()["injectedTotal"].get<int>();
    CHECK(total > 200);
    CHECK(total < 400);
}

TEST_CASE("random mode without a seed uses the --seed default") {
    FaultPlan seeded(5);
    REQUIRE_FALSE(seeded.applyMode({{"mode", "random"}, {"rate", 0.5}}).has_value());
    CHECK(seeded.mode()["seed"] == 5);
    FaultPlan explicitSeed(1);
    REQUIRE_FALSE(explicitSeed.applyMode({{"mode", "random"}, {"rate", 0.5}, {"seed", 5}}).has_value());
    CHECK(decide(seeded, 100) == decide(explicitSeed, 100));
}

TEST_CASE("bad mode documents are refused and change nothing") {
    FaultPlan plan(1);
    REQUIRE_FALSE(plan.applyMode({{"mode", "fault"}, {"fault", "500"}, {"count", 3}}).has_value());
    CHECK(plan.applyMode({{"mode", "chaos"}}).has_value());
    CHECK(plan.applyMode({{"mode", "fault"}, {"fault", "meteor"}}).has_value());
    CHECK(plan.applyMode({{"mode", "fault"}, {"fault", "500"}, {"count", 0}}).has_value());
    CHECK(plan.applyMode({{"mode", "random"}, {"rate", 1.5}}).has_value());
    CHECK(plan.applyMode({{"mode", "random"}, {"rate", 0.5}, {"seed", -1}}).has_value());
    CHECK(plan.applyMode({{"mode", "fault"}, {"fault", "stall"}, {"stallSeconds", "long"}}).has_value());
    CHECK(plan.applyMode(nlohmann::json::array()).has_value());
    CHECK(plan.mode()["fault"] == "500");
    CHECK(plan.mode()["remaining"] == 3);
}

TEST_CASE("stats count forwarded requests and can be reset") {
    FaultPlan plan(1);
    plan.next("GET");
    plan.recordForwarded();
    CHECK(plan.stats()["forwarded"] == 1);
    plan.resetStats();
    CHECK(plan.stats()["forwarded"] == 0);
    CHECK(plan.stats()["requests"] == 0);
}

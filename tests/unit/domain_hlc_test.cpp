// kiosk::domain hybrid logical clock: order, text form (round trip, sorting,
// refusing garbage), tick/observe monotonicity and the drift cap.
#include "kiosk/domain/hlc.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <vector>

using namespace kiosk::domain;

TEST_CASE("hlc: ordered by wall time, then counter") {
    CHECK(Hlc{1, 5} < Hlc{2, 0});
    CHECK(Hlc{2, 0} < Hlc{2, 1});
    CHECK_FALSE(Hlc{2, 1} < Hlc{2, 1});
    CHECK(Hlc{2, 1} == Hlc{2, 1});
    CHECK(Hlc{2, 1} != Hlc{2, 2});
    CHECK(Hlc{3, 0} >= Hlc{2, 9});
}

TEST_CASE("hlc: the text form is fixed width, round-trips and sorts like the stamps") {
    CHECK(encodeHlc({1764680000000, 3}) == "001764680000000.0000000003");
    CHECK(encodeHlc({0, 0}) == "000000000000000.0000000000");
    CHECK(encodeHlc({kHlcMaxWallMs, 4294967295u}) == "999999999999999.4294967295");

    std::mt19937_64 rng(20261202);
    std::vector<Hlc> stamps;
    for (int i = 0; i < 2000; ++i) {
        std::int64_t wall = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(kHlcMaxWallMs + 1));
        if (i % 3 == 0) wall = 1764680000000 + static_cast<std::int64_t>(rng() % 3);  // many equal walls
        stamps.push_back({wall, static_cast<std::uint32_t>(i % 5 == 0 ? rng() : rng() % 4)});
    }
    for (const auto& h : stamps) {
        std::string text = encodeHlc(h);
        CHECK(text.size() == kHlcTextSize);
        auto back = parseHlc(text);
        REQUIRE(back.has_value());
        CHECK(*back == h);
    }
    for (std::size_t i = 1; i < stamps.size(); ++i) {
        const Hlc& a = stamps[i - 1];
        const Hlc& b = stamps[i];
        CHECK((a < b) == (encodeHlc(a) < encodeHlc(b)));
        CHECK((b < a) == (encodeHlc(b) < encodeHlc(a)));
    }
}

TEST_CASE("hlc: the parser refuses anything but the exact form") {
    const char* bad[] = {
        "",
        "001764680000000.000000000",    // short counter
        "001764680000000.00000000033",  // long
        "01764680000000.0000000003",    // short wall
        "001764680000000-0000000003",   // wrong separator
        "001764680000000.4294967296",   // counter over 2^32-1
        "00176468000000a.0000000003",
        "-01764680000000.0000000003",
        "+01764680000000.0000000003",
        " 01764680000000.0000000003",
        "001764680000000.000000003 ",
        "001764680000000 0000000003",
        "0017646800000000000000003.",
        "001764680000000.0000000003\n",
        "９01764680000000.000000003",  // non-ASCII digit
    };
    for (const char* text : bad) {
        INFO("text: [" << text << "]");
        CHECK_FALSE(parseHlc(text).has_value());
    }
    std::string withNul = "001764680000000.0000000003";
    withNul[3] = '\0';
    CHECK_FALSE(parseHlc(withNul).has_value());
    CHECK(hlcValid({0, 0}));
    CHECK(hlcValid({kHlcMaxWallMs, 7}));
    CHECK_FALSE(hlcValid({-1, 0}));
    CHECK_FALSE(hlcValid({kHlcMaxWallMs + 1, 0}));
}

TEST_CASE("hlc: tick follows physical time and never goes back") {
    HlcClock clock;
    CHECK(clock.tick(1000) == Hlc{1000, 0});
    CHECK(clock.tick(1000) == Hlc{1000, 1});  // same millisecond
    CHECK(clock.tick(1005) == Hlc{1005, 0});
    CHECK(clock.tick(900) == Hlc{1005, 1});   // the wall clock went back
    CHECK(clock.tick(1006) == Hlc{1006, 0});

    HlcClock resumed(Hlc{5000, 7});  // restarted from the greatest stored stamp, wall clock behind
    CHECK(resumed.tick(4000) == Hlc{5000, 8});

    HlcClock full(Hlc{10, 4294967295u});  // a full counter carries into the next millisecond
    CHECK(full.tick(10) == Hlc{11, 0});
}

TEST_CASE("hlc: observe moves past the remote stamp (the standard rules)") {
    HlcClock clock(Hlc{1000, 3});
    // remote ahead of local and physical: take its wall, its counter + 1
    auto o = clock.observe({2000, 5}, 1500);
    CHECK(o.outcome == Observed::Followed);
    CHECK(o.now == Hlc{2000, 6});
    // same wall on both: the greater counter + 1
    o = clock.observe({2000, 9}, 1500);
    CHECK(o.now == Hlc{2000, 10});
    o = clock.observe({2000, 2}, 1500);
    CHECK(o.now == Hlc{2000, 11});
    // remote behind: local counter + 1
    o = clock.observe({100, 50}, 1500);
    CHECK(o.now == Hlc{2000, 12});
    // physical time passed both: counter resets
    o = clock.observe({2100, 50}, 3000);
    CHECK(o.now == Hlc{3000, 0});
    CHECK(clock.last() == Hlc{3000, 0});
}

TEST_CASE("hlc: a remote stamp more than 24 h ahead is not followed and the clock stays as it was") {
    const std::int64_t now = 1764680000000;
    HlcClock clock(Hlc{now, 1});
    auto o = clock.observe({now + kHlcMaxDriftMs + 1, 0}, now);
    CHECK(o.outcome == Observed::RefusedFarAhead);
    CHECK(o.now == Hlc{now, 1});
    CHECK(clock.tick(now) == Hlc{now, 2});

    o = clock.observe({now + kHlcMaxDriftMs, 0}, now);  // exactly at the cap: followed
    CHECK(o.outcome == Observed::Followed);
    CHECK(o.now == Hlc{now + kHlcMaxDriftMs, 1});

    HlcClock other(Hlc{now, 0});
    o = other.observe({-5, 0}, now);
    CHECK(o.outcome == Observed::RefusedInvalid);
    CHECK(other.last() == Hlc{now, 0});
}

TEST_CASE("hlc: every stamp is greater than all before it and than every stamp observed (random walk)") {
    for (std::uint64_t seed = 1; seed <= 200; ++seed) {
        std::mt19937_64 rng(seed);
        INFO("seed " << seed);
        HlcClock clock;
        std::int64_t physical = 1764680000000;
        Hlc previous = clock.last();
        for (int i = 0; i < 200; ++i) {
            physical += static_cast<std::int64_t>(rng() % 7) - 3;  // jitters, sometimes backwards
            Hlc got;
            if (rng() % 2) {
                got = clock.tick(physical);
            } else {
                Hlc remote{physical + static_cast<std::int64_t>(rng() % 11) - 5, static_cast<std::uint32_t>(rng() % 4)};
                auto o = clock.observe(remote, physical);
                REQUIRE(o.outcome == Observed::Followed);
                got = o.now;
                CHECK(remote < got);
            }
            CHECK(previous < got);
            CHECK(got.wallMs >= physical);  // never behind the wall clock
            previous = got;
        }
    }
}

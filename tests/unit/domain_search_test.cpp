// Diacritic-insensitive folding and the in-memory roster index.
#include "kiosk/domain/fold_table.hpp"
#include "kiosk/domain/roster_index.hpp"
#include "kiosk/domain/text_fold.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>

using namespace kiosk::domain;

namespace {

std::string utf8(char32_t cp) {
    std::string s;
    if (cp < 0x80) {
        s.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        s.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    return s;
}

// Folded output is only [a-z0-9] words separated by single spaces.
bool wellFormedFold(const std::string& f) {
    if (f.empty()) return true;
    if (f.front() == ' ' || f.back() == ' ') return false;
    for (std::size_t i = 0; i < f.size(); ++i) {
        char c = f[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' ';
        if (!ok) return false;
        if (c == ' ' && i > 0 && f[i - 1] == ' ') return false;
    }
    return true;
}

std::vector<std::string> words(const std::string& folded) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < folded.size()) {
        while (i < folded.size() && folded[i] == ' ') ++i;
        std::size_t start = i;
        while (i < folded.size() && folded[i] != ' ') ++i;
        if (i > start) out.push_back(folded.substr(start, i - start));
    }
    return out;
}

struct Roster {
    std::vector<RosterEntry> entries;
    RosterIndex index;

    std::uint32_t add(std::string id, std::string name) {
        entries.push_back({std::move(id), std::move(name)});
        return static_cast<std::uint32_t>(entries.size() - 1);
    }
    void build() { index.build(entries); }
    std::vector<std::string> ids(std::string_view query, std::size_t limit = 20) const {
        std::vector<std::string> out;
        for (auto i : index.search(query, limit)) out.push_back(entries.at(i).studentId);
        return out;
    }
};

Roster sampleRoster() {
    Roster r;
    r.add("S100001", "Ñúñez, Zoë");
    r.add("S100002", "Dvořák, Łukasz");
    r.add("S100003", "Nakamura, Zoe");
    r.add("S100004", "O'Brien, Siobhán");
    r.add("S100005", "Ashworth-Pérez, Mateo");
    r.add("S100006", "Trần, Nguyễn Thị");
    r.add("S100007", "Øvergård, Søren");
    r.add("S100008", "Schröder, Björn");
    r.add("S100009", "Weiß, Ingrid");
    r.add("S100010", "Nuñez, Ana");
    r.add("S1000", "Smith, Emma");
    r.add("S-0012", "Lee, Kim");
    r.add("S100011", "Kim, Lee");
    r.build();
    return r;
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

} // namespace

// --- folding ----------------------------------------------------------------

TEST_CASE("foldForSearch removes Latin diacritics and lower-cases") {
    CHECK(foldForSearch("Zoë Ñúñez") == "zoe nunez");
    CHECK(foldForSearch("Łukasz Dvořák") == "lukasz dvorak");
    CHECK(foldForSearch("ZOË ÑÚÑEZ") == "zoe nunez");
    CHECK(foldForSearch("François Lefèvre") == "francois lefevre");
    CHECK(foldForSearch("Zoltán Szabó Çelik Wójcik") == "zoltan szabo celik wojcik");
    CHECK(foldForSearch("Maëlle Renée Sofía Mía Tomás") == "maelle renee sofia mia tomas");
}

TEST_CASE("foldForSearch expands letters with no decomposition") {
    CHECK(foldForSearch("Straße") == "strasse");
    CHECK(foldForSearch("STRAẞE") == "strasse");
    CHECK(foldForSearch("Søren Øvergård") == "soren overgard");
    CHECK(foldForSearch("Ærø Œuvre Þór Dóttir Ðorđe") == "aero oeuvre thor dottir dorde");
}

TEST_CASE("foldForSearch handles Vietnamese stacked diacritics") {
    CHECK(foldForSearch("Nguyễn Thị Đặng") == "nguyen thi dang");
    CHECK(foldForSearch("Trần Ngọc Ánh") == "tran ngoc anh");
    CHECK(foldForSearch("Ưng Phở Lưu Hồ Dương") == "ung pho luu ho duong");
    CHECK(foldForSearch("ĐẶNG") == "dang");
}

TEST_CASE("foldForSearch splits on apostrophes, hyphens and punctuation") {
    CHECK(foldForSearch("O'Brien") == "o brien");
    CHECK(foldForSearch("O\u2019Brien") == "o brien");   // right single quotation mark
    CHECK(foldForSearch("O\u2018Brien") == "o brien");   // left single quotation mark
    CHECK(foldForSearch("Ka\u02BBeo") == "ka eo");       // ʻokina is not in the table: a separator too
    CHECK(foldForSearch("Ha\u02BClo") == "ha lo");       // modifier letter apostrophe
    CHECK(foldForSearch("Ashworth-Pérez") == "ashworth perez");
    CHECK(foldForSearch("Ashworth\u2010Pérez") == "ashworth perez");
    CHECK(foldForSearch("Ashworth\u2013Pérez") == "ashworth perez");
    CHECK(foldForSearch("  Smith,   Jr.  ") == "smith jr");
    CHECK(foldForSearch("Ó Súilleabháin") == "o suilleabhain");
    CHECK(foldForSearch("S-0012") == "s 0012");
}

TEST_CASE("foldForSearch: decomposed (NFD) input folds like composed input") {
    // Some exports write names decomposed: a base letter then a combining mark.
    CHECK(foldForSearch("Zoe\u0308") == "zoe");
    CHECK(foldForSearch("Nu\u0301n\u0303ez") == "nunez");
    CHECK(foldForSearch("Dvor\u030Ca\u0301k") == "dvorak");
    CHECK(foldForSearch("Nguye\u0302\u0303n") == "nguyen");
}

TEST_CASE("foldForSearch: other scripts and symbols are not searchable by ASCII keys") {
    CHECK(foldForSearch("Иван") == "");
    CHECK(foldForSearch("Иван S001") == "s001");
    CHECK(foldForSearch("李 Wei") == "wei");
    CHECK(foldForSearch("😀 Zoë 😀") == "zoe");
    CHECK(foldForSearch("") == "");
    CHECK(foldForSearch(" ,.;- ") == "");
}

TEST_CASE("every fold table entry folds to its ASCII and the table is sorted for binary search") {
    using detail::kFoldTable;
    using detail::kFoldTableSize;
    REQUIRE(kFoldTableSize > 500);
    for (std::size_t i = 1; i < kFoldTableSize; ++i) {
        CAPTURE(i);
        CHECK(kFoldTable[i - 1].codepoint < kFoldTable[i].codepoint);
    }
    for (std::size_t i = 0; i < kFoldTableSize; ++i) {
        const auto& entry = kFoldTable[i];
        std::string ascii = entry.ascii;
        std::string expected = (ascii == "'" || ascii == "-") ? "x y" : "x" + ascii + "y";
        CAPTURE(entry.codepoint);
        CHECK(foldForSearch("x" + utf8(entry.codepoint) + "y") == expected);
    }
}

// --- hostile bytes ----------------------------------------------------------

TEST_CASE("invalid UTF-8 never crashes, loops or leaks bytes into the fold") {
    const std::vector<std::string> hostile{
        "\xff",
        "\xfe\xff",
        "\xC3",                  // truncated two-byte sequence at the end
        "Zo\xC3",                // truncated after letters
        "\xE2\x82",              // truncated three-byte
        "\xF0\x9F\x98",          // truncated four-byte
        "\xC0\xAF",              // overlong '/'
        "\xE0\x80\xAF",          // overlong
        "\xED\xA0\x80",          // UTF-16 surrogate
        "\xF4\x90\x80\x80",      // above U+10FFFF
        "\x80\x80\x80",          // lone continuation bytes
        "\xF8\x88\x80\x80\x80",  // 5-byte form
        "Zo\xC3\xABl\xff\xfe\xC3\xB1",
    };
    for (const auto& s : hostile) {
        CAPTURE(s.size());
        CHECK(wellFormedFold(foldForSearch(s)));
        CHECK_FALSE(isValidUtf8(s));
    }
    CHECK(foldForSearch("Zo\xC3\xABl\xff\xfe\xC3\xB1") == "zoel n");
    CHECK(foldForSearch(std::string("a\0b", 3)) == "a b");
}

TEST_CASE("decodeUtf8 always advances by one to four bytes and never past the end") {
    std::mt19937 rng(12345);
    std::uniform_int_distribution<int> byte(0, 255), len(0, 24);
    for (int round = 0; round < 20000; ++round) {
        std::string s(static_cast<std::size_t>(len(rng)), '\0');
        for (char& c : s) c = static_cast<char>(byte(rng));
        std::size_t pos = 0;
        bool ok = true;
        while (ok && pos < s.size()) {
            std::size_t before = pos;
            char32_t cp = decodeUtf8(s, pos);
            ok = pos > before && pos - before <= 4 && pos <= s.size() && cp <= 0x10FFFF;
        }
        CAPTURE(round);
        REQUIRE(ok);
        REQUIRE(wellFormedFold(foldForSearch(s)));
    }
}

TEST_CASE("isValidUtf8 accepts well-formed text and refuses the rest") {
    CHECK(isValidUtf8(""));
    CHECK(isValidUtf8("abc"));
    CHECK(isValidUtf8("Zoë Ñúñez"));
    CHECK(isValidUtf8("Nguyễn"));
    CHECK(isValidUtf8("李"));
    CHECK(isValidUtf8("😀"));
    CHECK(isValidUtf8("\xEF\xBF\xBD"));  // U+FFFD itself is a real character
    CHECK(isValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
    CHECK_FALSE(isValidUtf8("\xff"));
    CHECK_FALSE(isValidUtf8("Zo\xC3"));
    CHECK_FALSE(isValidUtf8("\xC0\xAF"));
    CHECK_FALSE(isValidUtf8("\xED\xA0\x80"));
    CHECK_FALSE(isValidUtf8("\xF4\x90\x80\x80"));
    CHECK_FALSE(isValidUtf8("\x80"));
    CHECK_FALSE(isValidUtf8("ok\xEF\xBF"));
}

// --- roster index -----------------------------------------------------------

TEST_CASE("RosterIndex finds names whatever diacritics the proctor types") {
    Roster r = sampleRoster();
    CHECK(r.index.size() == r.entries.size());
    auto zoe = r.ids("zoe");
    CHECK(has(zoe, "S100001"));
    CHECK(has(zoe, "S100003"));
    CHECK(zoe.size() == 2);
    CHECK(r.ids("Zoë") == zoe);
    CHECK(r.ids("ZOE") == zoe);
    CHECK(r.ids("dvo") == std::vector<std::string>{"S100002"});
    CHECK(r.ids("dvořák") == std::vector<std::string>{"S100002"});
    CHECK(r.ids("luk") == std::vector<std::string>{"S100002"});
    CHECK(r.ids("obrien").empty());  // the apostrophe separates words
    CHECK(r.ids("o'bri") == std::vector<std::string>{"S100004"});
    CHECK(r.ids("o brien") == std::vector<std::string>{"S100004"});
    CHECK(r.ids("perez") == std::vector<std::string>{"S100005"});
    CHECK(r.ids("ashworth-p") == std::vector<std::string>{"S100005"});
    CHECK(r.ids("nguyen") == std::vector<std::string>{"S100006"});
    CHECK(r.ids("soren") == std::vector<std::string>{"S100007"});
    CHECK(r.ids("weiss") == std::vector<std::string>{"S100009"});
    CHECK(r.ids("schro") == std::vector<std::string>{"S100008"});
}

TEST_CASE("RosterIndex: every word typed must start a word of the name") {
    Roster r = sampleRoster();
    CHECK(r.ids("zoe nu") == std::vector<std::string>{"S100001"});
    CHECK(r.ids("nu zoe") == std::vector<std::string>{"S100001"});  // any order
    CHECK(r.ids("zoe na") == std::vector<std::string>{"S100003"});
    CHECK(r.ids("zoe xy").empty());
    CHECK(r.ids("oe").empty());  // the middle of a word is not a prefix
    auto nu = r.ids("nu");
    CHECK(nu.size() == 2);
    CHECK(has(nu, "S100001"));
    CHECK(has(nu, "S100010"));
    CHECK(r.ids("zoe, nunez") == std::vector<std::string>{"S100001"});
}

TEST_CASE("RosterIndex: ID prefixes match and the exact ID ranks first") {
    Roster r = sampleRoster();
    auto ids = r.ids("S1000");
    REQUIRE_FALSE(ids.empty());
    CHECK(ids.front() == "S1000");  // exact, though it was added late
    CHECK(ids.size() == 12);        // S1000 and every S10000xx
    CHECK(r.ids("s100007") == std::vector<std::string>{"S100007"});
    CHECK(r.ids("S10001") == std::vector<std::string>{"S100010", "S100011"});
    // Separators in IDs do not matter.
    CHECK(r.ids("S0012") == std::vector<std::string>{"S-0012"});
    CHECK(r.ids("s-0012") == std::vector<std::string>{"S-0012"});
    CHECK(r.ids("S 0012") == std::vector<std::string>{"S-0012"});
}

TEST_CASE("RosterIndex: a surname match ranks before a first-name match") {
    Roster r = sampleRoster();
    CHECK(r.ids("kim") == std::vector<std::string>{"S100011", "S-0012"});  // "Kim, Lee" before "Lee, Kim"
    CHECK(r.ids("lee") == std::vector<std::string>{"S-0012", "S100011"});
}

TEST_CASE("RosterIndex: the limit is respected and results are unique") {
    Roster r;
    for (int i = 0; i < 120; ++i) r.add("S" + std::to_string(200000 + i), "Smith, Smitty Emma");
    r.build();
    CHECK(r.index.search("smith", 10).size() == 10);
    CHECK(r.index.search("smith", 1).size() == 1);
    CHECK(r.index.search("smith", 0).empty());
    auto all = r.index.search("smi", 1000);
    CHECK(all.size() == 120);  // a name with two matching words counts once
    std::set<std::uint32_t> unique(all.begin(), all.end());
    CHECK(unique.size() == all.size());
    CHECK(std::is_sorted(all.begin(), all.end()));  // ties keep roster order
}

TEST_CASE("RosterIndex: countMatches counts every match past search's limit and each student once") {
    Roster r;
    for (int i = 0; i < 120; ++i) r.add("S" + std::to_string(200000 + i), "Smith, Smitty Emma");
    r.add("S300000", "Jones, Emma");
    r.build();
    CHECK(r.index.countMatches("smi") == 120);  // two matching words, counted once
    CHECK(r.index.countMatches("s2") == 120);
    CHECK(r.index.countMatches("emma") == 121);
    CHECK(r.index.countMatches("emma jo") == 1);
    CHECK(r.index.countMatches("jo emma") == 1);
    CHECK(r.index.countMatches("S300000") == 1);
    CHECK(r.index.countMatches("zed") == 0);
    CHECK(r.index.countMatches("") == 0);
    for (const char* q : {"smi", "emma", "s20001", "smith emma", "e s3"})
        CHECK_MESSAGE(r.index.countMatches(q) == r.index.search(q, 1000).size(), q);
}

TEST_CASE("RosterIndex: an empty or punctuation-only query finds nothing") {
    Roster r = sampleRoster();
    CHECK(r.ids("").empty());
    CHECK(r.ids("   ").empty());
    CHECK(r.ids(",.-'").empty());
    CHECK(r.ids("Иван").empty());
    RosterIndex empty;
    empty.build({});
    CHECK(empty.size() == 0);
    CHECK(empty.search("zoe", 10).empty());
}

TEST_CASE("RosterIndex: hostile queries return sensibly") {
    Roster r = sampleRoster();
    CHECK(r.ids(std::string(1 << 20, 'z')).empty());            // 1 MB of one letter
    CHECK(r.ids(std::string(1 << 20, '\xff')).empty());         // 1 MB of invalid bytes
    CHECK(r.ids(std::string("zo\0e", 4)).empty());               // embedded NUL splits words
    CHECK(r.ids("zo\xC3").size() == 2);                           // truncated UTF-8 after a prefix
    std::string manyWords;
    for (int i = 0; i < 5000; ++i) manyWords += "z ";
    CHECK(r.ids(manyWords).size() == 2);                          // 5,000 copies of the same word
    std::string mixed;
    for (int i = 0; i < 5000; ++i) mixed += (i % 2 ? "zoe " : "nunez ");
    CHECK(r.ids(mixed) == std::vector<std::string>{"S100001"});
    CHECK(r.ids("%' OR 1=1 --").empty());
    CHECK(r.ids("*").empty());
}

TEST_CASE("RosterIndex agrees with a plain scan on a generated roster") {
    const std::vector<std::string> first{"Zoë", "Łukasz", "José", "Siobhán", "Nguyễn", "Søren", "Emma", "Liam", "Sofía", "Renée", "Ana", "Anaïs"};
    const std::vector<std::string> last{"Ñúñez", "Dvořák", "García", "O'Brien", "Øvergård", "Trần", "Müller", "Smith", "Ashworth-Pérez", "Đặng", "Nuñez", "Garcia"};
    std::mt19937 rng(99);
    auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
    Roster r;
    for (int i = 0; i < 3000; ++i) r.add("S" + std::to_string(300000 + i), pick(last) + ", " + pick(first));
    r.build();

    std::vector<std::string> folded;
    for (const auto& e : r.entries) folded.push_back(foldForSearch(e.displayName) + " " + foldForSearch(e.studentId));

    const std::vector<std::string> queries{"z", "zo", "zoe n", "nu", "nun", "ga", "garc", "garcia jo", "o b", "s30001", "s3000", "an",
                                           "ana", "d", "dang ng", "smith emma", "emma smith", "liam o", "ashworth", "x", "ren", "s3"};
    for (const auto& q : queries) {
        CAPTURE(q);
        std::set<std::uint32_t> expected;
        auto qWords = words(foldForSearch(q));
        for (std::uint32_t i = 0; i < folded.size(); ++i) {
            auto nameWords = words(folded[i]);
            bool all = std::all_of(qWords.begin(), qWords.end(), [&](const std::string& w) {
                return std::any_of(nameWords.begin(), nameWords.end(), [&](const std::string& n) { return n.rfind(w, 0) == 0; });
            });
            if (all) expected.insert(i);
        }
        auto got = r.index.search(q, 100000);
        std::set<std::uint32_t> gotSet(got.begin(), got.end());
        CHECK(gotSet.size() == got.size());
        CHECK(gotSet == expected);
        // A limit returns the best of the same set.
        auto top = r.index.search(q, 5);
        CHECK(top.size() == std::min<std::size_t>(5, expected.size()));
        CHECK(std::equal(top.begin(), top.end(), got.begin()));
    }
}

// testsite-kioskctl's contract with the people and scripts that run it: one
// exit code table (unique codes, every outcome mapped, README listing exactly
// the table, command code returning only names from it), and credentials
// errors that never echo a secret.
#include "kiosk/app/commands/exit_codes.hpp"
#include "kiosk/app/config.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace kiosk::app;
using namespace kiosk::app::ctl;

namespace {

std::string readSource(const std::filesystem::path& relative) {
    std::ifstream in(std::filesystem::path(KIOSK_SOURCE_DIR) / relative);
    REQUIRE(in);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

} // namespace

TEST_CASE("exit codes: every code and every name appears once, from 0 up") {
    std::set<int> codes;
    std::set<std::string_view> names, meanings;
    int expected = 0;
    for (const auto& e : kExitCodes) {
        CHECK(static_cast<int>(e.code) == expected++);
        codes.insert(e.code);
        names.insert(e.name);
        meanings.insert(e.meaning);
    }
    CHECK(codes.size() == kExitCodes.size());
    CHECK(names.size() == kExitCodes.size());
    CHECK(meanings.size() == kExitCodes.size());
    CHECK(kExitCodes.back().code < 100);  // clear of CLI11's own 100-127, which kioskctl turns into 1
}

TEST_CASE("exit codes: every outcome of sync, enrol and import-pending maps into the table, each to its own code") {
    auto inTable = [](Exit c) {
        for (const auto& e : kExitCodes)
            if (e.code == c) return true;
        return false;
    };
    using edsync::edfi::PassResult;
    std::set<int> pass;
    for (auto r : {PassResult::AllSynced, PassResult::SomePending, PassResult::NeedsAttention, PassResult::Offline, PassResult::AuthFailure}) {
        CHECK(inTable(exitFor(r)));
        pass.insert(exitFor(r));
    }
    CHECK(pass.size() == 5);
    CHECK(exitFor(PassResult::AllSynced) == Ok);
    CHECK(exitFor(PassResult::SomePending) == Pending);
    CHECK(exitFor(PassResult::SomePending) != InputError);  // the old collision: 3 meant both

    std::set<int> enrol;
    for (auto o : {CheckOutcome::Ok, CheckOutcome::WrongCredentials, CheckOutcome::Unreachable, CheckOutcome::TlsFailure, CheckOutcome::NotEdFi,
                   CheckOutcome::ServerError}) {
        CHECK(inTable(exitFor(o)));
        enrol.insert(exitFor(o));
    }
    CHECK(enrol.size() == 6);
    // The same fact gives the same code in every command.
    CHECK(exitFor(CheckOutcome::WrongCredentials) == exitFor(PassResult::AuthFailure));
    CHECK(exitFor(CheckOutcome::Unreachable) == exitFor(PassResult::Offline));

    std::set<int> bundle;
    for (auto k : {BundleError::Kind::NotABundle, BundleError::Kind::Foreign, BundleError::Kind::Tampered}) {
        CHECK(inTable(exitFor(k)));
        bundle.insert(exitFor(k));
    }
    CHECK(bundle.size() == 3);
}

TEST_CASE("exit codes: README lists exactly the table") {
    std::string readme = readSource("README.md");
    auto start = readme.find("### Exit codes");
    REQUIRE(start != std::string::npos);
    auto header = readme.find("| code | meaning |", start);
    REQUIRE(header != std::string::npos);
    std::istringstream rows(readme.substr(header));
    std::string line;
    std::getline(rows, line);  // header
    std::getline(rows, line);  // |---|---|
    std::size_t i = 0;
    std::regex row(R"(^\| (\d+) \| (.+) \|$)");
    while (std::getline(rows, line) && line.starts_with("|")) {
        std::smatch m;
        REQUIRE_MESSAGE(std::regex_match(line, m, row), line);
        REQUIRE(i < kExitCodes.size());
        CHECK(std::stoi(m[1]) == static_cast<int>(kExitCodes[i].code));
        CHECK(m[2].str() == std::string(kExitCodes[i].meaning));
        ++i;
    }
    CHECK(i == kExitCodes.size());
}

TEST_CASE("exit codes: command code returns names from the table, never bare numbers") {
    // A `return 7;` or a private `constexpr int kSomething = 7` is how the
    // old collisions crept in.
    std::regex bare(R"(return\s+-?\d+\s*;|constexpr\s+int\s+k\w+\s*=\s*\d+\s*;|static_cast<int>\(\d+\))");
    for (const char* file : {"kiosk/app/kioskctl_main.cpp", "kiosk/app/commands/ctl.cpp", "kiosk/app/commands/data_commands.cpp",
                             "kiosk/app/commands/status_command.cpp", "kiosk/app/commands/sync_commands.cpp",
                             "kiosk/app/commands/audit_commands.cpp", "kiosk/app/commands/security_commands.cpp",
                             "kiosk/app/commands/enrol_command.cpp", "kiosk/app/commands/usb_commands.cpp",
                             "kiosk/app/commands/papers_command.cpp", "kiosk/app/commands/rescue_command.cpp",
                             "kiosk/app/commands/site_command.cpp", "kiosk/app/kiosk_main.cpp"}) {
        std::string text = readSource(file);
        std::smatch m;
        CHECK_MESSAGE(!std::regex_search(text, m, bare), file, ": ", (m.empty() ? std::string() : m[0].str()));
    }
}

TEST_CASE("exit codes: the window has no table of its own") {
    // It once had `enum Exit { ..., DataError = 3, DisplayError = 4 }`: 3 and 4
    // meant other things in kioskctl.
    std::string text = readSource("kiosk/app/kiosk_main.cpp");
    std::smatch m;
    CHECK_MESSAGE(!std::regex_search(text, m, std::regex(R"(enum\s+(class\s+)?\w*\s*(:\s*\w+\s*)?\{[^}]*=\s*\d)")),
                  (m.empty() ? std::string() : m[0].str()));
    CHECK(text.find("exit_codes.hpp") != std::string::npos);
    CHECK(text.find("return StoreDamaged;") != std::string::npos);  // a damaged store is 17 here too
}

TEST_CASE("credentials: a bad line is named by its number, never echoed") {
    std::string error;
    CHECK_FALSE(parseCredentials("key=kiosk\nS3cr3t-pasted-alone\n", error));
    CHECK(error.find("line 2") != std::string::npos);
    CHECK(error.find("S3cr3t") == std::string::npos);
    CHECK_FALSE(parseCredentials("key=kiosk\nS3cr3t=with-equals\n", error));
    CHECK(error.find("S3cr3t") == std::string::npos);
}

TEST_CASE("credentials: a NUL or control character in the key or secret is refused, as enrol refuses it") {
    std::string error;
    CHECK_FALSE(parseCredentials(std::string("key=kiosk\nsecret=abc\0def\n", 22), error));
    CHECK(error.find("secret") != std::string::npos);
    CHECK(error.find("line 2") != std::string::npos);
    CHECK(error.find("abc") == std::string::npos);
    CHECK_FALSE(parseCredentials("key=ki\x1bosk\nsecret=s\n", error));
    CHECK(parseCredentials("key=kiosk\r\nsecret=s3cret\r\n", error));  // CRLF is fine
    EnrolRequest r;
    r.baseUrl = "https://x";
    r.siteId = "1";
    r.kioskName = "k";
    r.credentials = {"kiosk", std::string("abc\0def", 7)};
    CHECK_FALSE(validateEnrolment(r, error));
}

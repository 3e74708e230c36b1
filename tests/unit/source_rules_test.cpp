// Rules of CONTRIBUTING.md that a reader checks and a compiler does not,
// read from the sources themselves.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace {

std::vector<std::string> linesOf(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string trimmed(const std::string& s) {
    auto b = s.find_first_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b);
}

} // namespace

TEST_CASE("a result dropped with (void) says why, on its line or in the comment just above") {
    // `(void)f(...)`: a call whose result is thrown away. Several in a row may
    // share one comment.
    const std::regex dropped(R"(\(void\)\s*[\w:.>\-\*]+\s*\()");
    const std::filesystem::path root(KIOSK_SOURCE_DIR);
    int seen = 0;
    for (const char* dir : {"kiosk", "sync", "accessibility"}) {
        for (const auto& entry : std::filesystem::recursive_directory_iterator(root / dir)) {
            const auto ext = entry.path().extension();
            if (ext != ".cpp" && ext != ".hpp") continue;
            const auto lines = linesOf(entry.path());
            for (std::size_t i = 0; i < lines.size(); ++i) {
                if (!std::regex_search(lines[i], dropped)) continue;
                ++seen;
                if (lines[i].find("//") != std::string::npos) continue;
                std::size_t j = i;
                while (j > 0 && std::regex_search(lines[j - 1], dropped) && lines[j - 1].find("//") == std::string::npos) --j;
                const bool explained = j > 0 && trimmed(lines[j - 1]).starts_with("//");
                CHECK_MESSAGE(explained, std::filesystem::relative(entry.path(), root).string(), ":", i + 1, ": ", trimmed(lines[i]));
            }
        }
    }
    CHECK(seen > 10);  // the pattern still finds them
}

TEST_CASE("a test case's name has no semicolon (CTest splits test names at it, and runs two halves that match nothing)") {
    const std::regex named(R"(\b(TEST_CASE|SUBCASE|SCENARIO)\s*\(\s*"([^"]*)\")");
    const std::filesystem::path root(KIOSK_SOURCE_DIR);
    int seen = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root / "tests")) {
        if (entry.path().extension() != ".cpp") continue;
        const auto lines = linesOf(entry.path());
        for (std::size_t i = 0; i < lines.size(); ++i) {
            std::smatch m;
            if (!std::regex_search(lines[i], m, named)) continue;
            ++seen;
            CHECK_MESSAGE(m[2].str().find(';') == std::string::npos, std::filesystem::relative(entry.path(), root).string(), ":", i + 1, ": ",
                          m[2].str());
        }
    }
    CHECK(seen > 100);  // the pattern still finds them
}

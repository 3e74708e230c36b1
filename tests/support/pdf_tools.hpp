#pragma once
// poppler-utils for tests that look inside a PDF: pdftotext -layout (the
// words on each page, pages separated by a form feed) and pdfinfo. A missing
// tool fails the test with what to install, never a silent pass.
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace kiosk::test {

inline bool haveTool(const std::string& name) {
    return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

// Standard output of `before 'file' after` (the path is a test's own temp path).
inline std::string runOnPdf(const std::string& before, const std::filesystem::path& file, const std::string& after = "") {
    std::string out;
    FILE* p = popen((before + " '" + file.string() + "' " + after + " 2>/dev/null").c_str(), "r");
    REQUIRE(p != nullptr);
    std::array<char, 4096> buf{};
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
    CHECK(pclose(p) == 0);
    return out;
}

inline std::string pdfText(const std::filesystem::path& file) {
    if (!haveTool("pdftotext")) FAIL("pdftotext is missing: install poppler-utils (packaging/install-deps.sh)");
    return runOnPdf("pdftotext -layout -enc UTF-8", file, "-");
}

inline std::string pdfInfo(const std::filesystem::path& file) {
    if (!haveTool("pdfinfo")) FAIL("pdfinfo is missing: install poppler-utils (packaging/install-deps.sh)");
    return runOnPdf("pdfinfo", file);
}

} // namespace kiosk::test

// kiosk::app::printable: outside text made safe for a terminal or the journal.
#include "kiosk/app/printable.hpp"

#include <doctest/doctest.h>

using kiosk::app::printable;

TEST_CASE("plain text and valid UTF-8 pass unchanged") {
    CHECK(printable("Riverbend High School") == "Riverbend High School");
    CHECK(printable("Zoë Ñúñez · Łukasz Dvořák 🙂") == "Zoë Ñúñez · Łukasz Dvořák 🙂");
    CHECK(printable("") == "");
}

TEST_CASE("escape sequences and control characters become visible escapes") {
    CHECK(printable("Lab\x1b[2J\x1b]0;owned\x07") == "Lab\\x1b[2J\\x1b]0;owned\\x07");
    CHECK(printable("one\ntwo\r") == "one\\x0atwo\\x0d");
    CHECK(printable(std::string("nul\0byte", 8)) == "nul\\x00byte");
    CHECK(printable("del\x7f") == "del\\x7f");
    CHECK(printable("a\\x1b") == "a\\\\x1b");  // a literal backslash cannot pose as an escape
}

TEST_CASE("C1 controls, bidirectional overrides and invalid UTF-8 are escaped") {
    CHECK(printable("\xc2\x9b" "31m") == "\\u009b31m");                 // CSI as one code point
    CHECK(printable("abc\xe2\x80\xae" "fdp.exe") == "abc\\u202efdp.exe");  // right-to-left override
    CHECK(printable("bad \xff\xfe end") == "bad \\xff\\xfe end");
    CHECK(printable("\xc0\xaf") == "\\xc0\\xaf");          // overlong '/'
    CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
    CHECK(printable("cut \xe2\x82") == "cut \\xe2\\x82");   // truncated sequence
}

TEST_CASE("no output byte is a control character, whatever the input") {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    std::string out = printable(all + all);
    for (unsigned char c : out) CHECK((c >= 0x20 && c != 0x7f));
}

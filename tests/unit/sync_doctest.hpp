#pragma once
// doctest stringifies operands with an unqualified toString(), which finds
// the library's own toString(enum) -> string_view by ADL and fails to build.
// Qualifying it keeps doctest's overloads (enums print as numbers).
#define DOCTEST_STRINGIFY(...) ::doctest::toString(__VA_ARGS__)
#include <doctest/doctest.h>

# kiosk_library(<target> ALIAS <ns::name> SOURCES ... ) — one library per module,
# with the project's warnings and a namespaced alias.

# -pthread everywhere (it defines _REENTRANT): one set of macros, so the
# shared precompiled header fits every target.
function(kiosk_compile_flags target)
  target_compile_options(${target} PRIVATE -pthread -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
  if(KIOSK_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# One precompiled header that every target reuses (the standard library and
# nlohmann/json, which most files include): a third less compile time per file
# on CI's two cores. A target whose flags differ simply parses the headers
# again. KIOSK_PCH=OFF in the sanitizer presets, which build in unity batches.
option(KIOSK_PCH "Reuse one precompiled header across the project's targets" ON)
if(KIOSK_PCH AND NOT CMAKE_DISABLE_PRECOMPILE_HEADERS)
  add_library(kiosk_pch OBJECT ${CMAKE_CURRENT_LIST_DIR}/pch.cpp)
  kiosk_compile_flags(kiosk_pch)
  target_precompile_headers(kiosk_pch PRIVATE
    <algorithm> <array> <chrono> <cstdint> <filesystem> <functional> <map> <memory> <mutex> <optional>
    <set> <string> <string_view> <unordered_map> <utility> <variant> <vector>
    <nlohmann/json.hpp>)
endif()

function(kiosk_warnings target)
  kiosk_compile_flags(${target})
  if(TARGET kiosk_pch)
    target_precompile_headers(${target} REUSE_FROM kiosk_pch)
  endif()
endfunction()

function(kiosk_library target)
  cmake_parse_arguments(ARG "" "ALIAS" "SOURCES" ${ARGN})
  add_library(${target} STATIC ${ARG_SOURCES})
  add_library(${ARG_ALIAS} ALIAS ${target})
  kiosk_warnings(${target})
endfunction()

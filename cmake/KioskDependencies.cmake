# Every dependency comes from a Debian 12 package (packaging/install-deps.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(SQLite3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(Sodium REQUIRED IMPORTED_TARGET libsodium)
find_package(CURL REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
pkg_check_modules(TomlPlusPlus REQUIRED IMPORTED_TARGET tomlplusplus)
# Printable papers (kiosk/papers): cairo's PDF surface, pango for text, CUPS to print.
pkg_check_modules(PangoCairo REQUIRED IMPORTED_TARGET pangocairo cairo-pdf)
# Debian 12's libcups2-dev ships cups-config but no cups.pc: CMake's own FindCups.
find_package(Cups REQUIRED)

if(KIOSK_BUILD_GUI OR KIOSK_BUILD_TESTS)
  # Debian's libimgui.a holds the core, the GLFW/OpenGL3 backends and the FreeType builder.
  pkg_check_modules(ImGui REQUIRED IMPORTED_TARGET imgui stb)
  pkg_check_modules(FreeType REQUIRED IMPORTED_TARGET freetype2)
endif()
if(KIOSK_BUILD_GUI)
  pkg_check_modules(GLFW REQUIRED IMPORTED_TARGET glfw3)
  find_package(OpenGL REQUIRED)
endif()
if(KIOSK_BUILD_TESTS)
  find_package(doctest REQUIRED)
endif()

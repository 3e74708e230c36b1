#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test (unit, headless UI,
# crash, end to end under Xvfb).
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake --preset dev
cmake --build --preset dev -j"$(nproc)"
ctest --preset dev

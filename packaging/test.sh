#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test (unit, headless UI,
# crash, end to end under Xvfb). It builds the `check` preset: the `dev`
# build (warnings as errors) compiled in unity batches, for one full build
# in half the time; iterate in `build/dev` (CONTRIBUTING.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake --preset check
cmake --build --preset check -j"$(nproc)"
ctest --preset check

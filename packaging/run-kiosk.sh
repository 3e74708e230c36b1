#!/usr/bin/env bash
# Installs what is needed, builds, and opens the kiosk with its embedded
# default: a local SQLite store with demo data (no server needed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target testsite-kiosk testsite-kioskctl
exec ./build/release/kiosk/app/testsite-kiosk "$@"

#!/usr/bin/env bash
# The long durability run: N SIGKILLs (default 1,000) of the mixed workload
# against the Ed-Fi double, then the checker (see durability_harness.cpp).
# Builds the needed targets of PRESET (default dev) first.
#
# usage: tests/durability/run-durability.sh [KILLS=1000] [SEED=1]
# env:   PRESET=dev|release|asan  JOBS=2  WORK=DIR (kept; default: a temp dir
#        removed when every check passed)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
kills="${1:-1000}"
seed="${2:-1}"
preset="${PRESET:-dev}"
jobs="${JOBS:-2}"

cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j"$jobs" --target durability-harness durability-driver edfi-double >/dev/null

bin="$root/build/$preset/tests"
args=(--kills "$kills" --seed "$seed"
      --driver "$bin/durability/durability-driver" --double "$bin/integration/edfi_double/edfi-double"
      --certs-script "$root/tests/integration/make-test-certs.sh"
      --catalogue "$root/assets/tasks/work-readiness.json")
[ -n "${WORK:-}" ] && args+=(--work "$WORK")
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), preset $preset, $(nproc) cores"
start=$(date +%s)
status=0
"$bin/durability/durability-harness" "${args[@]}" || status=$?
echo "wall time $(( $(date +%s) - start )) s"
exit "$status"

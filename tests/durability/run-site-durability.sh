#!/usr/bin/env bash
# The long site durability run (issue 14): N SIGKILLs (default 200) spread
# over three kiosks and the hub, partitions between each kiosk and the hub,
# the state behind the fault proxy in random-faults mode; then every kiosk
# must hold the same picture and the state each record once, at its latest
# (see site_durability_harness.cpp). Builds the needed targets of PRESET
# (default dev) first.
#
# usage: tests/durability/run-site-durability.sh [KILLS=200] [SEED=1]
# env:   PRESET=dev|release  JOBS=2  WORK=DIR (kept; default: a temp dir
#        removed when every check passed)  EXTRA="--fault-rate 0.3 ..."
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
kills="${1:-200}"
seed="${2:-1}"
preset="${PRESET:-dev}"
jobs="${JOBS:-2}"

cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j"$jobs" --target site-durability-harness durability-driver edfi-double fault-proxy >/dev/null

bin="$root/build/$preset/tests"
args=(--kills "$kills" --seed "$seed"
      --driver "$bin/durability/durability-driver" --double "$bin/integration/edfi_double/edfi-double"
      --proxy "$bin/integration/fault_proxy/fault-proxy"
      --certs-script "$root/tests/integration/make-test-certs.sh"
      --catalogue "$root/assets/tasks/work-readiness.json")
[ -n "${WORK:-}" ] && args+=(--work "$WORK")
# shellcheck disable=SC2206
[ -n "${EXTRA:-}" ] && args+=($EXTRA)
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), preset $preset, $(nproc) cores"
start=$(date +%s)
status=0
"$bin/durability/site-durability-harness" "${args[@]}" || status=$?
echo "wall time $(( $(date +%s) - start )) s"
exit "$status"

#!/usr/bin/env bash
# Builds the optimised `release` preset and runs the benchmark programs.
# They print figures beside the DESIGN.md §8 budgets; nothing here passes or
# fails on time. Data files go to $BENCH_DIR (default build/release/bench-data,
# on the same disk as the build; avoid tmpfs, where fsync is free).
#
# usage: tests/bench/run-benchmarks.sh [students=100000] [check-ins=2000]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
students="${1:-100000}"
checkins="${2:-2000}"
jobs="${JOBS:-2}"
bench_dir="${BENCH_DIR:-$root/build/release/bench-data}"

cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs" --target bench_search bench_checkin bench_memory bench_site_catchup

bin="$root/build/release/tests/bench"
mkdir -p "$bench_dir"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores, $(uname -r)"
"$bin/bench_search" "$students"
"$bin/bench_checkin" "$bench_dir" "$checkins"
"$bin/bench_memory" "$bench_dir" "$students"
"$bin/bench_site_catchup" "$bench_dir" 30 1000
rmdir "$bench_dir" 2>/dev/null || true

#!/usr/bin/env bash
# Sanitizers for CI (DESIGN.md §7): builds the `asan` preset (clang-14,
# ASan + UBSan, no window) and runs its CTest suite: the unit, headless UI,
# integration and ops tests, and every libFuzzer target for
# KIOSK_FUZZ_SECONDS (5) on its committed seeds. Left out under sanitizers,
# because they test SQLite and the disk rather than memory safety or only wait
# on injected stalls: the kill -9 and disk-full runs, the benchmarks, the
# package builds and the 1,000-record random-fault drain (all run in the dev
# suite). The long fuzz runs are tests/fuzz/run-fuzzers.sh (the `fuzz` preset).
#
# usage: tests/ci/run-sanitizers.sh        env: JOBS=2
# Exit status 0 only when the build and every test passed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
jobs="${JOBS:-2}"
start=$(date +%s)

# UBSan stops at the first report (-fno-sanitize-recover=undefined); ASan
# reports leaks too.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

echo "== asan: configure and build (clang-14, -fsanitize=address,undefined)"
status=0
cmake --preset asan >/dev/null && cmake --build --preset asan -j"$jobs" || status=$?
if [ "$status" -eq 0 ]; then
  echo "== asan: ctest --preset asan"
  ctest --preset asan -j"$jobs" || status=$?
fi
echo "sanitizers: wall time $(( $(date +%s) - start )) s, status $status"
exit "$status"

#!/usr/bin/env bash
# Sanitizers for CI (DESIGN.md §7): builds the `asan` preset (ASan + UBSan,
# clang-14, no GUI) and runs its whole CTest suite, then builds the `fuzz`
# preset and runs every libFuzzer target briefly on its committed seeds (the
# fuzz preset's own CTest smoke tests, KIOSK_FUZZ_SECONDS each).
#
# usage: tests/ci/run-sanitizers.sh
# env:   JOBS=2  FUZZ_SECONDS=10  SKIP_ASAN=1  SKIP_FUZZ=1
# Exit status: 0 only when both suites passed. Closes with "N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
jobs="${JOBS:-2}"
fuzz_seconds="${FUZZ_SECONDS:-10}"
passed=0
failed=0
step() { echo; echo "== $*"; }
result() {  # result NAME STATUS
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "-- $1: passed"; else failed=$((failed + 1)); echo "-- $1: FAILED (status $2)"; fi
}
start=$(date +%s)

# UBSan stops at the first report (the preset builds with
# -fno-sanitize-recover=undefined); ASan reports leaks too.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

if [ -z "${SKIP_ASAN:-}" ]; then
  step "asan: configure and build (clang-14, -fsanitize=address,undefined)"
  status=0
  cmake --preset asan >/dev/null && cmake --build --preset asan -j"$jobs" || status=$?
  if [ "$status" -eq 0 ]; then
    step "asan: ctest --preset asan"
    ctest --preset asan -j"$jobs" || status=$?
  fi
  result "asan build + ctest" "$status"
fi

if [ -z "${SKIP_FUZZ:-}" ]; then
  step "fuzz: configure and build (libFuzzer + ASan + UBSan)"
  status=0
  cmake --preset fuzz -DKIOSK_FUZZ_SECONDS="$fuzz_seconds" >/dev/null && cmake --build --preset fuzz -j"$jobs" || status=$?
  if [ "$status" -eq 0 ]; then
    step "fuzz: each target for ${fuzz_seconds}s on its seed corpus (ctest --preset fuzz)"
    ctest --preset fuzz || status=$?
  fi
  result "fuzz build + smoke runs" "$status"
fi

echo
echo "sanitizers: wall time $(( $(date +%s) - start )) s"
echo "sanitizers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

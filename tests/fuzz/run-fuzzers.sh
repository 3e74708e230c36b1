#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600: the long run), on its
# committed seeds plus a scratch corpus, and reports crashes. Builds the
# `fuzz` preset first. Usage: tests/fuzz/run-fuzzers.sh [SECONDS [TARGET...]]
# (every target when none is named, e.g. `run-fuzzers.sh 600 fuzz_config`).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-600}"
shift || true
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$(nproc)"
out=build/fuzz/fuzz-runs
mkdir -p "$out"
failed=0
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(build/fuzz/tests/fuzz/fuzz_*)
for target in "${targets[@]}"; do
  name=$(basename "$target")
  bin="build/fuzz/tests/fuzz/$name"
  [ -x "$bin" ] || { echo "== $name: no such fuzz target"; failed=$((failed + 1)); continue; }
  scratch="$out/$name-corpus"; mkdir -p "$scratch"
  echo "== $name for ${seconds}s"
  if "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$out/$name-" \
       "$scratch" "tests/fuzz/corpus/$name" >"$out/$name.log" 2>&1; then
    echo "   $(grep -E '^#[0-9]+.*(DONE|pulse)' "$out/$name.log" | tail -1)"
    echo "   0 crashes"
  else
    echo "   CRASH: see $out/$name.log and $out/$name-crash-*"
    failed=$((failed + 1))
  fi
done
echo "fuzzers: $failed target(s) crashed"
[ "$failed" -eq 0 ]

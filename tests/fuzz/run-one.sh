#!/usr/bin/env bash
# One short fuzz run for CTest: new inputs go to a scratch dir, never into the
# committed seed corpus.
set -euo pipefail
bin="$1"; seeds="$2"; seconds="$3"
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
exec "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$scratch/" "$scratch" "$seeds"

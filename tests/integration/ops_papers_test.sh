#!/usr/bin/env bash
# papers, from the command line: the demo site's session gives three PDF
# files, mode 0600, in the data directory's exports folder (or --out); an
# unknown session is an input error; --print with no print server reachable
# says so, keeps the files and ends Partial.
kioskctl="$1"
source "$(dirname "$0")/ops_common.sh"
ctl() { "$kioskctl" --data-dir "$work/data" "$@"; }
session=RHS-2026-WK-AM-114

step "demo data, then every paper of the morning session"
run_expect 0 "$work/demo.log" ctl demo --students 40
run_expect 0 "$work/papers.log" ctl papers "$session"
for kind in roster seating irregularities; do
  f="$work/data/exports/$session-$kind.pdf"
  [ -f "$f" ] || fail "no $kind paper at $f"
  [ "$(stat -c %a "$f")" = 600 ] || fail "$f is not 0600"
  must_contain "$work/papers.log" "$f"
done

step "one paper into --out"
run_expect 0 "$work/one.log" ctl papers "$session" --kind seating --out "$work/out"
[ -f "$work/out/$session-seating.pdf" ] || fail "--out was not used"
[ "$(ls "$work/out" | wc -l)" -eq 1 ] || fail "--kind seating wrote more than one file"

step "an unknown session is an input error (3); a bad --kind a usage error (1)"
run_expect 3 "$work/unknown.log" ctl papers NO-SUCH-SESSION
must_contain "$work/unknown.log" "no session"
run_expect 1 "$work/kind.log" ctl papers "$session" --kind menu

step "--print with no print server: says so, keeps the file, Partial (2)"
CUPS_SERVER=127.0.0.1:9 run_expect 2 "$work/print.log" ctl papers "$session" --kind roster --out "$work/print" --print
must_contain "$work/print.log" "no printer"
must_contain "$work/print.log" "the file is kept"
[ -f "$work/print/$session-roster.pdf" ] || fail "the unprinted file was not kept"
echo "ops_papers: all steps passed"

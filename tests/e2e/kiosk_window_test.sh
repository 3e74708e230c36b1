#!/usr/bin/env bash
# End to end: the real kiosk binary in a real window under Xvfb. It opens,
# draws a non-blank frame (screenshot checked), a proctor checks a student in
# by keyboard (xdotool), and it quits cleanly on SIGTERM. The store is checked
# afterwards with testsite-kioskctl. Screenshots are kept as artefacts.
set -euo pipefail
kiosk="$1"; kioskctl="$2"; artefacts="$3"
mkdir -p "$artefacts"
work=$(mktemp -d)
xvfb_pid=""; kiosk_pid=""
cleanup() {
  [ -n "$kiosk_pid" ] && kill "$kiosk_pid" 2>/dev/null || true
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo "step: $*"; }
fail() { echo "FAILED at step: $*" >&2; exit 1; }

step "start Xvfb"
# Xvfb picks a free display itself and writes its number: no races with
# other X servers on the machine.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 1 100); do [ -s "$work/display" ] && break; sleep 0.1; done
[ -s "$work/display" ] || { cat "$work/xvfb.log"; fail "Xvfb did not start"; }
display=":$(head -n1 "$work/display")"
for _ in $(seq 1 50); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done
xdpyinfo -display "$display" >/dev/null 2>&1 || fail "Xvfb on $display does not answer"
export DISPLAY="$display"

step "start the kiosk on an empty data directory (demo data)"
"$kiosk" --data-dir "$work/data" --proctor P001 >"$work/kiosk.log" 2>&1 &
kiosk_pid=$!
for _ in $(seq 1 100); do xdotool search --name "TestSite Kiosk" >/dev/null 2>&1 && break; sleep 0.1; done
xdotool search --name "TestSite Kiosk" >/dev/null 2>&1 || { cat "$work/kiosk.log"; fail "no window appeared"; }
sleep 1

step "screenshot of the first screen is not blank"
xwd -root -silent | convert xwd:- "$artefacts/01-sessions.png"
colours=$(convert "$artefacts/01-sessions.png" -format "%k" info:)
[ "$colours" -gt 8 ] || fail "first frame looks blank ($colours colours)"

step "open the first session and check Zoë Ñúñez in by keyboard"
xdotool type --delay 40 "2468"; xdotool key Return; sleep 1.5   # PIN of the prefilled proctor: focus moves to the first session
xdotool key Return; sleep 0.8
xdotool type --delay 40 "zoe nun"; sleep 0.5
xdotool key Return; sleep 0.8
xwd -root -silent | convert xwd:- "$artefacts/02-check-in-dialog.png"
xdotool key Return; sleep 0.8
xwd -root -silent | convert xwd:- "$artefacts/03-checked-in.png"

step "SIGTERM quits cleanly"
kill -TERM "$kiosk_pid"
status=0
for _ in $(seq 1 50); do kill -0 "$kiosk_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$kiosk_pid" 2>/dev/null && fail "the kiosk did not quit within 5 s of SIGTERM"
wait "$kiosk_pid" || status=$?
kiosk_pid=""
[ "$status" -eq 0 ] || { cat "$work/kiosk.log"; fail "exit status $status after SIGTERM"; }

step "the store holds the check-in and the outbox counts it"
"$kioskctl" --data-dir "$work/data" status --json >"$work/status.json"
present=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(s["present"] for s in d["sessions"]))' "$work/status.json")
pending=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["outbox"]["studentAssessments"]["pending"])' "$work/status.json")
[ "$present" -eq 1 ] || fail "expected 1 student present, found $present"
[ "$pending" -eq 1 ] || fail "expected 1 record waiting for the state, found $pending"
echo "e2e: 1 passed, 0 failed"

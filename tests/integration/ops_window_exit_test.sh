#!/usr/bin/env bash
# The window's exit codes are kioskctl's (README, "Exit codes"): a refused
# command line is 1, a data directory others can write is 4, a damaged
# store is 17 (nothing written), and no display is 20. None of these opens
# a window, so no X server is needed.
kiosk="$1"; kioskctl="$2"
source "$(dirname "$0")/ops_common.sh"
export HOME="$work/home"  # the credential key the binaries make lands here
unset DISPLAY WAYLAND_DISPLAY

step "a command line CLI11 refuses: 1"
run_expect 1 "$work/usage.log" "$kiosk" --no-such-option

step "a data directory others can write: 4"
mkdir -m 0777 "$work/shared" && chmod 0777 "$work/shared"
run_expect 4 "$work/shared.log" "$kiosk" --data-dir "$work/shared"

step "a damaged store (kiosk.db cut to 0 bytes): 17, nothing written"
run_expect 0 "$work/demo.log" "$kioskctl" --data-dir "$work/cut" demo --students 5
: >"$work/cut/kiosk.db"
run_expect 17 "$work/cut.log" "$kiosk" --data-dir "$work/cut"
must_contain "$work/cut.log" "damaged"
[ ! -s "$work/cut/kiosk.db" ] || fail "the window wrote into the damaged store"

step "a good store without a display: 20"
run_expect 0 "$work/demo2.log" "$kioskctl" --data-dir "$work/good" demo --students 5
run_expect 20 "$work/nodisplay.log" "$kiosk" --data-dir "$work/good"
must_contain "$work/nodisplay.log" "cannot open a window"
echo "PASS"

#!/usr/bin/env bash
# The window's own full integrity_check (docs/architecture.md, "Database
# health"): with a check every second it passes on a sound store; an index
# damaged under the open window (only the full check sees it: quick_check at
# open compares no index with its table) puts every screen away behind the
# notice, stops writing (no checkpoint, no record: kiosk.db and its -wal stay
# byte for byte) and the window exits 17 (StoreDamaged) when stopped. Every
# wait is on a condition, bounded.
set -euo pipefail
kiosk="$1"; kioskctl="$2"; queue="$3"; artefacts="$4"
source "$(dirname "$0")/lib.sh"
export HOME="$work/home"

step "a demo store with check-ins for the index to hold"
"$kioskctl" --data-dir "$work/data" demo --students 5 >"$work/demo.log" 2>&1 || { cat "$work/demo.log"; fail "demo"; }
"$queue" "$work/data" >"$work/queue.log" 2>&1 || { cat "$work/queue.log"; fail "queue"; }
grep -q "queued 5" "$work/queue.log" || { cat "$work/queue.log"; fail "no check-ins queued"; }

step "the window, a full check every second: it passes on a sound store"
start_xvfb
start_kiosk "$kiosk" --data-dir "$work/data" --integrity-check-every 1
wait_title "Proctor sign-in"
for _ in $(seq 1 300); do grep -q "full database check: ok" "$work/kiosk.log" && break; sleep 0.1; done
grep -q "full database check: ok" "$work/kiosk.log" || { cat "$work/kiosk.log"; fail "no full check ran within 30 s"; }
grep -q "damaged" "$work/kiosk.log" && { cat "$work/kiosk.log"; fail "a sound store was called damaged"; }

step "an index damaged under the window: quick_check passes, the full check does not"
python3 "$(dirname "$0")/../integration/ops_tools/damage_index.py" "$work/data/kiosk.db"
db_hash() { { cat "$work/data/kiosk.db"; cat "$work/data/kiosk.db-wal" 2>/dev/null || true; } | sha256sum; }

step "the window puts its screens away behind the notice and says why"
wait_title "This machine cannot record anything more"
grep -q "kiosk.db is damaged (integrity_check: " "$work/kiosk.log" || { cat "$work/kiosk.log"; fail "no message naming the file"; }
grep -q "event_by_student" "$work/kiosk.log" || { cat "$work/kiosk.log"; fail "the finding is not named"; }
grep -q "testsite-kioskctl rescue --to DIR" "$work/kiosk.log" || { cat "$work/kiosk.log"; fail "rescue is not named"; }
xwd -root -silent | convert xwd:- "$artefacts/damaged-notice.png" 2>/dev/null || true

step "typing writes nothing; stopped, it exits 17 and leaves the files as they were"
before=$(db_hash)
send_type "S100001"
send_key Return
send_key Tab
send_key Return
[ "$(db_hash)" = "$before" ] || fail "the damaged store was written to"
kill -TERM "$kiosk_pid"
set +e; wait "$kiosk_pid"; rc=$?; set -e
[ "$rc" -eq 17 ] || { cat "$work/kiosk.log"; fail "the window exited $rc, not 17 (StoreDamaged)"; }
[ "$(db_hash)" = "$before" ] || fail "the damaged store was written to on the way out"
echo "PASS"

#!/usr/bin/env bash
# A file of the kiosk's database removed under the open window
# (kiosk/store/store_files.hpp; docs/architecture.md, "Database health"):
# the window finds it, puts every screen away behind the notice, saves what
# it holds and records nothing more. First the -wal (the proctor's sign-in
# may live only there): saved into kiosk.db itself, kept through a kill -9.
# Then kiosk.db itself: written out again at its path; stopped, the window
# exits 4 (DataError). Each time the next start opens the store with every
# sign-in in it and the audit chain whole. Last, a -wal removed while a new
# window starts: the demo store it wrote is saved. Every wait is on a condition.
set -euo pipefail
kiosk="$1"; kioskctl="$2"; artefacts="$3"
source "$(dirname "$0")/lib.sh"
export HOME="$work/home"
ctl() { "$kioskctl" --data-dir "$work/data" "$@"; }
sign_ins() { ctl audit-log --last 100 2>/dev/null | grep -c "proctor.proctor_mode" || true; }
sign_in() {
  wait_title "Proctor sign-in"
  send_type "P001"
  send_key Tab
  send_type "2468"
  send_key Return
  wait_title "Choose a testing session"
}
wait_log() {
  for _ in $(seq 1 300); do grep -q "$1" "$work/kiosk.log" && return 0; sleep 0.1; done
  cat "$work/kiosk.log"; fail "the kiosk did not say \"$1\" within 30 s"
}

step "the window on a new data directory (demo data); a proctor signs in"
start_xvfb
start_kiosk "$kiosk" --data-dir "$work/data"
sign_in

step "the -wal removed under the window: the notice, then everything saved in kiosk.db"
rm "$work/data/kiosk.db-wal"
wait_title "This machine must start again"
wait_log "was removed or replaced while the kiosk ran"
wait_log "saved everything recorded here in $work/data/kiosk.db"
screenshot store-file-removed

step "killed with -9: the next start finds the sign-in"
kill -KILL "$kiosk_pid"
wait "$kiosk_pid" 2>/dev/null || true
[ "$(sign_ins)" -ge 1 ] || { ctl audit-log --last 20; fail "the proctor's sign-in was lost with the -wal"; }
ctl verify-audit >"$work/verify.txt" 2>&1 || { cat "$work/verify.txt"; fail "verify-audit after the -wal was removed"; }

step "kiosk.db itself removed under the window: written out again at its path"
start_kiosk "$kiosk" --data-dir "$work/data"
sign_in
before=$(sign_ins)
rm "$work/data/kiosk.db"
wait_title "This machine must start again"
wait_log "saved everything recorded here in $work/data/kiosk.db"

step "typing records nothing; stopped, the window exits 4 (DataError)"
send_type "S100001"
send_key Return
kill -TERM "$kiosk_pid"
set +e; wait "$kiosk_pid"; rc=$?; set -e
[ "$rc" -eq 4 ] || { cat "$work/kiosk.log"; fail "the window exited $rc, not 4 (DataError)"; }
[ -s "$work/data/kiosk.db" ] || fail "no kiosk.db after the save"
[ "$(sign_ins)" -ge 2 ] || { ctl audit-log --last 20; fail "the second sign-in was lost with kiosk.db"; }
ctl verify-audit >"$work/verify.txt" 2>&1 || { cat "$work/verify.txt"; fail "verify-audit after kiosk.db was removed"; }

step "the next start opens it as usual"
start_kiosk "$kiosk" --data-dir "$work/data"
wait_title "Proctor sign-in"
grep -q "damaged\|removed or replaced" "$work/kiosk.log" && { cat "$work/kiosk.log"; fail "the saved store was not opened as usual"; }
stop_kiosk

step "a -wal removed while a new window starts (its demo store written, the watch not yet looking): found all the same"
start_kiosk "$kiosk" --data-dir "$work/data2"
for _ in $(seq 1 300); do [ -e "$work/data2/kiosk.db-wal" ] && break; sleep 0.1; done
rm "$work/data2/kiosk.db-wal"
wait_title "This machine must start again"
wait_log "saved everything recorded here in $work/data2/kiosk.db"
kill -KILL "$kiosk_pid"
wait "$kiosk_pid" 2>/dev/null || true
"$kioskctl" --data-dir "$work/data2" status --json >"$work/status2.json" 2>"$work/status2.err" || true
python3 -c 'import json,sys; assert len(json.load(open(sys.argv[1]))["sessions"]) == 2' "$work/status2.json" ||
  { cat "$work/status2.err"; fail "the demo store written at start-up was lost with the -wal"; }
echo "PASS"

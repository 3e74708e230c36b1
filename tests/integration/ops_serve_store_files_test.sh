#!/usr/bin/env bash
# kiosk.db's -wal removed under the running service (kiosk/store/store_files.hpp):
# serve says so in the journal (level 2, the file), saves what its
# connection reaches into kiosk.db itself, stops syncing and exits 4
# (DataError); the next `status` opens the store with every record queued
# while it ran (those commits lived in the removed -wal). Every wait is on a
# condition, bounded.
kioskctl="$1"; queue="$2"; double="$3"; certs_script="$4"; seed="$5"
source "$(dirname "$0")/ops_common.sh"

enrol_and_pull

step "serve runs; four check-ins are queued beside it (their commits go to the -wal serve holds open)"
ctl serve 2>"$work/serve.err" &
serve_pid=$!
pids+=($serve_pid)
for _ in $(seq 1 300); do grep -qF "<6>serve: syncing with" "$work/serve.err" && break; sleep 0.1; done
must_contain "$work/serve.err" "<6>serve: syncing with"
"$queue" "$work/data" >"$work/queue.log"
must_contain "$work/queue.log" "queued 4"

step "the -wal removed: serve says so, saves, stops and exits 4"
rm "$work/data/kiosk.db-wal"
expect_serve_exit 4 DataError "its -wal was removed"
must_contain "$work/serve.err" "<2>serve: $work/data/kiosk.db-wal was removed or replaced while the service ran; sync stopped"
must_contain "$work/serve.err" "<4>serve: everything this service reached is saved in $work/data/kiosk.db"

step "status opens the store: the four records are there, sent or waiting"
set +e; ctl status --json >"$work/status.json" 2>"$work/status.err"; rc=$?; set -e
[ "$rc" -eq 0 ] || [ "$rc" -eq 7 ] || { cat "$work/status.err" >&2; fail "status exited $rc"; }
python3 - "$work/status.json" <<'PY' || fail "the records queued beside serve were lost with the -wal"
import json, sys
c = json.load(open(sys.argv[1]))["outbox"]["studentAssessments"]
assert c["pending"] + c["synced"] + c["needsAttention"] == 4, c
PY
run_expect 0 "$work/verify.log" ctl verify-audit

echo "ops serve store files: 1 passed, 0 failed"

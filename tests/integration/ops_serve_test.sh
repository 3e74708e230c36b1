#!/usr/bin/env bash
# `testsite-kioskctl serve` as systemd runs it (Type=notify, WatchdogSec):
# READY and WATCHDOG reach the notification socket, records another process
# commits reach the double by themselves, `kioskctl sync` nudges the running
# service instead of starting a second engine, the journal lines carry levels
# and no student IDs, and SIGTERM stops it cleanly (exit 0, STOPPING).
kioskctl="$1"; queue="$2"; double="$3"; certs_script="$4"; seed="$5"
source "$(dirname "$0")/ops_common.sh"

enrol_and_pull

step "serve starts under a (stand-in) service manager with a 2 s watchdog"
python3 "$(dirname "$0")/ops_notify_listener.py" "$work/notify.sock" "$work/notify.log" &
pids+=($!)
for _ in $(seq 1 50); do [ -S "$work/notify.sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET="$work/notify.sock" WATCHDOG_USEC=2000000 "$kioskctl" --data-dir "$work/data" --config "$work/etc/kiosk.toml" serve \
  2>"$work/serve.err" &
serve_pid=$!
pids+=($serve_pid)
for _ in $(seq 1 100); do grep -q '^READY=1$' "$work/notify.log" && break; sleep 0.1; done
must_contain "$work/notify.log" "READY=1"
for _ in $(seq 1 100); do grep -q '^WATCHDOG=1$' "$work/notify.log" && break; sleep 0.1; done
must_contain "$work/notify.log" "WATCHDOG=1"

step "records committed by another process reach the state by themselves"
"$queue" "$work/data" >"$work/queue.log"
must_contain "$work/queue.log" "queued 4"
ok=""
for _ in $(seq 1 200); do
  received studentAssessments >"$work/r.json"
  if python3 -c 'import json,sys; sys.exit(0 if len(json.load(open(sys.argv[1]))["records"]) == 4 else 1)' "$work/r.json"; then ok=1; break; fi
  sleep 0.1
done
[ -n "$ok" ] || { cat "$work/serve.err"; fail "the records did not reach the double within 20 s"; }
json_check "$work/r.json" 'all(r["posts"] == 1 for r in d["records"])'
for _ in $(seq 1 100); do grep -q 'STATUS=online · 0 waiting · 0 need attention · 4 synced' "$work/notify.log" && break; sleep 0.1; done
must_contain "$work/notify.log" "STATUS=online · 0 waiting · 0 need attention · 4 synced"

step "status sees the service; sync asks it to sync now instead of running a second engine (exit 10)"
ctl status --json >"$work/status.json"
json_check "$work/status.json" 'd["sync"]["running"] and d["sync"]["by"] == "serve" and d["sync"]["pid"] == '"$serve_pid"
json_check "$work/status.json" 'd["contact"]["lastContactUnixMs"] is not None and d["waiting"] == 0 and d["outbox"]["studentAssessments"]["synced"] == 4'
run_expect 10 "$work/sync2.log" ctl sync
must_contain "$work/sync2.log" "asked to sync now"
for _ in $(seq 1 50); do grep -q 'sync requested' "$work/serve.err" && break; sleep 0.1; done
must_contain "$work/serve.err" "<6>serve: sync requested"

step "SIGTERM: a clean stop (exit 0, STOPPING=1)"
kill -TERM "$serve_pid"
set +e; wait "$serve_pid"; rc=$?; set -e
[ "$rc" -eq 0 ] || { cat "$work/serve.err"; fail "serve exited $rc on SIGTERM"; }
must_contain "$work/notify.log" "STOPPING=1"
must_contain "$work/serve.err" "<6>serve: stopped"

step "journal lines: every one has a level, none names a student"
grep -v '^<[0-7]>' "$work/serve.err" && fail "a journal line without a level" || true
for id in 604821 604822 604823 604824 604825 Núñez; do must_not_contain "$work/serve.err" "$id"; done

step "not enrolled: serve says so and exits 1 (the unit's condition keeps it from starting at all)"
run_expect 1 "$work/noconf.log" "$kioskctl" --data-dir "$work/other" --config "$work/nothing.toml" serve
must_contain "$work/noconf.log" "cannot read"

echo "ops serve: 1 passed, 0 failed"

#!/usr/bin/env bash
# serve's scheduled full integrity_check (once a day; `--integrity-check-every`
# shortens it, here to 1 s): it passes on a sound store, and when the store is
# damaged under the running service in a way only the full check sees (an
# index that no longer matches its table: quick_check, run at every open,
# does not compare them), the service says so in the journal (level 2, the
# file, SQLite's finding and `rescue`), stops syncing and exits 17
# (StoreDamaged); `status` then reports the store damaged too. Every wait is
# on a condition, bounded.
kioskctl="$1"; queue="$2"; double="$3"; certs_script="$4"; seed="$5"
source "$(dirname "$0")/ops_common.sh"

enrol_and_pull
"$queue" "$work/data" >"$work/queue.log"  # events for the index to hold
must_contain "$work/queue.log" "queued 4"

# wait_for FILE TEXT: until FILE says TEXT, at most 30 s (fails sooner if serve ended).
wait_for() {
  for _ in $(seq 1 300); do
    grep -qF -- "$2" "$1" && return 0
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$1 did not say: $2"; }
}

step "serve with a full database check every second: the check passes on a sound store"
ctl serve --integrity-check-every 1 2>"$work/serve.err" &
serve_pid=$!
pids+=($serve_pid)
wait_for "$work/serve.err" "<6>serve: full database check: ok"
must_not_contain "$work/serve.err" "damaged"

step "an index damaged under the running service: quick_check still passes, the full check does not"
python3 "$(dirname "$0")/ops_tools/damage_index.py" "$work/data/kiosk.db"

step "serve reports it in the journal, stops syncing and exits 17"
expect_serve_exit 17 StoreDamaged "the damage"
must_contain "$work/serve.err" "<2>serve: the database $work/data/kiosk.db is damaged (integrity_check: "
must_contain "$work/serve.err" "event_by_student"
must_contain "$work/serve.err" "sync stopped. Run \`testsite-kioskctl rescue --to DIR\`"
must_not_contain "$work/serve.err" "<6>serve: stopped"

step "status sees it too (its own full check), exit 17"
run_expect 17 "$work/status.log" ctl status
must_contain "$work/status.log" "integrity_check"
must_contain "$work/status.log" "event_by_student"

step "journal lines: every one has a level, none names a student"
grep -v '^<[0-7]>' "$work/serve.err" && fail "a journal line without a level" || true
for id in 604821 604822 604823 604824 604825 Núñez; do must_not_contain "$work/serve.err" "$id"; done

echo "ops serve integrity: 1 passed, 0 failed"

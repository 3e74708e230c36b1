#!/usr/bin/env bash
# The server's own words, end to end against the Ed-Fi double over TLS: a
# record refused with 409 (its student unknown at the state) shows in `sync`
# and `status` with the student and the date beside the server's words, for
# each error body shape (ODS/API 7.2 problem details, {"message"}, {"error"},
# an HTML page); serve's journal carries only the HTTP status, problem type
# and correlationId. Then a correction that leaves a sitting nothing to report
# deletes the state's record, exactly once.
kioskctl="$1"; queue="$2"; double="$3"; certs_script="$4"; seed="$5"
source "$(dirname "$0")/ops_common.sh"

start_double
printf 'key=kiosk\nsecret=kiosk-secret\n' >"$work/creds"
run_expect 0 "$work/enrol.log" "$kioskctl" --data-dir "$work/data" enrol --base-url "https://127.0.0.1:$port" \
  --site-id 255901001 --kiosk-name "Kiosk W" --credentials-file "$work/creds" --ca-bundle "$ca" --config-dir "$work/etc"
ctl() { "$kioskctl" --data-dir "$work/data" --config "$work/etc/kiosk.toml" "$@"; }
control() { curl -s --cacert "$ca" "https://127.0.0.1:$port/_test/$1" -H 'Content-Type: application/json' -d "$2"; }
today=$(date -u +%Y-%m-%d)

step "pull the roster, check four students in; the state then forgets student 604821"
run_expect 0 "$work/sync0.log" ctl sync
"$queue" "$work/data" >"$work/queue.log"
must_contain "$work/queue.log" "queued 4"
control delete '{"resource":"students","key":{"studentUniqueId":"604821"}}' | grep -q '"deleted":true' || fail "could not remove the student"

step "serve: the journal gets the status, the problem type and the correlationId, never the student"
"$kioskctl" --data-dir "$work/data" --config "$work/etc/kiosk.toml" serve 2>"$work/serve.err" &
serve_pid=$!
pids+=($serve_pid)
for _ in $(seq 1 300); do grep -q 'not taken by the server' "$work/serve.err" && break; sleep 0.1; done
kill -TERM "$serve_pid"; wait "$serve_pid" || true
must_contain "$work/serve.err" "serve: not taken by the server (upsert of studentAssessments): HTTP 409 type=urn:ed-fi:api:data-conflict:unresolved-reference correlationId="
must_contain "$work/serve.err" "(will retry)"
for secret in 604821 Núñez José "not known"; do must_not_contain "$work/serve.err" "$secret"; done

# sync_until STYLE MARKER: runs `sync` (exit 3: a record waits on a retry)
# until its output quotes MARKER: the row is sent again once its backoff is over.
sync_until() {
  control error-style "{\"style\":\"$1\"}" >/dev/null
  for _ in $(seq 1 60); do
    # Each `sync` asks for its own token (until one token per kiosk exists):
    # free the double's 15 live-token slots so repeated runs are not refused.
    control expire-tokens '{}' >/dev/null
    run_expect 7 "$work/sync-$1.log" ctl sync
    grep -qF -- "$2" "$work/sync-$1.log" && return 0
    sleep 1
  done
  cat "$work/sync-$1.log" >&2; fail "sync never quoted the $1-style words: $2"
}
for style in problem message error html; do
  step "errors as $style: sync and status show the student, the date and the server's words"
  case $style in
    problem) marker="The referenced 'Student' item does not exist.; Student with studentUniqueId '604821' is not known to the API." ;;
    message) marker="The referenced 'Student' item does not exist. Student with studentUniqueId '604821' is not known to the API." ;;
    error) marker="invalid_request: The referenced 'Student' item does not exist." ;;
    html) marker="409 Unresolved Reference Unresolved Reference The referenced 'Student' item does not exist." ;;
  esac
  sync_until "$style" "$marker"
  must_contain "$work/sync-$style.log" "waiting to retry: Núñez, José (604821) · $today"
  must_contain "$work/sync-$style.log" "HTTP 409"
  ctl status >"$work/status-$style.txt"
  must_contain "$work/status-$style.txt" "Núñez, José (604821) · $today"
  must_contain "$work/status-$style.txt" "$marker"
  ctl status --json >"$work/status-$style.json"
  json_check "$work/status-$style.json" 'len(d["failed"]) == 1 and d["failed"][0]["httpStatus"] == 409 and not d["failed"][0]["refused"]'
  json_check "$work/status-$style.json" '"(604821)" in d["failed"][0]["who"] and "does not exist" in d["failed"][0]["words"]'
done
json_check "$work/status-problem.json" 'd["failed"][0]["problemType"] == "urn:ed-fi:api:data-conflict:unresolved-reference" and len(d["failed"][0]["correlationId"]) > 0'
must_contain "$work/sync-problem.log" "urn:ed-fi:api:data-conflict:unresolved-reference (correlationId "

step "the student is back at the state: everything is stored"
control seed '{"students":[{"studentUniqueId":"604821","firstName":"José","lastSurname":"Núñez","birthDate":"2008-04-02"}]}' >/dev/null
ok=
for _ in $(seq 1 60); do
  control expire-tokens '{}' >/dev/null
  set +e; ctl sync >"$work/sync-ok.log" 2>&1; rc=$?; set -e
  [ "$rc" -eq 0 ] && { ok=1; break; }
  sleep 1
done
[ -n "$ok" ] || { cat "$work/sync-ok.log" >&2; fail "the record was not stored once the student was back"; }
ctl status --json >"$work/status-ok.json"
json_check "$work/status-ok.json" 'd["failed"] == [] and d["waiting"] == 0'

step "a correction withdraws 604822's only check-in: the state's record is deleted, exactly once"
received studentAssessments >"$work/r0.json"
json_check "$work/r0.json" 'd["totalDeletes"] == 0 and len(d["records"]) == 4'
control expire-tokens '{}' >/dev/null
"$queue" "$work/data" --withdraw 604822 >"$work/withdraw.log"
must_contain "$work/withdraw.log" "withdrew 1"
ctl status --json >"$work/status-del.json"
json_check "$work/status-del.json" 'd["waiting"] == 1'
run_expect 0 "$work/sync-del.log" ctl sync
received studentAssessments >"$work/r1.json"
json_check "$work/r1.json" 'd["totalDeletes"] == 1 and d["missedDeletes"] == 0'
json_check "$work/r1.json" '[r["deletes"] for r in d["records"] if r["key"]["studentUniqueId"] == "604822"] == [1]'
json_check "$work/r1.json" 'all(r["deletes"] == 0 for r in d["records"] if r["key"]["studentUniqueId"] != "604822")'
run_expect 0 "$work/sync-del2.log" ctl sync
received studentAssessments >"$work/r2.json"
json_check "$work/r2.json" 'd["totalDeletes"] == 1 and d["missedDeletes"] == 0 and d["totalPosts"] == '"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totalPosts"])' "$work/r1.json")"

echo "ops server words: 1 passed, 0 failed"

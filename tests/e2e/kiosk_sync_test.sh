#!/usr/bin/env bash
# End to end with the state: the Ed-Fi double over real TLS, `kioskctl sync`
# pulls the roster, the real kiosk window checks a student in by keyboard, and
# the record reaches the double by itself, once. Screenshots are artefacts.
set -euo pipefail
kiosk="$1"; kioskctl="$2"; double="$3"; certs_script="$4"; seed="$5"; artefacts="$6"
source "$(dirname "$0")/lib.sh"

step "start the Ed-Fi double with throwaway certificates"
bash "$certs_script" "$work/certs" >/dev/null 2>&1
"$double" --port 0 --cert "$work/certs/server.pem" --key "$work/certs/server.key" --seed "$seed" --quiet >"$work/double.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do grep -q listening "$work/double.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -nE 's/.*127\.0\.0\.1:([0-9]+).*/\1/p' "$work/double.out")
[ -n "$port" ] || fail "the double did not start"
received() { curl -s --cacert "$work/certs/ca.pem" "https://127.0.0.1:$port/_test/received?resource=studentAssessments"; }

step "enrol: configuration and a 0600 credentials file"
printf 'key=kiosk\nsecret=kiosk-secret\n' >"$work/credentials"; chmod 600 "$work/credentials"
cat >"$work/kiosk.toml" <<TOML
[state]
base_url = "https://127.0.0.1:$port"
credentials_file = "$work/credentials"
ca_bundle = "$work/certs/ca.pem"
TOML

step "kioskctl sync pulls the roster"
"$kioskctl" --data-dir "$work/data" --config "$work/kiosk.toml" sync >"$work/sync1.log" 2>&1 || { cat "$work/sync1.log"; fail "first sync"; }
grep -q "students: up to date, 5 changed" "$work/sync1.log" || { cat "$work/sync1.log"; fail "roster not pulled"; }

step "a proctor and PIN for this site"
echo 2468 | "$kioskctl" --data-dir "$work/data" set-proctor-pin P001 --name "Ms. Rivera" >/dev/null 2>&1 || fail "set-proctor-pin"

step "start Xvfb and the kiosk"
start_xvfb
start_kiosk "$kiosk" --data-dir "$work/data" --config "$work/kiosk.toml" --proctor P001

step "check José Núñez in by keyboard"
wait_title "Proctor sign-in"
send_type "2468"; send_key Return   # PIN of the prefilled proctor: focus moves to the first session
wait_title "Choose a testing session"
# The name typed at once, as the session opens (type-ahead): the keys wait
# for the search field, none is lost to the frames before it takes them.
chars_before=$(idle_field chars)
xdotool key Return type --delay 0 "jose nu"
wait_taken chars $((${chars_before:-0} + 7)) "\"jose nu\" typed ahead"
wait_title "Check-in:"
send_key Return
wait_title "Check in — "
send_key Return
wait_title "Check-in:"
screenshot sync-01-checked-in

step "the record reaches the state by itself within seconds"
ok=""
for _ in $(seq 1 150); do
  if received | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if len(d["records"]) == 1 else 1)' 2>/dev/null; then ok=1; break; fi
  sleep 0.1
done
[ -n "$ok" ] || { cat "$work/kiosk.log"; fail "no StudentAssessment reached the double within 15 s"; }
received >"$work/received.json"
python3 - "$work/received.json" <<'PY' || fail "the record on the server is not the check-in"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["records"][0]
assert r["posts"] == 1, r["posts"]
b = r["body"]
assert b["studentReference"]["studentUniqueId"] == "604821", b
assert b["assessmentReference"]["assessmentIdentifier"] == "WORKKEYS-AM", b
assert "administrationDate" in b, b
assert b["studentAssessmentIdentifier"].startswith("tsk-"), b
PY
screenshot sync-02-synced

step "quit, and the outbox says synced"
stop_kiosk
"$kioskctl" --data-dir "$work/data" status --json >"$work/status.json"
python3 - "$work/status.json" <<'PY' || fail "outbox not synced"
import json, sys
o = json.load(open(sys.argv[1]))["outbox"]["studentAssessments"]
assert o["synced"] == 1 and o["pending"] == 0, o
PY
echo "e2e sync: 1 passed, 0 failed"

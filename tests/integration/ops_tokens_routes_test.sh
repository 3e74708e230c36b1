#!/usr/bin/env bash
# One token per kiosk, and the roster from any server, through the real
# `testsite-kioskctl` against the Ed-Fi double over TLS: 50 `sync` runs in a
# row use ONE token (the double counts them); the token file is 0600 and its
# token never printed; a 429 on the token request has its own words and exit
# code (10); a server without change queries gets a full read (status shows
# the download and its mode); a wrong route fails the download with its own
# exit code (11) and names the request; ODS/API 8 routes and an absolute
# expires_in work.
kioskctl="$1"; double="$2"; certs_script="$3"; seed="$4"
source "$(dirname "$0")/ops_common.sh"

start_double
base="https://127.0.0.1:$port"
behave() { curl -sf --cacert "$ca" -X POST -H 'Content-Type: application/json' -d "$1" "$base/_test/behaviour" >/dev/null || fail "behaviour $1"; }
issued() { curl -sf --cacert "$ca" "$base/_test/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["issued"])'; }
printf 'key=kiosk\nsecret=kiosk-secret\n' >"$work/creds"
run_expect 0 "$work/enrol.log" "$kioskctl" --data-dir "$work/data" enrol --base-url "$base" --site-id 255901001 \
  --kiosk-name "Lab 114 #3" --credentials-file "$work/creds" --ca-bundle "$ca" --config-dir "$work/etc"
ctl() { "$kioskctl" --data-dir "$work/data" --config "$work/etc/kiosk.toml" "$@"; }

step "50 sync runs in a row use one token"
before=$(issued)
for i in $(seq 1 50); do run_expect 0 "$work/sync-$i.log" ctl sync; done
after=$(issued)
[ $((after - before)) -eq 1 ] || fail "50 syncs asked for $((after - before)) tokens (want 1)"
[ "$(stat -c %a "$work/data/state-token.json")" = 600 ] || fail "the token file is not 0600"
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["accessToken"])' "$work/data/state-token.json")
[ -n "$token" ] || fail "no token in the file"
for i in 1 25 50; do must_not_contain "$work/sync-$i.log" "$token"; done
must_contain "$work/sync-50.log" "download (change queries"
ctl status --json >"$work/status.json"
json_check "$work/status.json" 'd["download"]["complete"] and d["download"]["mode"].startswith("change queries") and d["download"]["error"] == ""'

step "a 429 on the token request: its own words, exit 18"
behave '{"maxLiveTokens": 1}'
rm "$work/data/state-token.json"
run_expect 18 "$work/sync-429.log" ctl sync
must_contain "$work/sync-429.log" "the state's server refuses more tokens for this client"
must_contain "$work/sync-429.log" "POST /oauth/token"
must_not_contain "$work/sync-429.log" "some records still waiting"
behave '{"defaults": true}'

step "no change queries (availableChangeVersions answers 500): a full read, exit 0; status shows it"
behave '{"changeQueries": 500}'
run_expect 0 "$work/sync-full.log" ctl sync
must_contain "$work/sync-full.log" "download (full"
must_contain "$work/sync-full.log" "the server offers no change queries"
ctl status >"$work/status-full.txt"
must_contain "$work/status-full.txt" "last download: "
must_contain "$work/status-full.txt" "full"
ctl status --json >"$work/status-full.json"
json_check "$work/status-full.json" 'd["download"]["mode"].startswith("full") and d["download"]["complete"]'

step "tenant/year routes from discovery, a lower limit and page tokens (exit 0)"
behave '{"defaults": true, "routePrefix": "district-a/2026", "maxLimit": 2, "pageTokens": true, "changeQueries": 404}'
run_expect 0 "$work/sync-route.log" ctl sync
must_contain "$work/sync-route.log" "download (full"

step "a route the server does not serve: the download fails (exit 19) and names the request"
sed -i 's|^credentials_file|route = "other/2025"\ncredentials_file|' "$work/etc/kiosk.toml"
run_expect 19 "$work/sync-badroute.log" ctl sync
must_contain "$work/sync-badroute.log" "the roster download failed"
must_contain "$work/sync-badroute.log" "GET /other/2025/district-a/2026/data/v3/ed-fi/"
ctl status --json >"$work/status-bad.json"
json_check "$work/status-bad.json" 'not d["download"]["complete"] and "GET /other/2025/" in d["download"]["error"]'
sed -i '/^route = /d' "$work/etc/kiosk.toml"

step "ODS/API 8 routes (no /v3, token at /connect/token) and an absolute expires_in (exit 0)"
behave '{"defaults": true, "v8": true, "expiresAs": "epoch"}'
before=$(issued)
run_expect 0 "$work/sync-v8.log" ctl sync
run_expect 0 "$work/sync-v8b.log" ctl sync
[ $(( $(issued) - before )) -eq 1 ] || fail "ODS/API 8: two syncs did not share one token"
python3 - "$work/data/state-token.json" <<'PY' || fail "an absolute expires_in was not read as 30 minutes"
import json, sys
d = json.load(open(sys.argv[1]))
life = d["reuseUntilUnixMs"] - d["issuedAtUnixMs"]
sys.exit(0 if 1600_000 <= life <= 1625_000 else 1)
PY

echo "ops tokens and routes: 1 passed, 0 failed"

#!/usr/bin/env bash
# USB fallback, end to end against the Ed-Fi double: kiosk A (no network for
# the day) exports its waiting records; kiosk B of the same site imports and
# uploads them; every record arrives exactly once. A flipped byte and a file
# from another site are refused with their own message and exit code. A's own
# later sync finds its records as sent (no duplicates), and an old file
# imported after newer versions reached the state changes nothing there. A
# kiosk with the roster adds the file's events (a slice of the site log) and
# sends the records it builds from them as its own.
kioskctl="$1"; queue="$2"; double="$3"; certs_script="$4"; seed="$5"
source "$(dirname "$0")/ops_common.sh"

start_double
printf 'key=kiosk\nsecret=kiosk-secret\n' >"$work/creds"
# enrol_kiosk NAME SITE
enrol_kiosk() {
  run_expect 0 "$work/enrol-$1.log" "$kioskctl" --data-dir "$work/$1/data" enrol --base-url "https://127.0.0.1:$port" \
    --site-id "$2" --kiosk-name "Kiosk $1" --credentials-file "$work/creds" --ca-bundle "$ca" --config-dir "$work/$1/etc"
}
ctl() { local k=$1; shift; "$kioskctl" --data-dir "$work/$k/data" --config "$work/$k/etc/kiosk.toml" "$@"; }

step "kiosk A: enrol, pull the roster, then check students in while offline"
enrol_kiosk A 255901001
run_expect 0 "$work/syncA1.log" ctl A sync
"$queue" "$work/A/data" --break-out >"$work/queue.log"
must_contain "$work/queue.log" "queued 4"
ctl A status --json >"$work/A-status.json"
json_check "$work/A-status.json" 'd["waiting"] == 4 and d["outbox"]["studentAssessments"]["pending"] == 4'
json_check "$work/A-status.json" 'sum(b["count"] for b in d["waitingByAge"]) == 4 and d["waitingByAge"][0]["count"] == 4'

step "kiosk A: export-pending writes a private, unreadable file"
mkdir -p "$work/usb"
run_expect 0 "$work/export.log" ctl A export-pending "$work/usb/pending.tsk"
must_contain "$work/export.log" "wrote 4 waiting record(s)"
[ "$(stat -c %a "$work/usb/pending.tsk")" = 600 ] || fail "the export is not 0600"
for id in 604821 604822 604823 604824 studentAssessmentIdentifier; do
  if grep -qa "$id" "$work/usb/pending.tsk"; then fail "the export shows $id in the clear"; fi
done
received studentAssessments >"$work/r0.json"
json_check "$work/r0.json" 'len(d["records"]) == 0'

step "kiosk B (same site, online) imports: every record arrives exactly once"
enrol_kiosk B 255901001
run_expect 0 "$work/importB.log" ctl B import-pending "$work/usb/pending.tsk"
must_contain "$work/importB.log" "verified: 4 record(s) from kiosk Kiosk A"
must_contain "$work/importB.log" "4 stored by the state"
received studentAssessments >"$work/r1.json"
json_check "$work/r1.json" 'len(d["records"]) == 4 and all(r["posts"] == 1 for r in d["records"]) and d["totalPosts"] == 4'
json_check "$work/r1.json" 'len({r["body"]["studentAssessmentIdentifier"] for r in d["records"]}) == 4'
ctl B audit-log >"$work/B-audit.log"
must_contain "$work/B-audit.log" "usb.import"

step "a flipped byte is refused (exit 15) and nothing is sent"
python3 - "$work/usb/pending.tsk" "$work/usb/flipped.tsk" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 0x01
open(sys.argv[2], "wb").write(b)
PY
run_expect 15 "$work/flipped.log" ctl B import-pending "$work/usb/flipped.tsk"
must_contain "$work/flipped.log" "altered or damaged"
must_contain "$work/flipped.log" "nothing was imported"
received studentAssessments >"$work/r2.json"
json_check "$work/r2.json" 'd["totalPosts"] == 4'

step "a file from another site's key is refused (exit 14)"
enrol_kiosk C 999900001
run_expect 14 "$work/foreign.log" ctl C import-pending "$work/usb/pending.tsk"
must_contain "$work/foreign.log" "not made with this site's key"
must_contain "$work/foreign.log" "site 255901001"
echo "not an export" >"$work/usb/other.txt"
run_expect 3 "$work/other.log" ctl B import-pending "$work/usb/other.txt"
must_contain "$work/other.log" "not a TestSite Kiosk export"

step "a 1 GiB file with the right header is refused by its size (exit 3), without being read"
printf 'TSKUSB01' >"$work/usb/huge.tsk" && truncate -s 1G "$work/usb/huge.tsk"
run_expect 3 "$work/huge.log" ctl B import-pending "$work/usb/huge.tsk"
must_contain "$work/huge.log" "too large"

step "a forged header's words are printed escaped, never as terminal codes (exit 14)"
python3 - "$work/usb/forged.tsk" <<'PY'
import json, struct, sys
header = json.dumps({"format": "x", "siteId": "\u001b]0;owned\u0007\u001b[2J", "kioskId": "k\u001b[31m", "keyId": "0000"}).encode()
body = b"TSKUSB01" + struct.pack("<I", len(header)) + header + bytes(24 + 16 + 64)
open(sys.argv[1], "wb").write(body)
PY
run_expect 14 "$work/forged.log" ctl B import-pending "$work/usb/forged.tsk"
must_contain "$work/forged.log" '\x1b]0;owned\x07'
if grep -q $'\x1b' "$work/forged.log"; then fail "an escape character reached the terminal"; fi

step "importing again is harmless: the records are found as sent, nothing is sent again"
run_expect 0 "$work/importB2.log" ctl B import-pending "$work/usb/pending.tsk"
must_contain "$work/importB2.log" "4 stored by the state"
received studentAssessments >"$work/r3.json"
json_check "$work/r3.json" 'len(d["records"]) == 4 and all(r["posts"] == 1 for r in d["records"])'

step "kiosk A comes online: its own sync finds its records as sent, no duplicates"
run_expect 0 "$work/syncA2.log" ctl A sync --now   # --now: nothing is held back, the pass runs as usual
must_contain "$work/syncA2.log" "all records synced"
received studentAssessments >"$work/r4.json"
json_check "$work/r4.json" 'len(d["records"]) == 4 and all(r["posts"] == 1 for r in d["records"])'
ctl A status --json >"$work/A-status2.json"
json_check "$work/A-status2.json" 'd["waiting"] == 0 and d["outbox"]["studentAssessments"]["synced"] == 4'

step "an old file imported after newer versions reached the state changes nothing at the state"
"$queue" "$work/A/data" --check-out >"$work/checkout.log"
must_contain "$work/checkout.log" "checked out 4"
run_expect 0 "$work/export-v2.log" ctl A export-pending "$work/usb/v2.tsk"   # carries the ETags A had acknowledged
run_expect 0 "$work/syncA3.log" ctl A sync --now
received studentAssessments >"$work/r5.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(sorted((r["body"]["studentAssessmentIdentifier"], r["body"].get("administrationEndDate")) for r in d["records"])))' "$work/r5.json" >"$work/state-v2.txt"
json_check "$work/r5.json" 'len(d["records"]) == 4 and all(r["posts"] == 2 for r in d["records"])'
# The first file (before the check-outs) and the second (whose ETags A's own sync has since moved past).
run_expect 8 "$work/import-old.log" ctl B import-pending "$work/usb/pending.tsk"
must_contain "$work/import-old.log" "0 stored by the state"
must_contain "$work/import-old.log" "did not overwrite"
must_contain "$work/import-old.log" "newer than this file"
run_expect 0 "$work/import-v2.log" ctl B import-pending "$work/usb/v2.tsk"
must_contain "$work/import-v2.log" "4 stored by the state"
received studentAssessments >"$work/r6.json"
json_check "$work/r6.json" 'len(d["records"]) == 4 and all(r["posts"] == 2 for r in d["records"])'
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(sorted((r["body"]["studentAssessmentIdentifier"], r["body"].get("administrationEndDate")) for r in d["records"])))' "$work/r6.json" >"$work/state-after.txt"
cmp -s "$work/state-v2.txt" "$work/state-after.txt" || fail "an old file changed the state"
run_expect 0 "$work/export2.log" ctl A export-pending "$work/usb/empty.tsk"
must_contain "$work/export2.log" "nothing is waiting"
[ ! -e "$work/usb/empty.tsk" ] || fail "an empty export was written"

step "a kiosk of the site with the roster takes the file's events and sends the records as its own: nothing duplicated, nothing older"
enrol_kiosk E 255901001
run_expect 0 "$work/syncE.log" ctl E sync
run_expect 0 "$work/importE.log" ctl E import-pending "$work/usb/v2.tsk"
must_contain "$work/importE.log" "added here, 0 already here, 0 waiting"
must_contain "$work/importE.log" "sending them as this kiosk's own"
ctl E status --json >"$work/E-status.json"
json_check "$work/E-status.json" 'd["waiting"] == 0 and d["outbox"]["studentAssessments"]["synced"] == 4'
# The old file's events are all known here: nothing changes, here or at the state.
run_expect 0 "$work/importE-old.log" ctl E import-pending "$work/usb/pending.tsk"
must_contain "$work/importE-old.log" "events: 0 added here"
received studentAssessments >"$work/r7.json"
json_check "$work/r7.json" 'len(d["records"]) == 4 and all(r["posts"] == 2 for r in d["records"])'
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(sorted((r["body"]["studentAssessmentIdentifier"], r["body"].get("administrationEndDate")) for r in d["records"])))' "$work/r7.json" >"$work/state-e.txt"
cmp -s "$work/state-v2.txt" "$work/state-e.txt" || fail "the imported events changed the state"

step "run by root on a kiosk whose data belongs to the kiosk user: files stay that user's, the stick gets the export"
if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
  echo "SKIPPED: needs root and the user nobody (stands in for testsite-kiosk)"
else
  mkdir -p "$work/D/data" "$work/stick" && chown nobody "$work/D/data" && chmod 0700 "$work/D/data" "$work/stick"
  chmod 0711 "$work"
  enrol_kiosk D 255901001
  [ "$(stat -c %U "$work/D/etc/credentials")" = nobody ] || fail "credentials not handed to the data directory's owner"
  [ "$(stat -c %U "$work/D/etc/site.key")" = nobody ] || fail "site.key not handed to the data directory's owner"
  run_expect 0 "$work/syncD.log" ctl D sync
  [ -z "$(find "$work/D/data" ! -user nobody)" ] || { ls -la "$work/D/data"; fail "root left files in the kiosk user's data directory"; }
  run_expect 0 "$work/importD.log" ctl D import-pending "$work/usb/v2.tsk"
  cp "$work/usb/v2.tsk" "$work/stick/from-a.tsk" && chmod 0600 "$work/stick/from-a.tsk"
  run_expect 0 "$work/importD2.log" ctl D import-pending "$work/stick/from-a.tsk"
  [ -z "$(find "$work/D/data" ! -user nobody)" ] || fail "root left files in the kiosk user's data directory"
fi

echo "ops usb: 1 passed, 0 failed"

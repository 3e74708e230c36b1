#!/usr/bin/env bash
# End to end in the real window under Xvfb, driven by xdotool as people
# would: a technician sets the site up with testsite-kioskctl (a 30-student
# roster); a proctor signs in, opens the session, finds Zoë, checks her in
# (late), checks 27 more in by typing their surnames (accents as written),
# looks at the whole room, records an irregularity, checks Zoë out, marks the
# two absent no-show at the cut-off, checks everyone else out at once, signs
# off and signs out; then Zoë signs in at the same machine, logs a task,
# submits it and signs out. The keys are in day/*.keys (replayed headless by
# tests/ui/day_script_test.cpp); the store is checked after each person.
# Screenshots of each stage are kept in ARTEFACT_DIR. Failures name the step.
set -euo pipefail
kiosk="$1"; kioskctl="$2"; day="$3"; artefacts="$4"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
ctl() { "$kioskctl" --data-dir "$work/data" "$@"; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$work/status.json"; }

step "the technician's set-up: roster (the session began 45 minutes ago), proctor PIN, student PINs"
start=$(date -u -d '45 minutes ago' +%Y-%m-%dT%H:%M:%SZ)
sed -e "s/@START@/$start/g" -e "s/@DATE@/${start:0:10}/g" "$day/roster.json" >"$work/roster.json"
ctl import-roster "$work/roster.json" >"$work/setup.log" 2>&1 || { cat "$work/setup.log"; fail "import-roster"; }
echo 2468 | ctl set-proctor-pin P001 --name "Ms. Rivera" >>"$work/setup.log" 2>&1 || fail "set-proctor-pin"
ctl second-factor pin >>"$work/setup.log" 2>&1 || fail "second-factor"
echo 4321 | ctl set-student-pin S100001 >>"$work/setup.log" 2>&1 || fail "set-student-pin"

step "start Xvfb and the kiosk"
start_xvfb
start_kiosk "$kiosk" --data-dir "$work/data"
wait_title "Proctor sign-in"
screenshot 00-first-screen
colours=$(convert "$artefacts/00-first-screen.png" -format "%k" info:)
[ "$colours" -gt 8 ] || fail "the first frame looks blank ($colours colours)"

python3 "$here/type_keys.py" "$day/proctor.keys" "$artefacts" || exit 1

step "the store after the proctor: Zoë late, irregularity, checked out; two no-shows; signed off"
ctl status --json >"$work/status.json"
[ "$(json "$work/status.json" 'd["sessions"][0]["checkedOut"]')" = 28 ] || fail "Zoë and the 27 others who came are not all checked out in the store"
[ "$(json "$work/status.json" 'd["sessions"][0]["noShow"]')" = 2 ] || fail "the two absent students are not no-shows"
[ "$(json "$work/status.json" 'd["sessions"][0]["signedOff"]')" = True ] || fail "the session is not signed off"
[ "$(json "$work/status.json" 'd["outbox"]["studentAssessments"]["pending"]')" = 30 ] || fail "expected 30 records waiting for the state"
ctl export-session E2E-WK-AM-114 -o "$work/report.csv" >/dev/null 2>&1 || fail "export-session"
python3 - "$work/report.csv" <<'PY' || { cat "$work/report.csv"; fail "the session report does not show Zoë's morning"; }
import csv, sys
rows = {r["student_unique_id"]: r for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))}
zoe = rows["S100001"]
assert zoe["status"] == "checked_out" and zoe["late"] == "yes", zoe
assert "Fire drill at 9:10; testing paused eleven minutes (Ms. Rivera)" in zoe["irregularities"], zoe
assert zoe["signed_off_by"] == "Ms. Rivera", zoe
assert [rows[s]["status"] for s in ("S100002", "S100003")] == ["no_show", "no_show"], rows
PY
ctl audit-log --last 50 >"$work/audit1.txt" 2>&1
grep -q "session.signed_off" "$work/audit1.txt" || fail "no session.signed_off in the audit log"
grep -q "proctor.sign_out" "$work/audit1.txt" || fail "no proctor.sign_out in the audit log"

python3 "$here/type_keys.py" "$day/student.keys" "$artefacts" || exit 1

step "the store after the student: one entry submitted, waiting for review; sign-in and sign-out audited"
ctl audit-log --last 50 >"$work/audit2.txt" 2>&1
for action in student.sign_in work.submitted student.sign_out; do
  grep -q "$action" "$work/audit2.txt" || { cat "$work/audit2.txt"; fail "no $action in the audit log"; }
done
entries=$(sqlite3 "file:$work/data/kiosk.db?mode=ro" "SELECT count(*) FROM work_entry WHERE student_id = 'S100001' AND status = 'submitted' AND minutes = 45;")
[ "$entries" = 1 ] || fail "expected 1 submitted 45-minute entry for S100001, found $entries"

step "SIGTERM quits cleanly; the audit chain is intact"
stop_kiosk
ctl verify-audit >"$work/verify.txt" 2>&1 || { cat "$work/verify.txt"; fail "verify-audit"; }
echo "e2e day: passed (screenshots in $artefacts)"

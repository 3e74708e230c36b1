#!/usr/bin/env bash
# A site of two machines set up through the CLI as a technician does it
# (README, "A site of several machines"): the hub on machine A (hub-setup,
# a real nats-server on loopback), both machines enrolled with it. The roster,
# a proctor's PIN and a task catalogue imported on A alone reach B through the
# site log; B was never given a roster file.
kioskctl="$1"; double="$2"; certs_script="$3"; seed="$4"
source "$(dirname "$0")/ops_common.sh"

nats=$(command -v nats-server || true)
[ -n "$nats" ] || fail "nats-server is not installed (packaging/install-deps.sh installs it)"

start_double
printf 'key=kiosk\nsecret=kiosk-secret\n' >"$work/creds"
ctl() { local k=$1; shift; "$kioskctl" --data-dir "$work/$k/data" --config "$work/$k/etc/kiosk.toml" "$@"; }
# enrol_kiosk NAME [hub args]
enrol_kiosk() {
  local name=$1; shift
  run_expect 0 "$work/enrol-$name.log" "$kioskctl" --data-dir "$work/$name/data" enrol --base-url "https://127.0.0.1:$port" \
    --site-id 255901001 --kiosk-name "Kiosk $name" --credentials-file "$work/creds" --ca-bundle "$ca" --config-dir "$work/$name/etc" "$@"
}
students_on() {
  python3 -c 'import sqlite3,sys; c=sqlite3.connect("file:"+sys.argv[1]+"?mode=ro", uri=True); print(c.execute("SELECT count(*) FROM student WHERE student_unique_id LIKE ?", ("S9000%",)).fetchone()[0])' "$work/$1/data/kiosk.db"
}

step "machine A: enrol, make it the hub, start nats-server"
enrol_kiosk A
hub_port=$(closed_port)
run_expect 0 "$work/hub-setup.log" ctl A hub-setup --name localhost --ip 127.0.0.1 --port "$hub_port" --dir "$work/hub"
must_contain "$work/hub-setup.log" "This machine is the hub of site 255901001"
"$nats" -c "$work/hub/nats.conf" >"$work/nats.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' "$hub_port" 2>/dev/null && break
  sleep 0.1
done

step "both machines enrolled with the hub's address and certificate"
enrol_kiosk A --hub-server "tls://localhost:$hub_port" --hub-ca "$work/hub/hub-cert.pem"
enrol_kiosk B --hub-server "tls://localhost:$hub_port" --hub-ca "$work/hub/hub-cert.pem"

step "machine A alone gets the roster file, a proctor's PIN and a task catalogue"
cat >"$work/roster.json" <<'JSON'
{"assessmentAdministrations": [{"administrationIdentifier": "ADM-SITE-1",
   "assessmentReference": {"assessmentIdentifier": "WK-APPLIED-MATH", "namespace": "uri://testsite.example.org/assessment"},
   "assigningEducationOrganizationReference": {"educationOrganizationId": 255901},
   "_ext": {"testsite": {"title": "WorkKeys Applied Math", "room": "Lab 2", "startTime": "2026-12-04T13:00:00Z"}}}],
 "students": [{"studentUniqueId": "S900001", "firstName": "Zoë", "lastSurname": "Ñúñez", "birthDate": "2009-04-12"},
              {"studentUniqueId": "S900002", "firstName": "Renée", "lastSurname": "Kowalski", "birthDate": "2008-02-29"}],
 "studentAssessmentRegistrations": [
   {"assessmentAdministrationReference": {"administrationIdentifier": "ADM-SITE-1"}, "studentSchoolAssociationReference": {"studentUniqueId": "S900001"}},
   {"assessmentAdministrationReference": {"administrationIdentifier": "ADM-SITE-1"}, "studentSchoolAssociationReference": {"studentUniqueId": "S900002"}}]}
JSON
run_expect 0 "$work/import.log" ctl A import-roster "$work/roster.json"
must_contain "$work/import.log" "imported 1 session(s), 2 student(s), 2 registration(s)"
printf '482913\n' | run_expect 0 "$work/pin.log" ctl A set-proctor-pin P77 --name "Ms. Rivera"
[ "$(students_on B)" = 0 ] || fail "machine B had the roster before the site log carried it"

step "each machine joins the site log: B takes what A imported"
# A publishes its facts (and, holding the lease, syncs with the state); B
# catches up. `sync` on a machine that does not hold the lease exits 16.
set +e
ctl A sync >"$work/syncA.log" 2>&1
codeA=$?
set -e
[ "$codeA" -eq 0 ] || [ "$codeA" -eq 16 ] || { cat "$work/syncA.log"; fail "sync on A exited $codeA"; }
for _ in $(seq 1 10); do
  set +e
  ctl B sync >"$work/syncB.log" 2>&1
  set -e
  [ "$(students_on B)" = 2 ] && break
done
[ "$(students_on B)" = 2 ] || { cat "$work/syncB.log"; fail "the roster imported on A did not reach B"; }
python3 - "$work/B/data/kiosk.db" <<'PY' || fail "B's copy of the roster is not A's"
import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
rows = c.execute("SELECT student_unique_id, first_name, last_surname FROM student WHERE student_unique_id LIKE 'S9000%' ORDER BY 1").fetchall()
assert rows == [("S900001", "Zoë", "Ñúñez"), ("S900002", "Renée", "Kowalski")], rows
regs = c.execute("SELECT count(*) FROM registration WHERE session_id = 'ADM-SITE-1'").fetchone()[0]
assert regs == 2, regs
# Birth dates and the PIN arrived as sealed hashes, never as text.
assert c.execute("SELECT count(*) FROM credential WHERE kind = 'student_birth_date' AND subject_id LIKE 'S9000%'").fetchone()[0] == 2
assert c.execute("SELECT count(*) FROM credential WHERE kind = 'proctor_pin' AND subject_id = 'P77'").fetchone()[0] == 1
assert c.execute("SELECT name FROM proctor WHERE proctor_id = 'P77'").fetchone()[0] == "Ms. Rivera"
dump = "\n".join(c.iterdump())
assert "2009-04-12" not in dump and "482913" not in dump
PY
if grep -rqa "2009-04-12" "$work/hub"; then fail "the hub's store holds a birth date in the clear"; fi
ctl B status >"$work/statusB.log" 2>&1 || true
must_contain "$work/statusB.log" "site hub"

echo "ops site roster: 1 passed, 0 failed"

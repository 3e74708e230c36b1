#!/usr/bin/env bash
# Install -> queue records -> upgrade to a build with a newer schema ->
# records intact, then they still reach the state once. Container-free: the
# .deb's files are unpacked under a temporary root (dpkg-deb -x, i.e. a
# DESTDIR-style prefix install) and its binaries run with --data-dir and
# --config inside that root. The maintainer scripts need root and systemd,
# so the upgrade runs by hand what they would: the new binary replaces the
# old one and postinst's `testsite-kioskctl --data-dir ... migrate` runs.
set -euo pipefail
build="$1"; next_kioskctl="$2"; queue="$3"; double="$4"; certs_script="$5"; seed="$6"
source "$(cd "$(dirname "$0")/../integration" && pwd)/ops_common.sh"

step "build the package and install its files under a temporary root"
(cd "$build" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
dpkg-deb -x "$work"/pkg/testsite-kiosk_*.deb "$work/root"
kioskctl="$work/root/usr/bin/testsite-kioskctl"
data="$work/root/var/lib/testsite-kiosk"
etc="$work/root/etc/testsite-kiosk"
mkdir -p "$data" && chmod 0700 "$data"   # what postinst does
ctl() { "$kioskctl" --data-dir "$data" --config "$etc/kiosk.toml" "$@"; }

step "enrol, pull the roster, queue records (two versions each), not sent yet"
start_double
printf 'key=kiosk\nsecret=kiosk-secret\n' >"$work/creds"
run_expect 0 "$work/enrol.log" "$kioskctl" --data-dir "$data" enrol --base-url "https://127.0.0.1:$port" --site-id 255901001 \
  --kiosk-name "Lab 114 #3" --credentials-file "$work/creds" --ca-bundle "$ca" --config-dir "$etc"
run_expect 0 "$work/sync1.log" ctl sync
"$queue" "$data" --break-out >"$work/queue.log"
must_contain "$work/queue.log" "queued 4"
ctl status --json >"$work/before.json"
json_check "$work/before.json" 'd["waiting"] == 4 and d["schemaVersion"] >= 1 and d["audit"]["intact"]'
old_schema=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["schemaVersion"])' "$work/before.json")
snapshot() { sqlite3 "$data/kiosk.db" "SELECT resource, natural_key, local_version, synced_version, seq, first_queued_at, body FROM outbox ORDER BY 1, 2;
                                       SELECT count(*), max(seq) FROM event;"; }
snapshot >"$work/outbox-before.txt"
grep -q '|2|0|' "$work/outbox-before.txt" || fail "the records are not at version 2"

step "upgrade: the next release's binary replaces this one and postinst's migrate runs"
cp "$next_kioskctl" "$kioskctl"
run_expect 0 "$work/migrate.log" "$kioskctl" --data-dir "$data" migrate
must_contain "$work/migrate.log" "at schema version $((old_schema + 1))"
[ "$(sqlite3 "$data/kiosk.db" 'SELECT note FROM upgrade_probe;')" = "migrated by the next release" ] || fail "the new migration did not run"

step "every queued record is intact: same keys, versions, sequence, bodies"
snapshot >"$work/outbox-after.txt"
diff "$work/outbox-before.txt" "$work/outbox-after.txt" || fail "the outbox changed across the upgrade"
ctl status --json >"$work/after.json"
json_check "$work/after.json" 'd["waiting"] == 4 and d["schemaVersion"] == '"$((old_schema + 1))"' and d["audit"]["intact"]'
[ "$(stat -c %a "$data")" = 700 ] || fail "the data directory is no longer 0700"

step "the upgraded kiosk sends them: each arrives once"
run_expect 0 "$work/sync2.log" ctl sync
received studentAssessments >"$work/r.json"
json_check "$work/r.json" 'len(d["records"]) == 4 and all(r["posts"] == 1 for r in d["records"])'

step "a downgrade is refused with a clear message, not a crash"
cp "$build/kiosk/app/testsite-kioskctl" "$work/old-kioskctl"
run_expect 4 "$work/downgrade.log" "$work/old-kioskctl" --data-dir "$data" status
must_contain "$work/downgrade.log" "written by a newer version"

echo "ops upgrade: 1 passed, 0 failed"

#!/usr/bin/env bash
# A damaged, read-only or full data directory, through testsite-kioskctl:
# overwritten pages, another kiosk's -wal, kiosk.db cut to 0 and to half are
# each refused with one message naming the file and `rescue` (exit 17), and
# nothing is written (sync, demo, verify-audit included); `rescue` salvages
# into a new store with every pending record counted; status, verify-audit,
# export-session and export-pending work from a read-only mount and from a
# full disk, writing only where told. Mounting a tmpfs needs root: without
# it the test says so and exits 77 (skipped).
kioskctl="$1"; queue="$2"; double="$3"; certs_script="$4"; seed="$5"
source "$(dirname "$0")/ops_common.sh"

mounts=()
umount_all() {
  chattr -R -i "$work/imm" 2>/dev/null || true
  for m in "${mounts[@]}"; do umount -l "$m" 2>/dev/null || true; done
  ops_cleanup
}
trap umount_all EXIT
mkdir -p "$work/probe"
if ! mount -t tmpfs -o size=1m tmpfs "$work/probe" 2>/dev/null; then
  echo "cannot mount a tmpfs here (needs root): skipped"; exit 77
fi
umount "$work/probe"

start_double
printf 'key=kiosk\nsecret=kiosk-secret\n' >"$work/creds"
run_expect 0 "$work/enrol.log" "$kioskctl" --data-dir "$work/A/data" enrol --base-url "https://127.0.0.1:$port" \
  --site-id 255901001 --kiosk-name "Kiosk A" --credentials-file "$work/creds" --ca-bundle "$ca" --config-dir "$work/A/etc"
cfg="$work/A/etc/kiosk.toml"
ctl() { local d=$1; shift; "$kioskctl" --data-dir "$d" --config "$cfg" "$@"; }
run_expect 0 "$work/sync.log" ctl "$work/A/data" sync
"$queue" "$work/A/data" --break-out >"$work/queue.log"
must_contain "$work/queue.log" "queued 4"
ctl "$work/A/data" status --json >"$work/status.json"
json_check "$work/status.json" 'd["waiting"] == 4 and d["databaseCheck"]["integrity"] == "ok"'
session=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sessions"][0]["id"])' "$work/status.json")

# copy_data NAME: a copy of A's data directory (closed, so no -wal).
copy_data() { rm -rf "$work/$1"; cp -a "$work/A/data" "$work/$1"; }

reads_all() { # DIR LABEL: the four read-only commands work and write only where told
  local d=$1 l=$2
  run_expect 0 "$work/$l-status.log" ctl "$d" status
  must_contain "$work/$l-status.log" "read-only"
  must_contain "$work/$l-status.log" "records waiting for the state: 4"
  must_not_contain "$work/$l-status.log" "cannot make"
  run_expect 0 "$work/$l-verify.log" ctl "$d" verify-audit
  must_contain "$work/$l-verify.log" "audit chain intact"
  run_expect 0 "$work/$l-export.log" ctl "$d" export-session "$session" -o "$work/$l-report.csv"
  [ -s "$work/$l-report.csv" ] || fail "$l: no session report written"
  run_expect 0 "$work/$l-pending.log" ctl "$d" export-pending "$work/$l-pending.tsk"
  must_contain "$work/$l-pending.log" "wrote 4 waiting record(s)"
}

step "a read-only mount: status, verify-audit, export-session, export-pending"
mkdir -p "$work/ro"
mount -t tmpfs -o size=64m tmpfs "$work/ro"; mounts+=("$work/ro")
cp -a "$work/A/data/." "$work/ro/"
mount -o remount,ro "$work/ro"
reads_all "$work/ro" ro

step "an immutable data directory (chattr +i, which binds root too): the same four commands"
mkdir -p "$work/imm"
mount -t tmpfs -o size=64m tmpfs "$work/imm"; mounts+=("$work/imm")
cp -a "$work/A/data/." "$work/imm/"
if chattr +i "$work/imm"/* "$work/imm" 2>/dev/null; then
  listed=$(ls -A "$work/imm"); sums=$(cat "$work/imm"/* | sha256sum)
  reads_all "$work/imm" imm
  [ "$(ls -A "$work/imm")" = "$listed" ] && [ "$(cat "$work/imm"/* | sha256sum)" = "$sums" ] || fail "imm: the immutable files changed"
  chattr -i "$work/imm" "$work/imm"/*
else
  echo "this kernel's tmpfs takes no immutable flag: step not run"
fi

step "a full disk: the same four commands"
mkdir -p "$work/full"
mount -t tmpfs -o size=16m tmpfs "$work/full"; mounts+=("$work/full")
cp -a "$work/A/data/." "$work/full/"
rm -f "$work/full/kiosk.db-wal" "$work/full/kiosk.db-shm"
dd if=/dev/zero of="$work/full/filler" bs=64k 2>/dev/null || true
dd if=/dev/zero of="$work/full/filler2" bs=512 2>/dev/null || true
[ "$(stat -f -c %a "$work/full")" = 0 ] || fail "the tmpfs is not full"
reads_all "$work/full" full
rm -f "$work/full/filler" "$work/full/filler2"

db_hash() { { cat "$1/kiosk.db"; cat "$1/kiosk.db-wal" 2>/dev/null || true; } | sha256sum; }
damaged_refused() { # DIR LABEL TEXT: every command refuses with the one message, nothing written
  local d=$1 l=$2 text=$3
  # kiosk.db and its -wal byte for byte (a reader may add a -shm: SQLite's shared index, no data)
  local before; before=$(db_hash "$d")
  run_expect 17 "$work/$l-status.log" ctl "$d" status
  must_contain "$work/$l-status.log" "DAMAGED"
  must_contain "$work/$l-status.log" "$text"
  must_contain "$work/$l-status.log" "testsite-kioskctl rescue --to DIR"
  run_expect 17 "$work/$l-sync.log" ctl "$d" sync
  must_not_contain "$work/$l-sync.log" "waiting 0"
  run_expect 17 "$work/$l-demo.log" ctl "$d" demo --force --students 5
  run_expect 17 "$work/$l-verify.log" ctl "$d" verify-audit
  must_not_contain "$work/$l-verify.log" "intact"
  [ "$(db_hash "$d")" = "$before" ] || fail "$l: the damaged files were changed"
}

step "overwritten pages: refused everywhere; rescue salvages into a new store"
copy_data pages
python3 - "$work/pages/kiosk.db" <<'PY'
import random, sqlite3, sys
p = sys.argv[1]
# Pages in the last third: the roster and records written after the schema,
# but never one of the schema's own (a damaged schema page leaves nothing for
# any rescue to read; a migration run at the first sync puts some there).
con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)  # read-only: no checkpoint moves pages
schema = {row[0] for row in con.execute("SELECT pageno FROM dbstat WHERE name = 'sqlite_schema'")}
con.close()
b = bytearray(open(p, "rb").read()); n = len(b) // 4096
r = random.Random(5)
for _ in range(3):
    pg = r.randrange(2 * n // 3, n)
    while pg + 1 in schema:  # dbstat counts pages from 1
        pg = r.randrange(2 * n // 3, n)
    b[pg * 4096:(pg + 1) * 4096] = bytes(r.randrange(256) for _ in range(4096))
open(p, "wb").write(b)
PY
damaged_refused "$work/pages" pages "kiosk.db"
before=$(sha256sum <"$work/pages/kiosk.db")
set +e; ctl "$work/pages" rescue --to "$work/rescued-pages" >"$work/rescue-pages.log" 2>&1; rc=$?; set -e
[ "$rc" = 0 ] || [ "$rc" = 2 ] || { cat "$work/rescue-pages.log" >&2; fail "rescue exit $rc"; }
must_contain "$work/rescue-pages.log" "table: recovered / lost"
must_contain "$work/rescue-pages.log" "outbox:"
must_contain "$work/rescue-pages.log" "records waiting for the state kept:"
[ "$(sha256sum <"$work/pages/kiosk.db")" = "$before" ] || fail "rescue changed the original"
[ ! -e "$work/rescued-pages/rescue-work" ] || fail "rescue left its scratch copies"
run_expect 0 "$work/rescued-status.log" ctl "$work/rescued-pages" status

step "another kiosk's -wal beside kiosk.db: refused; rescue --without-wal keeps all 4 pending"
copy_data foreign
run_expect 0 "$work/enrolB.log" "$kioskctl" --data-dir "$work/B/data" demo --students 20
python3 - "$work/B/data/kiosk.db" "$work/foreign/kiosk.db-wal" <<'PY'
import sqlite3, sys, shutil
c = sqlite3.connect(sys.argv[1]); c.execute("PRAGMA wal_autocheckpoint=0")
c.execute("UPDATE kiosk_meta SET value = 'Site B' WHERE key = 'site_name'"); c.commit()
shutil.copyfile(sys.argv[1] + "-wal", sys.argv[2])
c.close()
PY
damaged_refused "$work/foreign" foreign "kiosk"
run_expect 0 "$work/rescue-foreign.log" ctl "$work/foreign" rescue --to "$work/rescued-foreign" --without-wal
must_contain "$work/rescue-foreign.log" "records waiting for the state kept: 4"
ctl "$work/rescued-foreign" status --json >"$work/rescued-foreign.json"
json_check "$work/rescued-foreign.json" 'd["waiting"] == 4 and d["kioskId"] == '"$(python3 -c 'import json,sys; print(repr(json.load(open(sys.argv[1]))["kioskId"]))' "$work/status.json")"

step "kiosk.db cut to 0 bytes and to half: refused, not taken for a new kiosk"
copy_data zero
: >"$work/zero/kiosk.db"
damaged_refused "$work/zero" zero "is empty"
copy_data half
size=$(stat -c %s "$work/half/kiosk.db")
truncate -s $((size / 2 / 4096 * 4096)) "$work/half/kiosk.db"
damaged_refused "$work/half" half "cut short"
echo "PASS"

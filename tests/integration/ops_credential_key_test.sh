#!/usr/bin/env bash
# The credential key, from the command line: the first command makes
# credential.key (0600, in a 0700 folder of the user's config, outside the
# data directory); every PIN and birth-date hash in kiosk.db is sealed with
# it; the next command reuses it; a database sealed with it and opened with
# another key is refused with what to do, and the other key seals nothing.
kioskctl="$1"
source "$(dirname "$0")/ops_common.sh"
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config"
unset TESTSITE_KIOSK_KEY_FILE
mkdir -p "$HOME"
ctl() { "$kioskctl" --data-dir "$work/data" "$@"; }
key="$XDG_CONFIG_HOME/testsite-kiosk/credential.key"
sealed_count() { sqlite3 "$work/data/kiosk.db" "SELECT count(*) FROM credential WHERE hash LIKE '\$tsk-sealed-v1\$%';"; }
bare_count() { sqlite3 "$work/data/kiosk.db" "SELECT count(*) FROM credential WHERE hash NOT LIKE '\$tsk-sealed-v1\$%';"; }

step "demo data: the key is made outside the data directory, 0600 in a 0700 folder"
run_expect 0 "$work/demo.log" ctl demo --students 40
[ -f "$key" ] || fail "no credential key at $key"
[ "$(stat -c %a "$key")" = 600 ] || fail "$key is not 0600"
[ "$(stat -c %a "$(dirname "$key")")" = 700 ] || fail "$(dirname "$key") is not 0700"
grep -q '^testsite-credential-key-v1 ' "$key" || fail "$key is not a credential key file"
case "$key" in "$work/data"/*) fail "the key is inside the data directory" ;; esac

step "every credential in kiosk.db is sealed; no Argon2id string is left to test a guess against"
[ "$(sealed_count)" -gt 40 ] || fail "only $(sealed_count) credentials sealed"
[ "$(bare_count)" = 0 ] || fail "$(bare_count) credentials left bare"
sqlite3 "$work/data/kiosk.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
! grep -q -a 'argon2id' "$work/data/kiosk.db" || fail "an Argon2id string is still in kiosk.db"

step "the next command reuses the key; a new PIN is sealed with it"
before=$(sha256sum "$key")
printf '97531\n' | run_expect 0 "$work/pin.log" ctl set-proctor-pin P7 --name "Mr. Okafor"
[ "$(sha256sum "$key")" = "$before" ] || fail "the key file changed"
[ "$(bare_count)" = 0 ] || fail "the new PIN was stored bare"

step "the audit chain carries the key's MAC and verifies with it"
run_expect 0 "$work/verify.log" ctl verify-audit
[ "$(sqlite3 "$work/data/kiosk.db" "SELECT count(*) FROM audit_log WHERE hash NOT LIKE 'k1:%';")" = 0 ] || fail "audit entries without a MAC"
head=$(sqlite3 "$work/data/kiosk.db" "SELECT seq || ':' || substr(replace(hash, 'k1:', ''), 1, 16) FROM audit_log ORDER BY seq DESC LIMIT 1;")
run_expect 0 "$work/verify-head.log" ctl verify-audit --printed-head "$head"
run_expect 5 "$work/verify-wrong-head.log" ctl verify-audit --printed-head "1:0000000000000000"
must_contain "$work/verify-wrong-head.log" "printed on paper"

step "another key (a copied database on another machine): refused with what to do, nothing resealed"
export TESTSITE_KIOSK_KEY_FILE="$work/other.key"
printf '84263\n' | run_expect 0 "$work/other.log" ctl set-proctor-pin P8 --name "Ms. Lund"
must_contain "$work/other.log" "credential key"
must_contain "$work/other.log" "set-proctor-pin"
[ -f "$work/other.key" ] || fail "no second key was made"
run_expect 5 "$work/verify-other.log" ctl verify-audit
unset TESTSITE_KIOSK_KEY_FILE
echo "PASS"

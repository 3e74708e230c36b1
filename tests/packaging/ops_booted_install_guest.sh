#!/bin/bash
# shellcheck disable=SC2154  # v1, v2, double_port, hub_port, tool_packages: from params
# Runs inside the booted container (kiosk-install-test.service, staged by
# ops_booted_install_test.sh): the package's life under systemd, as a
# technician lives it. Writes "pass" or the failed step to
# /root/kiosk-test/result; the unit powers the container off either way.
set -eEuo pipefail
t=/root/kiosk-test
cd "$t"
# shellcheck source=/dev/null
source "$t/params"   # v1, v2, double_port, hub_port, tool_packages
export DEBIAN_FRONTEND=noninteractive
USER=testsite-kiosk
DATA=/var/lib/testsite-kiosk
CONF=/etc/testsite-kiosk
SYNC=testsite-kiosk-sync.service
HUB=testsite-kiosk-hub.service
SESSION=testsite-kiosk-session.service
current=start

step() { current="$*"; echo "step: $*"; }
fail() {
  echo "FAILED at step: $current: $*"
  echo "--- journal of the kiosk's units"
  journalctl --no-pager -n 60 -u "$SYNC" -u "$HUB" -u edfi-double.service || true
  echo "FAILED at step: $current: $*" >"$t/result"
  exit 1
}
trap 'fail "a command failed (line $LINENO)"' ERR

# until SECONDS WHAT CMD...: waits, bounded, until CMD succeeds.
until_ok() {
  local limit=$1 what=$2 deadline=$((SECONDS + $1)); shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || fail "$what: not within $limit s"
    sleep 0.2
  done
}
prop() { systemctl show -P "$2" "$1"; }
is_active() { [ "$(prop "$1" ActiveState)" = active ]; }
expect() { # WHAT GOT WANT
  [ "$2" = "$3" ] || fail "$1 is '$2', expected '$3'"
}
# run LOG CMD...: CMD's output to LOG; on failure LOG is shown.
run() {
  local log=$1; shift
  local rc=0
  "$@" >"$t/$log" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || { cat "$t/$log"; fail "$* (exit $rc)"; }
}
status_json() { testsite-kioskctl status --json >"$t/status.json" 2>"$t/status.err" || true; }
status_is() { # JQ-EXPRESSION over `status --json`
  status_json
  jq -e "$1" "$t/status.json" >/dev/null || { cat "$t/status.json" "$t/status.err"; fail "status --json: not $1"; }
}
runs_program() { [ "$(readlink -f "/proc/$(prop "$1" MainPID)/exe")" = "$2" ]; }
runs_as() { ps -o euser= -p "$(prop "$1" MainPID)"; }
as_kiosk() { runuser -u "$USER" -- "$@"; }
kiosk_processes() { pgrep -u "$USER" -l || true; }

# --- steps --------------------------------------------------------------------

install_first() {
  step "install $v1: apt resolves its dependencies, dpkg runs postinst under systemd"
  run install1.log apt-get install -y "$t/testsite-kiosk_${v1}.deb"
  expect "the installed version" "$(dpkg-query -W -f='${Version} ${Status}' testsite-kiosk)" "$v1 install ok installed"

  step "units installed; sync enabled by postinst; session and hub left to the technician"
  local u
  for u in "$SYNC" "$SESSION" "$HUB"; do
    expect "$u LoadState" "$(prop "$u" LoadState)" loaded
    expect "$u unit file" "$(readlink -f "$(prop "$u" FragmentPath)")" "/usr/lib/systemd/system/$u"
  done
  expect "$SYNC enabled" "$(systemctl is-enabled "$SYNC" || true)" enabled
  expect "$SESSION enabled" "$(systemctl is-enabled "$SESSION" || true)" disabled
  expect "$HUB enabled" "$(systemctl is-enabled "$HUB" || true)" disabled
  # The session needs a display: installed and runnable, not started here.
  [ -x /usr/bin/cage ] || fail "cage is not installed"
  [ -x /usr/bin/testsite-kiosk ] || fail "/usr/bin/testsite-kiosk is not installed"

  step "not enrolled yet: postinst started the sync service, its condition kept it from running"
  expect "$SYNC ConditionResult" "$(prop "$SYNC" ConditionResult)" no
  expect "$SYNC ActiveState" "$(prop "$SYNC" ActiveState)" inactive

  step "the system user, the 0700 data directory, the sealed credential key"
  getent passwd "$USER" | awk -F: '$3 < 1000 && $7 == "/usr/sbin/nologin" { ok = 1 } END { exit !ok }' ||
    fail "no system user $USER with a nologin shell: $(getent passwd "$USER" || true)"
  expect "$DATA" "$(stat -c '%a %U:%G' "$DATA")" "700 $USER:$USER"
  expect "$CONF/credential.key" "$(stat -c '%a %U' "$CONF/credential.key")" "600 $USER"
}

start_double() {
  # SIGKILL: the double keeps nothing worth a clean stop, which waits on open
  # connections; --collect: killed, it can be started again under its name.
  systemd-run --unit=edfi-double --property=KillSignal=SIGKILL --collect --quiet /usr/local/bin/edfi-double --port "$double_port" --cert "$t/certs/server.pem" \
    --key "$t/certs/server.key" --seed "$t/seed.json" --quiet
  until_ok 30 "the Ed-Fi double answering" curl -sf --cacert "$t/certs/ca.pem" -o /dev/null \
    "https://127.0.0.1:$double_port/_test/received?resource=studentAssessments"
}
received() { curl -sf --cacert "$t/certs/ca.pem" "https://127.0.0.1:$double_port/_test/received?resource=$1"; }

enrol_and_start() {
  step "the test tools' libraries (after the package, so they cannot stand in for its dependencies)"
  # shellcheck disable=SC2086  # a word list
  run tools.log apt-get install -y --no-install-recommends $tool_packages

  step "enrol against the Ed-Fi double, download the roster, start the sync service"
  start_double
  printf 'key=kiosk\nsecret=kiosk-secret\n' >"$t/creds"
  run enrol.log testsite-kioskctl enrol --base-url "https://127.0.0.1:$double_port" --site-id 255901001 \
    --kiosk-name "Booted test" --credentials-file "$t/creds" --ca-bundle "$t/certs/ca.pem"
  expect "$CONF/credentials" "$(stat -c '%a %U' "$CONF/credentials")" "600 $USER"
  run sync1.log testsite-kioskctl sync
  systemctl restart "$SYNC"   # what enrol tells the technician to do
  until_ok 60 "$SYNC active" is_active "$SYNC"
  expect "the user $SYNC runs as" "$(runs_as "$SYNC")" "$USER"
  status_is '.sync.running and .sync.by == "serve" and .sync.pid == '"$(prop "$SYNC" MainPID)"

  step "make this machine the hub and enable it, as a site's technician does"
  run hub.log testsite-kioskctl hub-setup --name localhost --ip 127.0.0.1 --port "$hub_port"
  run hub-enable.log systemctl enable --now "$HUB"
  until_ok 60 "$HUB active" is_active "$HUB"
  # Type=simple is "active" at fork, before User= applies and nats-server runs.
  until_ok 30 "$HUB running nats-server" runs_program "$HUB" /usr/sbin/nats-server
  expect "the user $HUB runs as" "$(runs_as "$HUB")" "$USER"

  step "the session is still only installed (it needs a display and cage)"
  expect "$SESSION ActiveState" "$(prop "$SESSION" ActiveState)" inactive
}

# restarted UNIT PID RESTARTS: systemd brought UNIT back as a new process.
restarted() {
  local pid; pid=$(prop "$1" MainPID)
  is_active "$1" && [ "$pid" != 0 ] && [ "$pid" != "$2" ] && [ "$(prop "$1" NRestarts)" -gt "$3" ]
}

kill_and_wait() { # UNIT SIGNAL SECONDS
  local pid n; pid=$(prop "$1" MainPID); n=$(prop "$1" NRestarts)
  systemctl kill -s "$2" "$1"
  until_ok "$3" "$1 restarted after SIG$2" restarted "$1" "$pid" "$n"
}

watchdog() {
  step "SIGKILL: systemd restarts the sync service and the hub (Restart=on-failure)"
  kill_and_wait "$SYNC" KILL 60
  kill_and_wait "$HUB" KILL 60

  step "a hung sync service (SIGSTOP) stops feeding the watchdog: systemd kills and restarts it"
  local limit; limit=$(prop "$SYNC" WatchdogUSec)
  echo "WatchdogSec of $SYNC: $limit"
  kill_and_wait "$SYNC" STOP 150
  journalctl --no-pager -u "$SYNC" | grep -q "Watchdog timeout" || fail "the journal does not say the watchdog fired"
  status_is '.sync.running and .sync.by == "serve"'
}

outbox_snapshot() {
  as_kiosk sqlite3 "$DATA/kiosk.db" "SELECT resource, natural_key, local_version, synced_version, seq, first_queued_at, body FROM outbox ORDER BY 1, 2;
                                      SELECT count(*), max(seq) FROM event;"
}

upgrade() {
  step "offline (the double stopped): queue records at version 2, not sent"
  systemctl stop edfi-double.service
  run queue.log as_kiosk ops-queue-records "$DATA" --break-out
  grep -q "queued 4" "$t/queue.log" || { cat "$t/queue.log"; fail "ops-queue-records did not queue 4"; }
  status_is '.waiting == 4 and .audit.intact'
  local schema; schema=$(jq .schemaVersion "$t/status.json")
  outbox_snapshot >"$t/outbox-before.txt"
  grep -q '|2|0|' "$t/outbox-before.txt" || { cat "$t/outbox-before.txt"; fail "the records are not at version 2"; }
  local sync_pid; sync_pid=$(prop "$SYNC" MainPID)

  step "upgrade to $v2: prerm stops the service, postinst migrates and starts it again"
  run install2.log apt-get install -y "$t/testsite-kiosk_${v2}.deb"
  expect "the installed version" "$(dpkg-query -W -f='${Version} ${Status}' testsite-kiosk)" "$v2 install ok installed"
  until_ok 60 "$SYNC active after the upgrade" is_active "$SYNC"
  [ "$(prop "$SYNC" MainPID)" != "$sync_pid" ] || fail "$SYNC was not restarted by the upgrade"
  is_active "$HUB" || fail "$HUB is not active after the upgrade"
  expect "$SYNC enabled" "$(systemctl is-enabled "$SYNC" || true)" enabled

  step "every queued record is intact at the new schema: same keys, versions, sequence, bodies"
  [ "$(as_kiosk sqlite3 "$DATA/kiosk.db" 'SELECT note FROM upgrade_probe;')" = "migrated by the next release" ] ||
    fail "postinst did not run the next release's migration"
  outbox_snapshot >"$t/outbox-after.txt"
  diff "$t/outbox-before.txt" "$t/outbox-after.txt" || fail "the outbox changed across the upgrade"
  status_is ".waiting == 4 and .schemaVersion == $((schema + 1)) and .audit.intact"
  expect "$DATA" "$(stat -c '%a %U:%G' "$DATA")" "700 $USER:$USER"

  step "back online: the upgraded service sends them, each once"
  start_double
  local rc=0; testsite-kioskctl sync >"$t/sync2.log" 2>&1 || rc=$?
  [ "$rc" -eq 10 ] || { cat "$t/sync2.log"; fail "sync did not ask the running service (exit $rc, expected 10)"; }
  until_ok 60 "the 4 records at the double" sh -c "curl -sf --cacert '$t/certs/ca.pem' \
    'https://127.0.0.1:$double_port/_test/received?resource=studentAssessments' | jq -e '(.records | length) == 4'"
  received studentAssessments | jq -e 'all(.records[]; .posts == 1)' >/dev/null || fail "a record was posted more than once"
  until_ok 30 "nothing waiting" sh -c 'testsite-kioskctl status --json | jq -e ".waiting == 0"'
}

remove() {
  step "apt-get remove: services stopped and disabled, data and configuration kept"
  run remove.log apt-get remove -y testsite-kiosk
  expect "the package's state" "$(dpkg-query -W -f='${Status}' testsite-kiosk)" "deinstall ok config-files"
  local u
  for u in "$SYNC" "$HUB" "$SESSION"; do
    expect "$u ActiveState" "$(prop "$u" ActiveState)" inactive
    expect "$u LoadState" "$(prop "$u" LoadState)" not-found
  done
  [ -z "$(kiosk_processes)" ] || fail "processes of $USER still run: $(kiosk_processes)"
  no_enablement_left
  expect "$DATA" "$(stat -c '%a %U:%G' "$DATA")" "700 $USER:$USER"
  [ -s "$DATA/kiosk.db" ] || fail "the database is gone"
  for f in kiosk.toml credentials credential.key site.key; do [ -e "$CONF/$f" ] || fail "$CONF/$f is gone"; done
  getent passwd "$USER" >/dev/null || fail "the system user is gone"
}

no_enablement_left() {
  local links; links=$(find /etc/systemd/system -name 'testsite-kiosk-*' 2>/dev/null || true)
  [ -z "$links" ] || fail "unit links left behind: $links"
}

purge() {
  step "apt-get purge: data and configuration deleted; the system user stays (Debian practice)"
  run purge.log apt-get purge -y testsite-kiosk
  expect "the package's state" "$(dpkg-query -W -f='${db:Status-Status}' testsite-kiosk 2>/dev/null || echo not-installed)" not-installed
  [ ! -e "$DATA" ] || fail "$DATA is still there"
  [ ! -e "$CONF" ] || fail "$CONF is still there"
  no_enablement_left
  getent passwd "$USER" >/dev/null || fail "postrm deleted the system user (it is meant to stay)"
}

echo "guest: $(uname -r), $(systemctl --version | head -n 1), $(systemctl is-system-running || true)"
install_first
enrol_and_start
watchdog
upgrade
remove
purge
echo pass >"$t/result"
echo "guest: pass"

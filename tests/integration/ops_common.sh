# Shared by the operations shell tests (sourced): a work directory cleaned
# on exit, steps, failures, the Ed-Fi double over throwaway TLS, and exit
# code checks. Expects $double, $certs_script and $seed to be set.
set -euo pipefail
work=$(mktemp -d)
pids=()
ops_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap ops_cleanup EXIT
step() { echo "step: $*"; }
fail() { echo "FAILED at step: $*" >&2; exit 1; }

# start_double [extra args]: sets $port and $ca (the double's CA).
start_double() {
  bash "$certs_script" "$work/certs" >/dev/null 2>&1
  ca="$work/certs/ca.pem"
  "$double" --port 0 --cert "$work/certs/server.pem" --key "$work/certs/server.key" --seed "$seed" --quiet "$@" >"$work/double.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do grep -q listening "$work/double.out" 2>/dev/null && break; sleep 0.1; done
  port=$(sed -nE 's/.*127\.0\.0\.1:([0-9]+).*/\1/p' "$work/double.out")
  [ -n "$port" ] || fail "the double did not start"
}

# enrol_and_pull: the double started, $work/data enrolled with it (site
# 255901001, config in $work/etc) and its roster pulled; `ctl` runs kioskctl
# with that data directory and config.
enrol_and_pull() {
  start_double
  printf 'key=kiosk\nsecret=kiosk-secret\n' >"$work/creds"
  run_expect 0 "$work/enrol.log" "$kioskctl" --data-dir "$work/data" enrol --base-url "https://127.0.0.1:$port" --site-id 255901001 \
    --kiosk-name "Lab 114 #3" --credentials-file "$work/creds" --ca-bundle "$ca" --config-dir "$work/etc"
  ctl() { "$kioskctl" --data-dir "$work/data" --config "$work/etc/kiosk.toml" "$@"; }
  run_expect 0 "$work/sync1.log" ctl sync   # the roster
}

# expect_serve_exit CODE NAME AFTER: serve ($serve_pid, journal in
# $work/serve.err) ends by itself within 30 s of AFTER, with CODE.
expect_serve_exit() {
  for _ in $(seq 1 300); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$serve_pid" 2>/dev/null && { cat "$work/serve.err" >&2; fail "serve still runs 30 s after $3"; }
  local rc
  set +e; wait "$serve_pid"; rc=$?; set -e
  [ "$rc" -eq "$1" ] || { cat "$work/serve.err" >&2; fail "serve exited $rc, not $1 ($2)"; }
}

# received RESOURCE: what the double holds, as JSON.
received() { curl -s --cacert "$ca" "https://127.0.0.1:$port/_test/received?resource=$1"; }

# run_expect CODE LOGFILE CMD...: runs CMD with output to LOGFILE and fails
# the test unless it exits with CODE.
run_expect() {
  local want=$1 log=$2; shift 2
  set +e
  "$@" >"$log" 2>&1
  local got=$?
  set -e
  if [ "$got" -ne "$want" ]; then
    echo "--- $log" >&2; cat "$log" >&2
    fail "expected exit $want, got $got: $*"
  fi
}

# must_contain FILE TEXT
must_contain() { grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$1 does not say: $2"; }; }
must_not_contain() { if grep -qF -- "$2" "$1"; then cat "$1" >&2; fail "$1 must not say: $2"; fi; }

# json FILE PYTHON-EXPRESSION (over `d`): fails unless it is true.
json_check() {
  python3 - "$1" "$2" <<'PY' || fail "check failed on $1: $2"
import json, sys
d = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2])
if not ok:
    print(json.dumps(d, indent=1)[:3000], file=sys.stderr)
    sys.exit(1)
PY
}

# A TCP port on 127.0.0.1 that nothing listens on (taken, then released).
closed_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

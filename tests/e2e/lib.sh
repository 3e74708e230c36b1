# Sourced by the end-to-end tests (after they set `artefacts`): a scratch
# dir, steps that name a failure, an Xvfb of its own and the kiosk window;
# every process started here is stopped on exit.
mkdir -p "$artefacts"
work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
step() { echo "step: $*"; }
fail() { echo "FAILED at step: $*" >&2; exit 1; }

# Xvfb picks a free display itself and writes its number: no races with
# other X servers on the machine. -noreset: an X server resets when its last
# client leaves, and refuses connections meanwhile; xdpyinfo's check below is
# such a client, so without it the kiosk could meet a server in mid-reset
# ("Failed to open display", seen under load). Exports DISPLAY.
start_xvfb() {
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset 3>"$work/display" >"$work/xvfb.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do [ -s "$work/display" ] && break; sleep 0.1; done
  [ -s "$work/display" ] || { cat "$work/xvfb.log"; fail "Xvfb did not start"; }
  export DISPLAY=":$(head -n1 "$work/display")"
  for _ in $(seq 1 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
  xdpyinfo >/dev/null 2>&1 || fail "Xvfb on $DISPLAY does not answer"
}

# start_kiosk BINARY ARGS...: runs the kiosk, sets kiosk_pid, waits for its window.
start_kiosk() {
  "$@" >"$work/kiosk.log" 2>&1 &
  kiosk_pid=$!
  pids+=($kiosk_pid)
  for _ in $(seq 1 150); do xdotool search --name "TestSite Kiosk" >/dev/null 2>&1 && break; sleep 0.1; done
  xdotool search --name "TestSite Kiosk" >/dev/null 2>&1 || { cat "$work/kiosk.log"; fail "no window appeared"; }
}

# wait_title PREFIX: waits (15 s at most) for the kiosk's window title, which
# names the screen and any open dialog.
wait_title() {
  local title=""
  for _ in $(seq 1 150); do
    title=$(xdotool getwindowname "$(xdotool search --name 'TestSite Kiosk' | head -n1)" 2>/dev/null || true)
    case "$title" in "$1"*) sleep 0.6; return 0 ;; esac  # then focus settles
    sleep 0.1
  done
  fail "the window title is \"$title\", expected \"$1…\""
}

# stop_kiosk: SIGTERM must end it cleanly within 5 s.
stop_kiosk() {
  kill -TERM "$kiosk_pid"
  for _ in $(seq 1 50); do kill -0 "$kiosk_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$kiosk_pid" 2>/dev/null && fail "the kiosk did not quit within 5 s of SIGTERM"
  local status=0
  wait "$kiosk_pid" || status=$?
  [ "$status" -eq 0 ] || { cat "$work/kiosk.log"; fail "exit status $status after SIGTERM"; }
}

screenshot() { xwd -root -silent | convert xwd:- "$artefacts/$1.png"; }

# Sourced by the end-to-end tests (after they set `artefacts`): a scratch
# dir, steps that name a failure, an Xvfb of its own and the kiosk window;
# every process started here is stopped on exit.
mkdir -p "$artefacts"
work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
step() { echo "step: $*"; }
# A failure keeps what the window showed and the kiosk's last words (artefacts).
fail() {
  echo "FAILED at step: $*" >&2
  if [ -n "${DISPLAY:-}" ]; then xwd -root -silent 2>/dev/null | convert xwd:- "$artefacts/failed-$$.png" 2>/dev/null && echo "screen: $artefacts/failed-$$.png" >&2; fi
  [ -s "$work/kiosk.log" ] && { echo "kiosk log (last lines):" >&2; tail -n 20 "$work/kiosk.log" >&2; }
  exit 1
}

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
  # A layout with the roster's letters on keys of their own (extend_keymap.py).
  xkbcomp -w0 -xkb "$DISPLAY" "$work/keymap.xkb" >/dev/null 2>&1 || fail "cannot read the keymap of $DISPLAY"
  python3 "$(dirname "${BASH_SOURCE[0]}")/extend_keymap.py" <"$work/keymap.xkb" >"$work/keymap-names.xkb"
  xkbcomp -w0 "$work/keymap-names.xkb" "$DISPLAY" >/dev/null 2>&1 || fail "cannot load the names keymap into $DISPLAY"
}

# start_kiosk BINARY ARGS...: runs the kiosk, sets kiosk_pid, waits for its window.
# The kiosk reports in $KIOSK_IDLE_FILE each time it has taken every key sent
# and settled (--idle-file): the scripts wait on that, never a fixed pause.
start_kiosk() {
  export KIOSK_IDLE_FILE="$work/idle"
  "$@" --idle-file "$KIOSK_IDLE_FILE" >"$work/kiosk.log" 2>&1 &
  kiosk_pid=$!
  pids+=($kiosk_pid)
  for _ in $(seq 1 150); do xdotool search --name "TestSite Kiosk" >/dev/null 2>&1 && break; sleep 0.1; done
  xdotool search --name "TestSite Kiosk" >/dev/null 2>&1 || { cat "$work/kiosk.log"; fail "no window appeared"; }
}

# idle_field NAME: "taken" (keyboard events the kiosk has taken), "chars"
# (characters among them) or "title", as of its last settled frame.
idle_field() { sed -n "s/^$1 //p" "$KIOSK_IDLE_FILE" 2>/dev/null || true; }

# wait_title PREFIX: waits (30 s at most) until the settled window's title,
# which names the screen and any open dialog, starts with PREFIX.
wait_title() {
  local title=""
  for _ in $(seq 1 300); do
    title=$(idle_field title)
    case "$title" in "$1"*) return 0 ;; esac
    sleep 0.1
  done
  fail "the window title is \"$title\", expected \"$1…\""
}

# wait_taken FIELD AT-LEAST WHAT: waits (30 s at most) for the kiosk's count.
wait_taken() {
  for _ in $(seq 1 300); do
    [ "$(idle_field "$1")" -ge "$2" ] 2>/dev/null && return 0
    sleep 0.1
  done
  fail "the kiosk did not take $3 within 30 s"
}

# send_type TEXT: types it, then waits until the kiosk took every character and settled.
send_type() {
  local before count; before=$(idle_field chars); before=${before:-0}
  count=$(printf %s "$1" | python3 -c 'import sys; print(len(sys.stdin.buffer.read().decode("utf-8")))')
  xdotool type --delay 40 "$1"
  wait_taken chars $((before + count)) "\"$1\""
}

# send_key NAME: presses it, then waits until the kiosk took the press and release and settled.
send_key() {
  local before; before=$(idle_field taken); before=${before:-0}
  xdotool key "$1"
  wait_taken taken $((before + 2)) "the key $1"
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

#!/usr/bin/env bash
# Screenshots of the real kiosk window under Xvfb (1280x800): the check-in
# screen with a student selected and the whole-room view, in every theme,
# at 100% and 200% text.
# Usage: tools/take_screenshots.sh BUILD_DIR OUT_DIR [THEME...]
set -euo pipefail
build="$1"; out="$2"; shift 2
kiosk="$build/kiosk/app/testsite-kiosk"
themes=("$@")
[ ${#themes[@]} -gt 0 ] || themes=(default high-contrast-dark high-contrast-light black-on-rose yellow-on-blue grey-on-grey reverse-contrast)
sizes=(${SIZES:-100 200})
mkdir -p "$out"
work=$(mktemp -d)
xvfb_pid=""; kiosk_pid=""
cleanup() {
  [ -n "$kiosk_pid" ] && kill "$kiosk_pid" 2>/dev/null || true
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# Xvfb picks a free display itself (-displayfd), so runs beside other X servers never collide.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 1 50); do [ -s "$work/display" ] && break; sleep 0.1; done
display=":$(head -n1 "$work/display")"
for _ in $(seq 1 50); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done
export DISPLAY="$display"
shoot() {  # theme size: one run of the kiosk, its screenshots; false if the kiosk died
  local theme="$1" size="$2"
  rm -rf "$work/data"
  "$kiosk" --data-dir "$work/data" --proctor P001 --theme "$theme" --text-size "$size" --fullscreen >"$work/kiosk.log" 2>&1 &
  kiosk_pid=$!
  for _ in $(seq 1 100); do xdotool search --name "TestSite Kiosk" >/dev/null 2>&1 && break; sleep 0.1; done
  sleep 1
  # The demo proctor's PIN (focus then moves to the first session), open it,
  # check four students in (type, Enter opens check-in, Enter confirms) so
  # the board shows a room in progress, then find Zoë and open her record
  # (Enter on a student already in selects her; Escape clears the search).
  xdotool type --delay 40 "2468"; xdotool key Return; sleep 1.5
  xdotool key Return; sleep 0.8
  for who in "anderson ava" "anderson emma" "kwame" "ashworth chloe"; do
    xdotool type --delay 30 "$who"; sleep 0.4
    xdotool key Return; sleep 0.6; xdotool key Return; sleep 0.6
  done
  xdotool type --delay 40 "zoe nun"; sleep 0.5
  xdotool key Return; sleep 0.6; xdotool key Return; sleep 0.6
  xdotool type --delay 40 "zoe nun"; sleep 0.5
  xdotool key Return; sleep 0.6
  xdotool key Escape; sleep 0.8
  kill -0 "$kiosk_pid" 2>/dev/null || { cat "$work/kiosk.log"; kiosk_pid=""; return 1; }
  xwd -root -silent | convert xwd:- "$out/check-in-$theme-$size.png"
  # The whole room (F10): the board alone, edge to edge; then back (Escape).
  xdotool key F10; sleep 0.8
  xwd -root -silent | convert xwd:- "$out/room-$theme-$size.png"
  xdotool key Escape; sleep 0.8
  if [ "$size" -ge 200 ]; then
    # Large text stacks the panes: Tab to the record (list row, then its first action) to show it.
    xdotool key Tab; sleep 0.3; xdotool key Tab; sleep 0.8
    xwd -root -silent | convert xwd:- "$out/check-in-$theme-$size-record.png"
  fi
  kill -TERM "$kiosk_pid"; wait "$kiosk_pid" || true; kiosk_pid=""
}
for theme in "${themes[@]}"; do
  for size in "${sizes[@]}"; do
    shoot "$theme" "$size" || shoot "$theme" "$size" || { echo "the kiosk died twice: $theme $size" >&2; exit 1; }
  done
done
echo "screenshots in $out"

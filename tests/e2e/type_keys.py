#!/usr/bin/env python3
"""Types a key script (tests/e2e/day/*.keys) into the real kiosk window with
xdotool, waits for the window title at each `title` line, and saves the
screenshots the script asks for. `focus` lines are checked by the headless
replay (tests/ui/day_script_test.cpp), not here: X has no view of the
kiosk's focus.

usage: type_keys.py SCRIPT ARTEFACT_DIR     (DISPLAY set, kiosk window open)
Exit 0 when every line ran; 1 with "FAILED at step: ..." otherwise.
"""
import os
import subprocess
import sys
import time

KEY_PAUSE = 0.35   # the kiosk takes one key change per frame, then settles
SCREEN_SETTLE = 0.6  # after a new screen or dialog: its first focus lands a few frames later
TITLE_WAIT = 15.0  # seconds a screen may take to appear on a loaded machine


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def window_id():
    ids = run("xdotool", "search", "--name", "TestSite Kiosk").split()
    if not ids:
        raise RuntimeError("no kiosk window")
    return ids[0]


def title(wid):
    return run("xdotool", "getwindowname", wid).strip()


def main():
    script, artefacts = sys.argv[1], sys.argv[2]
    os.makedirs(artefacts, exist_ok=True)
    wid = window_id()
    step = "(before the first step)"
    with open(script, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for number, raw in enumerate(lines, 1):
        if not raw or raw.startswith("#"):
            continue
        word, _, text = raw.partition(" ")
        where = f"{os.path.basename(script)}:{number}"
        try:
            if word == "step":
                step = text
                print(f"step: {step}", flush=True)
            elif word == "type":
                run("xdotool", "type", "--delay", "40", text)
                time.sleep(KEY_PAUSE)
            elif word == "key":
                name, _, times = text.partition(" x")
                for _ in range(int(times or "1")):
                    run("xdotool", "key", name)
                    time.sleep(KEY_PAUSE)
            elif word == "title":
                deadline = time.monotonic() + TITLE_WAIT
                seen = title(wid)
                while not seen.startswith(text) and time.monotonic() < deadline:
                    time.sleep(0.1)
                    seen = title(wid)
                if not seen.startswith(text):
                    shot(artefacts, f"failed-{os.path.basename(script)}-{number}")
                    print(f"FAILED at step: {step} ({where}): the window title is \"{seen}\", expected \"{text}…\"",
                          file=sys.stderr)
                    return 1
                time.sleep(SCREEN_SETTLE)
            elif word == "shot":
                time.sleep(0.3)  # let the last frame reach the screen
                shot(artefacts, text)
            elif word == "focus":
                pass
            else:
                print(f"FAILED at step: {step} ({where}): unknown instruction \"{word}\"", file=sys.stderr)
                return 1
        except (subprocess.CalledProcessError, RuntimeError) as e:
            print(f"FAILED at step: {step} ({where}): {e}", file=sys.stderr)
            return 1
    return 0


def shot(artefacts, name):
    png = os.path.join(artefacts, name + ".png")
    xwd = subprocess.run(["xwd", "-root", "-silent"], check=True, capture_output=True).stdout
    subprocess.run(["convert", "xwd:-", png], input=xwd, check=True)


if __name__ == "__main__":
    sys.exit(main())

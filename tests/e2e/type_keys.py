#!/usr/bin/env python3
"""Types a key script (tests/e2e/day/*.keys) into the real kiosk window with
xdotool; after each key it waits until the kiosk says (in $KIOSK_IDLE_FILE,
its --idle-file) that it took it and settled, never a fixed pause; waits for
the settled window title at each `title` line, and saves the screenshots the
script asks for. `focus` lines are checked by the headless
replay (tests/ui/day_script_test.cpp), not here: X has no view of the
kiosk's focus.

usage: type_keys.py SCRIPT ARTEFACT_DIR     (DISPLAY and KIOSK_IDLE_FILE set, kiosk window open)
Exit 0 when every line ran; 1 with "FAILED at step: ..." otherwise.
"""
import os
import subprocess
import sys
import time

WAIT = 30.0  # seconds the kiosk may take to take a key and settle on a loaded machine


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def idle_state():
    """What the kiosk wrote after its last settled frame (--idle-file): the
    keyboard events it has taken, the characters among them, its title."""
    fields = {}
    try:
        with open(os.environ["KIOSK_IDLE_FILE"], encoding="utf-8") as f:
            for line in f.read().splitlines():
                name, _, value = line.partition(" ")
                fields[name] = value
    except FileNotFoundError:
        pass
    return int(fields.get("taken", "0") or 0), int(fields.get("chars", "0") or 0), fields.get("title", "")


def send(*xdotool_args, chars=0):
    """Types `chars` characters or presses a key, then waits until the kiosk
    has taken all of it (every character; a key's press and release) and settled."""
    taken, typed, _ = idle_state()
    run("xdotool", *xdotool_args)
    deadline = time.monotonic() + WAIT
    while True:
        now_taken, now_typed, _ = idle_state()
        if (now_typed >= typed + chars) if chars else (now_taken >= taken + 2):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the kiosk did not take \"{' '.join(xdotool_args)}\" within {WAIT:.0f} s")
        time.sleep(0.05)


def main():
    script, artefacts = sys.argv[1], sys.argv[2]
    os.makedirs(artefacts, exist_ok=True)
    step = "(before the first step)"
    with open(script, encoding="utf-8") as f:
        lines = f.read().splitlines()
    keys = 0
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
                send("type", "--delay", "40", text, chars=len(text))
                keys += len(text)
            elif word == "key":
                name, _, times = text.partition(" x")
                for _ in range(int(times or "1")):
                    send("key", name)
                    keys += 1
            elif word == "title":
                deadline = time.monotonic() + WAIT
                seen = idle_state()[2]
                while not seen.startswith(text) and time.monotonic() < deadline:
                    time.sleep(0.05)
                    seen = idle_state()[2]
                if not seen.startswith(text):
                    shot(artefacts, f"failed-{os.path.basename(script)}-{number}")
                    print(f"FAILED at step: {step} ({where}): the window title is \"{seen}\", expected \"{text}…\"",
                          file=sys.stderr)
                    return 1
            elif word == "shot":
                shot(artefacts, text)  # the window has settled: its last frame is on the screen
            elif word == "focus":
                pass
            else:
                print(f"FAILED at step: {step} ({where}): unknown instruction \"{word}\"", file=sys.stderr)
                return 1
        except (subprocess.CalledProcessError, RuntimeError) as e:
            shot(artefacts, f"failed-{os.path.basename(script)}-{number}")
            print(f"FAILED at step: {step} ({where}): {e}", file=sys.stderr)
            return 1
    print(f"keys typed: {keys} ({os.path.basename(script)})", flush=True)
    return 0


def shot(artefacts, name):
    png = os.path.join(artefacts, name + ".png")
    xwd = subprocess.run(["xwd", "-root", "-silent"], check=True, capture_output=True).stdout
    subprocess.run(["convert", "xwd:-", png], input=xwd, check=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A keyboard layout that types the names on a roster: the X server's own
keymap (xkbcomp -xkb) with spare keys (launcher and F13+ keys nobody has)
bound to letters such as ł, ñ, ø, þ, ầ, lower case plain and upper case with
Shift. xdotool then finds every letter on a key of the layout, as a person's
keyboard has it, instead of binding a spare key for each character while
typing (which races the window: under load a letter was lost).

usage: extend_keymap.py < server.xkb > extended.xkb
"""
import re
import sys

LETTERS = [("lstroke", "Lstroke"), ("thorn", "THORN"), ("oacute", "Oacute"), ("oslash", "Oslash"),
           ("ccedilla", "Ccedilla"), ("egrave", "Egrave"), ("eacute", "Eacute"), ("ntilde", "Ntilde"),
           ("scedilla", "Scedilla"), ("ediaeresis", "Ediaeresis"), ("uacute", "Uacute"), ("aacute", "Aacute"),
           ("odiaeresis", "Odiaeresis"), ("U1EA7", "U1EA6"), ("ecaron", "Ecaron"), ("rcaron", "Rcaron")]
SPARE = ["FK13", "FK14", "FK15", "FK16", "FK17", "FK18", "FK20", "FK21", "FK22", "FK23",
         "I150", "I151", "I152", "I153", "I155", "I156"]


def main():
    text = sys.stdin.read()
    start = text.index("xkb_symbols")
    head, symbols = text[:start], text[start:]
    for key, (lower, upper) in zip(SPARE, LETTERS):
        line = f"    key <{key}> {{ [ {lower}, {upper} ] }};"
        symbols, n = re.subn(rf"^\s*key <{key}> \{{[^\n]*\}};$", line, symbols, count=1, flags=re.M)
        if n == 0:  # no such key in this layout yet: add it before the section ends
            end = symbols.index("\n};")
            symbols = symbols[:end] + "\n" + line + symbols[end:]
    sys.stdout.write(head + symbols)


if __name__ == "__main__":
    main()

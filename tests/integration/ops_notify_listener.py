#!/usr/bin/env python3
"""A stand-in for systemd's notification socket: binds SOCKET (AF_UNIX,
datagram) and appends every message it receives to LOG, one line per field,
until killed. Used by ops_serve_test.sh."""
import os
import socket
import sys

path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(log, "a", buffering=1) as out:
    out.write("LISTENING\n")
    while True:
        data = s.recv(4096).decode("utf-8", "replace")
        for field in data.split("\n"):
            out.write(field + "\n")

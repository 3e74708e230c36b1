#!/usr/bin/env python3
"""damage_index.py KIOSK_DB: damages an index so that only the full check sees it.

The index event_by_student keeps its entries (session, student, seq) but its
definition now claims (kind, seq): quick_check, run at every open, still
passes (it compares no index with its table); integrity_check does not. For
the tests of serve's and the window's scheduled full check.
"""
import sqlite3
import sys

path = sys.argv[1]
c = sqlite3.connect(path, isolation_level=None, timeout=10)
(version,) = c.execute("PRAGMA schema_version").fetchone()
c.execute("PRAGMA writable_schema = ON")
c.execute("BEGIN IMMEDIATE")
n = c.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX event_by_student ON event (kind, seq)'"
              " WHERE type = 'index' AND name = 'event_by_student'").rowcount
assert n == 1, n
c.execute(f"PRAGMA schema_version = {version + 1}")
c.execute("COMMIT")
c.execute("PRAGMA writable_schema = OFF")
c2 = sqlite3.connect(path, timeout=10)
assert c2.execute("PRAGMA quick_check").fetchone()[0] == "ok"
assert c2.execute("PRAGMA integrity_check").fetchone()[0] != "ok"

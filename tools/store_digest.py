#!/usr/bin/env python3
"""Digest of each table of a jvplab SQLite database, leaving out what differs from process to process
(UUIDs, clock times, timing samples): two builds that record the same rows print the same digests.

usage: tools/store_digest.py DATABASE
Run both builds with the same command line (runs.command_line is compared), e.g. each from its own
directory through a link named `jvplab`.
"""
import hashlib
import sqlite3
import sys

VOLATILE = {
    "runs": {"uuid", "started", "finished"},
    "timings": {"min_s", "median_s", "max_s", "samples"},
    "sweeps": {"uuid", "started", "finished"},
}


def main():
    connection = sqlite3.connect(sys.argv[1])
    tables = [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    for table in tables:
        columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")
                   if row[1] not in VOLATILE.get(table, set())]
        select = f"SELECT {', '.join(columns)} FROM {table}"
        try:
            rows = connection.execute(select + " ORDER BY rowid").fetchall()
        except sqlite3.OperationalError:  # a WITHOUT ROWID table
            rows = connection.execute(select + " ORDER BY 1").fetchall()
        digest = hashlib.sha256()
        for row in rows:
            digest.update(repr(row).encode())
        print(f"{table:16} {len(rows):7} {digest.hexdigest()[:16]}")


if __name__ == "__main__":
    main()

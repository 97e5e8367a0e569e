#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-migrate.sh - a state directory made by an older corund (schema
# version 1: no user_version, deps without any_ok, no groups or held
# table) opens
# with this one and keeps its jobs: the finished one is still there, the
# queued one and its dependant run, and the schema is brought up to date.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }

mkdir -p "$T/state"
python3 - "$T/state/jobs.db" <<'PY' || { echo "cannot make the old store"; exit 1; }
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA journal_mode=WAL")
# The schema of corund before version 2, as its store.c made it.
db.executescript("""
CREATE TABLE IF NOT EXISTS jobs ( id INTEGER PRIMARY KEY AUTOINCREMENT,
 state INTEGER NOT NULL DEFAULT 0, kind TEXT NOT NULL, payload BLOB,
 grp TEXT NOT NULL DEFAULT '', priority INTEGER NOT NULL DEFAULT 0,
 timeout REAL NOT NULL DEFAULT 0, retries INTEGER NOT NULL DEFAULT 0,
 ikey TEXT, blocked INTEGER NOT NULL DEFAULT 0,
 attempts INTEGER NOT NULL DEFAULT 0,
 submitted_ns INTEGER, start_ns INTEGER, end_ns INTEGER,
 status INTEGER, exit_code INTEGER, signal INTEGER,
 worker_pid INTEGER, message TEXT, out BLOB, err BLOB);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_key ON jobs(ikey) WHERE ikey IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_ready ON jobs(priority DESC, id)
 WHERE state = 0 AND blocked = 0;
CREATE INDEX IF NOT EXISTS jobs_running ON jobs(id) WHERE state = 1;
CREATE INDEX IF NOT EXISTS jobs_ended ON jobs(end_ns, id) WHERE state >= 2;
CREATE TABLE IF NOT EXISTS deps (job INTEGER NOT NULL, dep INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS deps_dep ON deps(dep);
CREATE TABLE IF NOT EXISTS paused (grp TEXT PRIMARY KEY);
""")
db.execute("INSERT INTO jobs(state, kind, payload, submitted_ns, start_ns,"
    " end_ns, status, exit_code, signal, out, err, message)"
    " VALUES (2, 'shell', ?, 1, 2, 3, 0, 0, 0, ?, ?, '')",
    (b"echo\0old\0", b"old\n", b""))
db.execute("INSERT INTO jobs(state, kind, payload, submitted_ns)"
    " VALUES (0, 'shell', ?, 4)", (b"echo\0queued\0",))
db.execute("INSERT INTO jobs(state, kind, payload, blocked, submitted_ns)"
    " VALUES (0, 'shell', ?, 1, 5)", (b"echo\0after\0",))
db.execute("INSERT INTO deps(job, dep) VALUES (3, 2)")
db.commit()
db.close()
PY

start_daemon --workers 1
eq "the old finished job is kept" old "$(cr result 1)"
cr wait 2 3 --timeout 30
eq "the old queued job and its dependant ran" 0 $?
eq "the queued job's output" queued "$(cr result 2)"
eq "the dependant's output" after "$(cr result 3)"
n=$(cr submit echo new)
eq "new ids follow the old ones" 4 "$n"
stop_daemon
eq "the schema is at version 6" 6 \
    "$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA user_version").fetchone()[0])' "$T/state/jobs.db")"
# Version 6 drops the index of running jobs by group (the group limits
# count them through jobs_running): one page less in each start and end.
eq "version 6: no jobs_grp_running index" 0 \
    "$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM sqlite_master WHERE name = ?", ("jobs_grp_running",)).fetchone()[0])' "$T/state/jobs.db")"
# Opened again: nothing to migrate, everything kept.
start_daemon --workers 1
eq "opened again: the new job is kept" new "$(cr result "$n")"
stop_daemon
finish

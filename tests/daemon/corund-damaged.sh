#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-damaged.sh - a damaged job store is noticed, not started empty.
# After a SIGKILL most jobs live in jobs.db-wal: bytes flipped in it, or
# the WAL cut in half, or a zero-length jobs.db, or a jobs.db whose pages
# are damaged.  Each time corund refuses to start, naming the file and
# the acknowledged ids that are missing, and keeps a copy of the damaged
# files; `corund --recover` starts with what could be read and reports
# what was lost.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
command -v dd >/dev/null 2>&1 || { echo "skip: no dd"; exit 77; }
command -v truncate >/dev/null 2>&1 || { echo "skip: no truncate"; exit 77; }

DB=$T/state/jobs.db
N=500

# fill: a new state directory, N acknowledged jobs in 5 requests (each
# its own commit), none of them run (paused); then SIGKILL, or SIGTERM
# with "clean".
fill() {
	stop_daemon
	rm -rf "$T/state"
	start_daemon --workers 1
	cr pause >/dev/null
	b=0
	while [ $b -lt 5 ]; do
		python3 -c 'for i in range(100): print("true")' >"$T/jobs"
		cr submit --jobs-file "$T/jobs" >>"$T/ids.$1"
		b=$((b + 1))
	done
	eq "$1: $N acknowledged" $N "$(wc -l <"$T/ids.$1" | tr -d ' ')"
	if [ "${2:-}" = clean ]; then
		stop_daemon
	else
		kill -9 "$DPID"
		wait "$DPID" 2>/dev/null
		DPID=
	fi
}

# refused WHAT: corund must not start; its message names jobs.db and WHAT.
refused() {
	timeout 30 "$CORUND" --foreground --state-dir "$T/state" \
	    --socket "$SOCK" >"$T/refused" 2>&1
	rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] && ok "$1: refused (rc $rc)" ||
	    fail "$1: started anyway (rc $rc)"
	msg=$(cat "$T/refused")
	contains "$1: names the file" "$DB" "$msg"
	contains "$1: says what" "$2" "$msg"
	contains "$1: says how to go on" "corund --recover" "$msg"
	n=$(ls "$T/state" | grep -c '^jobs\.db\.damaged-[0-9TZ-]*$')
	[ "$n" -ge 1 ] && ok "$1: the damaged files are kept aside" ||
	    fail "$1: no copy kept: $(ls "$T/state")"
	contains "$1: the message names the copy" "jobs.db.damaged-" "$msg"
}

# recovered: --recover starts, says what was lost, and ids go on.
recovered() {
	: >"$T/log"
	start_daemon --workers 1 --recover
	contains "$1: --recover reports" "--recover: " "$(cat "$T/log")"
	contains "$1: and the loss" "$2" "$(cat "$T/log")"
	have=$(cr status --json | python3 -c 'import json, sys
j = json.load(sys.stdin)
print(sum(j.get(k, 0) for k in ("queued", "running", "done", "failed")))')
	echo "$1: $have of $N jobs read; $(grep -o -- '--recover: lost: .*' \
	    "$T/log" | head -1)"
	id=$(cr submit true)
	[ "$id" -gt $N ] && ok "$1: a new job gets a new id ($id)" ||
	    fail "$1: a lost job's id handed out again: $id"
	cr resume >/dev/null
	timeout 60 "$CORUN" wait --all --timeout 50 >/dev/null
	eq "$1: what was read runs" 0 $?
	stop_daemon
	# The next start is an ordinary one.
	start_daemon --workers 1
	ok "$1: starts normally after --recover"
	stop_daemon
}

# 1. 100 bytes flipped in the WAL after a SIGKILL.
fill flip
[ -s "$DB-wal" ] && ok "flip: the jobs are in the WAL" || fail "flip: no WAL"
size=$(wc -c <"$DB-wal" | tr -d ' ')
python3 - "$DB-wal" $((size / 3)) <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2]))
    b = f.read(100)
    f.seek(int(sys.argv[2]))
    f.write(bytes(x ^ 0x5a for x in b))
PY
refused flip "acknowledged job(s) (ids "
recovered flip "lost: "

# 2. The WAL cut in half.
fill half
size=$(wc -c <"$DB-wal" | tr -d ' ')
truncate -s $((size / 2)) "$DB-wal"
refused half "acknowledged job(s) (ids "
recovered half "lost: "

# 3. A zero-length jobs.db (after a clean stop: no WAL left).
fill empty clean
truncate -s 0 "$DB"
refused empty "500 acknowledged job(s) (ids 1-500) are missing"
recovered empty "lost: 500 acknowledged job(s), ids 1-500"

# 4. Two pages of job rows in the middle of jobs.db damaged (after a
# clean stop): quick_check finds it; --recover reads the rows it still
# can.  The pages are table leaves holding rows (type 0x0d, 2 cells or
# more), found by their headers, so where the schema puts its other
# pages does not matter.
fill pages clean
python3 - "$DB" <<'PY'
import sys
import os
n = os.path.getsize(sys.argv[1]) // 4096
with open(sys.argv[1], "r+b") as f:
    leaves = []
    for page in range(1, n):
        f.seek(page * 4096)
        h = f.read(5)
        if h[0] == 0x0d and int.from_bytes(h[3:5], "big") >= 2:
            leaves.append(page)
    mid = len(leaves) // 2
    for page in leaves[mid:mid + 2]:
        f.seek(page * 4096)
        f.write(b"\xa5" * 100)
PY
refused pages "damaged ("
recovered pages "id(s) not read"
contains "pages: rebuilt from what was read" "job(s) read from the damaged file" \
    "$(cat "$T/log")"
finish

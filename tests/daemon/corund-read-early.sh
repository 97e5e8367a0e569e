#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-read-early.sh - requests that only read what is committed
# (status, status ID, result, list, group, ping) are answered without a
# write transaction: while another process holds the job store's write
# lock they still get their answer, where a submit gets the store's
# error after its busy wait; nothing accepted before is lost, and once
# the lock is gone the submit goes through.  Both over ipc:// (corund's
# own listener, corun's client) and raw nng REQ (nngcat).
. "${srcdir:-.}/tests/daemon/corund-lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
python3 -c 'import sqlite3' 2>/dev/null || { echo "skip: no python3 sqlite3"; exit 77; }

LPID=
stop_locker() {
	if [ -n "$LPID" ]; then
		kill "$LPID" 2>/dev/null
		wait "$LPID" 2>/dev/null
		LPID=
	fi
}
trap 'stop_locker; cleanup' EXIT

start_daemon --workers 1
id=$(cr submit -- sh -c 'echo early-read')
timeout 30 "$CORUN" wait "$id" --timeout 20 >/dev/null
eq "a job ran before the lock" 1 "$(count done)"

# Another process takes the store's write lock and holds it (bounded:
# it lets go by itself after 60 s if this script dies).
python3 - "$T/state/jobs.db" "$T/locked" <<'PY' &
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
con.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(60)
PY
LPID=$!
i=0
while [ ! -e "$T/locked" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$T/locked" ] || { fail "the locker did not take the lock"; finish; }

out=$(cr status 2>&1); rc=$?
eq "status answers while the store is write-locked" 0 $rc
contains "with the counts" "done 1" "$out"
out=$(cr status "$id" 2>&1)
contains "status ID answers" "$id done" "$out"
out=$(cr result "$id" 2>&1)
contains "result answers, with the output" "early-read" "$out"
out=$(cr list 2>&1)
contains "list answers" "early-read" "$out"
eq "group answers" 0 "$(cr group >/dev/null 2>&1; echo $?)"
if command -v nngcat >/dev/null 2>&1; then
	contains "a raw nng REQ status answers" '"ok":true' \
	    "$(ctl '{"op":"status"}')"
	contains "bad JSON gets its error" '"bad_json"' "$(ctl '{"op":')"
fi

# A write waits for the lock (2 s), then gets the store's error.
out=$(cr submit true 2>&1); rc=$?
[ $rc -ne 0 ] && ok "submit fails while locked (rc $rc)" ||
    fail "submit succeeded under another writer's lock"
contains "it names the store" "store" "$out"

stop_locker
out=$(cr status 2>&1)
contains "after the lock: the earlier job is still there" "done 1" "$out"
id2=$(cr submit true 2>&1)
timeout 30 "$CORUN" wait "$id2" --timeout 20 >/dev/null
eq "and a submit goes through" 2 "$(count done)"
contains "corund kept serving" '"ok":true' "$(ctl '{"op":"ping"}')"
stop_daemon
finish

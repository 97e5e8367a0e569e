#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-list.sh - a real corund: corun list (ls) shows the jobs as a
# table or JSON, filtered by state and group, the newest N with --last;
# the list operation pages its reply (nngcat: limit, after, next), so
# 1200 jobs come in pages; all of it the same after a kill -9.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"

start_daemon --workers 2

d1=$(cr submit echo hello)
f1=$(cr submit --group build sh -c 'exit 3')
cr wait "$d1" "$f1" --timeout 20 2>/dev/null
cr pause hold	# a paused group stays paused across restarts
q1=$(cr submit --group hold --priority 7 echo queued one)

out=$(cr list)
contains "list: a header" "ID      STATE     GROUP" "$out"
contains "list: the done job" "$d1       done      default       0    0" "$out"
contains "list: the failed job with its exit and group" \
    "$f1       failed    build         0    3" "$out"
contains "list: the queued job with its priority" \
    "$q1       queued    hold          7    -" "$out"
contains "list: the command" "echo queued one" "$out"
eq "ls is list" "$out" "$(cr ls)"
eq "--state failed" 1 "$(cr list --state failed | grep -c '^[0-9]')"
eq "--state done,queued" 2 "$(cr list --state done,queued | grep -c '^[0-9]')"
eq "--group build" "$f1" "$(cr list --group build | awk 'NR == 2 {print $1}')"
eq "--last 1 is the newest" "$q1" "$(cr list --last 1 | awk 'NR == 2 {print $1}')"
eq "--last 2, oldest first" "$f1 $q1" \
    "$(cr list --last 2 | awk 'NR > 1 {print $1}' | tr '\n' ' ' | sed 's/ $//')"
l=$(COLUMNS=40 cr list | awk 'length($0) > 40' | wc -l)
eq "cut to the width (COLUMNS=40)" 0 "$l"
j=$(cr list --json)
contains "--json: an array of jobs" '"state":"failed"' "$j"
contains "--json: the command's words" '"cmd":["sh","-c","exit 3"]' "$j"
if command -v python3 >/dev/null 2>&1; then
	eq "--json parses, 3 jobs" 3 "$(echo "$j" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
fi
cr list --state sleeping >/dev/null 2>"$T/err"
eq "an unknown state is refused" 1 $?
contains "and named" "state[0] is not one of" "$(cat "$T/err")"
cr list --last x >/dev/null 2>&1
eq "--last must be a count" 255 $?

# 1200 more queued: the client pages through them all (pages of 500).
i=0
while [ $i -lt 1200 ]; do echo '{"kind":"noop"}'; i=$((i + 1)); done >"$T/jobs"
cr submit --group hold --jobs-file "$T/jobs" >/dev/null
eq "1201 queued listed across pages" 1201 \
    "$(cr list --state queued | grep -c '^[0-9]')"
eq "--last 600 across pages" 600 "$(cr list --last 600 | grep -c '^[0-9]')"

# The operation itself, as nngcat sends it.
r=$(ctl '{"op":"list","limit":2}')
contains "nngcat list: a page of 2" "\"next\":$f1" "$r"
r=$(ctl "{\"op\":\"list\",\"limit\":2,\"after\":$f1}")
contains "nngcat list: from the cursor" "\"id\":$q1," "$r"
r=$(ctl '{"op":"list","state":"failed"}')
contains "nngcat list: the last page has no next" '"next":null' "$r"
r=$(ctl '{"op":"list","limit":2,"newest_first":true}')
contains "nngcat list: newest first" '"jobs":[{"id":1203,' "$r"
contains "nngcat list: limit is checked" '"code":"bad_request"' \
    "$(ctl '{"op":"list","limit":0}')"
contains "nngcat list: unknown fields are refused" 'not a field of list' \
    "$(ctl '{"op":"list","sort":"id"}')"
contains "still serving after bad requests" '"ok":true' \
    "$(ctl '{"op":"list","limit":1}')"

# kill -9 and a restart: the same list.
before=$(cr list --state done,failed)
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
DPID=
start_daemon --workers 2
eq "after kill -9: the same finished jobs" "$before" \
    "$(cr list --state done,failed)"
eq "after kill -9: the queued ones" 1201 \
    "$(cr list --state queued | grep -c '^[0-9]')"
stop_daemon
finish

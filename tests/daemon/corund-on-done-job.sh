#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-on-done-job.sh - a real corund: submit --on-done CMD runs CMD
# when that job ends (with CORUN_JOB_ID, CORUN_JOB_STATE, CORUN_JOB_EXIT),
# and for no other job; kept across a kill -9 of corund; a bad on_done
# is refused by corund (nngcat).
. "${srcdir:-.}/tests/daemon/corund-lib.sh"

start_daemon --workers 2

# wait_lines FILE N: until FILE has N lines (at most 20 s).
wait_lines() {
	i=0
	while [ $i -lt 200 ] && [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ]; do
		sleep 0.1; i=$((i + 1))
	done
}
tell="echo \"\$CORUN_JOB_ID \$CORUN_JOB_STATE \$CORUN_JOB_EXIT\" >>$T/told"

a=$(cr submit --on-done "$tell" sh -c 'exit 4')
b=$(cr submit true)
cr wait "$a" "$b" --timeout 20 >/dev/null 2>&1
wait_lines "$T/told" 1
sleep 0.3
eq "the job's own on-done ran, once, for it only" "$a failed 4" \
    "$(cat "$T/told" 2>/dev/null)"

# Across a kill -9: the command is in the store with the job.
k=$(cr submit --delay 2 --on-done "$tell" true)
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
DPID=
start_daemon --workers 2
cr wait "$k" --timeout 20 >/dev/null 2>&1
wait_lines "$T/told" 2
eq "after kill -9 it runs when the job ends" "$k done 0" \
    "$(sed -n 2p "$T/told" 2>/dev/null)"

contains "nngcat: an empty on_done" '"code":"bad_request"' \
    "$(ctl '{"op":"submit","cmd":["true"],"on_done":""}')"
contains "nngcat: on_done not a string" '"code":"bad_request"' \
    "$(ctl '{"op":"submit","cmd":["true"],"on_done":5}')"
r=$(ctl "{\"op\":\"submit\",\"jobs\":[{\"cmd\":[\"true\"],\"on_done\":\"echo batch \$CORUN_JOB_ID >>$T/batch\"}]}")
contains "nngcat: a batch job's on_done" '"ids":[' "$r"
i=0
while [ $i -lt 200 ] && [ ! -s "$T/batch" ]; do sleep 0.1; i=$((i + 1)); done
contains "it ran" "batch" "$(cat "$T/batch" 2>/dev/null)"
stop_daemon
finish

#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-queue.sh - a real corund: fixing the queue after the fact.
# cancel --group G and --all (queued and running jobs), restart ID (a
# finished job runs again as a new job, kept across a kill -9), clean
# [--state] (finished jobs and their output forgotten, the rest kept);
# the same operations sent by nngcat.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"

start_daemon --workers 2

cr pause h
cr pause o
h1=$(cr submit --group h true)
h2=$(cr submit --group h true)
o1=$(cr submit --group o true)
eq "cancel --group h" "2 job(s) cancelled" "$(cr cancel --group h)"
contains "h's job cancelled" '"state": "cancelled"' "$(cr status "$h2" --json)"
contains "o's job still queued" '"state": "queued"' "$(cr status "$o1" --json)"
s=$(cr submit sleep 5)
i=0
while [ $i -lt 50 ] && ! cr status "$s" --json | grep -q '"running"'; do
	sleep 0.1; i=$((i + 1))
done
eq "cancel --all: the queued and the running one" "2 job(s) cancelled" \
    "$(cr cancel --all)"
cr wait "$s" --timeout 10 2>/dev/null
contains "the running job was cancelled" '"state": "cancelled"' \
    "$(cr status "$s" --json)"
contains "and the queued one" '"state": "cancelled"' "$(cr status "$o1" --json)"
cr cancel --group 2>/dev/null
eq "cancel --group needs a name" 255 $?

# restart: a new job with the same command, group and priority.
f=$(cr submit --priority 3 sh -c 'echo again; exit 2')
cr wait "$f" --timeout 10 2>/dev/null
r=$(cr restart "$f")
[ -n "$r" ] && [ "$r" != "$f" ] && ok "restart gives a new id ($r)" ||
    fail "restart printed [$r]"
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
DPID=
start_daemon --workers 2
cr wait "$r" --timeout 10 2>/dev/null
eq "after kill -9: the restarted job ran, with its exit" 2 \
    "$(cr result "$r" >/dev/null 2>&1; echo $?)"
eq "the restarted job's output" again "$(cr result "$r" 2>/dev/null)"
contains "with its priority" '"priority": 3' "$(cr status "$r" --json)"
q=$(cr submit --group h true)
cr restart "$q" 2>"$T/err"
eq "restart of a job not ended is refused" 1 $?
contains "and says why" "has not ended" "$(cat "$T/err")"
cr restart 999999 2>/dev/null
eq "restart of an unknown job is refused" 1 $?

# clean: failed ones first, then every finished job.
failed=$(cr list --state failed | grep -c '^[0-9]')
eq "clean --state failed" "$failed job(s) forgotten" "$(cr clean --state failed)"
eq "no failed job listed" 0 "$(cr list --state failed | grep -c '^[0-9]')"
cr result "$f" >/dev/null 2>&1
eq "a cleaned job is gone" 1 $?
cr clean >/dev/null
eq "clean: no finished job left" 0 \
    "$(cr list --state done,failed,cancelled | grep -c '^[0-9]')"
eq "clean keeps the queued job" "$q" "$(cr list | awk 'NR == 2 {print $1}')"
cr clean --state queued 2>"$T/err"
eq "clean of queued jobs is refused" 1 $?

# stash holds a queued job back (across a kill -9); enqueue lets it go.
# It is queued in a paused group first, so that it cannot start before
# the stash; then the group is resumed.
cr pause hs
st=$(cr submit --group hs sh -c "echo ran >$T/stashed-ran")
cr stash "$st"
eq "stash of a queued job" 0 $?
cr resume hs
sleep 0.5
eq "a stashed job does not run" queued \
    "$(cr status "$st" --json | sed -n 's/.*"state": "\(.*\)".*/\1/p')"
contains "list says stashed" "stashed" "$(cr list | grep "^$st ")"
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
DPID=
start_daemon --workers 2
sleep 0.5
[ -e "$T/stashed-ran" ] && fail "after kill -9 the stashed job ran" ||
    ok "after kill -9 the stashed job is still held"
cr enqueue "$st"
cr wait "$st" --timeout 20
eq "enqueue: it runs" 0 $?
cr stash "$st" 2>"$T/err"
eq "stash of a finished job is refused" 1 $?
contains "and says why" "is not queued" "$(cat "$T/err")"
cr stash 999999 2>/dev/null
eq "stash of an unknown job is refused" 1 $?

# nngcat.
d=$(cr submit --wait echo x >/dev/null; cr list --state done | awk 'NR == 2 {print $1}')
contains "nngcat restart" '"ids":[' "$(ctl "{\"op\":\"restart\",\"id\":$d}")"
contains "nngcat cancel all" '"cancelled":[' "$(ctl '{"op":"cancel","all":true}')"
contains "nngcat cancel: one target only" '"code":"bad_request"' \
    "$(ctl '{"op":"cancel","all":true,"group":"h"}')"
contains "nngcat clean" '"deleted":' "$(ctl '{"op":"clean","state":["cancelled"]}')"
contains "nngcat clean: states checked" '"code":"bad_request"' \
    "$(ctl '{"op":"clean","state":["running"]}')"
stop_daemon
finish

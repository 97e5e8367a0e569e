#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-delay.sh - a real corund: submit --delay SECS and --at TIME keep
# a job from starting before its time (others go on meanwhile), across a
# kill -9 and restart of corund; bad times are refused by the client
# (255) and by corund (nngcat).
. "${srcdir:-.}/tests/daemon/corund-lib.sh"

start_daemon --workers 2

# wait_done ID: until the job has ended (at most 20 s).
wait_done() { cr wait "$1" --timeout 20 >/dev/null 2>&1; }
state() { cr status "$1" --json | sed -n 's/^  "state": "\(.*\)",*$/\1/p'; }

d=$(cr submit --delay 2 touch "$T/ran")
n=$(cr submit touch "$T/now")
wait_done "$n"
eq "a job without a delay runs meanwhile" done "$(state "$n")"
sleep 0.5
eq "the delayed job waits" queued "$(state "$d")"
[ -e "$T/ran" ] && fail "the delayed job ran early" ||
    ok "it has not run"
wait_done "$d"
eq "then it runs" done "$(state "$d")"

# --at @SECONDS, and a time that has passed.
at=$(($(date +%s) + 2))
a=$(cr submit --at "@$at" touch "$T/at")
p=$(cr submit --at "@1000" touch "$T/past")
wait_done "$p"
eq "--at a past time runs at once" done "$(state "$p")"
eq "--at a time to come waits" queued "$(state "$a")"
wait_done "$a"
eq "then runs" done "$(state "$a")"
[ "$(date +%s)" -ge "$at" ] && ok "not before its time" ||
    fail "it ran before $at"

# Across a kill -9: the time is in the store.
k=$(cr submit --delay 3 touch "$T/k")
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
DPID=
start_daemon --workers 2
sleep 0.5
eq "after kill -9 the delayed job still waits" queued "$(state "$k")"
[ -e "$T/k" ] && fail "after kill -9 it ran early"
wait_done "$k"
eq "and runs at its time" done "$(state "$k")"

# A batch with a time per job, by nngcat.
later=$(($(date +%s) + 30))
r=$(ctl "{\"op\":\"submit\",\"jobs\":[{\"cmd\":[\"true\"],\"not_before\":$later},{\"cmd\":[\"true\"]}]}")
contains "nngcat: a batch with not_before" '"ids":[' "$r"
b1=$(printf '%s' "$r" | sed 's/.*"ids":\[\([0-9]*\),\([0-9]*\)\].*/\1/')
b2=$(printf '%s' "$r" | sed 's/.*"ids":\[\([0-9]*\),\([0-9]*\)\].*/\2/')
wait_done "$b2"
eq "its job without a time ran" done "$(state "$b2")"
eq "its job with one waits" queued "$(state "$b1")"
cr cancel "$b1" >/dev/null
eq "a delayed job can be cancelled" cancelled "$(state "$b1")"

contains "nngcat: not_before not a number" '"code":"bad_request"' \
    "$(ctl '{"op":"submit","cmd":["true"],"not_before":"soon"}')"
contains "nngcat: not_before negative" '"code":"bad_request"' \
    "$(ctl '{"op":"submit","cmd":["true"],"not_before":-1}')"
for bad in "--delay -1" "--delay x" "--at 25:99" "--at tomorrow" "--at @"; do
	# shellcheck disable=SC2086
	cr submit $bad true 2>/dev/null
	eq "submit $bad: exit 255" 255 $?
done
contains "corund still answers" '"ok":true' "$(ctl '{"op":"ping"}')"

stop_daemon
finish

#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-groups.sh - a real corund: corun group add/set/rm and the list;
# a group never runs more than its --parallel N jobs at once (each job
# records how many of its group run beside it), a higher limit lets more
# start; pause and resume as before; all of it across a kill -9.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"

start_daemon --workers 4

cr group add two --parallel 2
eq "group add" 0 $?
cr group add two --parallel 3 2>"$T/err"
eq "adding it again is refused" 1 $?
contains "and says so" 'group "two" exists' "$(cat "$T/err")"
cr group set nosuch --parallel 1 2>"$T/err"
eq "set of an unknown group is refused" 1 $?
cr group set two 2>/dev/null
eq "set needs --parallel" 255 $?
cr group add bad --parallel x 2>/dev/null
eq "--parallel must be a count" 255 $?

# 6 jobs of 0.4 s in group two: at most 2 at once.  Each job counts the
# running ones (a file per running job) when it starts and before it ends.
mkdir "$T/run-two"
job='touch "$0/$$"; ls "$0" | wc -l >>"$0.seen"; sleep 0.4; ls "$0" | wc -l >>"$0.seen"; rm "$0/$$"'
ids=
for i in 1 2 3 4 5 6; do
	ids="$ids $(cr submit --group two sh -c "$job" "$T/run-two")"
done
# shellcheck disable=SC2086
cr wait $ids --timeout 30
eq "the group's jobs all ran" 0 $?
eq "never more than 2 at once" 2 "$(sort -n "$T/run-two.seen" | tail -1)"

# Its counts in the list.
out=$(cr group)
contains "group lists it with its limit and counts" \
    "two                     2     no        0        0        6" "$out"
contains "group --json" '"parallel": 2' "$(cr group --json)"

# A higher limit: 3 at once.
cr group set two --parallel 3
mkdir "$T/run-three"
ids=
for i in 1 2 3 4 5 6; do
	ids="$ids $(cr submit --group two sh -c "$job" "$T/run-three")"
done
# shellcheck disable=SC2086
cr wait $ids --timeout 30
eq "after set --parallel 3: at most 3" 3 "$(sort -n "$T/run-three.seen" | tail -1)"

# Pause and resume a limited group as before.
cr pause two
p=$(cr submit --group two true)
sleep 0.3
contains "a paused group's job stays queued" '"state": "queued"' \
    "$(cr status "$p" --json)"
contains "the list says paused" "yes" "$(cr group | grep '^two')"

# kill -9: the limit and the pause are in the store.
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
DPID=
start_daemon --workers 4
contains "after kill -9: the limit is kept" '"parallel": 3' "$(cr group --json)"
contains "after kill -9: still paused" '"state": "queued"' \
    "$(cr status "$p" --json)"
cr resume two
cr wait "$p" --timeout 20
eq "resumed: its job runs" 0 $?

# rm: refused while it holds queued jobs, then done.
cr pause two
q=$(cr submit --group two true)
cr group rm two 2>"$T/err"
eq "rm of a group with a queued job is refused" 1 $?
contains "and says why" "queued or running" "$(cat "$T/err")"
cr cancel "$q"
cr group rm two
eq "rm of an idle group" 0 $?
contains "the group's limit is gone" '"added": false' "$(cr group --json)"
cr group rm nosuch 2>/dev/null
eq "rm of an unknown group is refused" 1 $?

# The operations as nngcat sends them.
contains "nngcat group_add" '"ok":true' \
    "$(ctl '{"op":"group_add","name":"n","parallel":1}')"
contains "nngcat group_list" '"name":"n"' "$(ctl '{"op":"group_list"}')"
contains "nngcat: parallel is checked" '"code":"bad_request"' \
    "$(ctl '{"op":"group_set","name":"n","parallel":-1}')"
contains "nngcat: unknown fields refused" '"code":"bad_request"' \
    "$(ctl '{"op":"group_rm","name":"n","force":true}')"
contains "nngcat group_rm" '"ok":true' "$(ctl '{"op":"group_rm","name":"n"}')"
stop_daemon
finish

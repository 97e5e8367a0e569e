#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-deps.sh - a real corund: a job --after others runs only when
# they all succeeded, and fails with "dependency N failed" (and its own
# dependants after it) when one fails or is cancelled; --after-any waits
# for the end whatever it was; unknown ids are refused; all of it holds
# across a kill -9 and a restart.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"

start_daemon --workers 2

a=$(cr submit sh -c 'sleep 0.3; exit 3')
b=$(cr submit --after "$a" sh -c "echo ran >$T/b-ran")
c=$(cr submit --after "$b" true)
d=$(cr submit --after-any "$a" sh -c 'echo any')
ok_=$(cr submit true)
e=$(cr submit --after "$ok_" --after-any "$a" sh -c 'echo both')
cr wait "$a" "$b" "$c" "$d" "$e" --timeout 30 2>/dev/null
contains "after a failed job: failed" '"state": "failed"' \
    "$(cr status "$b" --json)"
[ -e "$T/b-ran" ] && fail "the dependant of a failed job ran" ||
    ok "the dependant of a failed job did not run"
contains "its error names the dependency" "dependency $a failed" \
    "$(cr result "$b" 2>&1)"
contains "the dependant's dependant fails after it" \
    "dependency $b failed" "$(cr result "$c" 2>&1)"
eq "--after-any runs after a failure" any "$(cr result "$d")"
eq "--after and --after-any together" both "$(cr result "$e")"

# Submitted after a job that already failed: it fails at once.
f=$(cr submit --after "$a" true)
cr wait "$f" --timeout 10 2>/dev/null
contains "after an already failed job: failed" "dependency $a failed" \
    "$(cr result "$f" 2>&1)"

# A cancelled dependency fails its dependants too.
cr pause
g=$(cr submit true)
h=$(cr submit --after "$g" true)
cr cancel "$g"
cr wait "$h" --timeout 10 2>/dev/null
contains "after a cancelled job: failed" "dependency $g failed" \
    "$(cr result "$h" 2>&1)"
cr resume

# Unknown ids are refused at submit (a new job can only name older
# ones, so no cycle can be made).
out=$(cr submit --after 999999 true 2>&1)
eq "--after an unknown id is refused" 1 $?
contains "and says so" "does not exist" "$out"
out=$(cr submit --after-any 999998 true 2>&1)
eq "--after-any an unknown id is refused" 1 $?
r=$(ctl '{"op":"submit","cmd":["true"],"after_any":[0]}')
contains "after_any must hold job ids" 'after_any[0] is not a job id' "$r"

# kill -9 with the chain queued: the state is in the store.
cr pause
x=$(cr submit sh -c 'exit 1')
y=$(cr submit --after "$x" sh -c "echo ran >$T/y-ran")
z=$(cr submit --after-any "$x" sh -c 'echo z')
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
DPID=
start_daemon --workers 2
cr resume
cr wait "$x" "$y" "$z" --timeout 30 2>/dev/null
contains "after a restart: the dependant fails" "dependency $x failed" \
    "$(cr result "$y" 2>&1)"
[ -e "$T/y-ran" ] && fail "after a restart the dependant ran" ||
    ok "after a restart the dependant did not run"
eq "after a restart: --after-any runs" z "$(cr result "$z")"
stop_daemon
finish

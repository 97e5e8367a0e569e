#!/bin/sh
# SPDX-License-Identifier: MIT
# corun-top.sh - corun top against a real corund --http, in a real
# terminal (tmux): the screen (read with capture-pane) shows corund's
# workers, counts, groups and failures, is redrawn in place as jobs end,
# says so when corund goes away, and q quits with status 0.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"
. "${srcdir:-.}/tests/web/web-lib.sh"
command -v tmux >/dev/null 2>&1 || { echo "skip: no tmux"; exit 77; }

TSOCK=$T/tmux.sock
TPID=
tm() { timeout 10 tmux -S "$TSOCK" "$@"; }
stop_tmux() {
	[ -n "$TPID" ] && kill "$TPID" 2>/dev/null
	TPID=
}
trap 'stop_tmux; cleanup' EXIT
screen() { tm capture-pane -p -t top 2>/dev/null; }
# wait_screen TEXT: until the screen shows TEXT (at most 15 s).
wait_screen() {
	i=0
	while [ $i -lt 150 ]; do
		case $(screen) in *"$1"*) return 0 ;; esac
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

PORT=$(free_port)
start_daemon --workers 2 --http 127.0.0.1:$PORT
for i in 1 2 3; do cr submit true >/dev/null; done
f=$(cr submit sh -c 'exit 3')
b=$(cr submit --group batch sleep 30)
cr wait 1 2 3 "$f" >/dev/null 2>&1
i=0
while [ $i -lt 100 ] && [ "$(count running)" != 1 ]; do sleep 0.1; i=$((i + 1)); done

tm new-session -d -s top -x 120 -y 30 \
    "$CORUN top 127.0.0.1:$PORT --interval 0.3; echo TOP-EXIT=\$?; sleep 60"
TPID=$(tm display-message -p -t top '#{pid}')
wait_screen "done 3  failed 1"
eq "the screen shows the counts" 0 $?
s=$(screen)
for p in $(cr status --json | tr -d ' \n' |
    sed 's/.*"pids":\[\([0-9,]*\)\].*/\1/' | tr ',' ' '); do
	contains "worker $p is listed" "$p " "$s"
done
contains "two workers alive" "workers 2/2" "$s"
contains "the running group" "$(printf '%-20s %8d %8d' batch 0 1)" "$s"
contains "the failure and its reason" "job $f" "$s"
contains "... exit 3" "exit 3" "$s"
eq "redrawn in place: the title is the first line" "corun top - corund" \
    "$(screen | head -1 | cut -c1-18)"

# A job ends: the same screen shows it, not a new one below.
cr submit true >/dev/null
cr wait 6 >/dev/null 2>&1
wait_screen "done 4  failed 1"
eq "the screen follows the jobs" 0 $?
eq "still one title line" 1 "$(screen | grep -c 'corun top - ')"

# corund goes away: said on the screen; top keeps trying.
cr cancel "$b" >/dev/null
stop_daemon
wait_screen "Connection refused"
eq "an unreachable corund is said" 0 $?

tm send-keys -t top q
wait_screen "TOP-EXIT=0"
eq "q quits with status 0" 0 $?
stop_tmux
finish

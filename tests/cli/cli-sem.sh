#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-sem.sh - `corun sem` (corun run --semaphore), a counting semaphore
# shared by separate invocations, beside GNU parallel's sem on the same
# cases where it is installed: -j N lets N commands run at once and no
# more, the default is a mutex, --wait waits for them all, separate --id
# names do not share slots, --fg gives the command's exit status.  Then
# corun's own promise: a slot is freed when its holder is killed.
. "${srcdir:-.}/tests/cli/cli-lib.sh"
cd "$T" || exit 1

# most NAME TOOL... : the highest number of jobs running at once in log
most() {
	awk '/^\+/ { n++; if (n > m) m = n } /^-/ { n-- } END { print m + 0 }' \
	    "$1"
}

# cases TOOLNAME COMMAND...: the shared cases for one sem
cases() {
	name=$1
	shift
	mkdir -p "$T/home-$name/.parallel"
	: >"$T/home-$name/.parallel/will-cite"
	export HOME="$T/home-$name"
	id=cr-test-$$
	: >log
	# (long enough for perl's start-up in parallel's sem to overlap)
	for i in 1 2 3; do
		timeout 60 "$@" --id "$id" -j2 \
		    "echo +$i >>log; sleep 1; echo -$i >>log"
	done
	timeout 60 "$@" --id "$id" --wait
	eq "$name: -j2, --wait: all 3 done" 6 "$(wc -l <log)"
	eq "$name: -j2: at most 2 at once" 2 "$(most log)"

	: >log
	for i in 1 2 3; do
		timeout 60 "$@" --id "$id-m" "echo +$i >>log; sleep 0.2; echo -$i >>log"
	done
	timeout 60 "$@" --id "$id-m" --wait
	eq "$name: default is a mutex" "6 1" "$(wc -l <log) $(most log)"

	: >log
	timeout 60 "$@" --id "$id-a" "echo +a >>log; sleep 1.5; echo -a >>log"
	timeout 60 "$@" --id "$id-b" "echo +b >>log; sleep 1.5; echo -b >>log"
	timeout 60 "$@" --id "$id-a" --wait
	timeout 60 "$@" --id "$id-b" --wait
	eq "$name: two names share no slot" 2 "$(most log)"

	timeout 60 "$@" --id "$id" --fg 'exit 3'
	eq "$name: --fg: the command's exit status" 3 $?
	eq "$name: --fg: its output" hello "$(timeout 60 "$@" --id "$id" --fg \
	    echo hello)"
}

if command -v sem >/dev/null 2>&1 && sem --version 2>/dev/null |
    grep -q 'GNU parallel'; then
	cases parallel sem
else
	echo "note: GNU parallel's sem is not installed: corun alone"
fi
cases corun "$CORUN" sem
cases corun-run "$CORUN" run --semaphore

# A holder killed with SIGKILL frees its slot at once (corun itself holds
# the lock while its command runs; the command here records its pid).
export HOME="$T/home-corun"
"$CORUN" sem --id kill-$$ --fg 'echo $$ >sleeper.pid; exec sleep 30' &
holder=$!
CR_BG_PIDS=$holder
i=0
while [ ! -s sleeper.pid ] && [ "$i" -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
CR_BG_PIDS="$holder $(cat sleeper.pid)"
kill -9 "$holder"
wait "$holder" 2>/dev/null
start=$(date +%s)
timeout 20 "$CORUN" sem --id kill-$$ --fg true
eq "killed holder: its slot is free" "0 fast" \
    "$? $([ $(($(date +%s) - start)) -le 5 ] && echo fast || echo slow)"
kill "$(cat sleeper.pid)" 2>/dev/null
CR_BG_PIDS=
finish

#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-pace.sh - pacing the starts of jobs, beside GNU parallel where it
# is installed: --delay keeps that long between two starts (4 jobs at
# -j4 with --delay 0.3 take at least 0.9 s), --nice gives the jobs that
# niceness, --memfree above the memory there is starts nothing, --load
# far above the load starts every job (and --load FILE.so and --plugin
# load a job kind plugin); --limit holds starts, and bad --limit, --load
# and --timeout N% values are refused.
. "${srcdir:-.}/tests/cli/cli-lib.sh"
cd "$T" || exit 1
mkdir -p home/.parallel
: >home/.parallel/will-cite
export HOME="$T/home"

ms() { date +%s%3N; }

# pace NAME TOOL...: the cases for one tool
pace() {
	name=$1
	shift
	t0=$(ms)
	out=$(timeout 60 "$@" -k --delay 0.3 -j4 'echo {}' ::: 1 2 3 4)
	t1=$(ms)
	eq "$name: --delay: output" "1 2 3 4" "$(echo $out)"
	[ $((t1 - t0)) -ge 900 ] && ok "$name: --delay 0.3: 4 starts >= 0.9 s" ||
	    fail "$name: --delay 0.3: 4 jobs in $((t1 - t0)) ms"
	eq "$name: --nice 5: the job's niceness" 5 "$(timeout 60 "$@" --nice 5 \
	    'cut -d" " -f19 /proc/self/stat; : {}' ::: 1)"
	timeout 2 "$@" --memfree 1000000G 'echo ran {}' ::: 1 >mf.out
	eq "$name: --memfree above the memory: nothing starts" "124 " \
	    "$? $(cat mf.out)"
	eq "$name: --load 1000: every job runs" "a b c" \
	    "$(echo $(timeout 60 "$@" -k --load 1000 echo ::: a b c))"
	eq "$name: --load 100000%: every job runs" "a b" \
	    "$(echo $(timeout 60 "$@" -k --load 100000% echo ::: a b))"
}

if command -v parallel >/dev/null 2>&1 &&
    parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
	pace parallel parallel
else
	echo "note: GNU parallel is not installed: corun alone"
fi
pace corun "$CORUN" run
# --load's other meaning, the old spelling of --plugin: a plugin's kind
# runs with either name (the example plugin make check builds).
plug=$(dirname "$CORUN_WORKER")/plugins/.libs/example_plugin.so
for opt in --plugin --load; do
	eq "$opt FILE.so: the plugin's kind runs" "HELLO" "$(echo \
	    '{"kind":"upper","payload":"hello"}' | timeout 60 "$CORUN" run \
	    $opt "$plug" --jobs-file -)"
done
"$CORUN" run --load fast true ::: 1 2>load.err
eq "--load fast: refused" "255" "$?"
contains "--load fast: says why" 'neither a load' "$(cat load.err)"
eq "--delay: a bad duration is refused" 255 "$(timeout 20 "$CORUN" run \
    --delay 1x true ::: 1 2>/dev/null; echo $?)"
# --limit: a status other than 0 holds every start (2 too: corun does not
# kill the youngest job); parallel's built-in limits and a bad N% are
# refused with a message naming the option.
timeout 2 "$CORUN" run --limit 'exit 2' 'echo ran {}' ::: 1 >lim.out
eq "--limit exiting 2: nothing starts" "124 " "$? $(cat lim.out)"
"$CORUN" run --limit 'load 2' true ::: 1 2>lim.err
eq "--limit load: refused" "255" "$?"
contains "--limit load: says why" 'built-in "load" limit' "$(cat lim.err)"
"$CORUN" run --timeout 5x% true ::: 1 2>tmo.err
eq "--timeout 5x%: refused" "255" "$?"
contains "--timeout 5x%: says why" 'is not a positive percentage' \
    "$(cat tmo.err)"
finish

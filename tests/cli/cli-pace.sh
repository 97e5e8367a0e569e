#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-pace.sh - pacing the starts of jobs, beside GNU parallel where it
# is installed: --delay keeps that long between two starts (4 jobs at
# -j4 with --delay 0.3 take at least 0.9 s), --nice gives the jobs that
# niceness, --memfree above the memory there is starts nothing, --load
# far above the load starts every job (and --load FILE.so and --plugin
# load a job kind plugin); --limit holds starts, its status 2 kills the
# youngest running job (run again under --retries, a failed attempt),
# its built-in mem and load limits, and bad
# --limit, --load and --timeout N% values are refused.
. "${srcdir:-.}/tests/cli/cli-lib.sh"
cd "$T" || exit 1
mkdir -p home/.parallel
: >home/.parallel/will-cite
export HOME="$T/home"

ms() { date +%s%3N; }
# The cases where nothing may start end by timeout(1)'s expiry (124);
# --foreground: timeout then sends SIGTERM to the tool alone, with no
# SIGCONT after it, which under LeakSanitizer could land in the exiting
# tool's leak check and leave it spinning for ever (doc/HACKING.md).

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
	timeout --foreground 2 "$@" --memfree 1000000G 'echo ran {}' ::: 1 >mf.out
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
# --limit: a status other than 0 holds every start; parallel's built-in
# limits far from what there is start every job or none; a bad one is
# refused with a message naming the option.
timeout --foreground 2 "$CORUN" run --limit 'exit 1' 'echo ran {}' ::: 1 >lim.out
eq "--limit exiting 1: nothing starts" "124 " "$? $(cat lim.out)"
"$CORUN" run --limit 'load x' true ::: 1 2>lim.err
eq "--limit load x: refused" "255" "$?"
contains "--limit load x: says why" 'the built-in limit is load N' \
    "$(cat lim.err)"
# limits NAME TOOL...: the cases for one tool
limits() {
	name=$1
	shift
	eq "$name: --limit 'mem 1M': every job runs" "a b" \
	    "$(echo $(timeout 60 "$@" -k --limit 'mem 1M' echo ::: a b))"
	eq "$name: --limit 'load 100000': every job runs" "a b" \
	    "$(echo $(timeout 60 "$@" -k --limit 'load 100000' echo ::: a b))"
	timeout --foreground 2 "$@" --limit 'mem 100000000G' 'echo ran {}' ::: 1 >lim.out
	eq "$name: --limit 'mem' above the memory: nothing starts" "124 " \
	    "$? $(cat lim.out)"
	# status 2 while two jobs run (job 2 asks for it, once): one job
	# is killed and fails, the others end (which one is parallel's
	# race: it asks once per running job)
	printf '%s\n' '[ -e killnow ] && rm -f killnow && exit 2' 'exit 0' \
	    >lim2.sh
	rm -f killnow
	timeout 60 "$@" -j2 --limit 'sh lim2.sh' 'echo start {}; [ {} = 2 ] &&
	    sleep 0.5 && touch killnow; sleep 2; echo end {}' ::: 1 2 3 \
	    >lim.out 2>lim.err
	eq "$name: --limit status 2: one job killed, exit 1" "1 3 2" \
	    "$? $(grep -c start lim.out) $(grep -c end lim.out)"
	eq "$name: --limit status 2: the kill prints nothing on stderr" "" \
	    "$(cat lim.err)"
	# --retries 2: the killed job is a failed attempt and runs again
	# (job 2 asks for the kill on its first attempt only), before job 3:
	# every job ends, exit 0, the joblog has each job's last attempt,
	# and only its output is printed
	rm -f killnow asked starts jl
	timeout 60 "$@" -j2 --retries 2 --joblog jl --limit 'sh lim2.sh' \
	    'echo {} >>starts; echo start {}; [ {} = 2 ] && [ ! -e asked ] &&
	    sleep 0.5 && touch killnow asked; sleep 2; echo end {}' ::: 1 2 3 \
	    >lim.out 2>/dev/null
	rc=$?
	eq "$name: --limit status 2 with --retries 2: the job runs again" \
	    "0 4 3 3" "$rc $(wc -l <starts) $(grep -c start lim.out) $(grep \
	    -c end lim.out)"
	eq "$name: --limit status 2 with --retries 2: rerun before job 3" \
	    "3" "$(sed -n 4p starts)"
	eq "$name: --limit status 2 with --retries 2: joblog" \
	    "1 0 0,2 0 0,3 0 0," "$(awk -F'\t' 'NR > 1 { print $1, $7, $8 }' \
	    jl | sort | tr '\n' ,)"
}
if command -v parallel >/dev/null 2>&1 &&
    parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
	limits parallel parallel
fi
limits corun "$CORUN" run
rm -f killnow
timeout 60 "$CORUN" run -j2 --joblog jl --limit 'sh lim2.sh' 'echo start {};
    [ {} = 2 ] && sleep 0.5 && touch killnow; sleep 2; echo end {}' ::: 1 2 3 \
    >lim.out 2>/dev/null
eq "corun: --limit status 2 kills the youngest running job (Seq 2)" \
    "2 -1 15" "$(awk -F'\t' '$7 == -1 { print $1, $7, $8 }' jl)"
# --retries 2 and job 2 asks for the kill on every attempt: the
# youngest is killed both times, then fails as without --retries.
rm -f killnow starts
timeout 60 "$CORUN" run -j2 --retries 2 --joblog jl --limit 'sh lim2.sh' \
    'echo {} >>starts; [ {} = 2 ] && sleep 0.5 && touch killnow; sleep 2' \
    ::: 1 2 3 >/dev/null 2>&1
eq "corun: --limit status 2 on each of --retries 2 attempts: exit 1" \
    "1 2 2 -1 15" "$? $(grep -c 2 starts) $(awk -F'\t' \
    '$7 == -1 { print $1, $7, $8 }' jl)"
"$CORUN" run --timeout 5x% true ::: 1 2>tmo.err
eq "--timeout 5x%: refused" "255" "$?"
contains "--timeout 5x%: says why" 'is not a positive percentage' \
    "$(cat tmo.err)"
finish

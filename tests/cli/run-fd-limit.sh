#!/bin/sh
# SPDX-License-Identifier: MIT
# run-fd-limit.sh - corun run under a low descriptor limit: under
# `ulimit -n 64`, -j 50 runs all 200 jobs, fewer at a time, and one line
# on stderr says so (every model); a plan given as --procs that cannot fit
# is refused up front; a low soft limit under a higher hard one is raised
# quietly.
. "${srcdir:-.}/tests/cli/cli-lib.sh"
cd "$T" || exit 1
seq 200 >in
seq 200 | sort >want

for model in default async process thread hybrid; do
	m=
	[ "$model" = default ] || m="--model $model"
	(ulimit -n 64 && exec timeout 60 "$CORUN" run -j 50 $m echo {}) \
	    <in >out 2>err
	rc=$?
	sort out >got
	eq "$model: exit status" 0 "$rc"
	cmp -s want got && ok "$model: all 200 jobs ran once" ||
	    fail "$model: $(wc -l <out) results; $(head -3 err)"
	eq "$model: one line on stderr" 1 "$(wc -l <err | tr -d ' ')"
	line=$(cat err)
	contains "$model: it says why" \
	    "corun: -j 50 needs about " "$line"
	contains "$model: and what it does" \
	    "the limit (ulimit -n) is 64: running " "$line"
	echo "$model: $line"
done

# Jobs that overlap (they sleep) hold all their descriptors at once.
seq 24 | (ulimit -n 64 && exec timeout 60 "$CORUN" run -q -j 50 \
    sh -c 'sleep 0.2; echo $0') >out 2>err
eq "overlapping jobs: exit status" 0 "$?"
eq "overlapping jobs: all ran" 24 "$(sort -u out | wc -l | tr -d ' ')"

# A plan given exactly does not shrink: refused before anything runs.
(ulimit -n 64 && exec timeout 60 "$CORUN" run --procs 20 echo {}) \
    <in >out 2>err
eq "--procs 20: exit status" 255 "$?"
eq "--procs 20: nothing ran" 0 "$(wc -l <out | tr -d ' ')"
contains "--procs 20: says why" "the limit (ulimit -n) is 64: lower --procs" \
    "$(cat err)"

# A soft limit of 64 under a higher hard one is raised: nothing said.
hard=$(ulimit -H -n)
if [ "$hard" = unlimited ] || [ "$hard" -ge 1024 ]; then
	(ulimit -S -n 64 && exec timeout 60 "$CORUN" run -j 50 echo {}) \
	    <in >out 2>err
	eq "soft 64, hard $hard: exit status" 0 "$?"
	eq "soft 64, hard $hard: all ran" 200 "$(sort -u out | wc -l | tr -d ' ')"
	eq "soft 64, hard $hard: nothing said" "" "$(cat err)"
else
	echo "skip: the hard limit ($hard) is too low to raise the soft one"
fi
finish

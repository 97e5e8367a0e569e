#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-output-modes.sh - corun run's status line and output modes on a
# terminal: --bar and --progress never share a line with job output (the
# line is taken off before a job's output and drawn again after), an
# interrupted run leaves no status line behind, --files prints names of
# files that hold the output, -u prints every line.  The
# terminal is script(1)'s pseudo-terminal.
. "${srcdir:-.}/tests/cli/cli-lib.sh"
cd "$T" || exit 1

if command -v script >/dev/null 2>&1; then
	# on a terminal: stdout and stderr are the same pty
	timeout 60 script -qec "$CORUN run -j1 --bar 'sleep 0.2; echo out {}' \
	    ::: 1 2 3" /dev/null >bar.raw 2>&1
	# every "out N" starts a line, or follows the \r ESC[K that took the
	# status line off; never the end of a status line ("ETA 0m00sout")
	n_ok=$(tr '\r' '\n' <bar.raw | sed 's/^\x1b\[K//' | grep -c '^out [123]$')
	eq "--bar: job lines never land on the bar" 3 "$n_ok"
	if grep -q 's.\[Kout' bar.raw; then
		fail "--bar: a job line follows the ETA: $(tr -d '\033' <bar.raw | head -c 300)"
	fi
	grep -q '3/3' bar.raw || fail "--bar: no final 3/3 line"

	timeout 60 script -qec "$CORUN run -j1 --progress 'sleep 0.2; echo out {}' \
	    ::: 1 2" /dev/null >prog.raw 2>&1
	n_ok=$(tr '\r' '\n' <prog.raw | sed 's/^\x1b\[K//' | grep -c '^out [12]$')
	eq "--progress: job lines on lines of their own" 2 "$n_ok"

	# Ctrl-C: the run ends with the line cleared (\r ESC[K), not a bar.
	timeout 60 script -qec "$CORUN run -j1 --bar 'sleep 0.4' ::: 1 2 3 4 5 6 \
	    & p=\$!; sleep 1; kill -INT \$p; wait \$p; echo rc=\$?" /dev/null \
	    >int.raw 2>&1
	contains "--bar: SIGINT exits 130" "rc=130" "$(cat int.raw)"
	tail=$(sed 's/rc=130.*//' int.raw | tr -d '\n' | tail -c 4 | od -An -c |
	    tr -d ' ')
	eq "--bar: SIGINT leaves no status line" '\r033[K' "$tail"
else
	echo "skip: the terminal cases (no script(1))"
fi

# --files: one name per job; the files hold each job's stdout.
crun -k --files --tmpdir "$T" 'echo out {}; echo err {} >&2' ::: a b \
    >names 2>errs
eq "--files: two names" 2 "$(wc -l <names)"
case $(head -1 names) in
"$T"/par*.par) ok "--files: in --tmpdir, named par*.par" ;;
*) fail "--files: name $(head -1 names)" ;;
esac
eq "--files: contents" "out a out b" "$(xargs cat <names | tr '\n' ' ' |
    sed 's/ $//')"
eq "--files: stderr not printed (as parallel)" "" "$(cat errs)"

# -u: every line of every job, through the streaming path
crun -u 'echo {}; echo {}{}' ::: a b >u.out
eq "-u: all of it" "a aa b bb" "$(sort u.out | tr '\n' ' ' | sed 's/ $//')"
finish

#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-run.sh - corun run end to end: placeholders, input sources, order,
# awkward arguments, exit statuses, --dry-run, --tag, --help.
. "${srcdir:-.}/tests/cli/cli-lib.sh"
cd "$T" || exit 1

# -- placeholders and cross product (expected text from GNU parallel) --
out=$(crun --dry-run echo {1} {2} ::: a b ::: 1 2 | tr '\n' '|')
eq "cross product, last group fastest" "echo a 1|echo a 2|echo b 1|echo b 2|" "$out"
out=$(crun --dry-run -j2 echo {} {.} {/} {//} {/.} {#} {%} ::: /a/b/c.txt x.tar.gz | tr '\n' '|')
eq "placeholders" "echo /a/b/c.txt /a/b/c c.txt /a/b c 1 1|echo x.tar.gz x.tar x.tar.gz . x.tar 2 2|" "$out"
# The words are joined into one line for the shell, as GNU parallel.
out=$(crun --dry-run sh -c 'exit {}' ::: 3)
eq "template words are joined" "sh -c exit 3" "$out"
out=$(crun --dry-run -q sh -c 'exit {}' ::: 3)
eq "-q: template words stay words" "sh -c 'exit 3'" "$out"
out=$(crun --dry-run 'grep x {} | wc -l' ::: "a'b")
eq "one-word template quotes values" "grep x 'a'\\''b' | wc -l" "$out"

# -- running: output whole, -k order, cross product --
out=$(crun echo {} ::: a b c | sort | tr '\n' ' ')
eq "run ::: values" "a b c " "$out"
out=$(crun -k -j3 'sleep 0.$((3 - {})); echo {}' ::: 0 1 2 | tr '\n' ' ')
eq "--keep-order" "0 1 2 " "$out"
out=$(crun -k echo {2}{1} ::: a b ::: 1 2 | tr '\n' ' ')
eq "run cross product" "1a 2a 1b 2b " "$out"
out=$(crun -k -j1 'echo {#}:{%}' ::: a b | tr '\n' ' ')
eq "{#} and {%}" "1:1 2:1 " "$out"
out=$(crun -k -j2 'printf "a\nb\n"; echo e >&2' ::: 1 2>/dev/null | tr '\n' ' ')
eq "multi-line output kept whole" "a b " "$out"

# -- input sources --
printf 'x\ny\n' >in1
printf '1\n2\n' >in2
out=$(crun -k echo <in1 | tr '\n' ' ')
eq "stdin lines" "x y " "$out"
out=$(crun -k -a in1 -a in2 echo | tr '\n' ' ')
eq "-a -a cross product" "x 1 x 2 y 1 y 2 " "$out"
out=$(crun -k echo :::: in1 ::: p | tr '\n' ' ')
eq ":::: file then :::" "x p y p " "$out"
out=$(printf 'a b\0c\nd\0' | crun -k -0 printf "'[%s]\n'" | tr '\n' ' ')
eq "-0 input" "[a b] [c d] " "$out"
out=$(printf 'echo one\necho two\n' | crun -k | tr '\n' ' ')
eq "no command: input lines are commands" "one two " "$out"

# Streaming: the first job runs before stdin ends.
{ echo first; sleep 4; echo second; } | crun echo >stream.out &
sleep 2
eq "stdin is streamed" "first" "$(cat stream.out)"
wait

# -- awkward arguments reach the command literally, never as shell --
nl='
'
for v in "it's" 'a "b" c' '$(touch pwned1)' '`touch pwned2`' 'x; touch pwned3' \
    "two${nl}lines" ' lead' '*' '' '-n'; do
	got=$(crun -q printf '%s|' ::: "$v")
	eq "literal argument, -q [$v]" "$v|" "$got"
	got=$(crun printf "'%s|'" ::: "$v")
	eq "literal argument [$v]" "$v|" "$got"
	got=$(crun 'printf "%s|" {}' ::: "$v")
	eq "literal argument, shell template [$v]" "$v|" "$got"
done
crun {} ::: 'touch pwned4' 2>/dev/null
for f in pwned1 pwned2 pwned3 pwned4; do
	[ -e "$f" ] && fail "an argument ran as shell code ($f)"
done
ok "no argument ran as shell code"

# -- tags --
out=$(crun -k --tag 'echo x; echo y' ::: a b | tr '\n' '|')
eq "--tag (the value appended to the line)" "a	x|a	y a|b	x|b	y b|" "$out"
out=$(crun -k --line-buffer --tag echo ::: a | tr '\n' '|')
eq "--line-buffer --tag" "a	a|" "$out"

# --line-buffer streams: job 1's first line must be printed while job 1
# still runs (it waits for a file this script makes only after seeing
# that line); job 2's lines come whole lines, tagged, in between.
rm -f go lb.out
crun -j2 --line-buffer --tag \
    'echo "{} up"; [ {} = 1 ] && while [ ! -e go ]; do sleep 0.02; done;
     printf "{} a\n{} b"; echo "{} err" >&2' ::: 1 2 >lb.out 2>lb.err &
lb=$!
i=0
while ! grep -q '^1	1 up$' lb.out 2>/dev/null && [ $i -lt 500 ]; do
	sleep 0.02; i=$((i + 1))
done
contains "--line-buffer: a line while the job runs" "1	1 up" "$(cat lb.out)"
touch go
wait $lb
eq "--line-buffer: exit" 0 $?
eq "--line-buffer: whole lines, tagged, last line finished" \
    "1	1 a|1	1 b|1	1 up|2	2 a|2	2 b|2	2 up|" \
    "$(sort lb.out | tr '\n' '|')"
eq "--line-buffer: a job's lines in order" "1	1 up|1	1 a|1	1 b|" \
    "$(grep '^1' lb.out | tr '\n' '|')"
eq "--line-buffer: stderr too" "1	1 err|2	2 err|" \
    "$(sort lb.err | tr '\n' '|')"

# -- exit statuses --
crun true ::: 1 2 3; eq "exit 0 when all succeed" 0 $?
crun 'exit {}' ::: 0 1 2 3; eq "exit = failed jobs" 3 $?
crun -q sh -c 'exit {}' ::: 3; eq "-q sh -c 'exit {}' ::: 3" 1 $?
crun sh -c 'exit {}' ::: 3; eq "sh -c 'exit {}' ::: 3 (sh -c exit 3)" 0 $?
crun -j4 false ::: $(seq 100); eq "100 failed" 100 $?
crun -j4 false ::: $(seq 101); eq "more than 100 failed" 101 $?
crun -j x true 2>err; eq "bad option exits 255" 255 $?
contains "bad option message" '-j: "x"' "$(cat err)"
crun --halt sometimes true 2>err; eq "bad --halt exits 255" 255 $?
crun echo {2} ::: a 2>err; eq "bad placeholder exits 255" 255 $?
contains "bad placeholder message" "placeholder {2}" "$(cat err)"
crun echo :::: nosuchfile 2>err; eq "missing input file exits 255" 255 $?
contains "missing file named" "nosuchfile" "$(cat err)"
crun --bogus 2>/dev/null; eq "unknown option exits 255" 255 $?

# -- dry run runs nothing --
out=$(crun --dry-run touch ::: dry1 dry2 | tr '\n' ' ')
eq "--dry-run prints" "touch dry1 touch dry2 " "$out"
[ -e dry1 ] || [ -e dry2 ] && fail "--dry-run ran a job"

# -- input from a terminal: one line says so; from a pipe: nothing --
if command -v script >/dev/null 2>&1; then
	out=$(printf 'hi\n\004' | CORUN_WORKER=$CORUN_WORKER timeout 20 \
	    script -qec "$CORUN run echo" /dev/null | tr -d '\r')
	contains "terminal input: the notice" \
	    "corun: reading the input from the terminal" "$out"
	contains "terminal input: the job ran" "hi" "$out"
fi
echo hi | crun echo >/dev/null 2>err
eq "piped input: no notice" "" "$(cat err)"

# -- help and version --
"$CORUN" run --help | grep -q '^usage: corun run' && ok "--help" || fail "--help"
"$CORUN" --version | grep -q '^corun ' && ok "--version" || fail "--version"

finish

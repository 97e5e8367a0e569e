#!/bin/sh
# SPDX-License-Identifier: MIT
# jobspec-both.sh - one job specification (src/common/jobspec.h): the same
# JSON line is the same job for `corun run --jobs-file` and for `corun
# submit --jobs-file` against a real corund, and a bad line gets the same
# message (the file, the line, the field) from both.  README's "JSON lines
# in" example is taken from README.md and run both ways.  A command of a
# single word holding shell syntax goes through sh -c everywhere, as GNU
# parallel runs one quoted argument; "argv" words never do.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"

start_daemon --workers 1 --config /dev/null

# run_both NAME FILE: corun run, then corun submit + wait, of FILE.
run_both() {
	timeout 60 "$CORUN" run -k --jobs-file "$2" >"$T/run.out" \
	    2>"$T/run.err"
	eq "$1: corun run accepts it" 0 $?
	cr submit --jobs-file "$2" >"$T/ids" 2>"$T/submit.err"
	eq "$1: corun submit accepts it" 0 $?
	: >"$T/submit.out"
	for id in $(cat "$T/ids"); do
		cr wait "$id" >/dev/null
		eq "$1: job $id done" 0 $?
		cr result "$id" >>"$T/submit.out"
	done
}

# ---- README's example ----------------------------------------------------
# The printf line before "| corun run --jobs-file - --json".
line=$(grep -A1 "^printf '%s\\\\n' '{\"kind\"" "$srcdir/README.md" |
    sed -n '1{N;/corun run --jobs-file - --json/P;}')
case $line in
*'{"kind":"shell","cmd":"uname -a"}'*'{"kind":"sleep","ms":50}'*) ;;
*) fail "README's JSON example not found: [$line]" ;;
esac
eval "${line% |}" >"$T/readme.jsonl"
eq "README's example has two lines" 2 "$(wc -l <"$T/readme.jsonl")"
json=$(timeout 60 "$CORUN" run --jobs-file - --json <"$T/readme.jsonl")
eq "README's example as written: corun run" 0 $?
contains "... its --json names the command" '"uname -a"' "$json"
run_both "README's example" "$T/readme.jsonl"
uname -a >"$T/want"
eq "... corun run ran uname -a" "$(cat "$T/want")" "$(cat "$T/run.out")"
eq "... corund ran the same" "$(cat "$T/run.out")" "$(cat "$T/submit.out")"
ids=$(tr '\n' ' ' <"$T/ids")
set -- $ids
r=$(cr result --json "$1" | tr -d ' \n')
contains "... corund's first job is the shell command" \
    '"cmd":["uname-a"]' "$r"
r=$(cr status --json "$2")
contains "... corund's second job is a sleep" '"kind": "sleep"' "$r"
took=$(echo "$r" | awk -F': ' '/"started"/ { s = $2 + 0 }
    /"ended"/ { e = $2 + 0 } END { print (e - s >= 0.045) ? "yes" : "no" }')
eq "... of 50 ms" yes "$took"

# ---- the forms of a command ----------------------------------------------
printf '%s\n' '{"cmd":["echo a | tr a b"]}' \
    '{"kind":"shell","cmd":"echo c | tr c d"}' \
    '{"cmd":["printf","%s-%s\\n","x y",""]}' \
    '{"kind":"shell","argv":["printf","[%s]\\n","$HOME | x"]}' \
    '{"cmd":["sh","-c","echo $V"],"env":{"V":"from env"}}' \
    >"$T/forms.jsonl"
run_both "the forms of a command" "$T/forms.jsonl"
printf '%s\n' b d 'x y-' '[$HOME | x]' 'from env' >"$T/want"
eq "... corun run: one word with shell syntax goes through sh" \
    "$(cat "$T/want")" "$(cat "$T/run.out")"
eq "... corund: the same" "$(cat "$T/want")" "$(cat "$T/submit.out")"
# The command lines: one word with shell syntax goes through sh, as with
# GNU parallel (`parallel ::: 'echo a | tr a b'` prints b).
eq "corun run ::: 'echo a | tr a b'" b \
    "$(timeout 60 "$CORUN" run ::: 'echo a | tr a b' 2>&1)"
eq "corun run 'echo {} | tr a b' ::: a" b \
    "$(timeout 60 "$CORUN" run 'echo {} | tr a b' ::: a 2>&1)"
eq "corun submit 'echo a | tr a b'" b \
    "$(cr submit --wait 'echo a | tr a b' 2>&1)"
# "argv" words are run as they are: no program is called "echo a | tr a b".
printf '%s\n' '{"argv":["echo e | tr e f"]}' >"$T/argv.jsonl"
timeout 60 "$CORUN" run --jobs-file "$T/argv.jsonl" >"$T/out" 2>&1
eq "argv: a lone word is a program name (corun run fails)" 1 $?
id=$(cr submit --jobs-file "$T/argv.jsonl")
cr wait "$id" >/dev/null 2>&1
eq "argv: ... (corund's job fails)" 1 $?

# ---- a bad line: the same message from both -------------------------------
# same_error NAME LINE... : the lines as a file; the error of each program.
same_error() {
	name=$1
	shift
	printf '%s\n' "$@" >"$T/bad.jsonl"
	before=$(count queued)
	timeout 60 "$CORUN" run --jobs-file "$T/bad.jsonl" >/dev/null \
	    2>"$T/run.err"
	eq "$name: corun run refuses it" 255 $?
	cr submit --jobs-file "$T/bad.jsonl" >"$T/ids" 2>"$T/submit.err"
	eq "$name: corun submit refuses it" 1 $?
	eq "$name: nothing queued" "$before" "$(count queued)"
	eq "$name: nothing submitted" "" "$(cat "$T/ids")"
	eq "$name: the same message" "$(cat "$T/run.err")" \
	    "$(cat "$T/submit.err")"
}
same_error "a misspelt field" '{"kind":"noop"}' \
    '{"kind":"shell","cmd":"x","timout":3}'
contains "... names the file, the line and the field" \
    'bad.jsonl:2: unknown field "timout" for kind "shell"' \
    "$(cat "$T/submit.err")"
same_error "a bad value" '{"kind":"sleep","ms":-1}'
contains "... names the field" 'bad.jsonl:1: "ms" must be' \
    "$(cat "$T/submit.err")"
same_error "not JSON" '{"kind":"noop"}' '{"kind":"noop",}'
contains "... names the line" 'bad.jsonl:2: invalid JSON' \
    "$(cat "$T/submit.err")"
same_error "an empty argv word" '{"cmd":["","x"]}'
contains "... names the word" 'bad.jsonl:1: cmd[0] must not be empty' \
    "$(cat "$T/submit.err")"
# corun run's "id" is named as such by corun submit; corund's fields by
# corun run.
printf '%s\n' '{"kind":"noop","id":"a"}' >"$T/id.jsonl"
cr submit --jobs-file "$T/id.jsonl" 2>&1 >/dev/null | grep -q \
    'id.jsonl:1: field "id" is for corun run' &&
    ok "submit names corun run's field" ||
    fail "submit names corun run's field"
printf '%s\n' '{"kind":"noop","group":"g"}' >"$T/g.jsonl"
timeout 60 "$CORUN" run --jobs-file "$T/g.jsonl" 2>&1 >/dev/null | grep -q \
    'g.jsonl:1: field "group" is for corund' &&
    ok "run names corund's field" || fail "run names corund's field"

# ---- corund's own requests take the same forms ----------------------------
if command -v nngcat >/dev/null 2>&1; then
	contains "request: the shell string form" '"ok":true' \
	    "$(ctl '{"op":"submit","kind":"shell","cmd":"echo one | cat"}')"
	contains "request: a sleep in ms" '"ok":true' \
	    "$(ctl '{"op":"submit","kind":"sleep","ms":1}')"
	r=$(ctl '{"op":"submit","cmd":["true"],"id":"a"}')
	contains "request: corun run's field: bad_request" \
	    '"code":"bad_request"' "$r"
	contains "request: ... named" 'job: field \"id\" is for corun run' "$r"
	r=$(ctl '{"op":"submit","jobs":[{"kind":"noop"},{"kind":"cpu","ms":1,"iter":2}]}')
	contains "request: a batch names the job" \
	    'jobs[1]: a cpu job takes \"ms\" or \"iter\", not both' "$r"
fi

# Still serving.
id=$(cr submit echo fine)
cr wait "$id" >/dev/null
eq "a good job after the bad ones" fine "$(cr result "$id")"
stop_daemon
finish

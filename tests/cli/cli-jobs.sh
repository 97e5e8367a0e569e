#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-jobs.sh - corun run per-job machinery: --joblog columns, --timeout
# killing a child tree, --retries, --halt, --results, --json, --jobs-file.
. "${srcdir:-.}/tests/cli/cli-lib.sh"
cd "$T" || exit 1

# -- joblog: parse the TSV --
crun -q -k --joblog jl sh -c 'printf hello; exit {}' ::: 0 3 >/dev/null
eq "joblog header" "$(printf 'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand')" "$(head -1 jl)"
bad=$(awk -F '\t' 'NR > 1 && (NF != 9 || $2 != ":" || $3 !~ /^[0-9]+\.[0-9][0-9][0-9]$/ ||
    $4 !~ /^ *[0-9]+\.[0-9][0-9][0-9]$/ || $5 != 0 || $6 != 5 || $8 != 0) { print }' jl)
eq "joblog columns" "" "$bad"
rows=$(awk -F '\t' 'NR > 1 { print $1 "/" $7 "/" $9 }' jl | sort | tr '\n' ' ')
eq "joblog seq, exitval, command" "1/0/sh -c 'printf hello; exit 0' 2/3/sh -c 'printf hello; exit 3' " "$rows"

# -- timeout: TERM then KILL to the job's process group --
start=$(date +%s)
crun -q --timeout 1 --joblog tl sh -c 'sleep 60 & echo $! >bg; trap "" TERM; sleep 60' ::: 1 2>/dev/null
rc=$?
end=$(date +%s)
eq "timeout counts as failed" 1 "$rc"
[ $((end - start)) -lt 20 ] && ok "timeout ended the job" || fail "timeout took $((end - start)) s"
sleep 0.5
if [ -s bg ] && kill -0 "$(cat bg)" 2>/dev/null; then
	fail "a process of the timed-out job survived"
	kill -9 "$(cat bg)"
else
	ok "no process of the timed-out group survives"
fi
eq "timeout joblog Exitval" "-1" "$(awk -F '\t' 'NR == 2 { print $7 }' tl)"
sig=$(awk -F '\t' 'NR == 2 { print $8 }' tl)
case $sig in 9|15) ok "timeout joblog Signal ($sig)" ;; *) fail "timeout Signal [$sig]" ;; esac

# -- retries: fails twice, then succeeds --
crun -q --retries 3 --json sh -c 'n=$(cat c 2>/dev/null || echo 0); n=$((n + 1)); echo $n >c; [ $n -ge 3 ]' ::: x >rj
eq "retries: succeeded" 0 $?
eq "retries: three attempts ran" 3 "$(cat c)"
rm -f c
crun -q --retries 2 sh -c 'n=$(cat c 2>/dev/null || echo 0); n=$((n + 1)); echo $n >c; [ $n -ge 3 ]' ::: x
eq "too few retries: failed" 1 $?
eq "retries: two attempts ran" 2 "$(cat c)"

# -- halt --
start=$(date +%s)
crun -q -j3 --halt now,fail=1 sh -c 'sleep {}; touch done{}; exit {}' ::: 4 1 5
eq "halt now,fail=1: exit of the failing job" 1 $?
end=$(date +%s)
[ $((end - start)) -lt 4 ] && ok "halt now: did not wait" || fail "halt now took $((end - start)) s"
sleep 4.5
[ -e done4 ] || [ -e done5 ] && fail "halt now: running jobs were not killed"
crun -q -j2 --halt soon,fail=1 sh -c 'sleep {}; touch s{}; exit 2' ::: 2 1 3 3 3
eq "halt soon,fail=1" 2 $?
[ -e s2 ] && ok "halt soon: running job finished" || fail "halt soon: running job killed"
n=$(ls s3 2>/dev/null | wc -l)
eq "halt soon: nothing new started" 0 "$n"
crun -q -j1 --halt now,success=1 sh -c 'exit {}' ::: 3 0 2
eq "halt now,success=1" 0 $?
crun -q -j1 -k --halt now,done=2 sh -c 'echo {}; exit {}' ::: 3 0 2 >hd
eq "halt now,done=2: exit = failed" 1 $?
eq "halt now,done=2: two ran" "3 0 " "$(tr '\n' ' ' <hd)"
crun -q -j1 --halt soon,fail=50% sh -c 'exit {}' ::: 1 1 0 0
eq "halt soon,fail=50%: exit = percent failed" 50 $?

# -- results --
crun -q --results res sh -c 'echo out{}; echo err{} >&2; exit {}' ::: 0 1 >/dev/null 2>&1
for f in res/1/0/seq res/1/0/stdout res/1/0/stderr res/1/1/seq \
    res/1/1/stdout res/1/1/stderr; do
	[ -f "$f" ] || fail "--results: $f missing"
done
eq "--results seq" "2" "$(cat res/1/1/seq)"
eq "--results stdout" "out1" "$(cat res/1/1/stdout)"
eq "--results stderr" "err1" "$(cat res/1/1/stderr)"

# -- json --
crun -q -k --json sh -c 'echo o{}; exit {}' ::: 0 2 >js
eq "--json: a line per job" 2 "$(wc -l <js)"
if [ -n "$PY" ]; then
	out=$("$PY" - js <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
need = ["seq", "command", "args", "exit", "signal", "status", "stdout",
        "stderr", "start", "runtime", "attempts", "worker_pid"]
for r in rows:
    missing = [k for k in need if k not in r]
    if missing:
        print("missing", missing)
a, b = rows
print(a["seq"], a["exit"], a["status"], repr(a["stdout"]), a["args"],
      b["seq"], b["exit"], b["status"], b["attempts"] >= 1,
      b["runtime"] >= 0, b["start"] > 1e9, b["worker_pid"] > 0)
PY
)
	eq "--json fields" "1 0 ok 'o0\\n' ['0'] 2 2 failed True True True True" "$out"
fi

# -- jobs file --
cat >jobs.jsonl <<'J'
{"kind":"shell","cmd":"echo cmd; touch ran1"}
{"kind":"shell","argv":["printf","%s|","a b","$(x)"],"id":"argv"}

{"kind":"shell","argv":["sh","-c","echo $K"],"env":{"K":"from env"}}
{"kind":"sleep","ms":10}
{"kind":"noop","id":7}
{"kind":"cpu","ms":5}
J
out=$(crun -k --jobs-file jobs.jsonl | head -2 | tr '\n' ' ')
eq "jobs file runs" "cmd a b|\$(x)|from env " "$out"
eq "jobs file: every job ran" 6 "$(crun --jobs-file jobs.jsonl --json | wc -l)"
out=$(crun -k --jobs-file - --tag <jobs.jsonl | head -2 | tr '\n' ' ')
eq "jobs file on stdin, tag = id" "echo cmd; touch ran1	cmd argv	a b|\$(x)| " "$out"
rm -f ran1
cat >badjobs.jsonl <<'J'
{"kind":"shell","cmd":"touch ran1"}
{"kind":"sleep","ms":1}

{"kind":"sleep","ms":-5}
J
crun --jobs-file badjobs.jsonl 2>err
eq "malformed jobs file exits 255" 255 $?
eq "malformed jobs file message" 'corun: badjobs.jsonl:4: "ms" must be a non-negative integer' "$(cat err)"
[ -e ran1 ] && fail "a job ran before the jobs file was checked"
printf '{"kind":"noop"}\n{"kind":"noop",\n' | crun --jobs-file - 2>err
eq "truncated JSON exits 255" 255 $?
contains "truncated JSON line named" "stdin:2: invalid JSON" "$(cat err)"
printf '{"kind":"sleep","ms":1,"timout":3}\n' >typo.jsonl
crun --jobs-file typo.jsonl 2>err
contains "unknown field named" 'typo.jsonl:1: unknown field "timout"' "$(cat err)"

# -- how a job's program starts (workers/kinds/shell-spawn.c) --
# The worker ignores SIGPIPE and catches TERM and INT (and starts with
# glibc's 32 and 33 ignored, posix_spawn's doing): the job sees every
# signal at its default, none blocked, and leads a process group of its
# own.
printf '{"kind":"shell","cmd":"cat /proc/self/status"}\n' >st.jsonl
crun --jobs-file st.jsonl >st.out
eq "job: no signal blocked" 0000000000000000 "$(awk '/^SigBlk:/ { print $2 }' st.out)"
eq "job: no signal caught" 0000000000000000 "$(awk '/^SigCgt:/ { print $2 }' st.out)"
eq "job: no signal ignored" 0000000000000000 "$(awk '/^SigIgn:/ { print $2 }' st.out)"
eq "job: leads its process group" "$(awk '/^Pid:/ { print $2 }' st.out)" \
    "$(awk '/^NSpgid:/ { print $2 }' st.out)"
# A worker caches where a program is on PATH: a copy that goes away is
# looked up again (the next one on PATH runs), one that cannot be run
# fails its job with the reason.  -j1: one worker runs the three in turn.
mkdir -p pa pb
printf '#!/bin/sh\necho from-a\n' >pa/cr-prog
printf '#!/bin/sh\necho from-b\n' >pb/cr-prog
chmod +x pa/cr-prog pb/cr-prog
printf '%s\n' '{"kind":"shell","cmd":"cr-prog"}' \
    '{"kind":"shell","cmd":"rm pa/cr-prog"}' '{"kind":"shell","cmd":"cr-prog"}' \
    '{"kind":"shell","cmd":"chmod -x pb/cr-prog"}' \
    '{"kind":"shell","cmd":"cr-prog"}' >moved.jsonl
PATH="$T/pa:$T/pb:$PATH" crun -j1 -k --jobs-file moved.jsonl >moved.out 2>moved.err
eq "moved program: two failures... none but the last" 1 $?
eq "moved program: looked up again" "from-a from-b " "$(tr '\n' ' ' <moved.out)"
contains "unrunnable program: the reason" "cannot run 'cr-prog': Permission denied" \
    "$(cat moved.err)"
# A worker's first jobs come through --jobs-fd; what is not a JOBS frame
# there is refused before anything starts.
printf 'not a frame' >nf
"$CORUN_WORKER" --connect "ipc://$T/none" --parent $$ --jobs-fd 5 5<nf \
    2>wk.err
eq "--jobs-fd garbage: setup error" 1 $?
contains "--jobs-fd garbage: the reason" "--jobs-fd: " "$(cat wk.err)"

finish

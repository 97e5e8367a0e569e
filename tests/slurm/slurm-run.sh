#!/bin/sh
# SPDX-License-Identifier: MIT
# slurm-run.sh - corun run --slurm on a real Slurm cluster: three nodes
# (slurmd -N n1..n3) on this machine, brought up once for the script by
# slurm-lib.sh and torn down by PID at the end.
#
#  1. Inside an allocation (salloc -N3): one srun step per node, every
#     result back exactly once, the joblog's Host column naming the nodes.
#  2. scancel of worker steps mid-run: one plainly (SIGKILL to all its
#     processes: the worker is lost, its jobs re-leased), one with -s TERM
#     (as a time limit: the worker hands its running jobs back); every
#     result still comes back once, none recorded failed by the signal.
#  3. Outside an allocation: an sbatch array (pending tasks cancelled at
#     the end), and a worker submitted by hand after the run started,
#     finding the run through --url-file, takes jobs.
#  4. The batch script of corun(1)'s EXAMPLES, submitted with sbatch.
#  5. corund with launcher = slurm: its workers submitted as it starts,
#     running the jobs the client submits, cancelled as it stops.
: "${srcdir:=.}"
. "$srcdir/tests/cli/cli-lib.sh"
. "$srcdir/tests/slurm/slurm-lib.sh"
[ -n "$PY" ] || slurm_skip "no python3 (free ports)"
trap 'slurm_cancel_all; slurm_down; cleanup' EXIT
chmod 755 "$T"
slurm_up "$T/slurm" || { fails=1; finish; }

# The rows of joblog $1 with every job ok, one per seq 1..$2?
all_once() {
	got=$(tail -n +2 "$1" | cut -f1 | sort -n | tr '\n' ' ')
	want=$(seq 1 "$2" | tr '\n' ' ')
	[ "$got" = "$want" ] || { echo "seqs: $got"; return 1; }
	bad=$(tail -n +2 "$1" | awk -F'\t' '$7 != 0 || $8 != 0' | head -3)
	[ -z "$bad" ] || { echo "not ok: $bad"; return 1; }
}

# ---- 1. inside an allocation ----------------------------------------
seq 1 60 > "$T/in60"
timeout 60 salloc -Q -J cr1 -N3 --ntasks-per-node=1 -c2 \
    "$CORUN" run --slurm --listen tcp://127.0.0.1:0 --joblog "$T/jl1" \
    -q sh -c 'sleep 0.05; echo {} $SLURMD_NODENAME' :::: "$T/in60" \
    > "$T/out1" 2> "$T/err1"
eq "--slurm in an allocation: exit 0" 0 $?
eq "every result once" "$(seq 1 60 | tr '\n' ' ')" \
    "$(cut -d' ' -f1 "$T/out1" | sort -n | tr '\n' ' ')"
all_once "$T/jl1" 60 && ok "joblog: 60 rows, each once, all ok" ||
    fail "joblog of the allocation run"
eq "joblog Host names the three nodes" "n1 n2 n3" \
    "$(tail -n +2 "$T/jl1" | cut -f2 | sort -u | tr '\n' ' ' | sed 's/ $//')"
# The Host column agrees with where the job ran.
mism=$(tail -n +2 "$T/jl1" | cut -f1,2 | tr '\t' ' ' | while read -r s h; do
	grep -qx "$s $h" "$T/out1" || echo "$s $h"; done | head -3)
eq "Host is the node that ran the job" "" "$mism"

# ---- 2. scancel of one worker's step mid-run ------------------------
seq 1 40 > "$T/in40"
timeout 90 salloc -Q -J cr2 -N3 --ntasks-per-node=1 -c2 \
    "$CORUN" run --slurm --listen tcp://127.0.0.1:0 --joblog "$T/jl2" \
    -q sh -c 'sleep 0.3; echo {}' :::: "$T/in40" > "$T/out2" 2> "$T/err2" &
run2=$!
CR_BG_PIDS="$CR_BG_PIDS $run2"
wait_lines "$T/jl2" 5
# scancel of a step is SIGKILL to all its processes at once: the
# worker is lost and its jobs re-leased.  --signal=TERM (as a time limit
# or --signal=B:TERM@N): the worker hands its running jobs back.
steps=$(squeue -h -s -n corun-worker -o %i 2>/dev/null |
    grep -E '^[0-9]+\.[0-9]+$' | head -2 | tr '\n' ' ')
set -- $steps
if [ $# -eq 2 ]; then
	scancel "$1" 2>>"$T/scancel.err"
	wait_lines "$T/jl2" 12
	scancel -s TERM "$2" 2>>"$T/scancel.err"
	ok "cancelled steps $1 (KILL) and $2 (TERM) mid-run"
	for s in $1 $2; do
		i=0
		while squeue -h -s -o %i | grep -qx "$s" && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		squeue -h -s -o %i | grep -qx "$s" &&
		    fail "step $s still there 10 s after scancel"
	done
else
	fail "no two worker steps to cancel: $(squeue -s 2>&1)"
fi
wait "$run2"
eq "run with a cancelled step: exit 0" 0 $?
eq "every result once after scancel" "$(seq 1 40 | tr '\n' ' ')" \
    "$(sort -n "$T/out2" | tr '\n' ' ')"
all_once "$T/jl2" 40 && ok "joblog: nothing failed by the signal" ||
    fail "joblog after scancel: $(grep -v '	0	0	' "$T/jl2" | head -3)"
eq "no failure reported" "" "$(grep -i 'failed\|signal 15' "$T/err2")"

# ---- 3. sbatch outside an allocation, and a worker that comes late ---
seq 1 50 > "$T/in50"
# Four workers of 2 CPUs on n1, n2: two run, two wait until cancelled.
timeout 90 "$CORUN" run --slurm --listen tcp://127.0.0.1:0 --slurm-workers 4 \
    --sbatch-opt '-c2 --exclude=n3' --url-file "$T/url3" \
    --joblog "$T/jl3" -q sh -c 'sleep 0.3; echo {}' :::: "$T/in50" \
    > "$T/out3" 2> "$T/err3" &
run3=$!
CR_BG_PIDS="$CR_BG_PIDS $run3"
wait_lines "$T/jl3" 4
[ -s "$T/url3" ] && ok "--url-file written" || fail "no --url-file"
late=$(sbatch --parsable -J late -w n3 -c2 --output="$T/late.out" \
    --wrap "exec $CORUN_WORKER --url-file $T/url3")
wait "$run3"
eq "sbatch run: exit 0" 0 $?
eq "every result once (sbatch)" "$(seq 1 50 | tr '\n' ' ')" \
    "$(sort -n "$T/out3" | tr '\n' ' ')"
all_once "$T/jl3" 50 && ok "joblog (sbatch): each once, all ok" ||
    fail "joblog of the sbatch run"
contains "the late worker (n3) ran jobs" "n3" \
    "$(tail -n +2 "$T/jl3" | cut -f2 | sort -u | tr '\n' ' ')" ||
    cat "$T/late.out"
contains "the late worker ran from the start of its batch job" \
    "let in at" "$(cat "$T/late.out")"
[ ! -e "$T/url3" ] && ok "--url-file removed at the end" ||
    fail "--url-file left behind"
i=0
while [ -n "$(squeue -h -o %i)" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
eq "no worker left pending or running" "" "$(squeue -h -o '%i %j %T')"

# ---- 4. the batch script of corun(1), EXAMPLES ------------------------
seq 1 24 > "$T/in24"
cat > "$T/run.sbatch" <<SB
#!/bin/sh
#SBATCH --nodes=3 --ntasks-per-node=1 --cpus-per-task=2
#SBATCH --time=5 --signal=B:TERM@60
exec "$CORUN" run --slurm --listen tcp://127.0.0.1:0 --joblog "$T/jl4" \\
    -q sh -c 'echo {}' :::: "$T/in24"
SB
j4=$(sbatch --parsable -o "$T/out4" -e "$T/err4" "$T/run.sbatch")
i=0
while [ -n "$(squeue -h -j "$j4" -o %i 2>/dev/null)" ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
eq "sbatch run.sbatch: every result once" "$(seq 1 24 | tr '\n' ' ')" \
    "$(sort -n "$T/out4" | tr '\n' ' ')"
all_once "$T/jl4" 24 && ok "sbatch run.sbatch: joblog complete" ||
    fail "sbatch run.sbatch: $(cat "$T/err4")"

# ---- 5. corund, launcher = slurm ---------------------------------------
CORUND=${CORUND:-$PWD/corund}
. "$srcdir/tests/port-lib.sh"
freeport
echo "tok-$$" > "$T/token"
CORUN_SOCKET=ipc://$T/cd/ctl
export CORUN_SOCKET
mkdir -p "$T/cd"
cat > "$T/cd/corund.conf" <<CONF
launcher = slurm
slurm-workers = 2
sbatch-options = -c2 --exclude=n1
CONF
"$CORUND" --foreground --config "$T/cd/corund.conf" --state-dir "$T/cd/state" \
    --socket "$CORUN_SOCKET" --workers 1 --listen "tcp://127.0.0.1:$PORT" \
    --token-file "$T/token" 2>>"$T/cd.log" &
dpid=$!
CR_BG_PIDS="$CR_BG_PIDS $dpid"
i=0
while [ "$(squeue -h -t R -n corund-worker -o %i | wc -l)" -lt 2 ] &&
    [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
eq "corund submitted 2 workers, both running" 2 \
    "$(squeue -h -t R -n corund-worker -o %i | wc -l)"
ids=
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	ids="$ids $(timeout 30 "$CORUN" submit sh -c \
	    'sleep 0.3; echo ${SLURMD_NODENAME:-local}')"
done
timeout 60 "$CORUN" wait $ids
eq "corund: every job done" 0 $?
out=$(for id in $ids; do timeout 10 "$CORUN" result "$id"; done)
n=$(echo "$out" | grep -c '^n[23]$')
[ "$n" -gt 0 ] && ok "corund: its Slurm workers ran $n jobs" ||
    fail "corund: no job on a Slurm node: $out $(cat "$T/cd.log")"
kill -TERM "$dpid"
wait "$dpid"
eq "corund stops" 0 $?
i=0
while [ -n "$(squeue -h -n corund-worker -o %i)" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
eq "corund's workers cancelled as it stops" "" \
    "$(squeue -h -n corund-worker -o '%i %T')"
finish

# SPDX-License-Identifier: MIT
# slurm-lib.sh - a real Slurm cluster of three nodes on this machine, for
# the tests/slurm scripts: munged with its own key and socket, slurmctld,
# and three slurmd (-N n1..n3, one port each), all in the private
# directory $SL (conf, state, spool, logs), started here and stopped by
# PID by slurm_down.  Needs root (slurmd runs job steps as their user)
# and Debian's slurmctld/slurmd/slurm-client/munge; anything else is a
# skip (exit 77) that says why.
#
#   slurm_up DIR     bring the cluster up in DIR (exports SLURM_CONF);
#                    waits until the three nodes are idle
#   slurm_down       stop every daemon it started, by PID
SLURM_PIDS=
slurm_skip() { echo "skip: $*"; exit 77; }

slurm_check() {
	[ "$(id -u)" = 0 ] || slurm_skip "Slurm's slurmd must run as root"
	for b in munged slurmctld slurmd srun sbatch scancel sinfo squeue; do
		command -v "$b" >/dev/null 2>&1 ||
		    PATH=$PATH:/usr/sbin command -v "$b" >/dev/null 2>&1 ||
		    slurm_skip "no $b (packages slurmctld slurmd slurm-client munge)"
	done
	PATH=$PATH:/usr/sbin
	getent passwd munge >/dev/null 2>&1 || slurm_skip "no munge user"
}

# Three free TCP ports for slurmctld and the nodes, plus one more.
slurm_ports() {
	"$PY" -c 'import socket
ss = [socket.socket() for _ in range(4)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))'
}

slurm_conf() {
	set -- $(slurm_ports)
	SL_CTLD_PORT=$1
	host=$(hostname)
	cat > "$SL/slurm.conf" <<CONF
ClusterName=crtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$SL_CTLD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SL/munge/munge.socket
StateSaveLocation=$SL/state
SlurmdSpoolDir=$SL/spool/%n
SlurmctldPidFile=$SL/slurmctld.pid
SlurmdPidFile=$SL/slurmd-%n.pid
SlurmctldLogFile=$SL/slurmctld.log
SlurmdLogFile=$SL/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1
ReturnToService=2
MpiDefault=none
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=2
MinJobAge=5
NodeName=n1 NodeHostname=$host NodeAddr=127.0.0.1 Port=$2 CPUs=2 State=UNKNOWN
NodeName=n2 NodeHostname=$host NodeAddr=127.0.0.1 Port=$3 CPUs=2 State=UNKNOWN
NodeName=n3 NodeHostname=$host NodeAddr=127.0.0.1 Port=$4 CPUs=2 State=UNKNOWN
PartitionName=t Nodes=n[1-3] Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
}

# munged, by hand, with a key and a socket of its own in $SL/munge.
slurm_munge() {
	mkdir -p "$SL/munge"
	dd if=/dev/urandom of="$SL/munge/key" bs=1 count=1024 2>/dev/null
	chown -R munge: "$SL/munge" && chmod 700 "$SL/munge" &&
	    chmod 400 "$SL/munge/key" || slurm_skip "cannot give munge its dir"
	# munged checks every directory above its files: none may be
	# writable by others (the sticky /tmp is fine).
	su -s /bin/sh munge -c "exec munged -F --force \
	    --socket=$SL/munge/munge.socket --key-file=$SL/munge/key \
	    --pid-file=$SL/munge/pid --log-file=$SL/munge/log \
	    --seed-file=$SL/munge/seed" >"$SL/munged.out" 2>&1 &
	SLURM_PIDS="$SLURM_PIDS $!"
	i=0
	while [ ! -S "$SL/munge/munge.socket" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S "$SL/munge/munge.socket" ] ||
	    slurm_skip "munged did not start: $(cat "$SL/munged.out" "$SL/munge/log" 2>/dev/null | tail -3)"
}

slurm_up() {
	SL=$1
	slurm_check
	mkdir -p "$SL/state" "$SL/spool"
	chmod 755 "$SL"
	slurm_munge
	slurm_conf
	SLURM_CONF=$SL/slurm.conf
	export SLURM_CONF
	slurmctld -D -i >"$SL/slurmctld.out" 2>&1 &
	SLURM_PIDS="$SLURM_PIDS $!"
	for n in n1 n2 n3; do
		mkdir -p "$SL/spool/$n"
		slurmd -D -N $n >"$SL/slurmd-$n.out" 2>&1 &
		SLURM_PIDS="$SLURM_PIDS $!"
	done
	i=0
	while [ $i -lt 300 ]; do
		idle=$(sinfo -h -N -t idle -o %N 2>/dev/null | sort -u | wc -l)
		[ "$idle" -ge 3 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "slurm: the nodes did not come up:"
	sinfo -N 2>&1
	tail -5 "$SL"/*.log "$SL"/*.out 2>/dev/null
	return 1
}

# Stop what slurm_up started, by PID (TERM, then KILL after 5 s).
slurm_down() {
	for p in $SLURM_PIDS; do
		kill "$p" 2>/dev/null
	done
	i=0
	for p in $SLURM_PIDS; do
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null
	done
	SLURM_PIDS=
}

# Cancel every job of this test's cluster (nothing else uses it) and
# wait for them to go, so that no slurmstepd outlives its slurmd.
slurm_cancel_all() {
	[ -n "$SLURM_PIDS" ] || return 0
	scancel --full -u "$(id -un)" 2>/dev/null
	i=0
	while [ -n "$(squeue -h -o %i 2>/dev/null)" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Scaling out on Slurm: the same cpu job file on local workers and on
corun run --slurm workers, over a real Slurm cluster of three nodes on
this machine (tests/slurm/slurm-lib.sh brings it up; root and Debian's
slurmctld/slurmd/slurm-client/munge needed, else the row says why).

slurm_cpu   256 cpu jobs of about 10 ms (a fixed number of rounds), three
            job slots either way:
              local     corun run -j3 --model process --jobs-file F
              slurm     salloc -N3 -c1 corun run --slurm --jobs-file F:
                        one srun step per node, each a corun-worker of
                        SLURM_CPUS_ON_NODE = 1 slot, attached over tcp
                        on 127.0.0.1
            The figure is the makespan from corun's --json records, from
            the first start on the last worker to start one (srun starts
            the steps in turn) to the last end: the allocation, the
            steps' start and the workers' attaching are left out, on both
            paths alike; what remains is dispatch, results and credit
            through Slurm-started remote workers.
            overhead = the median of slurm/local over 5 pairs of runs
            (back to back, alternating order) - 1, in percent.  The three
            nodes share this machine's cores with the local run's.

Environment: CORUN and CORUN_WORKER (set by bench/run.sh).
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

N = 256
REPS = 5


def median(xs):
    xs = sorted(xs)
    k = len(xs) // 2
    return xs[k] if len(xs) % 2 else (xs[k - 1] + xs[k]) / 2.0


def emit(variant, value, unit, note=None):
    line = {"bench": "slurm_cpu", "impl": "corun", "variant": variant,
            "value": value, "unit": unit, "n": N}
    if note:
        line["note"] = note
    print(json.dumps(line), flush=True)


def corun():
    return os.environ.get("CORUN") or os.path.join(
        os.environ.get("BENCH_BUILDDIR", "."), "corun")


def srcdir():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def makespan(out):
    """From --json lines: the last worker's first start to the last end,
    in ms.  Workers attach one after the other (srun starts the steps in
    turn), so the first start of each is left out alike on both paths."""
    first, last = {}, None
    for line in out.splitlines():
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        if r.get("status") != "ok":
            raise RuntimeError("job %s: %s" % (r.get("seq"), r.get("status")))
        w = (r.get("host"), r.get("worker_pid"))
        first[w] = min(first.get(w, r["start"]), r["start"])
        end = r["start"] + r["runtime"]
        last = end if last is None else max(last, end)
    if not first:
        raise RuntimeError("no results")
    return (last - max(first.values())) * 1000.0


def cluster_up(d):
    """(pids, None) or (None, why)."""
    lib = os.path.join(srcdir(), "tests", "slurm", "slurm-lib.sh")
    p = subprocess.run(
        ["sh", "-c", 'PY=python3; slurm_skip() { echo "SKIP $*"; exit 77; }; '
         '. "$0"; slurm_check; slurm_skip() { echo "SKIP $*"; exit 77; }; '
         'slurm_up "$1" >"$1.up" 2>&1 || { echo "SKIP $(tail -3 "$1.up")"; '
         'echo "PIDS $SLURM_PIDS"; exit 1; }; echo "PIDS $SLURM_PIDS"',
         lib, d], capture_output=True, text=True, timeout=120)
    pids, why = [], None
    for line in p.stdout.splitlines():
        if line.startswith("PIDS"):
            pids = [int(x) for x in line.split()[1:]]
        elif line.startswith("SKIP"):
            why = line[5:]
    if p.returncode != 0:
        return pids, why or "the cluster did not come up"
    return pids, None


def cluster_down(pids, env):
    subprocess.run(["scancel", "--full", "-u", str(os.getuid())], env=env,
                   capture_output=True)
    for _ in range(100):
        q = subprocess.run(["squeue", "-h", "-o", "%i"], env=env,
                           capture_output=True, text=True)
        if not q.stdout.strip():
            break
        time.sleep(0.1)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    for pid in pids:
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.1)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def run(argv, env):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=300,
                       env=env)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (argv[0], p.returncode,
                                                 p.stderr[-300:]))
    return makespan(p.stdout)


def calibrate():
    p = subprocess.run([corun(), "run", "-j1", "--jobs-file", "-"],
                       input='{"kind":"cpu","ms":10}\n' * 5,
                       capture_output=True, text=True, timeout=60)
    rounds = [int(w.split()[1]) for w in p.stdout.splitlines()
              if len(w.split()) == 2 and w.split()[1].isdigit()]
    return max(rounds) if rounds else None


def main():
    rounds = calibrate()
    if rounds is None:
        emit("overhead", None, "%", "calibration failed")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        d = os.path.join(tmp, "slurm")
        pids, why = cluster_up(d)
        env = dict(os.environ, SLURM_CONF=os.path.join(d, "slurm.conf"))
        try:
            if why is not None:
                emit("overhead", None, "%", "no Slurm cluster: " + why)
                return 0
            jobs = os.path.join(tmp, "jobs")
            with open(jobs, "w") as f:
                f.write('{"kind":"cpu","iter":%d}\n' % rounds * N)
            local_cmd = [corun(), "run", "-j3", "--model", "process",
                         "--json", "--jobs-file", jobs]
            slurm_cmd = ["salloc", "-Q", "-N3", "-c1", "--ntasks-per-node=1",
                         corun(), "run", "--slurm", "--listen",
                         "tcp://127.0.0.1:0", "--json", "--jobs-file", jobs]
            local, remote, ratios = [], [], []
            for rep in range(REPS):
                if rep % 2 == 0:
                    lo = run(local_cmd, env)
                    sl = run(slurm_cmd, env)
                else:
                    sl = run(slurm_cmd, env)
                    lo = run(local_cmd, env)
                local.append(lo)
                remote.append(sl)
                ratios.append(sl / lo)
        except (RuntimeError, subprocess.SubprocessError) as e:
            emit("overhead", None, "%", str(e))
            return 1
        finally:
            cluster_down(pids, env)
    emit("local", median(local), "ms", "corun run -j3 --model process; "
         "makespan, median of %d" % REPS)
    emit("slurm", median(remote), "ms", "salloc -N3 -c1 corun run --slurm "
         "(3 nodes, 1 slot each); makespan, median of %d" % REPS)
    emit("overhead", (median(ratios) - 1.0) * 100.0, "%",
         "median of %d paired runs (slurm/local: %s); %d cpu jobs of %d "
         "rounds (~10 ms)" % (REPS, " ".join("%.3f" % r for r in ratios),
                              N, rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())

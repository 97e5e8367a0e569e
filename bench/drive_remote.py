#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The remote path's cost: the same cpu job file on local workers and on
remote workers attached over tcp.

remote_cpu  N cpu jobs of about 10 ms (a fixed number of rounds), N = 16,
            64, 256, two job slots either way:
              local-N   corun run -j2 --model process --jobs-file F
              tcp-N     corun run --remote-only --listen tcp://... with two
                        corun-worker --connect tcp://... --procs 1
                        --no-offload (jobs on the loop, as local) started
                        first, each in a network namespace of its own
                        joined to the root namespace by a veth pair (root
                        only; otherwise on 127.0.0.1, and the note says so)
            The figure is the makespan from corun's --joblog: the first
            job's start to the last job's end, so the start of the local
            workers and the remote workers' attaching are left out and
            what remains is dispatch, results and credit over each path.
            overhead-N = the median of tcp/local over 5 pairs of runs
            (each pair back to back, in alternating order) - 1, in
            percent.  Both paths run on this machine's cores.
            offload-overhead-N: the same with the remote workers'
            default, blocking kinds run on their executors.
            cpu-overhead-N: the same with the CPU time (user + system) of
            corun run and all its workers instead of the makespan: less
            sensitive to a busy machine than wall time.
            noop-local, noop-tcp: the transport's own cost, 20 000 noop
            jobs on one worker running 64 at once (1024 held beyond),
            local (ipc) or remote over tcp: makespan / jobs.

Environment: CORUN and CORUN_WORKER (set by bench/run.sh).
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

SIZES = (16, 64, 256)
REPS = 5


def median(xs):
    xs = sorted(xs)
    k = len(xs) // 2
    return xs[k] if len(xs) % 2 else (xs[k - 1] + xs[k]) / 2.0


def emit(variant, value, unit, n, note=None):
    line = {"bench": "remote_cpu", "impl": "corun", "variant": variant,
            "value": value, "unit": unit, "n": n}
    if note:
        line["note"] = note
    print(json.dumps(line), flush=True)


def corun():
    return os.environ.get("CORUN") or os.path.join(
        os.environ.get("BENCH_BUILDDIR", "."), "src", "cli", "corun")


def worker():
    return os.environ.get("CORUN_WORKER") or os.path.join(
        os.environ.get("BENCH_BUILDDIR", "."), "src", "worker",
        "corun-worker")


def sh(*argv):
    return subprocess.run(argv, capture_output=True, text=True).returncode


class Namespaces:
    """Two namespaces, each with a veth pair to the root namespace."""

    def __init__(self):
        self.tag = "%d" % (os.getpid() % 100000)
        self.net = "10.%d" % (150 + os.getpid() % 50)
        self.made = []

    def setup(self):
        if os.geteuid() != 0:
            return "not root: workers on 127.0.0.1"
        for i in (1, 2):
            ns, v, p = ("crb%d-%s" % (i, self.tag), "crbv%d-%s" % (i, self.tag),
                        "crbp%d-%s" % (i, self.tag))
            if sh("ip", "netns", "add", ns) != 0:
                return "cannot create network namespaces: workers on 127.0.0.1"
            self.made.append((ns, v))
            steps = [["ip", "link", "add", v, "type", "veth", "peer", "name", p],
                     ["ip", "link", "set", p, "netns", ns],
                     ["ip", "addr", "add", "%s.%d.1/24" % (self.net, i), "dev", v],
                     ["ip", "link", "set", v, "up"],
                     ["ip", "netns", "exec", ns, "ip", "addr", "add",
                      "%s.%d.2/24" % (self.net, i), "dev", p],
                     ["ip", "netns", "exec", ns, "ip", "link", "set", p, "up"],
                     ["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"]]
            for s in steps:
                if sh(*s) != 0:
                    return "cannot set up veth links: workers on 127.0.0.1"
        return None

    def prefix(self, i):
        return ["ip", "netns", "exec", self.made[i][0]] if self.made else []

    def addr(self, i):
        return "%s.%d.1" % (self.net, i + 1) if self.made else "127.0.0.1"

    def cleanup(self):
        for ns, v in self.made:
            out = subprocess.run(["ip", "netns", "pids", ns],
                                 capture_output=True, text=True).stdout
            for pid in out.split():
                try:
                    os.kill(int(pid), 9)
                except OSError:
                    pass
            sh("ip", "netns", "del", ns)
            sh("ip", "link", "del", v)


def makespan(joblog):
    first, last = None, None
    with open(joblog) as f:
        next(f, None)
        for line in f:
            cols = line.split("\t")
            if len(cols) < 4:
                continue
            start, run = float(cols[2]), float(cols[3])
            first = start if first is None else min(first, start)
            last = start + run if last is None else max(last, start + run)
    return None if first is None else (last - first) * 1000.0


def child_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


LOCAL_CPU = ["-j2", "--model", "process"]
# Like for like: the local process-model workers run cpu jobs on their
# loop, so the remote ones do too (--no-offload).  Remote workers offload
# blocking kinds by default (their heartbeats then keep going during a
# long job): that default is measured beside it, as offload-overhead-N.
REMOTE_CPU = [["--procs", "1", "--no-offload"]] * 2
REMOTE_CPU_OFFLOAD = [["--procs", "1"]] * 2
# noop jobs: one worker running 64 at once, 1024 held beyond its slots
LOCAL_NOOP = ["--model", "async", "-j64"]
REMOTE_NOOP = [["--model", "async", "-j64", "--prefetch", "1024"]]


def run_local(jobs, tmp, model=LOCAL_CPU):
    """(makespan ms, CPU s of corun and its workers)"""
    log = os.path.join(tmp, "local.log")
    cpu = child_cpu()
    p = subprocess.run([corun(), "run"] + model +
                       ["--joblog", log, "--jobs-file", jobs],
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError("local run: exit %d: %s" % (p.returncode,
                                                       p.stderr[-200:]))
    return makespan(log), child_cpu() - cpu


def run_remote(jobs, tmp, nss, port, models=REMOTE_CPU):
    log = os.path.join(tmp, "tcp.log")
    token = os.path.join(tmp, "token")
    workers = []
    cpu = child_cpu()
    for i, model in enumerate(models):
        workers.append(subprocess.Popen(
            nss.prefix(i) + [worker(), "--connect", "tcp://%s:%d" %
                             (nss.addr(i), port), "--token-file", token,
                             "--wait", "30"] + model,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        p = subprocess.run([corun(), "run", "--remote-only", "--listen",
                            "tcp://0.0.0.0:%d" % port, "--token-file", token,
                            "--joblog", log,
                            "--jobs-file", jobs],
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise RuntimeError("tcp run: exit %d: %s" % (p.returncode,
                                                         p.stderr[-200:]))
        for w in workers:
            w.wait(timeout=30)
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
    return makespan(log), child_cpu() - cpu


def calibrate():
    """Rounds of the cpu kind that take about 10 ms here."""
    p = subprocess.run([corun(), "run", "-j1", "--jobs-file", "-"],
                       input='{"kind":"cpu","ms":10}\n' * 5,
                       capture_output=True, text=True, timeout=60)
    rounds = [int(w.split()[1]) for w in p.stdout.splitlines()
              if len(w.split()) == 2 and w.split()[1].isdigit()]
    return max(rounds) if rounds else None


def main():
    if not os.access(corun(), os.X_OK) or not os.access(worker(), os.X_OK):
        for n in SIZES:
            emit("overhead-%d" % n, None, "%", n, "corun is not built")
        return 1
    rounds = calibrate()
    if rounds is None:
        for n in SIZES:
            emit("overhead-%d" % n, None, "%", n, "calibration failed")
        return 1
    nss = Namespaces()
    ok = True
    try:
        note = nss.setup()
        if note is not None:
            nss.cleanup()
            nss = Namespaces()
        where = note or "workers in two network namespaces over veth"
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "token"), "w") as f:
                f.write("bench-%d\n" % os.getpid())
            port = 30000 + os.getpid() % 2000
            for n in SIZES:
                jobs = os.path.join(tmp, "jobs")
                with open(jobs, "w") as f:
                    f.write('{"kind":"cpu","iter":%d}\n' % rounds * n)
                local, remote, ratios, cratios = [], [], [], []
                oratios = []
                try:
                    for rep in range(REPS):
                        # Pairs, in alternating order: drift on a shared
                        # machine then hits both paths alike.
                        port += 2
                        if rep % 2 == 0:
                            lo, lcpu = run_local(jobs, tmp)
                            re_, rcpu = run_remote(jobs, tmp, nss, port)
                        else:
                            re_, rcpu = run_remote(jobs, tmp, nss, port)
                            lo, lcpu = run_local(jobs, tmp)
                        ro, _ = run_remote(jobs, tmp, nss, port + 1,
                                           REMOTE_CPU_OFFLOAD)
                        local.append(lo)
                        remote.append(re_)
                        ratios.append(re_ / lo)
                        cratios.append(rcpu / lcpu)
                        oratios.append(ro / lo)
                except (RuntimeError, subprocess.SubprocessError) as e:
                    emit("overhead-%d" % n, None, "%", n, str(e))
                    ok = False
                    continue
                emit("local-%d" % n, median(local), "ms", n,
                     "corun run -j2 --model process; makespan, median of %d"
                     % REPS)
                emit("tcp-%d" % n, median(remote), "ms", n,
                     "2 remote workers over tcp (%s); median of %d" %
                     (where, REPS))
                emit("overhead-%d" % n, (median(ratios) - 1.0) * 100.0, "%",
                     n, "median of %d paired runs (tcp/local: %s); %d cpu "
                     "jobs of %d rounds (~10 ms); %s" %
                     (REPS, " ".join("%.3f" % r for r in ratios), n, rounds,
                      where))
                emit("offload-overhead-%d" % n,
                     (median(oratios) - 1.0) * 100.0, "%", n,
                     "the remote workers' default, blocking kinds on their "
                     "executors: median of %d (tcp/local: %s)" %
                     (REPS, " ".join("%.3f" % r for r in oratios)))
                emit("cpu-overhead-%d" % n, (median(cratios) - 1.0) * 100.0,
                     "%", n, "CPU time (user + system) of corun run and "
                     "its workers, tcp/local, median of %d pairs: %s" %
                     (REPS, " ".join("%.3f" % r for r in cratios)))
            ok &= noop(tmp, nss, port + 100, where)
    finally:
        nss.cleanup()
    return 0 if ok else 1


def noop(tmp, nss, port, where):
    """The transport's own cost: 20 000 noop jobs on one worker."""
    n = 20000
    jobs = os.path.join(tmp, "noop")
    with open(jobs, "w") as f:
        f.write('{"kind":"noop"}\n' * n)
    local, remote, cpus = [], [], []
    try:
        for rep in range(REPS):
            port += 1
            lo, lcpu = run_local(jobs, tmp, LOCAL_NOOP)
            re_, rcpu = run_remote(jobs, tmp, nss, port, REMOTE_NOOP)
            local.append(lo)
            remote.append(re_)
            cpus.append(rcpu / lcpu)
    except (RuntimeError, subprocess.SubprocessError) as e:
        emit("noop-tcp", None, "us/job", n, str(e))
        return False
    emit("noop-local", median(local) * 1000.0 / n, "us/job", n,
         "corun run --model async -j64 (one worker, prefetch 1024): "
         "makespan / jobs, median of %d" % REPS)
    emit("noop-tcp", median(remote) * 1000.0 / n, "us/job", n,
         "one remote worker --model async -j64 --prefetch 1024 over tcp "
         "(%s): makespan / jobs, median of %d; CPU time tcp/local %s" %
         (where, REPS, " ".join("%.3f" % c for c in cpus)))
    return True


if __name__ == "__main__":
    sys.exit(main())

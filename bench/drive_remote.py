#!/usr/bin/env python3
"""The remote path's cost: the same cpu job file on local workers and on
remote workers attached over tcp.

remote_cpu  N cpu jobs of about 10 ms (a fixed number of rounds), N = 16,
            64, 256, two job slots either way:
              local-N   corun run -j2 --model process --jobs-file F
              tcp-N     corun run --remote-only --listen tcp://... with two
                        corun-worker --connect tcp://... --procs 1 started
                        first, each in a network namespace of its own
                        joined to the root namespace by a veth pair (root
                        only; otherwise on 127.0.0.1, and the note says so)
            The figure is the makespan from corun's --joblog: the first
            job's start to the last job's end, so the start of the local
            workers and the remote workers' attaching are left out and
            what remains is dispatch, results and credit over each path.
            overhead-N = tcp-N / local-N - 1, in percent.  Both paths run
            on this machine's cores.

Environment: CORUN and CORUN_WORKER (set by bench/run.sh).
"""

import json
import os
import subprocess
import sys
import tempfile
import time

SIZES = (16, 64, 256)
REPS = 3


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


def run_local(jobs, tmp):
    log = os.path.join(tmp, "local.log")
    p = subprocess.run([corun(), "run", "-j2", "--model", "process",
                        "--joblog", log, "--jobs-file", jobs],
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError("local run: exit %d: %s" % (p.returncode,
                                                       p.stderr[-200:]))
    return makespan(log)


def run_remote(jobs, tmp, nss, port):
    log = os.path.join(tmp, "tcp.log")
    token = os.path.join(tmp, "token")
    workers = []
    for i in (0, 1):
        workers.append(subprocess.Popen(
            nss.prefix(i) + [worker(), "--connect", "tcp://%s:%d" %
                             (nss.addr(i), port), "--token-file", token,
                             "--procs", "1", "--wait", "30"],
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
    return makespan(log)


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
                local, remote = [], []
                try:
                    for _ in range(REPS):
                        local.append(run_local(jobs, tmp))
                        port += 1
                        remote.append(run_remote(jobs, tmp, nss, port))
                except (RuntimeError, subprocess.SubprocessError) as e:
                    emit("overhead-%d" % n, None, "%", n, str(e))
                    ok = False
                    continue
                lo, re_ = min(local), min(remote)
                emit("local-%d" % n, lo, "ms", n,
                     "corun run -j2 --model process; makespan, best of %d"
                     % REPS)
                emit("tcp-%d" % n, re_, "ms", n,
                     "2 remote workers over tcp (%s); best of %d" %
                     (where, REPS))
                emit("overhead-%d" % n, (re_ / lo - 1.0) * 100.0, "%", n,
                     "tcp %.1f ms vs local %.1f ms, %d cpu jobs of %d "
                     "rounds (~10 ms); %s" % (re_, lo, n, rounds, where))
    finally:
        nss.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

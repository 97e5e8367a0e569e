#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What watching corund costs its job throughput.

corund_dashboard  a real corund (2 workers, a fresh state directory each
                  run) runs N noop jobs: they are submitted while it is
                  paused, then the time from resume to the last result on
                  disk (corun wait --all) is taken.
                    off         corund without --http
                    http-idle   corund --http, nobody connected
                    sse-client  corund --http with a browser-like client
                                attached: it loaded the page and keeps
                                /events open, reading every update (one a
                                second), as the dashboard does
                  jobs/s rows: the best and median of the runs.
                  sse-overhead, idle-overhead: the median over REPS
                  interleaved triples (the order rotates) of
                  off/variant - 1, in percent of throughput lost.
                  cpu rows: corund's own CPU time (user + system, from
                  /proc) over the same interval, per job; the
                  cpu-overhead rows the median of variant/off - 1 in
                  percent.  On a busy shared machine the wall-clock rows
                  move by tens of percent from run to run; CPU time is
                  what serving the page adds to corund and moves less.

Environment: CORUN and CORUN_WORKER (set by bench/run.sh), BENCH_BUILDDIR.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

N = 10000
REPS = 5


def emit(variant, value, unit, n, note=None):
    line = {"bench": "corund_dashboard", "impl": "corun", "variant": variant,
            "value": value, "unit": unit, "n": n}
    if note:
        line["note"] = note
    print(json.dumps(line), flush=True)


def median(xs):
    xs = sorted(xs)
    k = len(xs) // 2
    return xs[k] if len(xs) % 2 else (xs[k - 1] + xs[k]) / 2.0


def prog(name, env_name):
    b = os.environ.get("BENCH_BUILDDIR", ".")
    p = os.environ.get(env_name) if env_name else None
    return p or os.path.join(b, name)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class SseClient(threading.Thread):
    """Loads the page, then reads /events until stopped."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.events = 0
        self.stop = False

    def run(self):
        base = "http://127.0.0.1:%d" % self.port
        urllib.request.urlopen(base + "/", timeout=10).read()
        with urllib.request.urlopen(base + "/events", timeout=30) as r:
            while not self.stop:
                line = r.readline()
                if not line:
                    break
                if line.startswith(b"data: "):
                    self.events += 1


def cpu_s(pid):
    """User + system CPU seconds of process pid so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(variant, jobs_file):
    corun = prog("corun", "CORUN")
    d = tempfile.mkdtemp(prefix="cr-bench-dash.")
    sock = "ipc://%s/ctl" % d
    env = dict(os.environ, CORUN_SOCKET=sock)
    args = [prog("corund", None), "--foreground", "--workers", "2",
            "--state-dir", d + "/state", "--socket", sock]
    port = free_port()
    if variant != "off":
        args += ["--http", "127.0.0.1:%d" % port]
    dm = subprocess.Popen(args, env=env, stderr=subprocess.DEVNULL)
    client = None
    try:
        for _ in range(200):
            if subprocess.call([corun, "status"], env=env,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL) == 0:
                break
            time.sleep(0.05)
        subprocess.check_call([corun, "pause"], env=env,
                              stdout=subprocess.DEVNULL)
        subprocess.check_call([corun, "submit", "--jobs-file", jobs_file],
                              env=env, stdout=subprocess.DEVNULL)
        if variant == "sse-client":
            client = SseClient(port)
            client.start()
            time.sleep(1.2)     # the page loaded, the stream going
        t0 = time.monotonic()
        c0 = cpu_s(dm.pid)
        subprocess.check_call([corun, "resume"], env=env,
                              stdout=subprocess.DEVNULL)
        subprocess.check_call([corun, "wait", "--all"], env=env,
                              stdout=subprocess.DEVNULL)
        dt = time.monotonic() - t0
        cpu = cpu_s(dm.pid) - c0
        if client is not None and client.events < 2:
            raise RuntimeError("the SSE client got %d updates"
                               % client.events)
        return N / dt, cpu
    finally:
        if client is not None:
            client.stop = True
        dm.terminate()
        try:
            dm.wait(timeout=30)
        except subprocess.TimeoutExpired:
            dm.kill()
            dm.wait()
        shutil.rmtree(d, ignore_errors=True)


def main():
    variants = ["off", "http-idle", "sse-client"]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl",
                                     delete=False) as f:
        for _ in range(N):
            f.write('{"kind": "noop"}\n')
        jobs_file = f.name
    rates = {v: [] for v in variants}
    cpus = {v: [] for v in variants}
    try:
        for rep in range(REPS):
            order = variants[rep % 3:] + variants[:rep % 3]
            for v in order:
                rate, cpu = one_run(v, jobs_file)
                rates[v].append(rate)
                cpus[v].append(cpu)
    finally:
        os.unlink(jobs_file)
    for v in variants:
        emit(v, max(rates[v]), "jobs/s", N,
             "best of %d; median %.0f" % (REPS, median(rates[v])))
    for v, name in (("sse-client", "sse-overhead"),
                    ("http-idle", "idle-overhead")):
        loss = [100.0 * (o / w - 1) for o, w in zip(rates["off"], rates[v])]
        emit(name, median(loss), "%", REPS,
             "median of %d interleaved pairs: %s" %
             (REPS, ", ".join("%+.1f" % x for x in loss)))
    for v in variants:
        emit(v + "-cpu", min(cpus[v]) * 1e6 / N, "us/job", N,
             "corund's CPU time; best of %d; median %.1f" %
             (REPS, median(cpus[v]) * 1e6 / N))
    for v, name in (("sse-client", "sse-cpu-overhead"),
                    ("http-idle", "idle-cpu-overhead")):
        more = [100.0 * (w / o - 1) for o, w in zip(cpus["off"], cpus[v])]
        emit(name, median(more), "%", REPS,
             "median of %d interleaved pairs: %s" %
             (REPS, ", ".join("%+.1f" % x for x in more)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Time corund's client commands against task-spooler and nq, as a user
runs them: one whole process per request, started from this script.

client_status  one request and its reply: `corun status` against a
               running corund; peers `tsp -S` (task-spooler's server
               already running) and `true` (the cost of starting any
               process from here, the floor)
submit_wait    submit a no-op and wait for its result: `corun submit
               --wait true`; peers `tsp -f true` (queue it and wait in
               the foreground) and nq: `nq true` then `nq -w ID` (two
               processes, as nq is used)

Every daemon is started here on a fresh directory (corund with 2
workers, as bench_corund runs it) and stopped at the end.  The commands
take turns in each round, the first one changing from round to round, so
that drift on a busy machine hits them alike; the value of a row is the
median of SAMPLES requests in ms, the note gives the fastest.

Environment: BENCH_BUILDDIR, CORUN, CORUN_WORKER (bench/run.sh sets them),
CORUND (default BENCH_BUILDDIR/corund).  A peer that is not installed
gets a row with no value and a note; the exit status is 1 only when
corun itself failed.

Usage: drive_daemon.py [--samples N] [--part client_status|submit_wait]
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

SAMPLES = 200


def emit(bench, impl, value, unit, n, note=None, variant=None):
    line = {"bench": bench, "impl": impl, "value": value, "unit": unit,
            "n": n}
    if variant is not None:
        line["variant"] = variant
    if note:
        line["note"] = note
    print(json.dumps(line), flush=True)


def builddir():
    return os.environ.get("BENCH_BUILDDIR", ".")


def corun_path():
    return os.environ.get("CORUN") or os.path.join(builddir(), "corun")


def corund_path():
    path = os.environ.get("CORUND")
    if path:
        return path
    # the program itself; libtool's wrapper script only when the build
    # made one (then the real program is in .libs, and may be stale
    # elsewhere).
    top = os.path.join(builddir(), "corund")
    if os.access(top, os.X_OK):
        with open(top, "rb") as f:
            if f.read(2) != b"#!":
                return top
    lib = os.path.join(builddir(), ".libs", "corund")
    if os.access(lib, os.X_OK):
        return lib
    return "corund"


class Daemons:
    """corund, task-spooler's server and nq's directory, all private."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="bench-daemon-")
        self.url = "ipc://" + os.path.join(self.dir, "ctl")
        self.env = dict(os.environ)
        self.env["CORUN_SOCKET"] = self.url
        self.env["TS_SOCKET"] = os.path.join(self.dir, "ts.sock")
        self.env["TMPDIR"] = self.dir
        self.env["NQDIR"] = os.path.join(self.dir, "nq")
        os.mkdir(self.env["NQDIR"])
        self.corund = None

    def start_corund(self):
        log = os.path.join(self.dir, "corund.log")
        self.corund = subprocess.Popen(
            [corund_path(), "--foreground", "--state-dir",
             os.path.join(self.dir, "state"), "--socket", self.url,
             "--log", log, "--workers", "2"], env=self.env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        for _ in range(200):
            if subprocess.run([corun_path(), "status"], env=self.env,
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0:
                return None
            if self.corund.poll() is not None:
                break
            time.sleep(0.05)
        with open(log) as f:
            return "corund did not start: " + f.read()[-300:]

    def stop(self):
        if self.corund is not None and self.corund.poll() is None:
            self.corund.send_signal(signal.SIGTERM)
            try:
                self.corund.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.corund.kill()
                self.corund.wait()
        if shutil.which("tsp"):
            subprocess.run(["tsp", "-K"], env=self.env,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=20)
        shutil.rmtree(self.dir, ignore_errors=True)


def timed(steps, env):
    """Run each argv of steps in turn; (seconds, None) or (None, why).

    A step is a function of the previous step's stdout (nq's job id)."""
    out = ""
    t0 = time.perf_counter()
    for step in steps:
        argv = step(out)
        p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=60)
        if p.returncode != 0:
            err = p.stderr.strip().splitlines()
            return None, "%s: exit status %d%s" % (
                argv[0], p.returncode, (": " + err[-1][:200]) if err
                else "")
        out = p.stdout
    return time.perf_counter() - t0, None


def plans(part, d):
    """{impl: (steps, label)} of each benchmark."""
    corun = corun_path()
    if part == "client_status":
        return {
            "corun": ([lambda _: [corun, "status"]], "corun status"),
            "tsp": ([lambda _: ["tsp", "-S"]], "tsp -S"),
            "true": ([lambda _: ["true"]], "true, the floor"),
        }
    return {
        "corun": ([lambda _: [corun, "submit", "--wait", "true"]],
                  "corun submit --wait true"),
        "tsp": ([lambda _: ["tsp", "-f", "true"]], "tsp -f true"),
        "nq": ([lambda _: ["nq", "true"],
                lambda out: ["nq", "-w", out.strip()]],
               "nq true; nq -w ID"),
    }


def tidy(d, i):
    """Keep the peers' job lists short (outside the clock)."""
    if i % 50 == 49:
        if shutil.which("tsp"):
            subprocess.run(["tsp", "-C"], env=d.env,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        for f in os.listdir(d.env["NQDIR"]):
            try:
                os.unlink(os.path.join(d.env["NQDIR"], f))
            except OSError:
                pass


def measure(part, d, samples):
    plan = plans(part, d)
    have = {k: shutil.which(v[0][0]("")[0]) is not None for k, v in
            plan.items()}
    times = {k: [] for k in plan}
    why = {}
    impls = list(plan)
    # a warm-up round: page cache, the peers' servers started
    for k in impls:
        if have[k]:
            timed(plan[k][0], d.env)
    for i in range(samples):
        order = impls[i % len(impls):] + impls[:i % len(impls)]
        for k in order:
            if not have[k] or k in why:
                continue
            s, err = timed(plan[k][0], d.env)
            if err is not None:
                why[k] = err
            else:
                times[k].append(s * 1e3)
        tidy(d, i)
    rc = 0
    for k in impls:
        label = plan[k][1]
        if not have[k]:
            emit(part, k, None, "ms", 0, "%s: not installed" % label)
        elif k in why:
            emit(part, k, None, "ms", len(times[k]),
                 "%s failed: %s" % (label, why[k]))
            rc |= k == "corun"
        else:
            v = times[k]
            emit(part, k, statistics.median(v), "ms", len(v),
                 "%s; median of %d interleaved runs, fastest %.3f ms" %
                 (label, len(v), min(v)))
    return rc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=SAMPLES)
    ap.add_argument("--part", choices=("client_status", "submit_wait"))
    args = ap.parse_args()
    d = Daemons()
    rc = 0
    try:
        err = d.start_corund()
        if err is not None:
            print(err, file=sys.stderr)
            return 1
        for part in ("client_status", "submit_wait"):
            if args.part in (None, part):
                rc |= measure(part, d, args.samples)
    finally:
        d.stop()
    return rc


if __name__ == "__main__":
    sys.exit(main())

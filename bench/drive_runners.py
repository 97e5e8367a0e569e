#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Time `corun run` against xargs -P and GNU parallel on the same jobs.

spawn_true  2000 x true at -j2: milliseconds per job (wall / jobs)
              xargs      xargs -P2 -n1 true, 2000 lines on stdin
              parallel   parallel -j2 true ::: 1 .. 2000
              corun      corun run -j2 --model M true ::: 1 .. 2000, for
                         each model M (the variants); the row without a
                         variant is the best model of the round
sleep_j8    200 x sleep 0.01 at -j8: the added cost per job,
            (wall - ideal) / jobs with ideal = 200 / 8 x 10 ms; each
            tool three times per invocation, taking turns to go first
              xargs -P8 -n1 sleep, parallel -j8 sleep ::: 0.01 ..., and
              corun run -j8 --model M sleep ::: 0.01 ...
cpu_speedup 16 cpu jobs of about 50 ms (a fixed number of rounds) through
            `corun run --jobs-file`: the wall time at -j1 (the shorter of
            a run before and one after the others) / the wall time at -j2
            for the process, thread and async models ("corun run" rows;
            bench_pool measures the same through the pool API)

The wall time runs from starting the tool until it exits, startup
included: that is what a user of the tool pays.  Every tool first does a
short warm-up run (page cache, perl modules).  The floor rows (a plain
posix_spawn loop) come from bench_spawn.

Environment: CORUN (the corun binary; default BENCH_BUILDDIR/src/cli/corun)
and CORUN_WORKER (its worker), both set by bench/run.sh.  A tool that is not
installed gets a row with no value and a note; the exit status is 1 only
when corun itself failed.

Usage: drive_runners.py [--part spawn_true|sleep_j8|cpu_speedup]
                        [--models M,M...]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

MODELS = ("process", "thread", "async", "hybrid")


def emit(bench, impl, variant, value, unit, n, note=None):
    line = {"bench": bench, "impl": impl, "value": value, "unit": unit,
            "n": n}
    if variant is not None:
        line["variant"] = variant
    if note:
        line["note"] = note
    print(json.dumps(line), flush=True)


def corun_path():
    path = os.environ.get("CORUN")
    if not path:
        path = os.path.join(os.environ.get("BENCH_BUILDDIR", "."), "src",
                            "cli", "corun")
    return path


def run(argv, stdin_text=None, timeout=300):
    """Run argv; return (seconds, None) or (None, why it failed)."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(argv, input=stdin_text,
                           stdin=None if stdin_text is not None
                           else subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True,
                           timeout=timeout)
    except (OSError, subprocess.SubprocessError) as e:
        return None, str(e)
    s = time.perf_counter() - t0
    if p.returncode != 0:
        err = p.stderr.strip().splitlines()
        return None, "exit status %d%s" % (
            p.returncode, (": " + err[-1][:200]) if err else "")
    return s, None


class Bench:
    """One benchmark: the commands of each implementation and its unit."""

    def __init__(self, name, jobs, inflight, argv_of, value_of, unit,
                 label, reps=1):
        self.name = name
        self.reps = reps            # samples of each tool per invocation
        self.jobs = jobs
        self.inflight = inflight
        self.argv_of = argv_of      # (impl, model, jobs) -> (argv, stdin)
        self.value_of = value_of    # seconds -> value
        self.unit = unit
        self.label = label          # (impl, model) -> command for the note

    def measure(self, impl, model=None):
        warm = max(self.inflight * 2, self.jobs // 20)
        argv, stdin_text = self.argv_of(impl, model, warm)
        s, why = run(argv, stdin_text)
        if why is None:
            argv, stdin_text = self.argv_of(impl, model, self.jobs)
            s, why = run(argv, stdin_text)
        return s, why


def args_true(n):
    return [str(i) for i in range(1, n + 1)]


def spawn_true_argv(impl, model, n):
    if impl == "xargs":
        return (["xargs", "-P2", "-n1", "true"],
                "".join("%d\n" % i for i in range(1, n + 1)))
    if impl == "parallel":
        return ["parallel", "-j2", "true", ":::"] + args_true(n), None
    return ([corun_path(), "run", "-j2", "--model", model, "true",
             ":::"] + args_true(n), None)


def sleep_j8_argv(impl, model, n):
    if impl == "xargs":
        return ["xargs", "-P8", "-n1", "sleep"], "0.01\n" * n
    if impl == "parallel":
        return ["parallel", "-j8", "sleep", ":::"] + ["0.01"] * n, None
    return ([corun_path(), "run", "-j8", "--model", model, "sleep",
             ":::"] + ["0.01"] * n, None)


def spawn_true_label(impl, model):
    return {"xargs": "xargs -P2 -n1 true (lines on stdin)",
            "parallel": "parallel -j2 true ::: 1 .. 2000"}.get(
                impl, "corun run -j2 --model %s true ::: 1 .. 2000" % model)


def sleep_j8_label(impl, model):
    return {"xargs": "xargs -P8 -n1 sleep (0.01 lines on stdin)",
            "parallel": "parallel -j8 sleep ::: 0.01 x 200"}.get(
                impl, "corun run -j8 --model %s sleep ::: 0.01 x 200" %
                model)


def make_benches():
    ideal = 200 / 8 * 0.010
    return {
        "spawn_true": Bench("spawn_true", 2000, 2, spawn_true_argv,
                            lambda s: s * 1e3 / 2000, "ms/job",
                            spawn_true_label),
        # A run lasts 0.3 s, and a stall of the shared machine moves a
        # run's figure by 10-40%: more samples of each tool (3 per
        # round, each tool in turn first), as cheap as one of spawn_true.
        "sleep_j8": Bench("sleep_j8", 200, 8, sleep_j8_argv,
                          lambda s: (s - ideal) * 1e3 / 200, "ms/job",
                          sleep_j8_label, reps=3),
    }


def drive(b, models):
    """Each tool b.reps times, in turn, the order rotated each time."""
    corun_ok = True
    steps = [lambda: drive_peers(b), lambda: drive_corun(b, models)]
    for rep in range(b.reps):
        for k in range(len(steps)):
            ok = steps[(rep + k) % len(steps)]()
            corun_ok = corun_ok and ok is not False
    return corun_ok


def drive_peers(b):
    for impl, tool in (("xargs", "xargs"), ("parallel", "parallel")):
        if shutil.which(tool) is None:
            emit(b.name, impl, None, None, b.unit, b.jobs,
                 "%s is not installed" % tool)
            continue
        s, why = b.measure(impl)
        note = b.label(impl, None)
        if why is None:
            note += "; wall %.3f s" % s
        else:
            note += "; failed: " + why
        emit(b.name, impl, None, None if s is None else b.value_of(s),
             b.unit, b.jobs, note)
    return True


def drive_corun(b, models):
    corun_ok = True
    best = None
    corun = corun_path()
    for model in models:
        if not os.access(corun, os.X_OK):
            s, why = None, "%s is not built" % corun
        else:
            s, why = b.measure("corun", model)
        note = b.label("corun", model)
        if why is None:
            note += "; wall %.3f s" % s
            if best is None or s < best[0]:
                best = (s, model)
        else:
            note += "; failed: " + why
            corun_ok = False
        emit(b.name, "corun", model, None if s is None else b.value_of(s),
             b.unit, b.jobs, note)
    if best is not None:
        emit(b.name, "corun", None, b.value_of(best[0]), b.unit, b.jobs,
             "the best model of the round: --model %s" % best[1])
    else:
        emit(b.name, "corun", None, None, b.unit, b.jobs,
             "no model ran (see the variants)")
    return corun_ok


def corun_jobs(argv, text):
    """Run corun run ... --jobs-file - on text; (seconds, stdout) or
    (None, why)."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run([corun_path(), "run"] + argv +
                           ["--jobs-file", "-"], input=text,
                           capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as e:
        return None, str(e)
    s = time.perf_counter() - t0
    if p.returncode != 0:
        err = p.stderr.strip().splitlines()
        return None, "exit status %d%s" % (
            p.returncode, (": " + err[-1][:200]) if err else "")
    return s, p.stdout


def cpu_speedup(models):
    """16 cpu jobs of ~50 ms through the command line: the speedup of
    -j2 over -j1, startup included (bench_pool has the same through the
    pool API)."""
    jobs = 16
    if not os.access(corun_path(), os.X_OK):
        for m in models:
            emit("cpu_speedup", "corun run", m, None, "x", jobs,
                 "%s is not built" % corun_path())
        return False
    # A fixed number of rounds, so the work does not shrink when the
    # jobs share a core: the most rounds a 50 ms job did, of three.
    s, out = corun_jobs(["-j1"], '{"kind":"cpu","ms":50}\n' * 3)
    rounds = [int(w.split()[1]) for w in (out or "").splitlines()
              if len(w.split()) == 2 and w.split()[1].isdigit()]
    if s is None or not rounds:
        for m in models:
            emit("cpu_speedup", "corun run", m, None, "x", jobs,
                 "calibration failed: %s" % (out if s is None else
                                             "no rounds in its output"))
        return False
    text = '{"kind":"cpu","iter":%d}\n' % max(rounds) * jobs
    ok = True
    serial, _ = corun_jobs(["-j1"], text)
    walls = {m: corun_jobs(["-j2", "--model", m], text) for m in models
             if m in ("process", "thread", "async")}
    again, _ = corun_jobs(["-j1"], text)
    if serial is None or (again is not None and again < serial):
        serial = again
    for m, (wall, out) in walls.items():
        if serial is None or wall is None:
            why = out if wall is None else "the -j1 run failed"
            emit("cpu_speedup", "corun run", m, None, "x", jobs,
                 "failed: %s" % why)
            ok = False
            continue
        emit("cpu_speedup", "corun run", m, serial / wall, "x", jobs,
             "corun run -j2 --model %s --jobs-file: %.3f s; -j1: %.3f s "
             "(%d rounds a job, startup included)" %
             (m, wall, serial, max(rounds)))
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["spawn_true", "sleep_j8",
                                       "cpu_speedup"])
    ap.add_argument("--models", default=",".join(MODELS))
    args = ap.parse_args()
    models = [m for m in args.models.split(",") if m]
    ok = True
    for name, b in make_benches().items():
        if args.part in (None, name):
            ok &= drive(b, models)
    if args.part in (None, "cpu_speedup"):
        ok &= cpu_speedup(models)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

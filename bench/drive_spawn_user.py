#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""2000 x `true` at -j2 as a user runs it: whole processes, the default
model, the median of the rounds (spawn_true, in drive_runners.py, keeps the
best model of each round and the best round, with the floor timed inside
bench_spawn).

spawn_user  milliseconds per job, the wall time of the whole process / 2000
              corun   `corun run -j2 true ::: 1 .. 2000` (no --model: the
                      default a user gets)
              floor   `bench_spawn -p spawn_true --once`: a C posix_spawn
                      + waitpid loop, 2 in flight, as a process of its own
              xargs   `xargs -P2 -n1 true`, 2000 lines on stdin

The three take turns, the first changing each round; no warm-up run is
left out but the first round's.  The value is the median of ROUNDS, the
note gives the fastest.

Environment: BENCH_BUILDDIR, CORUN, CORUN_WORKER (bench/run.sh sets them).
Usage: drive_spawn_user.py [--rounds N]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

JOBS = 2000


def emit(bench, impl, value, unit, n, note=None):
    line = {"bench": bench, "impl": impl, "value": value, "unit": unit,
            "n": n}
    if note:
        line["note"] = note
    print(json.dumps(line), flush=True)


def plans():
    b = os.environ.get("BENCH_BUILDDIR", ".")
    corun = os.environ.get("CORUN") or os.path.join(b, "corun")
    nums = [str(i) for i in range(1, JOBS + 1)]
    return {
        "corun": ([corun, "run", "-j2", "true", ":::"] + nums, None,
                  "corun run -j2 true ::: 1 .. 2000 (the default model)"),
        "floor": ([os.path.join(b, "bench", "bench_spawn"), "-p",
                   "spawn_true", "--once"], None,
                  "bench_spawn -p spawn_true --once, the whole process"),
        "xargs": (["xargs", "-P2", "-n1", "true"],
                  "".join(n + "\n" for n in nums),
                  "xargs -P2 -n1 true, 2000 lines on stdin"),
    }


def run(argv, stdin_text):
    t0 = time.perf_counter()
    p = subprocess.run(argv, input=stdin_text, text=True,
                       stdin=None if stdin_text is not None
                       else subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=600)
    s = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError("exit status %d: %s" % (
            p.returncode, p.stderr.strip()[-200:]))
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    plan = plans()
    impls = list(plan)
    times = {k: [] for k in impls}
    failed = {}
    for r in range(args.rounds + 1):    # round 0 warms up
        order = impls[r % 3:] + impls[:r % 3]
        for k in order:
            if k in failed:
                continue
            try:
                s = run(plan[k][0], plan[k][1])
            except (OSError, RuntimeError,
                    subprocess.SubprocessError) as e:
                failed[k] = str(e)
                continue
            if r > 0:
                times[k].append(s * 1e3 / JOBS)
    for k in impls:
        if k in failed:
            emit("spawn_user", k, None, "ms/job", JOBS, "%s failed: %s" %
                 (plan[k][2], failed[k]))
            continue
        v = times[k]
        emit("spawn_user", k, statistics.median(v), "ms/job", JOBS,
             "%s; median of %d rounds, fastest %.3f" % (plan[k][2], len(v),
                                                        min(v)))
    return 1 if "corun" in failed else 0


if __name__ == "__main__":
    sys.exit(main())

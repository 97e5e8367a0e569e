#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The async model end to end, as a user runs it, against asyncio.

async_io  20 000 sleeps of 100 ms, all in flight at once:
            corun    `corun compare --workload io --count 20000 --ms 100
                     --models async --concurrency 20000 --repeat 1`,
                     the whole process (pool start, the jobs once, its
                     report): the same work as the peer's one gather
            asyncio  `python3 -c` gathering 20 000 asyncio.sleep(0.1),
                     the whole process
          `s`: wall time from start to exit; `B/job`: the peak RSS of
          the process tree (its largest process, from time(1) -f %M) with
          20 000 in flight, minus the same with 20, per job.
            corun (default-runs)  the same command without --repeat, as
                     a user types it: compare runs the model at least 3
                     times and adds runs (up to 20) while the wall times
                     spread over 5%, so it does 3 to 20 times the work
                     of the peer; the note says how many runs it made.

The two take turns, the first changing each time; each runs RUNS times per
invocation, the value is the median of those, the note the fastest.

Environment: CORUN and CORUN_WORKER (bench/run.sh sets them), PYTHON3.
Usage: drive_async.py [--runs N] [--count N]
"""

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time

ASYNCIO = ("import asyncio, sys\n"
           "async def main(n):\n"
           "    await asyncio.gather(*(asyncio.sleep(0.1) "
           "for _ in range(n)))\n"
           "asyncio.run(main(int(sys.argv[1])))\n")


def peak_rss_argv(argv, out):
    """argv under /usr/bin/time -o out, when there is one: the peak RSS
    a wait4 here would give is not the tool's own, since a process
    spawned from Python (vfork) keeps Python's high-water mark across
    its exec; time(1) forks from a small process."""
    if os.access("/usr/bin/time", os.X_OK):
        return ["/usr/bin/time", "-f", "%M", "-o", out] + argv
    return argv


def read_peak(out):
    """The peak RSS in KiB that time(1) wrote, or None."""
    try:
        with open(out) as f:
            return int(f.read().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def emit(bench, impl, value, unit, n, note=None, variant=None):
    line = {"bench": bench, "impl": impl, "value": value, "unit": unit,
            "n": n}
    if variant is not None:
        line["variant"] = variant
    if note:
        line["note"] = note
    print(json.dumps(line), flush=True)


def argv_of(impl, n, once=True):
    if impl == "corun":
        corun = os.environ.get("CORUN") or os.path.join(
            os.environ.get("BENCH_BUILDDIR", "."), "corun")
        argv = [corun, "compare", "--workload", "io", "--count", str(n),
                "--ms", "100", "--models", "async", "--concurrency",
                str(n)]
        return argv + ["--repeat", "1"] if once else argv
    return [os.environ.get("PYTHON3") or sys.executable, "-c", ASYNCIO,
            str(n)]


def run(argv, stdout=None):
    """(wall seconds, peak RSS in bytes of the tree's largest process);
    the program's standard output goes to the file stdout, or nowhere."""
    devnull = os.open(os.devnull, os.O_RDWR)
    outfd = devnull if stdout is None else os.open(
        stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    fd, out = tempfile.mkstemp(prefix="bench-rss-")
    os.close(fd)
    argv = peak_rss_argv(argv, out)
    t0 = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ,
                          file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0),
                                        (os.POSIX_SPAWN_DUP2, outfd, 1)])
    _, status, _ = os.wait4(pid, 0)
    s = time.perf_counter() - t0
    os.close(devnull)
    if outfd != devnull:
        os.close(outfd)
    peak = read_peak(out)
    os.unlink(out)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("%s exited with %d" % (
            " ".join(argv[:3]), os.waitstatus_to_exitcode(status)))
    return s, None if peak is None else peak * 1024


RUNS_RE = re.compile(r"\), (\d+) runs?$", re.M)


def default_runs(n):
    """The issue's command as a user types it (no --repeat): (wall
    seconds, the runs compare made, or None)."""
    fd, out = tempfile.mkstemp(prefix="bench-out-")
    os.close(fd)
    try:
        s, _ = run(argv_of("corun", n, once=False), stdout=out)
        with open(out) as f:
            m = RUNS_RE.search(f.read())
    finally:
        os.unlink(out)
    return s, int(m.group(1)) if m else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--count", type=int, default=20000)
    args = ap.parse_args()
    impls = ["corun", "asyncio"]
    wall = {k: [] for k in impls}
    dflt = []           # (s, runs) of the command without --repeat
    per_job = {k: [] for k in impls}
    failed = {}
    for k in impls:     # warm-up: page cache
        try:
            run(argv_of(k, 20))
        except (OSError, RuntimeError) as e:
            failed[k] = str(e)
    for r in range(args.runs):
        order = impls[r % 2:] + impls[:r % 2]
        for k in order:
            if k in failed:
                continue
            try:
                base = run(argv_of(k, 20))[1]
                s, peak = run(argv_of(k, args.count))
            except (OSError, RuntimeError) as e:
                failed[k] = str(e)
                continue
            wall[k].append(s)
            if peak is not None and base is not None:
                per_job[k].append((peak - base) / (args.count - 20))
            if k == "corun":
                try:
                    dflt.append(default_runs(args.count))
                except (OSError, RuntimeError):
                    pass
    n = args.count
    for k in impls:
        what = ("corun compare --workload io --models async "
                "--concurrency %d --repeat 1" % n if k == "corun"
                else "asyncio.gather of asyncio.sleep(0.1)")
        if k in failed:
            emit("async_io", k, None, "s", n, "%s failed: %s" %
                 (what, failed[k]))
            continue
        emit("async_io", k, statistics.median(wall[k]), "s", n,
             "%s, whole process; median of %d, fastest %.3f s" %
             (what, len(wall[k]), min(wall[k])))
        emit("async_io", k, statistics.median(per_job[k]) if per_job[k]
             else None, "B/job", n,
             "peak RSS with %d in flight minus with 20, per job (time(1) "
             "-f %%M); median of %d" % (n, len(per_job[k])))
    if dflt:
        runs = sorted(r for _, r in dflt if r is not None)
        emit("async_io", "corun", statistics.median(s for s, _ in dflt),
             "s", n, "the same without --repeat 1, as typed: compare ran "
             "the model %s times (at least 3, more while the wall times "
             "spread over 5%%); median of %d, fastest %.3f s" % (
                 "/".join(str(r) for r in runs) or "?", len(dflt),
                 min(s for s, _ in dflt)), variant="default-runs")
    return 1 if "corun" in failed else 0


if __name__ == "__main__":
    sys.exit(main())

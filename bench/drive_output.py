#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""corun run's output path and --json, as a user runs them.

output_1mb  200 jobs each writing 1 MB to stdout, 2 at a time, the
            tool's stdout a pipe this script drains:
              corun   corun run -j2 head -c 1000000 ::: /dev/zero x 200
              xargs   xargs -P2 -n1 head -c 1000000, /dev/zero lines (the jobs
                      write straight to the pipe: nothing goes through
                      xargs, the floor of a runner that passes output on)
            `MB/s`: 200 MB / wall; `KiB`: the peak RSS of the tool's
            process tree (its largest process, from time(1) -f %M).
json        the cost of --json per job: `corun run -j2 --json true :::
            1 .. 2000` minus the same without --json, in us per job,
            the two run back to back in turns (the note gives the plain
            run's time per job, for scale).

Each runs RUNS times per invocation in turns, the first changing each
time; the value is the median, the note the fastest.

Environment: CORUN, CORUN_WORKER (bench/run.sh sets them).
Usage: drive_output.py [--runs N] [--part output_1mb|json]
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

JOBS = 200
BYTES = 1000000
JSON_JOBS = 2000


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


def corun():
    return os.environ.get("CORUN") or os.path.join(
        os.environ.get("BENCH_BUILDDIR", "."), "corun")


def run(argv, stdin_bytes=b""):
    """(wall s, peak RSS KiB, bytes read from its stdout)."""
    rfd, wfd = os.pipe()
    ifd, iwfd = os.pipe()
    fd, out = tempfile.mkstemp(prefix="bench-rss-")
    os.close(fd)
    argv = peak_rss_argv(argv, out)
    t0 = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ,
                          file_actions=[(os.POSIX_SPAWN_DUP2, ifd, 0),
                                        (os.POSIX_SPAWN_DUP2, wfd, 1),
                                        (os.POSIX_SPAWN_CLOSE, rfd),
                                        (os.POSIX_SPAWN_CLOSE, iwfd)])
    os.close(wfd)
    os.close(ifd)
    os.write(iwfd, stdin_bytes)     # small: fits the pipe
    os.close(iwfd)
    got = 0
    while True:
        b = os.read(rfd, 1 << 20)
        if not b:
            break
        got += len(b)
    os.close(rfd)
    _, status, _ = os.wait4(pid, 0)
    s = time.perf_counter() - t0
    peak = read_peak(out)
    os.unlink(out)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("%s exited with %d" % (
            " ".join(argv[:8]), os.waitstatus_to_exitcode(status)))
    return s, peak, got


def output_1mb(runs):
    args = ["/dev/zero"] * JOBS     # each job's argument: its input
    plan = {
        "corun": ([corun(), "run", "-j2", "head", "-c", str(BYTES),
                   ":::"] + args, b""),
        "xargs": (["xargs", "-P2", "-n1", "head", "-c", str(BYTES)],
                  "".join(a + "\n" for a in args).encode()),
    }
    res = {k: [] for k in plan}
    failed = {}
    for r in range(runs + 1):       # the first round warms up
        order = list(plan)[r % 2:] + list(plan)[:r % 2]
        for k in order:
            if k in failed:
                continue
            try:
                s, rss, got = run(*plan[k])
            except (OSError, RuntimeError) as e:
                failed[k] = str(e)
                continue
            if got != JOBS * BYTES:
                failed[k] = "%d bytes out, not %d" % (got, JOBS * BYTES)
            elif r > 0:
                res[k].append((s, rss))
    for k in plan:
        what = ("corun run -j2 head -c 1000000 ::: /dev/zero x 200"
                if k == "corun" else
                "xargs -P2 -n1 head -c 1000000 (/dev/zero lines)")
        if k in failed:
            emit("output_1mb", k, None, "MB/s", JOBS, "%s failed: %s" %
                 (what, failed[k]))
            continue
        rates = [JOBS * BYTES / 1e6 / s for s, _ in res[k]]
        rss = [m for _, m in res[k] if m is not None]
        emit("output_1mb", k, statistics.median(rates), "MB/s", JOBS,
             "%s, stdout a pipe; median of %d, best %.0f MB/s" %
             (what, len(rates), max(rates)))
        emit("output_1mb", k, statistics.median(rss) if rss else None,
             "KiB", JOBS, "peak RSS of the tool's largest process "
             "(time(1) -f %%M); median of %d" % len(rss))
    return 1 if "corun" in failed else 0


def json_cost(runs):
    args = [str(i) for i in range(1, JSON_JOBS + 1)]
    base = [corun(), "run", "-j2"]
    plain, js = [], []
    try:
        run(base + ["true", ":::"] + args[:50])
        for r in range(runs):
            pair = {}
            for k in (("plain", "json") if r % 2 == 0 else
                      ("json", "plain")):
                argv = base + (["--json"] if k == "json" else []) + \
                    ["true", ":::"] + args
                pair[k] = run(argv)[0]
            plain.append(pair["plain"])
            js.append(pair["json"])
    except (OSError, RuntimeError) as e:
        emit("json", "corun", None, "us/job", JSON_JOBS, "failed: %s" % e)
        return 1
    diffs = [(j - p) / JSON_JOBS * 1e6 for j, p in zip(js, plain)]
    emit("json", "corun", statistics.median(diffs), "us/job", JSON_JOBS,
         "--json minus plain, corun run -j2 true ::: 1 .. %d, %d pairs "
         "in turns: %s; the plain run %.0f us/job" % (
             JSON_JOBS, len(diffs), " ".join("%.1f" % d for d in diffs),
             statistics.median(plain) / JSON_JOBS * 1e6))
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--part", choices=("output_1mb", "json"))
    args = ap.parse_args()
    rc = 0
    if args.part in (None, "output_1mb"):
        rc |= output_1mb(args.runs)
    if args.part in (None, "json"):
        rc |= json_cost(args.runs)
    return rc


if __name__ == "__main__":
    sys.exit(main())

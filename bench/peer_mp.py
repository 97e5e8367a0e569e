#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python process-pool peers of bench_pool (pool_noop, pool_submit).

pool_noop    multiprocessing.Pool(2).map(f, range(N), chunksize=100) with a
             trivial f, and concurrent.futures.ProcessPoolExecutor(2).map
             with the same chunksize: microseconds per item.
pool_submit  ProcessPoolExecutor(2).submit(f, i), one call per job, N
             calls without waiting in between, then wait for all of them:
             microseconds per job.

The pools are started (and their workers warmed up with a small map)
before the clock starts, as bench_pool does for corun.  Standard library
only.  Prints one JSON line per figure, like the C programs.

Usage: peer_mp.py [--part pool_noop|pool_submit] [-n N]
"""

import argparse
import concurrent.futures
import json
import multiprocessing
import time

PROCS = 2
CHUNK = 100


def emit(bench, impl, variant, value, unit, n, note=None):
    line = {"bench": bench, "impl": impl, "value": value, "unit": unit,
            "n": n}
    if variant is not None:
        line["variant"] = variant
    if note:
        line["note"] = note
    print(json.dumps(line), flush=True)


def noop(x):
    return x


def mp_map(n):
    with multiprocessing.Pool(PROCS) as pool:
        pool.map(noop, range(1000), chunksize=CHUNK)     # warm up
        t0 = time.perf_counter_ns()
        out = pool.map(noop, range(n), chunksize=CHUNK)
        us = (time.perf_counter_ns() - t0) / 1e3 / n
    assert len(out) == n
    emit("pool_noop", "multiprocessing.Pool", None, us, "us/item", n,
         "%d processes, chunksize=%d" % (PROCS, CHUNK))


def ppe_map(n):
    with concurrent.futures.ProcessPoolExecutor(PROCS) as ex:
        list(ex.map(noop, range(1000), chunksize=CHUNK))  # warm up
        t0 = time.perf_counter_ns()
        out = list(ex.map(noop, range(n), chunksize=CHUNK))
        us = (time.perf_counter_ns() - t0) / 1e3 / n
    assert len(out) == n
    emit("pool_noop", "ProcessPoolExecutor", "map", us, "us/item", n,
         "%d processes, chunksize=%d" % (PROCS, CHUNK))


def ppe_submit(n):
    with concurrent.futures.ProcessPoolExecutor(PROCS) as ex:
        concurrent.futures.wait([ex.submit(noop, i) for i in range(200)])
        t0 = time.perf_counter_ns()
        futs = [ex.submit(noop, i) for i in range(n)]
        concurrent.futures.wait(futs)
        us = (time.perf_counter_ns() - t0) / 1e3 / n
    assert all(f.result() == i for i, f in enumerate(futs))
    emit("pool_submit", "ProcessPoolExecutor", None, us, "us/job", n,
         "%d processes; one submit() per job, then wait()" % PROCS)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["pool_noop", "pool_submit"])
    ap.add_argument("-n", type=int, default=0)
    args = ap.parse_args()
    if args.part in (None, "pool_noop"):
        mp_map(args.n or 200000)
        ppe_map(args.n or 200000)
    if args.part in (None, "pool_submit"):
        ppe_submit(args.n or 10000)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python asyncio peers of bench_task and bench_sleep.

task_spawn  asyncio.create_task of a trivial coroutine, gathered in batches
            (ns per task: spawn + run + completion).
sleep_100k  100 000 tasks each awaiting asyncio.sleep(0.1), gathered: wall
            time and peak RSS per task above the baseline (VmRSS once the
            loop runs, before the first task; peak = VmHWM).  It runs in a
            child process of its own so the peaks do not mix.

Prints one JSON line per figure, like the C programs.
Usage: peer_asyncio.py [--part task_spawn|sleep_100k] [-n N] [-b BATCH]
"""

import argparse
import asyncio
import json
import subprocess
import sys
import time


def emit(bench, value, unit, n, note=None, impl="asyncio"):
    line = {"bench": bench, "impl": impl, "value": value, "unit": unit,
            "n": n}
    if note:
        line["note"] = note
    print(json.dumps(line), flush=True)


def status_bytes(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


async def trivial():
    return None


async def spawn_batches(total, batch):
    done = 0
    while done < total:
        b = min(batch, total - done)
        await asyncio.gather(*[asyncio.create_task(trivial())
                               for _ in range(b)])
        done += b


def task_spawn(total, batch):
    asyncio.run(spawn_batches(2 * batch, batch))   # warm up
    t0 = time.perf_counter_ns()
    asyncio.run(spawn_batches(total, batch))
    ns = (time.perf_counter_ns() - t0) / total
    emit("task_spawn", ns, "ns/task", total, "batches of %d, gathered" %
         batch)


async def sleepers(n):
    base = status_bytes("VmRSS")
    t0 = time.perf_counter_ns()
    await asyncio.gather(*[asyncio.create_task(asyncio.sleep(0.1))
                           for _ in range(n)])
    wall = (time.perf_counter_ns() - t0) / 1e9
    return base, wall


def sleep_100k(n):
    base, wall = asyncio.run(sleepers(n))
    peak = status_bytes("VmHWM")
    note = "baseline %d KiB, peak %d KiB" % (base // 1024, peak // 1024)
    emit("sleep_100k", wall, "s", n, note)
    emit("sleep_100k", (peak - base) / n, "B/task", n, note)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["task_spawn", "sleep_100k"])
    ap.add_argument("-n", type=int, default=0)
    ap.add_argument("-b", type=int, default=10000)
    args = ap.parse_args()
    if args.part == "task_spawn":
        task_spawn(args.n or 200000, args.b)
    elif args.part == "sleep_100k":
        sleep_100k(args.n or 100000)
    else:
        # Each part in a fresh interpreter, so RSS peaks do not mix.
        rc = 0
        for part in ("task_spawn", "sleep_100k"):
            cmd = [sys.executable, __file__, "--part", part]
            if args.n:
                cmd += ["-n", str(args.n)]
            rc |= subprocess.call(cmd)
        sys.exit(1 if rc else 0)


if __name__ == "__main__":
    main()

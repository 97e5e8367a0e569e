#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""peers.py - the Python peers of `corun compare --peers python`.

Runs one of compare's built-in workloads under asyncio, a
ThreadPoolExecutor, a ProcessPoolExecutor and a multiprocessing.Pool, and
prints one JSON object per line with the field names of `corun compare
--json` (model, wall_s, jobs_per_s, p50_ms, p95_ms, p99_ms, cpu_s,
peak_rss_kb, ...).  Each implementation gets the same budget as corun's
models: -j N processes or threads, asyncio C jobs in flight, at most W
submitted and not yet done (W = max(2 x slots, 256), at most --count).

compare finds this script through $CORUN_PEERS, next to the corun binary,
or in $(pkgdatadir).  It can be run alone too:

    python3 peers.py --workload io --count 100 --ms 50 -j 2
"""
import argparse
import asyncio
import concurrent.futures as cf
import json
import multiprocessing as mp
import os
import resource
import socket
import subprocess
import sys
import threading
import time

# ---- the jobs --------------------------------------------------------


def cpu_kernel(n):
    """n rounds of integer mixing: pure Python compute, holds the GIL."""
    x, h = 0x9E3779B97F4A7C15, 0xCBF29CE484222325
    m = (1 << 64) - 1
    for _ in range(n):
        x ^= (x << 13) & m
        x ^= x >> 7
        x ^= (x << 17) & m
        h = ((h ^ (x & 0xFFFF)) * 0x100000001B3) & m
    return h


def calibrate(ms):
    """Rounds of cpu_kernel that take about ms milliseconds here."""
    n = 20000
    while True:
        t = time.perf_counter()
        cpu_kernel(n)
        dt = time.perf_counter() - t
        if dt > 0.05:
            return max(1, int(n * ms / 1000.0 / dt))
        n *= 2


def plan(spec, i):
    """The job number i: (kind, argument), the blend as compare's."""
    wl = spec["workload"]
    if wl == "mixed":
        w = spec["mix"]
        r = i % sum(w)
        wl = "io" if r < w[0] else "cpu" if r < w[0] + w[1] else "blocking"
    if wl == "io":
        return ("sleep", spec["ms"] / 1000.0)
    if wl == "blocking":
        return ("block", spec["ms"] / 1000.0)
    if wl == "cpu":
        return ("cpu", spec["iters"])
    if wl == "shell":
        if spec["ms"] > 0:
            return ("shell", ["sleep", "%.3f" % (spec["ms"] / 1000.0)])
        return ("shell", ["true"])
    if wl == "net":
        return ("net", spec["addr"])
    return ("noop", None)


def run_sync(job):
    """Run one job on this thread; returns its run time in seconds."""
    kind, arg = job
    t = time.monotonic()
    if kind in ("sleep", "block"):
        time.sleep(arg)
    elif kind == "cpu":
        cpu_kernel(arg)
    elif kind == "shell":
        subprocess.run(arg, check=False)
    elif kind == "net":
        host, port = arg.rsplit(":", 1)
        with socket.create_connection((host, int(port))) as s:
            s.sendall(b"GET\n")
            s.shutdown(socket.SHUT_WR)
            while s.recv(4096):
                pass
    return time.monotonic() - t


async def run_async(job):
    kind, arg = job
    t = time.monotonic()
    if kind == "sleep":
        await asyncio.sleep(arg)
    elif kind == "block":
        time.sleep(arg)         # the trap: it stalls the loop
    elif kind == "cpu":
        cpu_kernel(arg)
    elif kind == "shell":
        p = await asyncio.create_subprocess_exec(*arg)
        await p.wait()
    elif kind == "net":
        host, port = arg.rsplit(":", 1)
        r, w = await asyncio.open_connection(host, int(port))
        w.write(b"GET\n")
        w.write_eof()
        while await r.read(4096):
            pass
        w.close()
    return time.monotonic() - t

# ---- measuring -------------------------------------------------------


def vmhwm(pid="self"):
    try:
        with open("/proc/%s/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def pct(sorted_ms, q):
    if not sorted_ms:
        return 0.0
    k = max(0, min(len(sorted_ms) - 1, int(-(-q * len(sorted_ms) // 1)) - 1))
    return sorted_ms[k]


class Meter:
    def __init__(self):
        reset_peak()
        self.s0 = resource.getrusage(resource.RUSAGE_SELF)
        self.c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.t0 = time.monotonic()

    def row(self, name, p, t, c, lat, runs, failed, t_end, pids):
        rss = vmhwm() + sum(vmhwm(x) for x in pids)
        return dict(model=name, impl="python", procs=p, threads=t,
                    concurrency=c, lat=lat, runs=runs, failed=failed,
                    wall=t_end - self.t0, rss=rss)

    def finish(self, d):
        s1 = resource.getrusage(resource.RUSAGE_SELF)
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        user = (s1.ru_utime - self.s0.ru_utime) + \
            (c1.ru_utime - self.c0.ru_utime)
        sys_ = (s1.ru_stime - self.s0.ru_stime) + \
            (c1.ru_stime - self.c0.ru_stime)
        lat = sorted(x * 1000.0 for x in d.pop("lat"))
        runs = d.pop("runs")
        n = len(lat)
        wall = d.pop("wall")
        d.update(jobs=n, wall_s=wall, jobs_per_s=n / wall if wall > 0 else 0,
                 p50_ms=pct(lat, 0.50), p95_ms=pct(lat, 0.95),
                 p99_ms=pct(lat, 0.99),
                 mean_run_ms=sum(runs) * 1000.0 / n if n else 0,
                 cpu_user_s=user, cpu_sys_s=sys_, cpu_s=user + sys_,
                 peak_rss_kb=d.pop("rss"),
                 vcsw=(s1.ru_nvcsw - self.s0.ru_nvcsw) +
                 (c1.ru_nvcsw - self.c0.ru_nvcsw),
                 ivcsw=(s1.ru_nivcsw - self.s0.ru_nivcsw) +
                 (c1.ru_nivcsw - self.c0.ru_nivcsw))
        return d

# ---- the implementations ---------------------------------------------


def window(spec, slots):
    return max(1, min(spec["count"], max(2 * slots, 256)))


def with_executor(spec, name, ex, procs, threads, pids):
    """A bounded window over a concurrent.futures executor."""
    n = spec["count"]
    win = window(spec, procs * threads)
    list(ex.map(run_sync, [("noop", None)] * (procs * threads)))
    m = Meter()
    lat, runs, failed = [], [], 0
    pending = {}
    i = 0
    t_end = m.t0
    while i < n or pending:
        while i < n and len(pending) < win:
            pending[ex.submit(run_sync, plan(spec, i))] = time.monotonic()
            i += 1
        done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
        now = time.monotonic()
        for f in done:
            lat.append(now - pending.pop(f))
            try:
                runs.append(f.result())
            except Exception:
                failed += 1
        t_end = now
    d = m.row(name, procs, threads, 1, lat, runs, failed, t_end, pids())
    ex.shutdown(wait=True)
    return m.finish(d)


def with_mp_pool(spec, n_procs):
    n = spec["count"]
    win = window(spec, n_procs)
    pool = mp.Pool(n_procs)
    pool.map(run_sync, [("noop", None)] * n_procs)
    m = Meter()
    lat, runs = [], []
    errors = [0]
    cv = threading.Condition()
    state = {"out": 0, "t_end": m.t0}

    def done(t_sub, res=None, err=False):
        with cv:
            now = time.monotonic()
            lat.append(now - t_sub)
            if err:
                errors[0] += 1
            else:
                runs.append(res)
            state["out"] -= 1
            state["t_end"] = now
            cv.notify()

    for i in range(n):
        with cv:
            while state["out"] >= win:
                cv.wait()
            state["out"] += 1
        t = time.monotonic()
        pool.apply_async(run_sync, (plan(spec, i),),
                         callback=lambda r, t=t: done(t, r),
                         error_callback=lambda e, t=t: done(t, err=True))
    with cv:
        while state["out"] > 0:
            cv.wait()
    d = m.row("py-mp.pool", n_procs, 1, 1, lat, runs, errors[0],
              state["t_end"], [p.pid for p in pool._pool])
    pool.close()
    pool.join()
    return m.finish(d)


def with_asyncio(spec, conc):
    n = spec["count"]
    win = window(spec, conc)

    async def main(m):
        lat, runs = [], []
        failed = [0]
        slots = asyncio.Semaphore(win)
        running = asyncio.Semaphore(conc)
        t_end = [m.t0]

        async def one(i, t_sub):
            try:
                async with running:
                    runs.append(await run_async(plan(spec, i)))
            except Exception:
                failed[0] += 1
            finally:
                now = time.monotonic()
                lat.append(now - t_sub)
                t_end[0] = now
                slots.release()

        tasks = set()
        for i in range(n):
            await slots.acquire()
            t = asyncio.ensure_future(one(i, time.monotonic()))
            tasks.add(t)
            t.add_done_callback(tasks.discard)
        while tasks:
            await asyncio.gather(*list(tasks))
        return m.row("py-asyncio", 1, 1, conc, lat, runs, failed[0],
                     t_end[0], [])

    m = Meter()
    d = asyncio.run(main(m))
    return m.finish(d)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workload", default="io",
                    choices=["io", "cpu", "blocking", "mixed", "shell",
                             "net", "noop"])
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--ms", type=float, default=50)
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--concurrency", type=int, default=1000)
    ap.add_argument("--mix", default="8:1:1")
    ap.add_argument("--addr", default="")
    ap.add_argument("--impls", default="asyncio,threads,procpool,mp.pool")
    a = ap.parse_args()
    if a.count < 1:
        ap.error("--count must be at least 1")
    if a.workload == "net" and not a.addr:
        ap.error("--workload net needs --addr HOST:PORT")
    spec = dict(workload=a.workload, count=a.count, ms=a.ms,
                mix=[int(x) for x in a.mix.split(":")], addr=a.addr,
                iters=0)
    if a.workload in ("cpu", "mixed"):
        spec["iters"] = calibrate(a.ms)
    conc = max(1, min(a.concurrency, a.count))
    for impl in a.impls.split(","):
        if impl == "asyncio":
            row = with_asyncio(spec, conc)
        elif impl == "threads":
            ex = cf.ThreadPoolExecutor(max_workers=a.jobs)
            row = with_executor(spec, "py-threads", ex, 1, a.jobs,
                                lambda: [])
        elif impl == "procpool":
            ex = cf.ProcessPoolExecutor(max_workers=a.jobs)
            row = with_executor(spec, "py-procpool", ex, a.jobs, 1,
                                lambda ex=ex: list(ex._processes))
        elif impl == "mp.pool":
            row = with_mp_pool(spec, a.jobs)
        else:
            ap.error("unknown implementation %r" % impl)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()

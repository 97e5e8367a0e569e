#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turn the JSON lines of a benchmark run into BENCHMARKS.md.

    mkreport.py --meta [--srcdir DIR]       print a {"meta": ...} line
    mkreport.py RESULTS.jsonl [-o OUT.md]   write the report

Input lines are {"bench", "impl", "value", "unit"} plus the optional
"variant", "n" and "note"; a {"meta": {...}} line describes the machine and
{"failed": PROGRAM, "rc": N} lines record programs that failed.  Every
program runs several times; for each (bench, impl, variant, unit) the report
keeps the best run: the lowest value (the highest for rates, units ending
in "/s").  Noise on a shared machine only ever makes a figure worse, so the
best run is the closest to the real cost; the median of the runs is shown
beside it, so that a lucky or unlucky best stands out.

To describe a new benchmark, add an entry to BENCHES; a benchmark without
one still gets a table, under its own name.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

# Title, description, the reference row for ratios (impl, variant) and the
# targets: (unit, impl, variant, limit).  A target is a maximum, or a
# minimum when higher is better (rates, units ending in "/s", and
# speedups, unit "x").  limit is a number, or rel(factor, impl, variant):
# factor times the value of another row of the same unit in the same run
# (corun <= 1.15 x floor is rel(1.15, "floor", None)).  A row may have
# several targets.


def rel(factor, impl, variant=None):
    return ("rel", factor, impl, variant)

BENCHES = {
    "corund_add": {
        "title": "corund_add: add a job to corund's durable store",
        "text": "src/daemon/store.c on SQLite in WAL mode (synchronous="
                "NORMAL, as corund runs it), with 10 000 and 1 000 000 jobs "
                "already queued: `batched` is one transaction per 1000 jobs "
                "(a submit batch), `single` one per job (one submit at a "
                "time).  The cost should not grow with the queue.",
        "ref": ("corun", "batched-10k"),
        "targets": [("us/job", "corun", "batched-10k", 20),
                    ("us/job", "corun", "batched-1M", 20)],
    },
    "corund_submit": {
        "title": "corund_submit: submit jobs through corund's control socket",
        "text": "A real corund (2 workers, a fresh state directory, paused "
                "so that only accepting jobs is measured) driven by one nng "
                "REQ socket: `batched-1000` is a submit request holding "
                "1000 noop jobs, `single` one request per job.  Each job "
                "is on disk before its reply.",
        "ref": ("corun", "batched-1000"),
        "targets": [],
    },
    "corund_list": {
        "title": "corund_list: the first page of corun list, 1 000 000 "
                 "jobs queued against 1000",
        "text": "A real corund on a state directory holding N queued "
                "shell jobs (in a paused group).  `op` is one list request "
                "for the first page (100 jobs) over an nng REQ socket; "
                "`process` is the whole `corun list --last 100` command.  "
                "The two queues are measured in interleaved rounds (300 "
                "requests, 15 processes each).  The page is read by id "
                "from its cursor, so it should not grow with the queue.",
        "ref": ("corun", "op-1k-p50"),
        "targets": [("us", "corun", "op-1M-p50",
                     rel(1.5, "corun", "op-1k-p50")),
                    ("us", "corun", "process-1M-p50",
                     rel(1.5, "corun", "process-1k-p50"))],
    },
    "corund_dashboard": {
        "title": "corund_dashboard: what watching corund costs its throughput",
        "text": "A real corund (2 workers, a fresh state directory each "
                "run) runs 10 000 noop jobs submitted while paused: the "
                "rate from resume to the last result on disk, `off` "
                "without --http, `http-idle` with the listener and nobody "
                "connected, `sse-client` with a browser-like client that "
                "loaded the page and reads every update of /events.  The "
                "`-overhead` rows are the median over 5 interleaved "
                "triples of the throughput lost against `off` (the "
                "`-cpu-overhead` rows: corund's extra CPU time), in "
                "percent.  bench/drive_dashboard.py.",
        "ref": ("corun", "off"),
        "targets": [("%", "corun", "sse-overhead", 2)],
    },
    "corund_roundtrip": {
        "title": "corund_roundtrip: a noop job from submit to result",
        "text": "A real corund (2 workers, a fresh state directory) and "
                "one nng REQ socket: `p50`/`p99` time one submit request "
                "with `\"wait\": true`, whose reply comes once the noop "
                "job ran on a worker and its result is on disk; "
                "`two-requests` is the same as a submit and then a wait "
                "request; `ping-p50` is corund's ping op.  The nng rows "
                "are the floor, measured in the same run: an echo between "
                "two processes over ipc with nng's REQ/REP (a client's "
                "request to corund) and PAIR1 (corund's job to a worker); "
                "their sum is the least a round trip through a daemon and "
                "a worker process can cost with nng here; `reqrep-dial` "
                "opens and dials a REQ socket for each request, as the "
                "`corun` command does once per run.  Percentiles of "
                "2000 each, taken in interleaved rounds.",
        "ref": ("corun", "p50"),
        # The nng floor measured in the same run, not an absolute time
        # (100 us was below nng's own cost here).
        "targets": [("us", "corun", "p50",
                     rel(1.3, "nng", "reqrep+pair1-p50"))],
    },
    "client_status": {
        "title": "client_status: one request to corund, a whole `corun` "
                 "process",
        "text": "`corun status` against a running corund (2 workers, a "
                "fresh state directory), started from the driver as a "
                "user starts it; peers in the same interleaved rounds: "
                "task-spooler's `tsp -S` (its server running) and `true`, "
                "the cost of starting any process here.  The value is the "
                "median of the round's requests (bench/drive_daemon.py).",
        "ref": ("corun", None),
        "targets": [("ms", "corun", None, rel(1.0, "tsp"))],
    },
    "submit_wait": {
        "title": "submit_wait: submit a no-op to corund and wait for it",
        "text": "`corun submit --wait true`: queued on disk, run by a "
                "worker, its result on disk, then the reply; peers in the "
                "same rounds: `tsp -f true` (queue it, wait in the "
                "foreground) and nq (`nq true`, then `nq -w ID`: two "
                "processes).  Median of the round's requests "
                "(bench/drive_daemon.py).",
        "ref": ("corun", None),
        "targets": [("ms", "corun", None, rel(1.0, "tsp"))],
    },
    "async_io": {
        "title": "async_io: the async model end to end, 20 000 sleeps of "
                 "100 ms in flight",
        "text": "`corun compare --workload io --count 20000 --ms 100 "
                "--models async --concurrency 20000 --repeat 1`, the "
                "whole process (pool start, the jobs once through one "
                "worker, the report), against a Python process gathering "
                "20 000 asyncio.sleep(0.1), in turns "
                "(bench/drive_async.py).  `default-runs`: the same "
                "command without `--repeat 1`, as typed, which runs the "
                "model 3 to 20 times (more while the wall times spread "
                "over 5%), so 3 to 20 times the peer's work; no target.  "
                "`s`: wall time from start to exit, the median of the "
                "round; `B/job`: the peak RSS of the process tree's "
                "largest process with 20 000 in flight, minus the same "
                "with 20, per job.",
        "ref": ("corun", None),
        "targets": [("s", "corun", None, rel(0.5, "asyncio")),
                    ("B/job", "corun", None, 1024)],
    },
    "output_1mb": {
        "title": "output_1mb: 200 jobs x 1 MB of output at -j2",
        "text": "`corun run -j2 head -c 1000000 ::: /dev/zero` x 200, its "
                "stdout a pipe the driver drains, against `xargs -P2 -n1 "
                "head -c 1000000`, whose jobs write straight to the pipe "
                "(the floor for a runner that passes output on), in turns "
                "(bench/drive_output.py).  `MB/s`: 200 MB / wall, the "
                "median of the round; `KiB`: the peak RSS of the tool's "
                "largest process (time(1) -f %M).",
        "ref": ("corun", None),
        "targets": [("MB/s", "corun", None, rel(1.0, "xargs")),
                    ("KiB", "corun", None, 4096)],
    },
    "json": {
        "title": "json: what --json adds per job",
        "text": "`corun run -j2 --json true ::: 1 .. 2000` minus the same "
                "without --json, run back to back in turns, per job: the "
                "median of the pairs (bench/drive_output.py).",
        "ref": ("corun", None),
        "targets": [("us/job", "corun", None, 3)],
    },
    "task_spawn": {
        "title": "task_spawn: spawn, run and complete a trivial task",
        "text": "Tasks are spawned in batches and each batch is run to "
                "completion.  corun `step`: corun_task_spawn_step with a "
                "step that returns 0, the batch run with run_forever until "
                "the last task calls corun_loop_stop (the cheapest form); "
                "`step-gather`: the same tasks gathered with corun_gather "
                "and run_until_complete, as the asyncio peer does; "
                "`stackful`: corun_task_spawn with a trivial body and the "
                "default stack; `stackful-b32`: the same in batches of 32, "
                "so every stack comes from the stack cache.  asyncio: "
                "create_task of a trivial coroutine, each batch gathered.",
        "ref": ("corun", "step"),
        "targets": [("ns/task", "corun", "step", 100)],
    },
    "sleep_100k": {
        "title": "sleep_100k: 100 000 concurrent tasks sleeping 100 ms",
        "text": "All tasks sleep 100 ms concurrently in one loop.  Wall "
                "time runs from the first spawn until the last task is "
                "done; memory is the peak RSS (VmHWM) minus the RSS before "
                "the first task, divided by the tasks, each variant in a "
                "process of its own.  corun `step`: callback-style tasks "
                "(corun_step_sleep; the bench keeps one byte of state per "
                "task, counted); `stackful`: corun_task_spawn with "
                "CORUN_CO_STACK_MIN stacks and corun_sleep, and "
                "`stackful-30000` the same with 30 000 tasks, which fit "
                "under the default vm.max_map_count when each stack "
                "takes two mappings.  asyncio: asyncio.sleep(0.1) tasks, "
                "gathered.",
        "ref": ("corun", "step"),
        "targets": [("s", "corun", "step", 0.15),
                    ("s", "corun", "stackful", 0.15),
                    ("B/task", "corun", "step", 256)],
    },
    "co_switch": {
        "title": "co_switch: one coroutine switch",
        "text": "A coroutine that suspends in a loop is resumed N times; "
                "a resume + suspend round trip is two switches.  corun: "
                "corun_co_resume / corun_co_suspend; `gen`: "
                "corun_gen_next / corun_gen_yield.  ucontext: a "
                "swapcontext ping-pong in the same program (it saves the "
                "signal mask, a system call per switch).  Python "
                "generator send() is a loose reference only: stackless, "
                "inside the interpreter.",
        "ref": ("corun", None),
        "targets": [("ns/switch", "corun", None, 50)],
    },
    "spawn_true": {
        "title": "spawn_true: 2000 x `true` at -j2",
        "text": "The wall time of running `true` 2000 times with 2 in "
                "flight, per job; for the command-line tools it runs from "
                "starting the tool until it exits.  floor: a plain C "
                "posix_spawn + waitpid loop (bench_spawn).  xargs: "
                "`xargs -P2 -n1 true` fed 2000 lines.  parallel: GNU "
                "`parallel -j2 true ::: 1 .. 2000`.  corun: `corun run -j2 "
                "--model M true ::: 1 .. 2000` for each model M (the "
                "variants); the row without a variant is the best model "
                "of each round (bench/drive_runners.py).",
        "ref": ("corun", None),
        "targets": [("ms/job", "corun", None, rel(1.15, "floor")),
                    ("ms/job", "corun", None, rel(1.0, "xargs")),
                    ("ms/job", "corun", None, rel(0.2, "parallel"))],
    },
    "spawn_user": {
        "title": "spawn_user: 2000 x `true` at -j2 as a user runs it",
        "text": "Whole processes, the median of the rounds "
                "(bench/drive_spawn_user.py): corun is `corun run -j2 "
                "true ::: 1 .. 2000` with the default model; floor is "
                "bench_spawn's posix_spawn + waitpid loop run once as a "
                "process of its own (`bench_spawn -p spawn_true --once`); "
                "xargs is `xargs -P2 -n1 true`.  spawn_true above keeps "
                "the best model and the best round against a floor timed "
                "inside bench_spawn; this is what a user sees.",
        "ref": ("corun", None),
        "targets": [("ms/job", "corun", None, rel(1.15, "floor"))],
    },
    "pipe_throughput": {
        "title": "pipe_throughput: `--pipe wc -l`, 1 MiB blocks, -j2",
        "text": "MB/s of input (about 57 MB of `seq` output from the page "
                "cache, piped in by cat) through `wc -l` jobs: `cat FILE | "
                "parallel -j2 --pipe wc -l` against `cat FILE | corun run "
                "-j2 --pipe wc -l`; the wall time from start to exit "
                "(bench/drive_pipe.py).",
        "ref": ("parallel", None),
        "targets": [("MB/s", "corun", None, rel(3.0, "parallel"))],
    },
    "pipepart_throughput": {
        "title": "pipepart_throughput: `--pipepart -a FILE --block 10M "
                 "wc -l`, -j2",
        "text": "MB/s of the same file split in place: floor is `cat FILE "
                "| wc -l` (one reader, one counter), parallel and corun "
                "run `--pipepart -a FILE --block 10M wc -l` at -j2 "
                "(bench/drive_pipe.py).  Target: within 1.5x of the floor.",
        "ref": ("floor", None),
        "targets": [("MB/s", "corun", None, rel(1 / 1.5, "floor"))],
    },
    "pipe_rss": {
        "title": "pipe_rss: corun's peak RSS for `--pipe wc -l`",
        "text": "Peak RSS (wait4) of `corun run -j2 --pipe wc -l` reading "
                "10 MB and 250 MB of `seq` output: flat, whatever the "
                "input's size (bench/drive_pipe.py).",
        "ref": ("corun", "10MB"),
        "targets": [("KiB", "corun", "250MB", rel(1.1, "corun", "10MB"))],
    },
    "sleep_j8": {
        "title": "sleep_j8: 200 x `sleep 0.01` at -j8",
        "text": "The cost each job adds to the ideal: (wall - ideal) / "
                "jobs, ideal = 200 / 8 x 10 ms = 250 ms.  floor: "
                "posix_spawn + waitpid with 8 in flight (bench_spawn); "
                "xargs -P8 -n1 sleep; parallel -j8 sleep ::: 0.01 ...; "
                "`corun run -j8 --model M sleep ::: 0.01 ...` for each "
                "model, the row without a variant the best of the round.  "
                "A run lasts 0.3 s, so each tool (but the floor) runs "
                "three times per round, the tools taking turns to go "
                "first.",
        "ref": ("corun", None),
        "targets": [("ms/job", "corun", None, rel(1.0, "xargs"))],
    },
    "pool_noop": {
        "title": "pool_noop: no-op jobs through the pool's batched map",
        "text": "200 000 no-op jobs through one corun_pool_map_chunked "
                "call (chunks of 100 jobs, each run in one task on the "
                "worker, one future for all results) at -j2 under the "
                "async model, from the call until its future is done "
                "(bench_pool); the process and thread models as variants "
                "(with one slot per process, the process model holds "
                "a map's short chunks ahead, up to 16 per worker, as many "
                "as cover 2 ms of their run time; `process-prefetch1`: "
                "corun_pool_opts.prefetch = 1, one job of any kind held "
                "and no more chunks), and `future-per-job`: "
                "corun_pool_map, one future and one worker task per job "
                "(async model).  "
                "Peers: "
                "multiprocessing.Pool(2).map(f, range(N), chunksize=100) "
                "and ProcessPoolExecutor(2).map with the same chunksize, "
                "f a trivial function (bench/peer_mp.py).  Every pool is "
                "started and warmed up before the clock starts.  Target: "
                "corun's batched map has at least twice the throughput of "
                "multiprocessing.Pool.map (half the time per item).",
        "ref": ("corun", None),
        "targets": [("us/item", "corun", None,
                     rel(0.5, "multiprocessing.Pool")),
                    ("us/item", "corun", "process",
                     rel(1.0, "multiprocessing.Pool"))],
    },
    "pool_submit": {
        "title": "pool_submit: one submit() call per no-op job",
        "text": "100 000 no-op jobs, one corun_pool_submit call each, "
                "without running the loop in between, then wait for all "
                "of them: the time per job from the first submit until "
                "the last future is done (the async model, -j2).  Peer: "
                "ProcessPoolExecutor(2).submit(f, i) once per job, then "
                "concurrent.futures.wait (10 000 jobs).",
        "ref": ("corun", None),
        "targets": [("us/job", "corun", None, 5)],
    },
    "cpu_speedup": {
        "title": "cpu_speedup: 16 x 50 ms cpu jobs on 2 cores",
        "text": "16 jobs of the `cpu` kind, each a fixed number of rounds "
                "calibrated to about 50 ms, so the work does not shrink "
                "under contention.  Speedup = the wall time of the 16 run "
                "serially (-j1; the shorter of a run before and one after "
                "the others) / the wall time at -j2 with --model M.  "
                "corun: through the pool API, each run on a fresh, "
                "warmed-up pool (bench_pool); corun run: `corun run -j2 "
                "--model M --jobs-file -` with 16 "
                "{\"kind\":\"cpu\",\"iter\":N} lines, the wall time "
                "of the whole command, startup included "
                "(bench/drive_runners.py).  The ideal is min(cores, 2).  "
                "The process and thread models should reach it; the async "
                "model runs every job on one loop thread, so about 1x is "
                "expected there.",
        "ref": ("ideal", None),
        "targets": [("x", "corun", "process", rel(0.95, "ideal")),
                    ("x", "corun", "thread", rel(0.95, "ideal")),
                    ("x", "corun run", "process", rel(0.95, "ideal")),
                    ("x", "corun run", "thread", rel(0.95, "ideal"))],
    },
    "remote_cpu": {
        "title": "remote_cpu: cpu jobs on local vs remote (tcp) workers",
        "text": "The same file of N cpu jobs (a fixed number of rounds, "
                "about 10 ms each when calibrated), two job slots either "
                "way: `local-N` is `corun run -j2 --model process`, "
                "`tcp-N` is `corun run --remote-only --listen tcp://...` "
                "with two `corun-worker --connect tcp://... --procs 1 "
                "--no-offload` attached (jobs on the worker's loop, as the "
                "local workers run them), each in a network namespace of "
                "its own joined "
                "to the root namespace by a veth pair (as root; otherwise "
                "on 127.0.0.1, as the row's note says).  The value is the "
                "makespan from --joblog (first start to last end), so the "
                "workers' start and attach are left out; medians of 5.  "
                "`overhead-N` = the median of tcp/local over 5 pairs of "
                "runs made back to back, minus 1, in percent, and "
                "`cpu-overhead-N` the same with the CPU time of corun and "
                "all its workers (steadier on a busy machine); "
                "`offload-overhead-N` is the makespan overhead of the "
                "remote workers' default, which runs blocking kinds such as "
                "cpu on executor threads (so a long job does not stop "
                "their heartbeats).  "
                "`noop-local`/`noop-tcp`: the transport alone, 20 000 "
                "noop jobs on one worker with 64 slots and 1024 held "
                "(bench/drive_remote.py).  Both paths share this "
                "machine's cores.",
        "ref": ("corun", "local-64"),
        "targets": [("%", "corun", "overhead-64", 5),
                    ("%", "corun", "overhead-256", 5),
                    ("%", "corun", "cpu-overhead-64", 5),
                    ("%", "corun", "cpu-overhead-256", 5)],
    },
    "slurm_cpu": {
        "title": "slurm_cpu: cpu jobs on local vs Slurm-started workers",
        "text": "256 cpu jobs (a fixed number of rounds, about 10 ms each "
                "when calibrated), three job slots either way: `local` is "
                "`corun run -j3 --model process`, `slurm` is `salloc -N3 "
                "-c1 corun run --slurm` on a real Slurm cluster of three "
                "nodes on this machine (one srun step per node, a "
                "corun-worker of one slot each, over tcp on 127.0.0.1; "
                "tests/slurm/slurm-lib.sh brings it up, as root).  The "
                "value is the makespan from the --json records, from the "
                "first start on the last worker to start one to the last "
                "end, so the allocation and the workers' attaching are "
                "left out on both paths; medians of 5.  `overhead` = the "
                "median of slurm/local over 5 pairs of runs made back to "
                "back, minus 1, in percent (bench/drive_slurm.py).  The "
                "nodes share this machine's cores with the local run.",
        "ref": ("corun", "local"),
        "targets": [("%", "corun", "overhead", 5)],
    },
}

# What each user-facing path costs and where, measured with instruction
# counts (callgrind), perf record / perf stat and strace on this machine,
# kept in every report (the tables above give the current figures).
ANALYSIS = """\
## Where the time goes

How each path users feel was taken apart (callgrind instruction counts,
`perf record -e cpu-clock`, `perf stat`, `strace -f -c`), what changed, and
what is left.  Figures from a busy shared machine, before -> after, each
pair measured side by side.

- **One client request** (client_status): `corun status` spent 3.5 ms of
  CPU and 74 context switches against `tsp -S`'s 0.6 ms and 5: nng 1.5
  starts about ten threads with the first socket (9 clone3, 100 futex
  calls under strace) and joins them at exit; the process start itself is
  0.1 ms over `true`.  An ipc:// request now speaks nng's REQ protocol on
  plain system calls (src/cli/client-ipc.c): 13.0 -> 2.9 ms elapsed
  (perf stat -r 60; tsp -S 3.2 ms), 66 -> 2 context switches.  On
  corund's side the request then crossed four threads (nng's listener
  accepts, another greets, a third reads, an eventfd wakes the loop);
  corund now reads its ipc:// connections on the loop itself
  (src/daemon/ctl-uds.c, the same wire): its ping, request to reply on
  an open connection, went from 225 to 94 us p50, below nng's own
  REQ/REP echo between two processes (148 us in the same run), and a
  status is answered in about 60 us.  What was left was the client
  process, timed by phase in a build that stamped each (400 runs,
  medians): fork and exec from Python to the request 0.98 ms (a
  libc-only C program reaches main in 0.77), connect and the peer check
  0.05, waiting for corund 0.13, parsing and printing 0.08, exit and
  reaping 0.21 (0.20 for that C program).  `corun --version` costs only
  0.1 ms over `true`, about what `tsp -h` costs: the gap was in the
  request.  Four changes: corun links no libm (compare's log, pow, log10
  and sqrt are src/cli/fmath.c: loading libm.so was an open, four mmaps,
  its relocations and ifunc resolvers and 9 page faults, 0.1 ms of each
  start); corund used to greet at accept and answer later, so a client
  was woken twice, for the greeting alone and then for the reply: it now
  greets with the first reply when the request came with the client's
  greeting (nng's REQ, which waits for the greeting, still gets it at
  once); the client reads greeting, header and reply in one recv and
  seeds jansson without /dev/urandom (three system calls); corund
  prepared the paused groups' query at every status (sqlite's parser,
  about 20 us of its 75-95 us answer; now 52-75 us).  Same rounds of
  drive_daemon, before and after each 4 runs of 200 on a quieter spell
  (10 earlier runs agree): corun/tsp on the fastest 1.15-1.19 -> 1.07-1.10
  (corun 1.26 -> 1.17 ms, tsp 1.08, `true` 0.89), so 0.37 -> 0.27 ms over
  `true` against tsp's 0.19; the medians of a run (1.2-2.4 ms here, the
  machine shared) give 1.14-1.89 -> 1.08-1.98, noise.  325 k -> 303 k
  instructions, 96 -> 86 page faults (tsp -S: 188 k, 60).  Not reached,
  by about 0.08 ms (7%): what is left is the 3 MB PIE's 3193 relative
  relocations (44 k instructions, and 12 copy-on-write pages of
  .data.rel.ro: nng's, mbedTLS's, libevent's and our tables; -no-pie
  saves those, 10 page faults, but 0-40 us in three tries and it drops
  ASLR of corun's code: not done; -z pack-relative-relocs gained
  nothing), lazy binding of about 60 libc functions (20 k),
  jansson's parse of the 300-byte reply (74 k, 18 k of it appending one
  byte at a time), and corund's step, which opens a write transaction
  (BEGIN IMMEDIATE, fcntl locks) even for a read-only status.  That
  step is gone for reads: corund answers a status as it arrives
  (src/daemon/ctl.c's early hook), accept to reply about 120 -> 66 us,
  its CPU per status 105 -> 96 us over 1000 requests; the client's
  socket check got socket-sized buffers (89 -> 86 page faults).  In
  paired runs of the builds before and after (300 rounds, twice) the
  elapsed did not move, corun/tsp 1.08-1.12 for both.  Timed by phase
  with syscall tracepoints (200 runs, medians), corun spends from its
  first system call in main to exit_group about 430 us, the same client
  against a stand-in server that answers at once about 340 us, tsp -S
  about 200 us: the client's code before socket() 90 us (some 15 page
  faults: its own and jansson's code, libc's printf, the heap, .bss),
  corund woken by connect(2) and run on the client's CPU before it can
  send (about 40 us), corund's answer 65-90 us with cold caches
  (parsing, building and dumping the JSON, the paused groups' query),
  reading and printing the reply 60 us.  A client linked with only what
  a request needs (its objects, jansson, libc) was 55 us faster in the
  same rounds, and the same one on a stand-in server faster than tsp:
  the whole program's start-up was the client's gap.  So `corun` is now
  a small front (src/cli/front.c) that serves the client commands over
  ipc:// and execs `corun-engine` for everything else, and the front is
  a static PIE (no dynamic loader, its address still random): 90 -> 38
  page faults per `corun status`.  400 interleaved rounds: the whole
  program 1.22 ms median, the front linked dynamically 1.15, as a static
  PIE 1.02, tsp -S 1.08; drive_daemon, 300 rounds three times: corun
  1.11, 1.06, 1.14 ms against tsp 1.56, 1.27, 1.37.  The price is one
  exec more for every other command: `corun run true ::: 1` 3.57 ->
  4.16 ms (a static program that only execs /bin/true costs 0.6 ms more
  than /bin/true here), nothing in the per-job rows.
- **Submit and wait** (submit_wait): one request, answered when the
  job's result is committed (src/daemon/wait.c; no polling, no follow).
  The client's part is the one above.  corund's part, timed with a raw
  client (no process), took 1.4-1.75 ms and 0.5-0.77 ms of corund's CPU
  per no-op job, 70% of it in the kernel: ext4 allocating inodes.  Each
  job start made its two spool files (STATE_DIR/spool, for `corun
  follow`) and its result removed them, though a no-op writes nothing;
  now the first output makes them (a missing file already read as no
  output, src/daemon/spool.c): 0.43 ms of CPU, 1.2 ms.  Same rounds, 4
  runs: corun/tsp on the fastest 1.31-1.55 -> 0.95-1.17 (corun 3.24 ->
  2.47 ms, tsp 2.2), on the medians 1.07-1.38 -> 0.83-1.02: at task-
  spooler's level on the medians, about 0.1-0.3 ms behind on the fastest.
  What was left then was the job's half of corund's round trip below
  (the supervisor <-> worker channel on nng's threads, about 0.4 ms from
  the worker's send to corund's loop under perf trace, since taken off
  nng; two commits of about five WAL pages each) and the clone and exec
  of `true` (about 1 ms, as for tsp).  With the client in the small
  front (above), 300 rounds three times: corun 2.32, 2.32, 2.29 ms
  against tsp -f 2.36, 2.47, 2.48; on another spell the build before
  the front 2.77, this one 2.55, tsp 2.52: level with task-spooler, not
  below it.  corund spends about 400 us of CPU per such job (perf stat
  over 1000; status: 65), SQLite and its WAL writes about a third of
  it; traced, the worker's way from the job's frame to execve is a
  dozen system calls (two pipes, the PATH search, clone, pidfd, epoll)
  besides a once-a-second look at the signal dispositions.  What is
  left is in those two commits and the exec of `true` itself, which
  tsp pays too.
- **corund's round trip** (corund_roundtrip): p50 was about 2-2.5x the
  nng floor of the same run.  The request's half is on the loop (above);
  the job's half crossed nng's threads (three under strace for each
  result: header, body, wake-up, on both sides).  Now a local worker's
  ipc:// socket is read and written on the loops of both ends
  (src/lib/spipc.c, nng's PAIR1 wire, so an nng peer still talks to
  either end): under strace the worker's whole share of a noop job is
  one recvfrom, one epoll_wait and one sendmsg, and corund's one sendmsg
  and one recvfrom, no thread in between; a local worker starts no nng
  thread at all.  p50 in three pairs of alternating runs, before ->
  after: 630/591/611 -> 472/476/439 us, against floors of 285-313 us in
  the same runs: 2.0-2.1x -> 1.52-1.65x; two requests 684/622/644 ->
  534/529/524 us.  `corun run -j2 true` x 2000 (spawn_true) did not get
  slower: median 1.08 against 1.32 ms a job over five alternating runs
  of each (a busy machine: 0.98-1.40 and 1.17-1.45).  What was left
  above 1.3x was corund's own work per job, not the channel.  A
  timeline of syscall tracepoints (perf record -e raw_syscalls, corund
  and its workers) took one submit-with-wait apart: 136 us from the
  request to the job's dispatch, 138 us on the worker and back, 213 us
  from the result to the reply.  In the last part: a read transaction
  after the commit to build the waiter's reply (four fcntl locks and
  the job's row), two unlinks of spool files the job never made, and a
  write(2) per log line.  Now the waiter's reply is read in the step's
  transaction before the commit and sent only if the commit held
  (src/daemon/wait.c), a job knows whether it spooled anything, and the
  step's log lines go out in one write before its answers (and after
  the job left for its worker).  SQLite's memory statistics are off (a
  global mutex in each of its allocations), and schema version 6 drops
  the jobs_grp_running index (the group limits count through
  jobs_running), a page less in each start and end.  strace per job:
  unlink 3.8 -> 0, write 2.9 -> 2.0, brk 3.4 -> 0, fcntl 17.4 -> 16.1,
  pwrite 15.7 -> 14.3.  p50 in three pairs of alternating runs, before ->
  after: 466/493/505 -> 450/434/457 us against floors of 353-410 us:
  1.32-1.36x -> 1.10-1.13x (each step measured alone moved it: the
  first three 1.32 -> 1.21-1.31, the index 1.12-1.24).
- **The async model end to end** (async_io): 94% of the samples were in
  the worker, 65% of those creating and unmapping a coroutine stack per
  job (munmap 28%, mmap 19%, first touches 16%, mprotect 7%), and the
  peak RSS was the worker's, 4.6-5.3 KB per job in flight.  noop and sleep
  now run without a task (workers/kinds/runner-nostack.c): 0.79-1.32 ->
  0.18-0.24 s for the whole `corun compare` (asyncio 1.4-2.1 s in the same
  runs), 5258 -> 982 bytes per job in flight (asyncio 1490), the worker's
  instructions per noop job 7.7-8.3 k -> 4.7-5.2 k.  The kind's name then
  left the worker's job record (616 -> 368 bytes): 618 bytes per job in
  flight.  The wide spread of the whole process (0.44 against 2.98 s in
  one report) was compare's own: without `--repeat` it runs the model at
  least 3 times and adds runs, up to 20, while their wall times spread
  over 5%, which a run of 0.13 s on a busy machine always does (3, 20, 20
  runs in three tries: 0.43, 3.1, 3.4 s).  The row now runs the workload
  once (`--repeat 1`), the peer's work; the command as typed stays as the
  `default-runs` row.  One run now: 0.16-0.18 s whole process (asyncio
  0.72-0.86 s in the same rounds on a loaded machine), of which 0.10 s is
  the sleep and 0.01 s the process start; perf (cpu-clock, 20 kHz, the
  whole tree): the supervisor submits all 20 000 in about 12 ms (0.6 us a
  job, a third of it printf's %.0f of each sleep's length, now formatted
  once a window: corun's process 98.9 M -> 60.5 M instructions in
  callgrind for the whole run), then the worker takes them in over 25-45
  ms (4.3 k instructions a job in callgrind over its whole life: 41%
  malloc and free, 9% removing the fired timer from the heap, the rest
  decoding, the job record and the results), so the last sleep starts
  40-70 ms in.  Submitting in slices of 1024, so that the worker starts
  while the supervisor still submits, lowered the p50 latency (121 -> 110
  ms) but not the wall time on 2 busy cores: not kept.  The loop kept
  equal delays in one sorted list (O(1)), but the worker's heartbeat (1
  s) and watch (0.25 s) timers held its tail further out, so the 100 ms
  sleeps went to the heap (cr_timer_remove, 390 instructions a job); the
  loop now has four such lists, a timer going to the first whose
  deadlines it does not precede (src/lib/loop-internal.h): the worker's
  instructions for the run 87.3 M -> 78.7 M, sleep_100k unchanged.  The
  runner's job record now holds its payload (one allocation less): 75.0
  M, 753 -> 709 bytes per job in flight.  What is left: four allocations
  per job in the worker (the dispatcher's record, the runner's, the timer
  handle, the outcome; about 40% of its instructions in malloc and free)
  and the start of the two processes (about 15 ms before the first
  submit: the dynamic loader, page faults, nng's threads).
- **Process-model pool** (pool_noop, process): one JOBS frame out and one
  RESULTS frame back per chunk (a frame-type trace), with one slot per
  worker and nothing held ahead, so every chunk of 100 no-ops (about 10 us
  of work, the median of a run's chunks) waited a supervisor round trip
  (the PAIR echo alone is 150-180 us).  Holding one chunk ahead
  (`process-prefetch1`) was not enough (1.27-1.87 us/item); 4 ahead took
  0.60-0.64, 16 ahead 0.24-0.47.  Multiprocessing's Pool.map sends chunks
  ahead without bound.  A chunked map now holds chunks ahead under the
  default (src/sup/pool-dispatch.c): a local worker busy with one gets up
  to 16 more of the map, as many as cover 2 ms of their run time (the
  median of the last 8 chunks, so a preempted chunk does not shrink it;
  one until the first is timed; none for chunks of 2 ms or more, where a
  round trip costs under 10%), so a slow chunk keeps little behind it
  while another worker is idle; a job submitted any other way still goes
  only to a worker that holds nothing.  Same rounds, load average 12-16:
  1.46-3.58 (median 1.92) -> 0.50-0.92 (median 0.60) us/item, Pool.map
  1.13-2.47 (median 1.65); three more rounds, load average 5-8: 1.40-2.21
  (median 1.67) -> 0.38-0.51 (median 0.39), Pool.map 0.49-2.13 (median
  1.67).  Results come back 4 chunks to a frame or after 10 ms (the
  worker's hold while it has held jobs).
- **Output** (output_1mb): each MB crossed corun's processes about five
  times (the worker's buffer, doubled as it grew; the RESULTS frame; nng's
  message; corun's result; stdio) and sat whole in memory in the worker
  and in corun until printed (peak RSS 18.8 MB against xargs's 1.7).  Now
  a stream past 64 KiB goes to a file in $TMPDIR, as GNU parallel's
  output does (workers/kinds/job.c; the first such job of a worker thread
  splices its pipe there, the next ones get the file as their stdout and
  nothing passes through the worker), an OUTPUT record names it, and
  corun sendfile()s it to its stdout (src/cli/output.c) and removes it:
  peak RSS 18.8 -> 3.3 MB, CPU of the whole run 0.76 -> 0.52 s (xargs
  0.32; medians of 7 in turns, stdout a pipe to cat).  What is left is
  the file itself: head's writes into ext4's page cache cost more than
  into a pipe, and corun's unlink frees the pages (perf: 74% of the
  samples in head, 12% each in corun and its worker).  MB/s against
  xargs's in the same rounds (drive_output.py, six runs of five rounds
  each, in turns with the old build): 0.72-1.13x, median 0.87x, with /tmp
  on ext4 (before: 0.63-0.92x, median 0.72x); 1.06-1.32x with
  TMPDIR=/dev/shm (tmpfs), where the file costs about as much as a pipe.
  So the file now starts in memory: when $TMPDIR is not a tmpfs and
  /dev/shm is, a stream past 64 KiB spills to /dev/shm, and the next
  job of the thread writes straight to a file there
  (workers/kinds/shell-mem.c); a 2-32 ms timer counts its size, and past
  8 MiB a stream, or 64 MiB of a worker's files there (written or
  waiting to be printed, workers/kinds/spill-mem.c), what it holds is
  copied to $TMPDIR and punched out of memory.  CPU of the whole run
  (stdout a pipe to cat, three rounds in turns): 0.55-0.59 s through
  ext4, 0.45-0.54 s through memory, xargs 0.32-0.33.  MB/s against
  xargs's, six runs of five rounds in turns at load average 9-11 on the
  2-core machine (ext4 /tmp, CORUN_SPILL_MEM=0 for the ext4 path): ext4
  0.40-1.09x (median 0.78x), memory 0.97-1.33x (median 1.15x); peak RSS
  unchanged (3.2-3.5 MB: the files are not mapped, and /dev/shm holds
  one or two of them at a time here).  Not yet measured quiet.  What is
  left against xargs is the file itself: the bytes are written once into
  the tmpfs and copied once more by sendfile() to corun's stdout.
- **--json** (json): building a jansson object and dumping it cost about
  40 000 instructions a job (callgrind of corun run -j2 --json true ::: x
  500: 25.4 M against 4.9 M plain); the record is now written straight
  into one buffer (src/cli/output-json.c), byte for byte the same line:
  10.5-10.9 k a job, half of it printf's %.15g of the start time.
- **Slurm-started workers** (slurm_cpu, 5.0-6.8% over local before):
  not CPU (the workers' CPU time for the 256 jobs was the same on both
  paths, srun and slurmstepd about 1%), nor the offload hand-off (10 ms
  `block` jobs ran 10.22 against 10.15 ms each, thread hops included),
  but the wait between one job's end and the next one's start on the same
  worker: a remote worker of one slot held nothing ahead, so each job
  waited for a RESULTS -> JOBS round trip through four thread wake-ups
  (median 0.3-0.8 ms, several ms on a busy machine, against 10 ms jobs).
  A remote worker now announces room for one job beyond its slots
  (corun-worker's remote default `--prefetch 1`), which the pool fills
  after every worker's free slots, only while that worker's last job ran
  under 100 ms, and never under a halt policy (src/sup/pool-dispatch.c):
  the median wait went to 2-4 us.  Interleaved rounds at load 10-15,
  slurm/local: 0.818 0.949 1.337 1.153 0.950 0.771 (median 0.950) ->
  0.695 0.877 0.738 0.933 0.704 0.756 (median 0.747).  Slurm starts
  each step in a session of its own, so on a busy machine each worker is
  an autogroup of its own and gets more of the CPU than local workers
  sharing corun's: rounds under load flatter Slurm either way.
- **2000 x true** (spawn_user): as a user runs it (whole processes, the
  default model, medians) corun is within the floor's noise here (1.47
  against 1.62 ms/job on a loaded machine); spawn_true's own method keeps
  the best model and round against an in-process floor.
"""

NOTE = ("Absolute values drift from run to run on these shared 2-core "
        "machines; the ratios measured side by side in the same run are "
        "what count.")


def higher_is_better(unit):
    return unit.endswith("/s") or unit == "x"


def is_memory(unit):
    return unit.startswith(("B", "KiB", "MiB", "bytes"))


def meta(srcdir):
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc)
        .strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg": "%.2f %.2f %.2f" % os.getloadavg(),
    }
    if srcdir:
        try:
            rev = subprocess.run(
                ["git", "-C", srcdir, "describe", "--always"],
                capture_output=True, text=True, timeout=10)
            # Changed files make it "-dirty", but not the report itself
            # (the last run's BENCHMARKS.md, not yet committed).
            st = subprocess.run(
                ["git", "-C", srcdir, "status", "--porcelain",
                 "--untracked-files=no", "--", ".",
                 ":(exclude)BENCHMARKS.md"],
                capture_output=True, text=True, timeout=10)
            if rev.returncode == 0 and rev.stdout.strip():
                info["revision"] = rev.stdout.strip() + (
                    "-dirty" if st.returncode == 0 and st.stdout.strip()
                    else "")
        except (OSError, subprocess.SubprocessError):
            pass
    return info


def fmt(v):
    if v is None:
        return "n/a"
    if v == int(v) and abs(v) < 1e15:
        return "{:,d}".format(int(v))
    if abs(v) >= 100:
        return "{:,.0f}".format(v)
    if abs(v) >= 10:
        return "%.1f" % v
    return "%.3g" % v


def ratio(value, ref, unit):
    """How value compares with the reference, in words."""
    if value is None or ref is None or value <= 0 or ref <= 0:
        return ""
    r = value / ref
    if higher_is_better(unit):
        r = 1 / r
    worse, better = (("larger", "smaller") if is_memory(unit)
                     else ("slower", "faster"))
    if r >= 1.05:
        return "%s %s" % (times(r), worse)
    if r <= 1 / 1.05:
        return "%s %s" % (times(1 / r), better)
    return "same"


def times(r):
    return ("%.0fx" % r) if r >= 10 else ("%.2gx" % r)


def load(path):
    rows = {}       # (bench, impl, variant, unit) -> best line
    runs = {}       # same key -> the values seen
    order = []      # benches in order of appearance
    info = {}
    failed = []
    with open(path) as f:
        for lineno, text in enumerate(f, 1):
            text = text.strip()
            if not text:
                continue
            try:
                line = json.loads(text)
            except ValueError:
                print("%s:%d: not JSON, skipped" % (path, lineno),
                      file=sys.stderr)
                continue
            if "meta" in line:
                info = info or line["meta"]
                continue
            if "failed" in line:
                failed.append(line)
                continue
            try:
                key = (line["bench"], line["impl"], line.get("variant"),
                       line["unit"])
            except (KeyError, TypeError):
                print("%s:%d: no bench/impl/unit, skipped" % (path, lineno),
                      file=sys.stderr)
                continue
            if key[0] not in order:
                order.append(key[0])
            v = line.get("value")
            runs.setdefault(key, [])
            if v is not None:
                runs[key].append(v)
            old = rows.get(key)
            if old is None or old.get("value") is None:
                rows[key] = line
            elif v is not None:
                hb = higher_is_better(key[3])
                if (v > old["value"]) if hb else (v < old["value"]):
                    rows[key] = line
    return rows, runs, order, info, failed


def label(impl, variant):
    return impl if variant is None else "%s (%s)" % (impl, variant)


def targets_of(spec, key):
    return [limit for unit, impl, variant, limit in spec.get("targets", [])
            if (unit, impl, variant) == (key[3], key[1], key[2])]


def resolve(limit, rows, bench, unit):
    """A limit as (number or None, text): relative ones from their row."""
    if not isinstance(limit, tuple):
        return limit, fmt(limit)
    _, factor, impl, variant = limit
    other = rows.get((bench, impl, variant, unit))
    v = other.get("value") if other else None
    what = ("%g x %s" % (factor, label(impl, variant)) if factor != 1
            else label(impl, variant))
    if v is None:
        return None, what
    return factor * v, "%s = %s" % (what, fmt(factor * v))


def target_text(limit, value, unit, rows, bench):
    if limit is None:
        return "", None
    op = ">=" if higher_is_better(unit) else "<="
    num, what = resolve(limit, rows, bench, unit)
    if num is None:
        return "%s %s: no reference value" % (op, what), False
    if value is None:
        return "%s %s: not measured (see notes)" % (op, what), False
    ok = value >= num if higher_is_better(unit) else value <= num
    return "%s %s: %s" % (op, what, "met" if ok else "**missed**"), ok


def table(bench, rows, runs, spec, summary):
    keys = [k for k in rows if k[0] == bench]
    ref_impl, ref_variant = spec.get("ref", ("corun", None))
    units = []
    for k in keys:
        if k[3] not in units:
            units.append(k[3])

    def rank(k):
        # corun first (the reference row first of all), then the others
        # in order of appearance.
        if (k[1], k[2]) == (ref_impl, ref_variant):
            return (0, 0)
        return (1 if k[1] == "corun" else 2, keys.index(k))

    out = ["| implementation | value | unit | vs %s | target | runs "
           "| median | notes |" % label(ref_impl, ref_variant),
           "|---|---:|---|---|---|---:|---:|---|"]
    for unit in units:
        ukeys = sorted([k for k in keys if k[3] == unit], key=rank)
        refline = rows.get((bench, ref_impl, ref_variant, unit))
        ref = refline.get("value") if refline else None
        for k in ukeys:
            line = rows[k]
            v = line.get("value")
            if (k[1], k[2]) == (ref_impl, ref_variant):
                vs = "reference"
            else:
                vs = ratio(v, ref, unit)
            texts = []
            for limit in targets_of(spec, k):
                ttext, ok = target_text(limit, v, unit, rows, bench)
                texts.append(ttext)
                summary.append((bench, label(k[1], k[2]), unit, v, ttext,
                                ok))
            ttext = "; ".join(texts)
            note = line.get("note", "")
            if line.get("n"):
                note = ("n = {:,}".format(line["n"]) +
                        ("; " + note if note else ""))
            vals = runs[k]
            out.append("| %s | %s | %s | %s | %s | %d | %s | %s |" % (
                label(k[1], k[2]), fmt(v), unit, vs, ttext, len(vals),
                fmt(statistics.median(vals)) if vals else "n/a",
                note.replace("|", "\\|")))
    return out


def report(path):
    rows, runs, order, info, failed = load(path)
    benches = [b for b in BENCHES if b in order]
    benches += [b for b in order if b not in BENCHES]
    summary = []
    body = []
    for bench in benches:
        spec = BENCHES.get(bench, {})
        body.append("## %s" % spec.get("title", bench))
        body.append("")
        if spec.get("text"):
            body.append(spec["text"])
            body.append("")
        body += table(bench, rows, runs, spec, summary)
        body.append("")

    out = ["# corun benchmarks", "",
           "Generated by `make bench` (bench/run.sh, bench/mkreport.py); "
           "do not edit by hand.", ""]
    out.append("- date: %s" % info.get("date", "unknown"))
    out.append("- machine: %s CPUs (nproc), %s; Linux %s; load average "
               "at start %s" % (info.get("nproc", "?"), info.get("cpu", "?"),
                                info.get("kernel", "?"),
                                info.get("loadavg", "?")))
    out.append("- Python %s (peers use the standard library only)" %
               info.get("python", "?"))
    if info.get("revision"):
        out.append("- source: %s" % info["revision"])
    out.append("- method: every program runs %s time(s), the rounds "
               "interleaved; each figure is the best run (the lowest time "
               "or size; the highest rate), which targets are checked "
               "against; the median of all runs stands beside it" %
               info.get("reps", "several"))
    out += ["", "> " + NOTE, ""]
    if summary:
        out.append("## Targets")
        out.append("")
        for bench, who, unit, v, ttext, ok in summary:
            got = "%s %s" % (fmt(v), unit) if v is not None else "no value"
            out.append("- %s, %s: %s (target %s)" % (bench, who, got,
                                                     ttext))
        out.append("")
    out.append(ANALYSIS)
    if failed:
        out.append("## Failures")
        out.append("")
        for f in failed:
            out.append("- `%s` exited with status %s" % (f.get("failed"),
                                                         f.get("rc")))
        out.append("")
    return "\n".join(out + body).rstrip() + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="?")
    ap.add_argument("-o", "--output")
    ap.add_argument("--meta", action="store_true")
    ap.add_argument("--srcdir")
    ap.add_argument("--reps")
    args = ap.parse_args()
    if args.meta:
        m = meta(args.srcdir)
        if args.reps:
            m["reps"] = args.reps
        print(json.dumps({"meta": m}))
        return 0
    if not args.results:
        ap.error("RESULTS.jsonl is required")
    text = report(args.results)
    if args.output:
        tmp = args.output + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, args.output)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

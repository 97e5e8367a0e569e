#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Time `corun run --pipe` and `--pipepart` against GNU parallel.

pipe_throughput      MB/s of input through `wc -l` jobs, 1 MiB blocks
                     (the default), -j2, stdin a pipe from cat:
                       parallel   cat FILE | parallel -j2 --pipe wc -l
                       corun      cat FILE | corun run -j2 --pipe wc -l
pipepart_throughput  MB/s of `--pipepart -a FILE --block 10M wc -l`, -j2:
                       floor      cat FILE | wc -l
                       parallel   parallel -j2 --pipepart -a FILE ...
                       corun      corun run -j2 --pipepart -a FILE ...
pipe_rss             corun's peak RSS (KiB, from wait4) for `--pipe wc -l`
                     on a small and a large input (the variants): memory
                     must not grow with the input

FILE is `seq` output (about 57 MB for the throughput rows; 10 MB and
250 MB for the memory rows) in a temporary directory, read once before
the runs so that every tool reads it from the page cache.  Each tool runs
once per round (bench/run.sh repeats the rounds), the order of the tools
rotated from round to round by the round's number (BENCH_ROUND, else the
time).  The wall time runs from starting the tool until it exits.

Environment: CORUN (this build's corun), set by bench/run.sh.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def emit(bench, impl, variant, value, unit, note=None):
    line = {"bench": bench, "impl": impl, "value": value, "unit": unit}
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


def make_input(d, lines):
    path = os.path.join(d, "in-%d.txt" % lines)
    with open(path, "w") as f:
        subprocess.run(["seq", str(lines)], stdout=f, check=True)
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass
    return path


def wall(cmd, env):
    """Seconds for sh -c cmd, or (None, why)."""
    t0 = time.perf_counter()
    p = subprocess.run(["sh", "-c", cmd], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, env=env)
    s = time.perf_counter() - t0
    if p.returncode != 0:
        return None, "exit status %d: %s" % (p.returncode,
                                             p.stderr.strip()[-200:])
    return s, None


def peak_rss_kib(argv, stdin_path):
    with open(stdin_path, "rb") as f:
        p = subprocess.Popen(argv, stdin=f, stdout=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    return ru.ru_maxrss if p.returncode == 0 else None


def q(s):
    return "'" + s.replace("'", "'\\''") + "'"


def rotate(items):
    k = int(os.environ.get("BENCH_ROUND", str(int(time.time()))))
    k %= len(items)
    return items[k:] + items[:k]


def throughput(bench, tools, size, env):
    ok = True
    for impl, cmd in rotate(tools):
        if impl == "parallel" and shutil.which("parallel") is None:
            emit(bench, impl, None, None, "MB/s", "parallel is not installed")
            continue
        s, why = wall(cmd, env)
        note = cmd.replace(q(corun_path()), "corun")
        if why is None:
            note += "; wall %.3f s" % s
            emit(bench, impl, None, size / 1e6 / s, "MB/s", note)
        else:
            emit(bench, impl, None, None, "MB/s", note + "; failed: " + why)
            ok = ok and impl != "corun"
    return ok


def main():
    corun = corun_path()
    env = dict(os.environ)
    home = tempfile.mkdtemp(prefix="cr-bench-pipe-")
    try:
        os.makedirs(os.path.join(home, ".parallel"))
        open(os.path.join(home, ".parallel", "will-cite"), "w").close()
        env["HOME"] = home
        f = make_input(home, 7000000)
        size = os.path.getsize(f)
        c = q(corun)
        ok = throughput("pipe_throughput", [
            ("parallel", "cat %s | parallel -j2 --pipe wc -l" % q(f)),
            ("corun", "cat %s | %s run -j2 --pipe wc -l" % (q(f), c)),
        ], size, env)
        ok = throughput("pipepart_throughput", [
            ("floor", "cat %s | wc -l" % q(f)),
            ("parallel", "parallel -j2 --pipepart -a %s --block 10M wc -l"
             % q(f)),
            ("corun", "%s run -j2 --pipepart -a %s --block 10M wc -l"
             % (c, q(f))),
        ], size, env) and ok
        os.unlink(f)
        for variant, lines in (("10MB", 1300000), ("250MB", 29000000)):
            f = make_input(home, lines)
            kib = peak_rss_kib([corun, "run", "-j2", "--pipe", "wc", "-l"],
                               f)
            emit("pipe_rss", "corun", variant, kib, "KiB",
                 "corun run -j2 --pipe wc -l < %d MB of seq output" %
                 (os.path.getsize(f) // 1000000))
            ok = ok and kib is not None
            os.unlink(f)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

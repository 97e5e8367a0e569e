#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""chaos.py - corun under faults: real binaries, real signals, and figures.

Modes (each prints its figures at the end and exits 1 if a promise broke):

  kill-workers   corun run --model process: SIGKILL a random worker K times
                 during the run; every job has one result, none twice.
  stop-workers   SIGSTOP/SIGCONT workers at random: under corun run (no
                 heartbeat limit: stopped workers only stall), and under
                 corund with heartbeat-timeout 1 s (stopped workers are
                 replaced); every job has one result, none twice.
  kill-corund    kill -9 corund K times while a client submits and the pool
                 runs, restart it each time; every id the client printed is
                 done and recorded once (checked in the SQLite store).

--full gives the sizes of `make chaos`; without it the sizes are small
enough for `make check`.  Only processes this script started are signalled:
the corun or corund it spawned, and the workers whose parent is one of them
(found in /proc).  Loopback only: ipc:// sockets in a temporary directory.
"""
import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

B = os.environ.get("CORUN_BUILDDIR") or os.getcwd()
CORUN = os.path.join(B, "corun")
CORUND = os.path.join(B, "corund")
WORKER = os.environ.get("CORUN_WORKER") or os.path.join(
    B, "src", "worker", "corun-worker")
os.environ["CORUN_WORKER"] = WORKER
HZ = os.sysconf("SC_CLK_TCK")

failures = []


def fail(msg):
    print("FAIL: " + msg, flush=True)
    failures.append(msg)


def check(name, cond, detail=""):
    if cond:
        print("ok: " + name, flush=True)
    else:
        fail(name + (": " + detail if detail else ""))


def figures(name, **kv):
    """One line a human reads, one JSON line a script reads."""
    print("figures %s: %s" % (name, ", ".join(
        "%s %s" % (k.replace("_", " "), v) for k, v in kv.items())),
        flush=True)
    print(json.dumps(dict(chaos=name, **kv)), flush=True)


def proc_stat(pid):
    """(ppid, state, starttime in ticks) of pid, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    return int(rest[1]), rest[0], int(rest[19])


def uptime_ticks():
    with open("/proc/uptime") as f:
        return float(f.read().split()[0]) * HZ


def children(ppid):
    """Live children of ppid: {pid: starttime}."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        st = proc_stat(int(d))
        if st and st[0] == ppid and st[1] != "Z":
            out[int(d)] = st[2]
    return out


class Tracker:
    """The worker processes seen under the processes this script started,
    so that cleanup can end strays by pid (same start time: same process)."""

    def __init__(self):
        self.seen = {}

    def workers(self, parent):
        kids = children(parent)
        self.seen.update(kids)
        return kids

    def cleanup(self):
        for pid, start in self.seen.items():
            st = proc_stat(pid)
            if st and st[2] == start:
                for sig in (signal.SIGCONT, signal.SIGKILL):
                    try:
                        os.kill(pid, sig)
                    except OSError:
                        pass


def old_enough(kids, secs):
    now = uptime_ticks()
    return [p for p, start in kids.items() if now - start >= secs * HZ]


def signal_pid(pid, sig):
    try:
        os.kill(pid, sig)
        return True
    except OSError:
        return False


# ---- corun run ------------------------------------------------------------

def shell_jobs(path, n, sleep_s):
    """n shell jobs; job i prints "job i" after sleep_s seconds."""
    with open(path, "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": i, "kind": "shell", "argv": [
                "sh", "-c", "sleep %g; echo job %d" % (sleep_s, i)]}) + "\n")


def tally_run(out_path, n):
    """Read corun run --json: (results, missing, duplicated, not ok,
    wrong output, retries)."""
    seen = {}
    bad = wrong = retries = 0
    with open(out_path) as f:
        for line in f:
            r = json.loads(line)
            i = int(r["id"])
            seen[i] = seen.get(i, 0) + 1
            if r["status"] != "ok":
                bad += 1
            elif r["stdout"] != "job %d\n" % i:
                wrong += 1
            retries += r["attempts"] - 1
    missing = sum(1 for i in range(n) if i not in seen)
    dup = sum(c - 1 for c in seen.values())
    return sum(seen.values()), missing, dup, bad, wrong, retries


def corun_run(tmp, args, jobs_path, limit):
    out = open(os.path.join(tmp, "out.jsonl"), "w")
    err = open(os.path.join(tmp, "err"), "w")
    p = subprocess.Popen([CORUN, "run", "--json"] + args +
                         ["--jobs-file", jobs_path], stdout=out, stderr=err,
                         start_new_session=True)
    p.deadline = time.monotonic() + limit
    return p


def finish_run(p, tr, what):
    try:
        rc = p.wait(timeout=max(1, p.deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        fail("%s: corun still running at its time limit" % what)
        p.kill()
        rc = p.wait()
    tr.cleanup()
    return rc


def kill_workers(tmp, full):
    n, procs, kills, sleep_s = (10000, 4, 100, 0.06) if full else \
        (600, 4, 6, 0.03)
    # Kills are paced under the pool's default restart intensity (10
    # restarts in 10 s), so every replacement starts at once (past it,
    # corun run still replaces workers, one a second: tests/cli/
    # run-restarts.sh).
    gap = 1.25 if full else 0.5
    jobs = os.path.join(tmp, "jobs")
    shell_jobs(jobs, n, sleep_s)
    tr = Tracker()
    t0 = time.monotonic()
    p = corun_run(tmp, ["--model", "process", "-j%d" % procs], jobs,
                  600 if full else 60)
    done = 0
    time.sleep(0.5)
    while done < kills and p.poll() is None:
        # Workers younger than 1 s are left alone: a worker that dies
        # within a second of starting counts as a crash loop.
        cand = old_enough(tr.workers(p.pid), 1.0)
        if cand and signal_pid(random.choice(cand), signal.SIGKILL):
            done += 1
            time.sleep(gap)
        else:
            time.sleep(0.05)
    rc = finish_run(p, tr, "kill-workers")
    secs = time.monotonic() - t0
    res, missing, dup, bad, wrong, retries = tally_run(
        os.path.join(tmp, "out.jsonl"), n)
    figures("kill-workers", jobs=n, workers=procs, kills=done, results=res,
            lost=missing + bad, duplicated=dup, wrong_output=wrong,
            retries=retries, seconds=round(secs, 1))
    check("corun run exit status 0", rc == 0, "got %d; stderr: %s" % (
        rc, open(os.path.join(tmp, "err")).read()[-2000:]))
    check("%d kills made" % kills, done == kills, "made %d" % done)
    check("every job has a result", missing == 0, "%d missing" % missing)
    check("no result twice", dup == 0, "%d duplicated" % dup)
    check("every job ok", bad == 0, "%d not ok" % bad)
    check("every output right", wrong == 0, "%d wrong" % wrong)
    check("killed jobs were retried", retries > 0, "no retry seen")


def stop_run(tmp, full):
    n, procs, sleep_s = (5000, 4, 0.03) if full else (300, 3, 0.02)
    jobs = os.path.join(tmp, "jobs")
    shell_jobs(jobs, n, sleep_s)
    tr = Tracker()
    t0 = time.monotonic()
    p = corun_run(tmp, ["--model", "process", "-j%d" % procs], jobs,
                  300 if full else 60)
    stops = 0
    stopped = {}
    time.sleep(0.3)
    while p.poll() is None:
        now = time.monotonic()
        for pid, until in list(stopped.items()):
            if now >= until:
                signal_pid(pid, signal.SIGCONT)
                del stopped[pid]
        kids = tr.workers(p.pid)
        free = [k for k in kids if k not in stopped]
        # Up to all but one worker stopped at once, 0.05-1 s each.
        if free and len(stopped) < procs - 1 and random.random() < 0.3:
            pid = random.choice(free)
            if signal_pid(pid, signal.SIGSTOP):
                stopped[pid] = now + random.uniform(0.05, 1.0)
                stops += 1
        time.sleep(0.05)
    for pid in stopped:
        signal_pid(pid, signal.SIGCONT)
    rc = finish_run(p, tr, "stop-workers (corun run)")
    res, missing, dup, bad, wrong, retries = tally_run(
        os.path.join(tmp, "out.jsonl"), n)
    figures("stop-workers corun run", jobs=n, workers=procs, stops=stops,
            results=res, lost=missing + bad, duplicated=dup,
            wrong_output=wrong, retries=retries,
            seconds=round(time.monotonic() - t0, 1))
    check("corun run exit status 0", rc == 0, "got %d" % rc)
    check("workers were stopped", stops > 0)
    check("every job has a result", missing == 0, "%d missing" % missing)
    check("no result twice", dup == 0, "%d duplicated" % dup)
    check("every job ok", bad == 0, "%d not ok" % bad)
    check("every output right", wrong == 0, "%d wrong" % wrong)


# ---- corund -----------------------------------------------------------------

class Daemon:
    def __init__(self, tmp, args):
        self.tmp = tmp
        self.sock = "ipc://%s/run/ctl" % tmp
        self.args = args
        self.p = None
        self.log = open(os.path.join(tmp, "log"), "a")
        self.tr = Tracker()
        self.env = dict(os.environ, CORUN_SOCKET=self.sock)

    def start(self):
        self.p = subprocess.Popen(
            [CORUND, "--foreground", "--state-dir", self.tmp + "/state",
             "--socket", self.sock] + self.args, stderr=self.log,
            start_new_session=True, env=self.env)
        for _ in range(200):
            if self.client("status", timeout=5).returncode == 0:
                return
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit("corund did not start; log:\n" + self.logtext())

    def client(self, *args, stdin=None, timeout=30):
        try:
            return subprocess.run([CORUN] + list(args), input=stdin,
                                  capture_output=True, text=True,
                                  timeout=timeout, env=self.env)
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(args, 124, "", "timeout")

    def status(self):
        r = self.client("status", "--json", timeout=10)
        try:
            return json.loads(r.stdout) if r.returncode == 0 else None
        except ValueError:
            return None

    def workers(self):
        return self.tr.workers(self.p.pid) if self.p else {}

    def kill9(self):
        self.workers()
        self.p.kill()
        self.p.wait()

    def stop(self):
        if self.p is None or self.p.poll() is not None:
            return
        self.p.terminate()
        try:
            self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            fail("corund did not stop within 30 s of SIGTERM")
            self.p.kill()
            self.p.wait()

    def cleanup(self):
        if self.p is not None and self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        self.tr.cleanup()

    def logtext(self):
        with open(os.path.join(self.tmp, "log")) as f:
            return f.read()


def store_rows(tmp):
    db = sqlite3.connect("file:%s/state/jobs.db?mode=ro" % tmp, uri=True)
    rows = db.execute("SELECT id, ikey, state, status, attempts, out "
                      "FROM jobs").fetchall()
    db.close()
    return rows


def stop_corund(tmp, full):
    n, secs = (3000, 40) if full else (200, 4)
    d = Daemon(tmp, ["--workers", "3", "--heartbeat-timeout", "1"])
    try:
        d.start()
        ran = os.path.join(tmp, "ran")
        lines = "".join(json.dumps({"cmd": [
            "sh", "-c", "sleep 0.03; echo %d >>%s; echo job %d" % (i, ran, i)],
            "key": "s%d" % i}) + "\n" for i in range(n))
        r = d.client("submit", "--jobs-file", "-", stdin=lines)
        ids = r.stdout.split()
        check("corund: %d acknowledged" % n, len(ids) == n and
              r.returncode == 0, r.stderr)
        t0 = time.monotonic()
        stops = long_stops = 0
        while time.monotonic() - t0 < secs * 3:
            st = d.status()
            if st and st["counts"]["queued"] + st["counts"]["running"] == 0:
                break
            cand = old_enough(d.workers(), 1.0)
            if cand:
                pid = random.choice(cand)
                # Mostly short stalls; one in three longer than the
                # heartbeat timeout (1 s) plus its SIGKILL grace (1 s).
                # The first is long, so that every run shows one.
                hold = random.uniform(2.5, 3.0) if stops == 0 or \
                    random.random() < 0.34 else random.uniform(0.05, 0.6)
                if signal_pid(pid, signal.SIGSTOP):
                    stops += 1
                    long_stops += hold > 2
                    time.sleep(hold)
                    signal_pid(pid, signal.SIGCONT)
            time.sleep(random.uniform(0.1, 0.5))
        w = d.client("wait", "--all", "--timeout", "120", timeout=130)
        check("corund: wait --all", w.returncode == 0, w.stdout + w.stderr)
        st = d.status() or {}
        d.stop()
        replaced = d.logtext().count("no heartbeat")
        rows = store_rows(tmp)
        byid = {r[0]: r for r in rows}
        notdone = [i for i in ids if int(i) not in byid or
                   byid[int(i)][2] != 2 or byid[int(i)][3] != 0]
        keys = [r[1] for r in rows]
        wrong = [r for r in rows if (r[5].decode() if isinstance(
            r[5], bytes) else r[5]) != "job %s\n" % r[1][1:]]
        runs = open(ran).read().split() if os.path.exists(ran) else []
        retries = sum(r[4] - 1 for r in rows)
        figures("stop-workers corund", jobs=n, workers=3, stops=stops,
                long_stops=long_stops, replaced_by_heartbeat=replaced,
                lost=len(notdone), duplicated=len(keys) - len(set(keys)),
                rows=len(rows), runs=len(runs), retries=retries,
                listener_repairs=d.logtext().count("listening again"),
                seconds=round(time.monotonic() - t0, 1))
        check("corund: no control listener repair", "listening again" not
              in d.logtext())
        check("corund: stopped workers replaced by the heartbeat check",
              replaced > 0, "log:\n" + d.logtext()[-3000:])
        check("corund: one row per job", len(rows) == n and
              len(set(keys)) == n, "%d rows" % len(rows))
        check("corund: every acknowledged job done, status 0",
              not notdone, "%d not: %s" % (len(notdone), notdone[:10]))
        check("corund: every result's output right", not wrong,
              "%d wrong" % len(wrong))
        check("corund: every job ran", set(runs) >= set(map(str, range(n))),
              "%d of %d ran" % (len(set(runs)), n))
        check("corund: daemon reports no failure", st.get("counts", {}).get(
            "failed", 0) == 0, json.dumps(st))
    finally:
        d.cleanup()


def kill_corund(tmp, full):
    n, kills, batch = (100000, 3, 1000) if full else (3000, 3, 250)
    every = 20		# one job in every is a command; the others noop
    d = Daemon(tmp, ["--workers", "2"])
    ran = os.path.join(tmp, "ran")
    acked = {}		# key -> id printed by the client
    state = {"submit_failures": 0, "remapped": 0}

    def job(i):
        j = {"key": "k%d" % i}
        if i % every == 0:
            j["cmd"] = ["sh", "-c", "echo %d >>%s; echo job %d" % (i, ran, i)]
        else:
            j["kind"] = "noop"
        return json.dumps(j) + "\n"

    def submitter():
        # Batches go in one after the other, spread over the first kills;
        # a batch that fails (the daemon is down) is sent again once it
        # is back: the keys make that idempotent.
        deadline = time.monotonic() + (300 if full else 60)
        for b0 in range(0, n, batch):
            keys = ["k%d" % i for i in range(b0, min(n, b0 + batch))]
            text = "".join(job(i) for i in range(b0, b0 + len(keys)))
            while time.monotonic() < deadline:
                r = d.client("submit", "--jobs-file", "-", stdin=text)
                got = r.stdout.split()
                for k, i in zip(keys, got):
                    if k in acked and acked[k] != i:
                        state["remapped"] += 1
                    acked[k] = i
                if r.returncode == 0 and len(got) == len(keys):
                    break
                state["submit_failures"] += 1
                time.sleep(0.1)
            time.sleep(0.02 if full else 0.01)

    try:
        d.start()
        t0 = time.monotonic()
        th = threading.Thread(target=submitter)
        th.start()
        made = 0
        # Kill points: once during submission, then at about a third and
        # two thirds of the jobs done (by status), whichever comes.
        targets = [0.15, 0.4, 0.7]
        while made < kills and time.monotonic() - t0 < (300 if full else 60):
            st = d.status()
            donefrac = (st["counts"]["done"] / n) if st else 0
            if (made == 0 and len(acked) >= n * 0.1) or \
               (made > 0 and donefrac >= targets[made]):
                d.kill9()
                made += 1
                time.sleep(random.uniform(0.1, 0.5))
                d.start()
                continue
            time.sleep(0.05)
        th.join(timeout=(300 if full else 60))
        w = d.client("wait", "--all", "--timeout", "600" if full else "60",
                     timeout=620 if full else 70)
        check("wait --all after the restarts", w.returncode == 0,
              w.stdout + w.stderr)
        d.stop()
        secs = time.monotonic() - t0
        requeued = d.logtext().count("re-queued")
        rows = store_rows(tmp)
        byid = {r[0]: r for r in rows}
        notdone = [k for k, i in acked.items() if int(i) not in byid or
                   byid[int(i)][2] != 2 or byid[int(i)][3] != 0]
        keys = [r[1] for r in rows]
        mism = [k for k, i in acked.items() if int(i) in byid and
                byid[int(i)][1] != k]
        runs = open(ran).read().split() if os.path.exists(ran) else []
        cmdkeys = {"k%d" % i for i in range(0, n, every)}
        badout = [r for r in rows if r[1] in cmdkeys and (
            r[5].decode() if isinstance(r[5], bytes) else r[5]) !=
            "job %s\n" % r[1][1:]]
        retries = sum(max(0, r[4] - 1) for r in rows)
        figures("kill-corund", jobs=n, kills=made, acknowledged=len(acked),
                submit_retries=state["submit_failures"], rows=len(rows),
                lost=len(notdone), duplicated=len(keys) - len(set(keys)),
                retries=retries, command_runs=len(runs),
                command_jobs=len(cmdkeys), recoveries_logged=requeued,
                listener_repairs=d.logtext().count("listening again"),
                seconds=round(secs, 1))
        # Nothing here connects without nng: a repair would be a false
        # alarm of ctl-watch.c, and it resets connected clients.
        check("no control listener repair", "listening again" not in
              d.logtext())
        check("%d kills of corund" % kills, made == kills, "made %d" % made)
        check("every job acknowledged", len(acked) == n,
              "%d of %d" % (len(acked), n))
        check("a resubmitted key kept its id", state["remapped"] == 0,
              "%d changed" % state["remapped"])
        check("every acknowledged job done, status 0", not notdone,
              "%d not: %s" % (len(notdone), notdone[:10]))
        check("one row per job", len(rows) == n and len(set(keys)) == n,
              "%d rows, %d keys" % (len(rows), len(set(keys))))
        check("ids match their keys", not mism, "%d differ" % len(mism))
        check("every command ran", set(runs) >= {k[1:] for k in cmdkeys},
              "%d of %d" % (len(set(runs)), len(cmdkeys)))
        check("every command's output recorded once", not badout,
              "%d wrong" % len(badout))
    finally:
        d.cleanup()


def main():
    args = sys.argv[1:]
    full = "--full" in args
    args = [a for a in args if a != "--full"]
    modes = {"kill-workers": [kill_workers],
             "stop-workers": [stop_run, stop_corund],
             "kill-corund": [kill_corund]}
    if len(args) != 1 or args[0] not in modes:
        sys.exit("usage: chaos.py kill-workers|stop-workers|kill-corund "
                 "[--full]")
    for exe in (CORUN, CORUND, WORKER):
        if not os.access(exe, os.X_OK):
            print("skip: %s is not built" % exe)
            sys.exit(77)
    # SIGABRT from the heartbeat check must not litter cores: the limit
    # is inherited by everything started from here.  (Children also get
    # sessions of their own, so a terminal's signals do not reach them.)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    seed = int(os.environ.get("CHAOS_SEED", time.time_ns() % 1000000))
    random.seed(seed)
    print("chaos %s%s: seed %d (CHAOS_SEED to repeat)" % (
        args[0], " --full" if full else "", seed), flush=True)
    for fn in modes[args[0]]:
        tmp = tempfile.mkdtemp(prefix="cr-chaos.")
        try:
            fn(tmp, full)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()

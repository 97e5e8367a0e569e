/* SPDX-License-Identifier: MIT */
/*
 * bench_pool.c - the process pool (corun/pool.h) on its data path.
 *
 *	pool_noop    N no-op jobs through one corun_pool_map_chunked() call
 *	             (chunks of 100, as the multiprocessing peer) at -j2
 *	             under the async model; microseconds per item from the
 *	             call until its future is done.  Also under the process
 *	             and thread models, and through corun_pool_map() (a
 *	             future per job) as the "future-per-job" variant.
 *	pool_submit  N no-op jobs, one corun_pool_submit() call each, without
 *	             running the loop in between, then wait for all of them:
 *	             microseconds per job.
 *	cpu_speedup  16 cpu jobs of about 50 ms each (a fixed number of
 *	             rounds, calibrated first, so that the work is the same
 *	             whatever the contention): speedup = the wall time of the
 *	             16 run serially (-j1; the shorter of a run before and
 *	             one after the others) / the wall time at -j2, under the
 *	             process, thread and async models.  The ideal is
 *	             min(cores, 2), printed as the "ideal" row.
 *
 * Every pool is started and its workers warmed up (a small batch run to
 * completion) before the clock starts, as the Python peers do.  The no-op
 * runs are cut short of N when a probe of 2000 jobs says they would take
 * more than 1.5 s, so that a slow pool keeps make bench short; "n" in the
 * output is the count that ran (N: 200 000 for pool_noop, 100 000 for
 * pool_submit).  Workers are $CORUN_WORKER (bench/run.sh points it at the
 * build tree).
 *
 * Usage: bench_pool [-p pool_noop|pool_submit|cpu_speedup] [-n N]
 *                   [-m process|thread|async|future-per-job]
 *                   (pool_noop: one row only)
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corun/corun.h>

#include "bench-util.h"

#define NOOP_JOBS	200000
#define NOOP_CHUNK	100	/* as the multiprocessing peer's chunksize */
#define SUBMIT_JOBS	100000
#define CPU_JOBS	16
#define CPU_MS		50
#define WARM_JOBS	200
#define PROBE_JOBS	2000
#define BUDGET_S	1.5	/* seconds a no-op run should take at most */
#define WAIT_LIMIT	120.0	/* seconds before a run is given up */

static corun_loop	*loop;

/* Completion counting: the loop stops when the last future is done. */
struct waiter {
	size_t	 want, done, bad;
	int	 first_err;
};

static void
on_done(corun_future *fut, void *arg)
{
	struct waiter *w = arg;
	const struct corun_job_result *r;

	r = corun_pool_result(fut);
	if (r == NULL || r->status != 0) {
		if (w->bad++ == 0) {
			w->first_err = r != NULL ? r->status :
			    corun_future_status(fut);
		}
	}
	if (++w->done == w->want) {
		corun_loop_stop(loop);
	}
}

static void
give_up(void *arg)
{
	(void)arg;
	corun_loop_stop(loop);
}

/*
 * Wait until all n futures are done; release them.  Returns 0 when all
 * completed with status 0.
 */
static int
wait_all(corun_future **f, size_t n, const char *what)
{
	struct waiter *w;
	corun_handle *h = NULL;
	size_t i;
	int err, ok;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		bench_fail("calloc", CORUN_ENOMEM);
	}
	w->want = n;
	for (i = 0; i < n; i++) {
		if ((err = corun_future_add_done_callback(f[i], on_done,
		    w)) != 0) {
			bench_fail("corun_future_add_done_callback", err);
		}
	}
	corun_call_later(loop, WAIT_LIMIT, give_up, NULL, &h);
	if (w->done < w->want) {
		corun_loop_run_forever(loop);
	}
	if (h != NULL) {
		corun_handle_cancel(h);
		corun_handle_release(h);
	}
	if (w->done < n || w->bad > 0) {
		fprintf(stderr, "bench_pool: %s: %zu of %zu jobs done, %zu "
		    "failed (first: %s)\n", what, w->done, n, w->bad,
		    corun_strerror(w->first_err));
	}
	ok = w->done == n && w->bad == 0;
	for (i = 0; i < n; i++) {
		if (w->done < n) {
			corun_future_remove_done_callback(f[i], on_done, w);
		}
		corun_future_unref(f[i]);
	}
	/*
	 * After a timeout a callback may still be scheduled: w is then
	 * left to it, inert (an error path; the program exits non-zero).
	 */
	if (w->done == n) {
		free(w);
	} else {
		w->want = SIZE_MAX;	/* never stops the loop again */
	}
	return ok ? 0 : -1;
}

static corun_pool *
pool_start_prefetch(enum corun_model model, unsigned jobs, int prefetch)
{
	struct corun_pool_opts o;
	corun_pool *p;
	int err;

	o = (struct corun_pool_opts)CORUN_POOL_OPTS_INIT;
	o.model = model;
	o.jobs = jobs;
	o.quiet = 1;
	o.prefetch = prefetch;
	if ((err = corun_pool_new(loop, &o, &p)) != 0) {
		bench_fail("corun_pool_new", err);
	}
	return p;
}

static corun_pool *
pool_start(enum corun_model model, unsigned jobs)
{
	return pool_start_prefetch(model, jobs, 0);
}

static void
pool_stop(corun_pool *p)
{
	corun_future *done = NULL;
	corun_handle *h = NULL;
	int err;

	if ((err = corun_pool_shutdown(p, 1, 0, &done)) != 0) {
		bench_fail("corun_pool_shutdown", err);
	}
	if (done != NULL) {
		corun_call_later(loop, 10, give_up, NULL, &h);
		corun_loop_run_until_complete(loop, done);
		corun_future_unref(done);
		if (h != NULL) {
			corun_handle_cancel(h);
			corun_handle_release(h);
		}
	}
	corun_pool_free(p);
}

/* Run n copies of j through one map call; return the seconds, or -1. */
static double
run_map(corun_pool *p, const struct corun_job *j, size_t n, const char *what)
{
	struct corun_job *jobs;
	corun_future **f;
	uint64_t t0;
	double s;
	size_t i;
	int err;

	if ((jobs = calloc(n, sizeof(*jobs))) == NULL ||
	    (f = calloc(n, sizeof(*f))) == NULL) {
		bench_fail("calloc", CORUN_ENOMEM);
	}
	for (i = 0; i < n; i++) {
		jobs[i] = *j;
		jobs[i].tag = i;
	}
	t0 = bench_now_ns();
	if ((err = corun_pool_map(p, jobs, n, f)) != 0) {
		bench_fail("corun_pool_map", err);
	}
	s = wait_all(f, n, what) == 0 ?
	    (double)(bench_now_ns() - t0) / 1e9 : -1;
	free(jobs);
	free(f);
	return s;
}

/*
 * Run n copies of j through one corun_pool_map_chunked call (chunks of
 * chunk jobs); return the seconds until every result is in, or -1.
 */
static double
run_chunked(corun_pool *p, const struct corun_job *j, size_t n, size_t chunk,
    const char *what)
{
	const struct corun_job_result *r;
	struct corun_job *jobs;
	corun_future *f;
	corun_handle *h = NULL;
	uint64_t t0, t1;
	size_t i, got = 0, bad = 0;
	int err;

	if ((jobs = calloc(n, sizeof(*jobs))) == NULL) {
		bench_fail("calloc", CORUN_ENOMEM);
	}
	for (i = 0; i < n; i++) {
		jobs[i] = *j;
		jobs[i].tag = i;
	}
	t0 = bench_now_ns();
	if ((err = corun_pool_map_chunked(p, jobs, n, chunk, &f)) != 0) {
		bench_fail("corun_pool_map_chunked", err);
	}
	corun_call_later(loop, WAIT_LIMIT, give_up, NULL, &h);
	corun_loop_run_until_complete(loop, f);
	t1 = bench_now_ns();
	if (h != NULL) {
		corun_handle_cancel(h);
		corun_handle_release(h);
	}
	if ((r = corun_pool_map_results(f, &got)) != NULL) {
		for (i = 0; i < got; i++) {
			bad += r[i].status != 0 || r[i].tag != i;
		}
	}
	if (got != n || bad > 0) {
		fprintf(stderr, "bench_pool: %s: %zu of %zu results, %zu "
		    "failed or out of order\n", what, got, n, bad);
	}
	corun_future_unref(f);
	free(jobs);
	return got == n && bad == 0 ? (double)(t1 - t0) / 1e9 : -1;
}

static const struct corun_job noop_job = { "noop", NULL, 0, 0, 0, 0 };

static void
warm_up(corun_pool *p)
{
	if (run_map(p, &noop_job, WARM_JOBS, "warm-up") < 0) {
		fprintf(stderr, "bench_pool: warm-up failed\n");
		exit(1);
	}
}

/*
 * Warm the pool up and size a run of no-op jobs: max, or fewer if a probe
 * says max would take more than BUDGET_S (make bench has a time budget;
 * a slow pool gets fewer jobs, and the count is in the figure's "n").
 */
static size_t
warm_up_and_size(corun_pool *p, size_t max)
{
	double s;
	size_t n;

	warm_up(p);
	if ((s = run_map(p, &noop_job, PROBE_JOBS, "probe")) < 0) {
		fprintf(stderr, "bench_pool: probe failed\n");
		exit(1);
	}
	n = (size_t)(BUDGET_S / (s / PROBE_JOBS));
	return n < PROBE_JOBS ? PROBE_JOBS : n > max ? max : n;
}

static int
pool_noop(size_t max, const char *only)
{
	static const struct {
		enum corun_model model;
		const char *variant;
		size_t chunk;		/* 0: corun_pool_map, a future each */
		int prefetch;		/* corun_pool_opts.prefetch */
	} models[] = {
		/* Many tiny jobs: async (one worker, jobs in batches) leads. */
		{ CORUN_MODEL_ASYNC, NULL, NOOP_CHUNK, 0 },
		{ CORUN_MODEL_PROCESS, "process", NOOP_CHUNK, 0 },
		/*
		 * The process model's default holds nothing beyond a free
		 * slot but a map's short chunks (up to 16 per worker, 2 ms
		 * of them).  An explicit prefetch of 1 holds one job of any
		 * kind instead, and no more chunks.
		 */
		{ CORUN_MODEL_PROCESS, "process-prefetch1", NOOP_CHUNK, 1 },
		{ CORUN_MODEL_THREAD, "thread", NOOP_CHUNK, 0 },
		{ CORUN_MODEL_ASYNC, "future-per-job", 0, 0 },
	};
	struct corun_pool_stats st;
	char note[200];
	corun_pool *p;
	double s;
	size_t i, n;
	int rc = 0;

	for (i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		if (only != NULL && strcmp(only, models[i].chunk > 0 ?
		    corun_model_name(models[i].model) :
		    models[i].variant) != 0) {
			continue;
		}
		p = pool_start_prefetch(models[i].model, 2,
		    models[i].prefetch);
		n = warm_up_and_size(p, max);
		if (models[i].chunk > 0) {
			n = max;	/* cheap enough to run them all */
			(void)run_chunked(p, &noop_job, WARM_JOBS * 10,
			    models[i].chunk, "warm-up");
			s = run_chunked(p, &noop_job, n, models[i].chunk,
			    "pool_noop");
		} else {
			s = run_map(p, &noop_job, n, "pool_noop");
		}
		corun_pool_stats(p, &st);
		if (models[i].chunk > 0) {
			snprintf(note, sizeof(note), "%s model, -j2 (%u x %u "
			    "x %u)%s; one corun_pool_map_chunked, chunks of "
			    "%zu; %" PRIu64 " frames out, %" PRIu64 " in",
			    corun_model_name(models[i].model), st.procs,
			    st.threads, st.concurrency, models[i].prefetch ?
			    ", prefetch 1" : "", models[i].chunk,
			    st.frames_out, st.frames_in);
		} else {
			snprintf(note, sizeof(note), "%s model, -j2 (%u x %u "
			    "x %u); one corun_pool_map, a future per job; %"
			    PRIu64 " frames out, %" PRIu64 " in",
			    corun_model_name(models[i].model), st.procs,
			    st.threads, st.concurrency, st.frames_out,
			    st.frames_in);
		}
		bench_emit("pool_noop", "corun", models[i].variant,
		    s < 0 ? -1 : s * 1e6 / (double)n, "us/item", n, note);
		rc |= s < 0;
		pool_stop(p);
	}
	return rc;
}

static int
pool_submit(size_t max)
{
	corun_future **f;
	corun_pool *p;
	uint64_t t0, t1;
	double s;
	size_t i, n;
	char note[160];
	int err;

	p = pool_start(CORUN_MODEL_ASYNC, 2);
	n = warm_up_and_size(p, max);
	if ((f = calloc(n, sizeof(*f))) == NULL) {
		bench_fail("calloc", CORUN_ENOMEM);
	}
	t0 = bench_now_ns();
	for (i = 0; i < n; i++) {
		if ((err = corun_pool_submit(p, &noop_job, &f[i])) != 0) {
			bench_fail("corun_pool_submit", err);
		}
	}
	t1 = bench_now_ns();
	s = wait_all(f, n, "pool_submit") == 0 ?
	    (double)(bench_now_ns() - t0) / 1e9 : -1;
	snprintf(note, sizeof(note), "async model, -j2; one "
	    "corun_pool_submit per job (%.3g us each), then wait",
	    (double)(t1 - t0) / 1e3 / (double)n);
	bench_emit("pool_submit", "corun", NULL,
	    s < 0 ? -1 : s * 1e6 / (double)n, "us/job", n, note);
	pool_stop(p);
	free(f);
	return s < 0;
}

/* Rounds of the cpu kind that take about CPU_MS ms here. */
static uint64_t
cpu_calibrate(void)
{
	char payload[32];
	struct corun_job j = { "cpu", payload, 0, 0, 0, 0 };
	const struct corun_job_result *r;
	corun_future *f;
	corun_pool *p;
	uint64_t iter = 0, best = 0;
	int k, err;

	j.len = (size_t)snprintf(payload, sizeof(payload), "%dms", CPU_MS);
	p = pool_start(CORUN_MODEL_PROCESS, 1);
	warm_up(p);
	/* The most rounds of three tries: the least disturbed one. */
	for (k = 0; k < 3; k++) {
		if ((err = corun_pool_submit(p, &j, &f)) != 0) {
			bench_fail("corun_pool_submit", err);
		}
		corun_future_ref(f);
		if (wait_all(&f, 1, "cpu calibration") != 0) {
			exit(1);
		}
		r = corun_pool_result(f);
		if (r == NULL || sscanf(r->out, "%*x %" SCNu64,
		    &iter) != 1) {
			fprintf(stderr, "bench_pool: cpu kind printed '%s'\n",
			    r != NULL ? r->out : "(nothing)");
			exit(1);
		}
		corun_future_unref(f);
		if (iter > best) {
			best = iter;
		}
	}
	pool_stop(p);
	return best;
}

static double
cpu_wall(enum corun_model model, unsigned jobs, const struct corun_job *j)
{
	corun_pool *p;
	double s;

	p = pool_start(model, jobs);
	warm_up(p);
	s = run_map(p, j, CPU_JOBS, "cpu_speedup");
	pool_stop(p);
	if (s < 0) {
		exit(1);
	}
	return s;
}

static int
cpu_speedup(void)
{
	static const struct {
		enum corun_model model;
		const char *variant;
	} models[] = {
		{ CORUN_MODEL_PROCESS, "process" },
		{ CORUN_MODEL_THREAD, "thread" },
		{ CORUN_MODEL_ASYNC, "async" },
	};
	struct corun_job j = { "cpu", NULL, 0, 0, 0, 0 };
	char payload[48], note[200];
	uint64_t iter;
	double serial, wall, ideal, walls[3];
	long cores;
	size_t i;

	iter = cpu_calibrate();
	j.payload = payload;
	j.len = (size_t)snprintf(payload, sizeof(payload), "%" PRIu64 "iter",
	    iter);
	cores = sysconf(_SC_NPROCESSORS_ONLN);
	ideal = cores >= 2 ? 2 : 1;
	/*
	 * The serial time is the shorter of two runs, one before and one
	 * after the others: a serial run slowed by a neighbour would make
	 * every speedup look better than it is.
	 */
	serial = cpu_wall(CORUN_MODEL_PROCESS, 1, &j);
	for (i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		walls[i] = cpu_wall(models[i].model, 2, &j);
	}
	if ((wall = cpu_wall(CORUN_MODEL_PROCESS, 1, &j)) < serial) {
		serial = wall;
	}
	snprintf(note, sizeof(note), "min(cores, 2) with %ld cores", cores);
	bench_emit("cpu_speedup", "ideal", NULL, ideal, "x", CPU_JOBS, note);
	for (i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		wall = walls[i];
		snprintf(note, sizeof(note), "--model %s -j2: %.3f s; -j1: "
		    "%.3f s (%.1f ms a job, %s)", models[i].variant, wall,
		    serial, serial * 1e3 / CPU_JOBS, payload);
		bench_emit("cpu_speedup", "corun", models[i].variant,
		    serial / wall, "x", CPU_JOBS, note);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *part = NULL, *model = NULL;
	size_t n;
	int i, err, rc = 0;

	for (i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "-p") == 0) {
			part = argv[i + 1];
		} else if (strcmp(argv[i], "-m") == 0) {
			model = argv[i + 1];
		}
	}
	n = bench_opt_size(argc, argv, 'n', 0);
	if ((err = corun_loop_new(&loop)) != 0) {
		bench_fail("corun_loop_new", err);
	}
	if (part == NULL || strcmp(part, "pool_noop") == 0) {
		rc |= pool_noop(n > 0 ? n : NOOP_JOBS, model);
	}
	if (part == NULL || strcmp(part, "pool_submit") == 0) {
		rc |= pool_submit(n > 0 ? n : SUBMIT_JOBS);
	}
	if (part == NULL || strcmp(part, "cpu_speedup") == 0) {
		rc |= cpu_speedup();
	}
	corun_loop_free(loop);
	return rc;
}

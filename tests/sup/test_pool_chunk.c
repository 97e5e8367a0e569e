/* SPDX-License-Identifier: MIT */
/*
 * test_pool_chunk.c - the process pool, with real corun-worker processes
 * over real nng sockets: corun_pool_map_chunked (pool-chunk.c): results in
 * order with errors, a large map, retries and edge cases, a worker killed,
 * a map cancelled; under the process model, short chunks held ahead on
 * the workers and long ones not, and held chunks cancelled unrun.
 */
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <corun/corun.h>

#include "check-util.h"
#include "lib/fault-internal.h"
#include "pool-util.h"

/* Run the loop until f is done (or fail after limit s). */
static void
run_one(corun_future *f, double limit)
{
	corun_handle *h = NULL;

	corun_call_later(loop, limit, (corun_cb)corun_loop_stop, loop, &h);
	corun_loop_run_until_complete(loop, f);
	corun_handle_cancel(h);
	corun_handle_release(h);
	ck_assert_msg(corun_future_done(f), "map did not finish in %.1f s",
	    limit);
}

START_TEST(test_chunked_map_in_order_with_errors)
{
	corun_pool *p = new_pool(CORUN_MODEL_ASYNC, 2);
	enum { N = 1000 };
	static const char echo[] = "sh\0-c\0echo out$0; echo err >&2\0";
	static const char bad[] = "sh\0-c\0exit 3\0";
	static const char slow[] = "sleep\0" "30\0";
	struct corun_job *jobs = calloc(N, sizeof(*jobs));
	const struct corun_job_result *r;
	struct corun_pool_stats st;
	corun_future *f;
	size_t n;
	double t0 = now_s();

	for (int i = 0; i < N; i++) {
		jobs[i] = job(i % 2 ? "noop" : "cpu", i % 2 ? NULL : "1000iter");
		jobs[i].tag = 1000000 + (uint64_t)i;
	}
	jobs[10] = shell(echo, sizeof(echo) - 1);
	jobs[11] = shell(bad, sizeof(bad) - 1);
	jobs[12] = job("sleep", "soon");	/* a bad payload */
	jobs[13] = job("nosuchkind", NULL);
	jobs[14] = shell(slow, sizeof(slow) - 1);
	jobs[14].timeout = 0.3;			/* the rest of its chunk runs */
	for (int i = 10; i < 15; i++) {
		jobs[i].tag = 1000000 + (uint64_t)i;
	}
	ck_assert_int_eq(corun_pool_map_chunked(p, jobs, N, 7, &f), 0);
	ck_assert_ptr_null(corun_pool_map_results(f, &n));
	run_one(f, 30);
	ck_assert_int_eq(corun_future_status(f), 0);
	r = corun_pool_map_results(f, &n);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(n, N);
	for (int i = 0; i < N; i++) {
		ck_assert_uint_eq(r[i].id, (uint64_t)i);
		ck_assert_uint_eq(r[i].tag, 1000000 + (uint64_t)i);
		ck_assert_int_gt(r[i].worker_pid, 0);
		if (i >= 10 && i < 15) {
			continue;
		}
		ck_assert_msg(r[i].status == 0, "job %d: %s", i,
		    r[i].message);
		ck_assert_uint_eq(r[i].attempts, 1);
		ck_assert_uint_ge(r[i].end_ns, r[i].start_ns);
		if (i % 2 == 0) {
			/* cpu: a checksum of the same rounds, every time. */
			ck_assert_uint_gt(r[i].out_len, 0);
			ck_assert_str_eq(r[i].out, r[0].out);
		} else {
			ck_assert_uint_eq(r[i].out_len, 0);
		}
	}
	ck_assert_int_eq(r[10].status, 0);
	ck_assert_str_eq(r[10].out, "outsh\n");
	ck_assert_str_eq(r[10].err, "err\n");
	ck_assert_int_eq(r[11].status, CORUN_EFAILED);
	ck_assert_int_eq(r[11].exit_code, 3);
	ck_assert_int_eq(r[12].status, CORUN_EINVAL);
	ck_assert_ptr_nonnull(strstr(r[12].message, "soon"));
	ck_assert_int_eq(r[13].status, CORUN_ENOENT);
	ck_assert_ptr_nonnull(strstr(r[13].message, "nosuchkind"));
	ck_assert_int_eq(r[14].status, CORUN_ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(r[14].message, "timeout"));
	ck_assert(now_s() - t0 < 10);
	corun_pool_stats(p, &st);
	ck_assert_uint_eq(st.submitted, (N + 6) / 7);	/* one per chunk */
	corun_future_unref(f);
	free(jobs);
	shutdown_pool(p);
}
END_TEST

/* 50 000 results (5.6 MB) take the huge-page array (pool-chunk.c). */
START_TEST(test_chunked_map_large)
{
	corun_pool *p = new_pool(CORUN_MODEL_ASYNC, 2);
	enum { N = 50000 };
	struct corun_job *jobs = calloc(N, sizeof(*jobs));
	const struct corun_job_result *r;
	corun_future *f;
	size_t n;

	ck_assert_ptr_nonnull(jobs);
	for (int i = 0; i < N; i++) {
		jobs[i] = job("noop", NULL);
		jobs[i].tag = 7 * (uint64_t)i;
	}
	ck_assert_int_eq(corun_pool_map_chunked(p, jobs, N, 100, &f), 0);
	run_one(f, 30);
	ck_assert_int_eq(corun_future_status(f), 0);
	r = corun_pool_map_results(f, &n);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(n, N);
	for (int i = 0; i < N; i++) {
		ck_assert_uint_eq(r[i].id, (uint64_t)i);
		ck_assert_uint_eq(r[i].tag, 7 * (uint64_t)i);
		ck_assert_msg(r[i].status == 0, "job %d: %s", i,
		    r[i].message);
	}
	corun_future_unref(f);
	free(jobs);
	shutdown_pool(p);
}
END_TEST

/* on_lease: the jobs leased at that moment (this one included). */
struct leases {
	corun_pool *p;
	uint64_t from_tag;		/* watch the leases of chunks >= this */
	uint64_t max_running, seen;
};

static void
count_lease(void *arg, uint64_t tag, uint32_t attempt)
{
	struct leases *l = arg;
	struct corun_pool_stats st;

	(void)attempt;
	if (l->p == NULL || tag < l->from_tag) {
		return;
	}
	corun_pool_stats(l->p, &st);
	l->seen++;
	if (st.running > l->max_running) {
		l->max_running = st.running;
	}
}

/* A process pool of 2 (one slot each) reporting leases to l. */
static corun_pool *
lease_pool(struct leases *l)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	corun_pool *p = NULL;

	o.model = CORUN_MODEL_PROCESS;
	o.jobs = 2;
	o.quiet = 1;
	o.on_lease = count_lease;
	o.lease_arg = l;
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	l->p = p;
	return p;
}

static void
map_all_ok(corun_pool *p, const struct corun_job *jobs, size_t n,
    size_t chunk, double limit)
{
	const struct corun_job_result *r;
	corun_future *f;
	size_t got;

	ck_assert_int_eq(corun_pool_map_chunked(p, jobs, n, chunk, &f), 0);
	run_one(f, limit);
	r = corun_pool_map_results(f, &got);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(got, n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(r[i].status == 0, "job %zu: %s", i,
		    r[i].message);
	}
	corun_future_unref(f);
}

/*
 * Process model, one slot per worker: chunks of no-ops are held ahead
 * (more leased than the 2 slots), so a chunk does not wait for the round
 * trip of the one before; at most 16 held per worker.
 */
START_TEST(test_chunked_map_short_chunks_held_ahead)
{
	struct leases l = { NULL, 0, 0, 0 };
	corun_pool *p = lease_pool(&l);
	enum { N = 3000 };
	struct corun_job *jobs = calloc(N, sizeof(*jobs));

	ck_assert_ptr_nonnull(jobs);
	for (int i = 0; i < N; i++) {
		jobs[i] = job("noop", NULL);
	}
	map_all_ok(p, jobs, N, 1, 30);
	ck_assert_uint_eq(l.seen, N);
	ck_assert_msg(l.max_running > 2 && l.max_running <= 2 * (1 + 16),
	    "at most %" PRIu64 " chunks leased at once", l.max_running);
	free(jobs);
	shutdown_pool(p);
}
END_TEST

/*
 * Chunks that run for 40 ms are not held ahead once one was timed (one
 * is, on each worker, before that): every lease from the fifth on finds
 * at most one chunk per worker, the one running, so none waits behind
 * another while a worker is free.
 */
START_TEST(test_chunked_map_long_chunks_not_held)
{
	struct leases l = { NULL, 4, 0, 0 };
	corun_pool *p = lease_pool(&l);
	enum { N = 8 };
	struct corun_job jobs[N];

	for (int i = 0; i < N; i++) {
		jobs[i] = job("sleep", "40");
	}
	map_all_ok(p, jobs, N, 1, 30);
	ck_assert_uint_eq(l.seen, N - 4);
	ck_assert_msg(l.max_running <= 2, "%" PRIu64 " chunks leased at "
	    "once after the first were timed", l.max_running);
	shutdown_pool(p);
}
END_TEST

START_TEST(test_chunked_map_retries_and_edges)
{
	corun_pool *p = new_pool(CORUN_MODEL_PROCESS, 2);
	char counter[64], script[256];
	struct corun_job j[2];
	const struct corun_job_result *r;
	corun_future *f;
	size_t n = 99, len;

	/* Fails twice, then succeeds: rerun inside its chunk. */
	snprintf(counter, sizeof(counter), "/tmp/corun-cretry.%ld",
	    (long)getpid());
	unlink(counter);
	len = (size_t)snprintf(script, sizeof(script), "sh%c-c%cn=$(cat %s "
	    "2>/dev/null || echo 0); n=$((n+1)); echo $n > %s; "
	    "[ $n -ge 3 ]%c", 0, 0, counter, counter, 0);
	j[0] = shell(script, len);
	j[0].retries = 2;
	j[1] = job("noop", NULL);
	ck_assert_int_eq(corun_pool_map_chunked(p, j, 2, 0, &f), 0);
	run_one(f, 20);
	r = corun_pool_map_results(f, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(r[0].status, 0);
	ck_assert_uint_eq(r[0].attempts, 3);
	ck_assert_int_eq(r[1].status, 0);
	unlink(counter);
	corun_future_unref(f);
	/* Nothing to do: done at once, with no results. */
	ck_assert_int_eq(corun_pool_map_chunked(p, j, 0, 0, &f), 0);
	ck_assert(corun_future_done(f));
	ck_assert_ptr_nonnull(corun_pool_map_results(f, &n));
	ck_assert_uint_eq(n, 0);
	corun_future_unref(f);
	/* A bad job anywhere: refused, nothing queued. */
	j[1] = job("", NULL);
	f = NULL;
	ck_assert_int_eq(corun_pool_map_chunked(p, j, 2, 1, &f),
	    CORUN_EINVAL);
	ck_assert_ptr_null(f);
	ck_assert_int_eq(corun_pool_map_chunked(p, j, 2, 1, NULL),
	    CORUN_EINVAL);
	/* A payload no chunk can carry. */
	{
		char *big = calloc(1, 2u << 20);

		j[1] = job("noop", NULL);
		j[1].payload = big;
		j[1].len = 2u << 20;
		ck_assert_int_eq(corun_pool_map_chunked(p, j, 2, 1, &f),
		    CORUN_ERANGE);
		free(big);
	}
	/* Other futures are not maps. */
	j[1] = job("noop", NULL);
	ck_assert_int_eq(corun_pool_submit(p, &j[1], &f), 0);
	run_all(&f, 1, 10);
	ck_assert_ptr_null(corun_pool_map_results(f, &n));
	corun_future_unref(f);
	shutdown_pool(p);
}
END_TEST

START_TEST(test_chunked_map_worker_killed)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	corun_pool *p = NULL;
	enum { N = 400, CS = 10 };
	struct corun_job *jobs = calloc(N, sizeof(*jobs));
	struct killer k = { NULL, 0 };
	const struct corun_job_result *r;
	struct corun_pool_stats st;
	corun_future *f;
	unsigned char *seen = calloc(N, 1);
	size_t n;

	o.model = CORUN_MODEL_PROCESS;
	o.jobs = 2;
	o.quiet = 1;
	o.max_attempts = 10;
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	k.pool = p;
	for (int i = 0; i < N; i++) {
		jobs[i] = job("sleep", "3");
		jobs[i].tag = (uint64_t)i * 7;
	}
	ck_assert_int_eq(corun_pool_map_chunked(p, jobs, N, CS, &f), 0);
	corun_call_later(loop, 0.1, kill_one, &k, NULL);
	run_one(f, 30);
	r = corun_pool_map_results(f, &n);
	ck_assert_uint_eq(n, N);
	for (int i = 0; i < N; i++) {
		/* Every job has its own result, once, in its place. */
		ck_assert_msg(r[i].status == 0, "job %d: %s", i,
		    r[i].message);
		ck_assert_uint_eq(r[i].tag, (uint64_t)i * 7);
		ck_assert_uint_lt(r[i].id, N);
		ck_assert(!seen[r[i].id]);
		seen[r[i].id] = 1;
	}
	corun_pool_stats(p, &st);
	ck_assert_int_ge(k.kills, 1);
	ck_assert_uint_ge(st.restarts, 1);
	ck_assert_uint_ge(st.lost, 1);		/* chunks were re-leased */
	ck_assert_uint_eq(st.completed, N / CS);
	corun_future_unref(f);
	free(seen);
	free(jobs);
	shutdown_pool(p);
}
END_TEST

static void
cancel_map(void *arg)
{
	ck_assert_int_eq(corun_future_cancel(arg), 0);
}

START_TEST(test_chunked_map_cancel)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	struct corun_job j[6];
	const struct corun_job_result *r;
	corun_future *f;
	corun_pool *p;
	double t0 = now_s();
	size_t n;

	/* One slot; no prefetch: chunk 0 runs, chunks 1 and 2 queue. */
	o.model = CORUN_MODEL_PROCESS;
	o.jobs = 1;
	o.quiet = 1;
	o.prefetch = -1;
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	for (int i = 0; i < 6; i++) {
		j[i] = job("sleep", "10000");
	}
	ck_assert_int_eq(corun_pool_map_chunked(p, j, 6, 2, &f), 0);
	corun_call_later(loop, 0.5, cancel_map, f, NULL);
	run_one(f, 10);
	ck_assert(now_s() - t0 < 5);
	/* Cancel completes the map with every job's outcome. */
	ck_assert_int_eq(corun_future_status(f), 0);
	r = corun_pool_map_results(f, &n);
	ck_assert_uint_eq(n, 6);
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(r[i].status, CORUN_ECANCELED);
	}
	/* The running one says how long it ran; the rest never did. */
	ck_assert_uint_eq(r[0].attempts, 1);
	ck_assert_uint_gt(r[0].end_ns, r[0].start_ns + 100000000u);
	ck_assert_uint_eq(r[1].attempts, 0);
	corun_future_unref(f);
	shutdown_pool(p);
}
END_TEST

/*
 * Two workers, the default prefetch: each runs one chunk and holds one
 * more (none timed yet).  Cancelling the map ends the held chunks without
 * running them, and the queued ones too.
 */
START_TEST(test_chunked_map_cancel_held)
{
	struct leases l = { NULL, 0, 0, 0 };
	corun_pool *p = lease_pool(&l);
	struct corun_job j[8];
	const struct corun_job_result *r;
	corun_future *f;
	double t0 = now_s();
	size_t n, ran = 0;

	for (int i = 0; i < 8; i++) {
		j[i] = job("sleep", "10000");
	}
	ck_assert_int_eq(corun_pool_map_chunked(p, j, 8, 1, &f), 0);
	corun_call_later(loop, 0.5, cancel_map, f, NULL);
	run_one(f, 10);
	ck_assert(now_s() - t0 < 5);
	ck_assert_uint_eq(l.max_running, 4);	/* 2 running, 2 held */
	r = corun_pool_map_results(f, &n);
	ck_assert_uint_eq(n, 8);
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(r[i].status, CORUN_ECANCELED);
		/* (attempts counts leases: a held chunk was leased.) */
		ck_assert_uint_le(r[i].attempts, 1);
		ran += r[i].end_ns > r[i].start_ns + 100000000u;
	}
	ck_assert_uint_eq(ran, 2);		/* the held ones never ran */
	corun_future_unref(f);
	shutdown_pool(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pool-chunk");
	TCase *tc = tcase_create("chunk");

	if (getenv("CORUN_WORKER") == NULL) {
		fprintf(stderr, "test_pool_chunk: CORUN_WORKER is not set\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_chunked_map_in_order_with_errors);
	tcase_add_test(tc, test_chunked_map_large);
	tcase_add_test(tc, test_chunked_map_retries_and_edges);
	tcase_add_test(tc, test_chunked_map_worker_killed);
	tcase_add_test(tc, test_chunked_map_cancel);
	tcase_add_test(tc, test_chunked_map_short_chunks_held_ahead);
	tcase_add_test(tc, test_chunked_map_long_chunks_not_held);
	tcase_add_test(tc, test_chunked_map_cancel_held);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}

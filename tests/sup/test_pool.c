/*
 * test_pool.c - the process pool with real corun-worker processes over
 * real nng sockets: results, models, timeouts, retries, cancellation,
 * workers killed mid-run, a broken pool, shutdown.
 */
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

static corun_loop *loop;

static void
setup(void)
{
	ck_assert_int_eq(corun_loop_new(&loop), 0);
}

static void
teardown(void)
{
	corun_loop_free(loop);
	loop = NULL;
}

static double
now_s(void)
{
	return (double)corun_loop_now_ns() / 1e9;
}

static corun_pool *
new_pool(enum corun_model model, unsigned jobs)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	corun_pool *p = NULL;

	o.model = model;
	o.jobs = jobs;
	o.quiet = 1;
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	return p;
}

/* Run the loop until every future is done (or fail after limit s). */
static void
run_all(corun_future **f, size_t n, double limit)
{
	corun_future *g;

	ck_assert_int_eq(corun_gather(loop, f, n, CORUN_GATHER_RETURN_ERRORS,
	    &g), 0);
	corun_call_later(loop, limit, (corun_cb)corun_loop_stop, loop, NULL);
	corun_loop_run_until_complete(loop, g);
	ck_assert_msg(corun_future_done(g), "jobs did not finish in %.1f s",
	    limit);
	corun_future_unref(g);
}

/* Run until the pool's done future completes (10 s at most), then free it. */
static void
finish_pool(corun_pool *p, corun_future *done)
{
	corun_call_later(loop, 10, (corun_cb)corun_loop_stop, loop, NULL);
	corun_loop_run_until_complete(loop, done);
	ck_assert(corun_future_done(done));
	ck_assert_int_eq(corun_future_status(done), 0);
	corun_future_unref(done);
	corun_pool_free(p);
}

static void
shutdown_pool(corun_pool *p)
{
	corun_future *done;

	ck_assert_int_eq(corun_pool_shutdown(p, 1, 0, &done), 0);
	finish_pool(p, done);
}

static struct corun_job
job(const char *kind, const char *payload)
{
	struct corun_job j = { 0 };

	j.kind = kind;
	j.payload = payload;
	j.len = payload != NULL ? strlen(payload) : 0;
	return j;
}

/* A shell payload: words NUL-terminated. */
static struct corun_job
shell(const char *buf, size_t len)
{
	struct corun_job j = { 0 };

	j.kind = "shell";
	j.payload = buf;
	j.len = len;
	return j;
}

START_TEST(test_many_noop_jobs)
{
	/* 2 processes x 32 slots: credit lets jobs leave in batches. */
	corun_pool *p = new_pool(CORUN_MODEL_HYBRID, 64);
	enum { N = 2000 };
	struct corun_job *jobs = calloc(N, sizeof(*jobs));
	corun_future **f = calloc(N, sizeof(*f));
	struct corun_pool_stats st;

	for (int i = 0; i < N; i++) {
		jobs[i] = job("noop", NULL);
		jobs[i].tag = (uint64_t)i;
	}
	ck_assert_int_eq(corun_pool_map(p, jobs, N, f), 0);
	run_all(f, N, 30);
	for (int i = 0; i < N; i++) {
		const struct corun_job_result *r = corun_pool_result(f[i]);

		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(r->status, 0);
		ck_assert_uint_eq(r->tag, (uint64_t)i);
		ck_assert_uint_eq(r->attempts, 1);
		ck_assert_int_gt(r->worker_pid, 0);
		corun_future_unref(f[i]);
	}
	corun_pool_stats(p, &st);
	ck_assert_uint_eq(st.procs, 2);
	ck_assert_uint_eq(st.concurrency, 32);
	ck_assert_uint_eq(st.submitted, N);
	ck_assert_uint_eq(st.completed, N);
	/* Batching: far fewer messages than jobs. */
	ck_assert_uint_lt(st.frames_out, N / 4);
	free(jobs);
	free(f);
	shutdown_pool(p);
}
END_TEST

/* corun_pool_flush sends what is queued now, not at the iteration's end. */
START_TEST(test_flush_sends_now)
{
	corun_pool *p = new_pool(CORUN_MODEL_PROCESS, 1);
	struct corun_job j = job("noop", NULL);
	struct corun_pool_stats st;
	corun_future *f;
	uint64_t out;

	/* A first job: the worker is up and has asked for more. */
	ck_assert_int_eq(corun_pool_submit(p, &j, &f), 0);
	run_all(&f, 1, 20);
	corun_future_unref(f);
	corun_pool_stats(p, &st);
	out = st.frames_out;
	ck_assert_int_eq(corun_pool_submit(p, &j, &f), 0);
	corun_pool_stats(p, &st);
	ck_assert_uint_eq(st.queued, 1);
	ck_assert_uint_eq(st.frames_out, out);
	ck_assert_int_eq(corun_pool_flush(p), 0);
	corun_pool_stats(p, &st);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(st.frames_out, out + 1);
	/* Nothing queued: nothing sent. */
	ck_assert_int_eq(corun_pool_flush(p), 0);
	corun_pool_stats(p, &st);
	ck_assert_uint_eq(st.frames_out, out + 1);
	ck_assert_int_eq(corun_pool_flush(NULL), CORUN_EINVAL);
	run_all(&f, 1, 20);
	ck_assert_ptr_nonnull(corun_pool_result(f));
	corun_future_unref(f);
	shutdown_pool(p);
}
END_TEST

START_TEST(test_async_model_overlaps_sleeps)
{
	corun_pool *p = new_pool(CORUN_MODEL_ASYNC, 8);
	corun_future *f[8];
	struct corun_job j = job("sleep", "100");
	struct corun_pool_stats st;
	double t0;

	corun_pool_stats(p, &st);
	ck_assert_uint_eq(st.procs, 1);
	ck_assert_uint_eq(st.threads, 1);
	ck_assert_uint_eq(st.concurrency, 8);
	/* Let the worker start, so we time the jobs, not the spawn. */
	corun_pool_submit(p, &j, &f[0]);
	run_all(f, 1, 10);
	corun_future_unref(f[0]);
	t0 = now_s();
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(corun_pool_submit(p, &j, &f[i]), 0);
	}
	run_all(f, 8, 10);
	ck_assert_msg(now_s() - t0 < 0.5, "8 x 100 ms took %.3f s",
	    now_s() - t0);
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(corun_pool_result(f[i])->status, 0);
		corun_future_unref(f[i]);
	}
	shutdown_pool(p);
}
END_TEST

START_TEST(test_shell_output_and_exit)
{
	corun_pool *p = new_pool(CORUN_MODEL_PROCESS, 2);
	static const char ok[] = "sh\0-c\0echo out; echo err >&2\0";
	static const char bad[] = "sh\0-c\0exit 3\0";
	static const char sig[] = "sh\0-c\0kill -TERM $$\0";
	struct corun_job j[3] = {
		shell(ok, sizeof(ok) - 1),
		shell(bad, sizeof(bad) - 1),
		shell(sig, sizeof(sig) - 1),
	};
	corun_future *f[3];
	const struct corun_job_result *r;

	ck_assert_int_eq(corun_pool_map(p, j, 3, f), 0);
	run_all(f, 3, 20);
	r = corun_pool_result(f[0]);
	ck_assert_int_eq(r->status, 0);
	ck_assert_str_eq(r->out, "out\n");
	ck_assert_str_eq(r->err, "err\n");
	ck_assert_int_eq(r->exit_code, 0);
	/* A failing command is an outcome (a result), not a pool error. */
	r = corun_pool_result(f[1]);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->status, CORUN_EFAILED);
	ck_assert_int_eq(r->exit_code, 3);
	r = corun_pool_result(f[2]);
	ck_assert_int_eq(r->status, CORUN_EFAILED);
	ck_assert_int_eq(r->signal, SIGTERM);
	for (int i = 0; i < 3; i++) {
		corun_future_unref(f[i]);
	}
	shutdown_pool(p);
}
END_TEST

/* What on_output saw, per job (tag). */
struct streamed {
	char out[64], err[64];
	size_t out_len, err_len;
	unsigned chunks;
	int first_while_running;	/* 1: "a\n" came before the end */
	corun_future **f;
};

static void
collect(void *arg, uint64_t tag, int stream, const char *data, size_t len)
{
	struct streamed *s = (struct streamed *)arg + tag;
	char *buf = stream == 1 ? s->out : s->err;
	size_t *n = stream == 1 ? &s->out_len : &s->err_len;

	ck_assert(stream == 1 || stream == 2);
	ck_assert_uint_le(*n + len, sizeof(s->out) - 1);
	if (s->chunks++ == 0) {
		s->first_while_running = !corun_future_done(s->f[tag]);
	}
	memcpy(buf + *n, data, len);
	*n += len;
}

static void
stream_case(enum corun_model model)
{
	static const char script[] = "sh\0-c\0echo a; echo b >&2; "
	    "sleep 0.2; printf 'c\\nd'\0";
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	struct streamed seen[3];
	struct corun_job j[3];
	corun_future *f[3];
	corun_pool *p = NULL;
	int i;

	memset(seen, 0, sizeof(seen));
	o.model = model;
	o.jobs = 3;
	o.quiet = 1;
	o.on_output = collect;
	o.output_arg = seen;
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	for (i = 0; i < 3; i++) {
		j[i] = shell(script, sizeof(script) - 1);
		j[i].tag = (uint64_t)i;
		/* Job 2 does not ask: its output comes only in the result. */
		j[i].flags = i < 2 ? CORUN_JOB_STREAM : 0;
		seen[i].f = f;
	}
	ck_assert_int_eq(corun_pool_map(p, j, 3, f), 0);
	run_all(f, 3, 20);
	for (i = 0; i < 3; i++) {
		const struct corun_job_result *r = corun_pool_result(f[i]);

		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(r->status, 0);
		/* The result holds the whole output either way. */
		ck_assert_str_eq(r->out, "a\nc\nd");
		ck_assert_str_eq(r->err, "b\n");
		if (i == 2) {
			ck_assert_uint_eq(seen[i].chunks, 0);
			continue;
		}
		ck_assert_uint_eq(seen[i].out_len, 5);
		ck_assert_mem_eq(seen[i].out, "a\nc\nd", 5);
		ck_assert_uint_eq(seen[i].err_len, 2);
		ck_assert_mem_eq(seen[i].err, "b\n", 2);
		/* a, b, then c, then d (no newline) at the end: not one. */
		ck_assert_uint_ge(seen[i].chunks, 3);
		ck_assert_msg(seen[i].first_while_running,
		    "the first line came only with the result");
	}
	for (i = 0; i < 3; i++) {
		corun_future_unref(f[i]);
	}
	shutdown_pool(p);
}

START_TEST(test_stream_output)
{
	stream_case(CORUN_MODEL_ASYNC);		/* jobs on the main loop */
	stream_case(CORUN_MODEL_THREAD);	/* jobs on job threads */
	stream_case(CORUN_MODEL_PROCESS);
}
END_TEST

START_TEST(test_timeout_and_retries)
{
	corun_pool *p = new_pool(CORUN_MODEL_PROCESS, 2);
	char counter[64], script[256];
	static const char slow[] = "sleep\0" "30\0";
	struct corun_job j[2];
	corun_future *f[2];
	const struct corun_job_result *r;
	double t0 = now_s();
	size_t len;

	/* Fails twice, then succeeds: counts its runs in a file. */
	snprintf(counter, sizeof(counter), "/tmp/corun-retry.%ld",
	    (long)getpid());
	unlink(counter);
	len = (size_t)snprintf(script, sizeof(script), "sh%c-c%cn=$(cat %s "
	    "2>/dev/null || echo 0); n=$((n+1)); echo $n > %s; "
	    "[ $n -ge 3 ]%c", 0, 0, counter, counter, 0);
	j[0] = shell(slow, sizeof(slow) - 1);
	j[0].timeout = 0.3;
	j[1] = shell(script, len);
	j[1].retries = 2;
	ck_assert_int_eq(corun_pool_map(p, j, 2, f), 0);
	run_all(f, 2, 20);
	r = corun_pool_result(f[0]);
	ck_assert_int_eq(r->status, CORUN_ETIMEDOUT);
	ck_assert(now_s() - t0 < 5);
	r = corun_pool_result(f[1]);
	ck_assert_int_eq(r->status, 0);
	ck_assert_uint_eq(r->attempts, 3);
	unlink(counter);
	corun_future_unref(f[0]);
	corun_future_unref(f[1]);
	shutdown_pool(p);
}
END_TEST

/* Workers take 3 s of silence as a dead supervisor: we must keep talking. */
START_TEST(test_long_job_outlives_heartbeat_window)
{
	corun_pool *p = new_pool(CORUN_MODEL_PROCESS, 1);
	struct corun_job j = job("sleep", "4000");
	corun_future *f;
	struct corun_pool_stats st;

	ck_assert_int_eq(corun_pool_submit(p, &j, &f), 0);
	run_all(&f, 1, 20);
	ck_assert_ptr_nonnull(corun_pool_result(f));
	ck_assert_int_eq(corun_pool_result(f)->status, 0);
	ck_assert_uint_eq(corun_pool_result(f)->attempts, 1);
	corun_pool_stats(p, &st);
	ck_assert_uint_eq(st.lost, 0);
	corun_future_unref(f);
	shutdown_pool(p);
}
END_TEST

/* Cancelled: before it ran (cancelled) or while running (a result). */
static int
was_cancelled(const corun_future *f)
{
	const struct corun_job_result *r = corun_pool_result(f);

	return corun_future_cancelled(f) ||
	    (r != NULL && r->status == CORUN_ECANCELED);
}

static void
cancel_two(int prefetch)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	struct corun_job j = job("sleep", "10000");
	corun_future *f[2];
	corun_pool *p;
	double t0 = now_s();

	o.model = CORUN_MODEL_PROCESS;
	o.jobs = 1;
	o.quiet = 1;
	o.prefetch = prefetch;
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	ck_assert_int_eq(corun_pool_submit(p, &j, &f[0]), 0);
	ck_assert_int_eq(corun_pool_submit(p, &j, &f[1]), 0);
	/* Let the first one start on the only slot. */
	while (now_s() - t0 < 5) {
		struct corun_pool_stats st;

		corun_loop_run_once(loop, 0.05);
		corun_pool_stats(p, &st);
		if (st.running >= 1) {
			break;
		}
	}
	ck_assert_int_eq(corun_future_cancel(f[1]), 0);
	if (prefetch < 0) {
		/* Still in the supervisor's queue: cancelled at once. */
		ck_assert(corun_future_cancelled(f[1]));
	}
	ck_assert_int_eq(corun_future_cancel(f[0]), 0);
	run_all(f, 2, 10);
	/* The running one reports how it ended; the other never ran. */
	ck_assert_ptr_nonnull(corun_pool_result(f[0]));
	ck_assert_int_eq(corun_pool_result(f[0])->status, CORUN_ECANCELED);
	ck_assert_uint_gt(corun_pool_result(f[0])->end_ns,
	    corun_pool_result(f[0])->start_ns);
	ck_assert(was_cancelled(f[1]));
	ck_assert(now_s() - t0 < 5);
	corun_future_unref(f[0]);
	corun_future_unref(f[1]);
	shutdown_pool(p);
}

START_TEST(test_cancel_queued_and_running)
{
	cancel_two(-1);		/* the second job waits in the supervisor */
	cancel_two(0);		/* ... or prefetched by the worker */
}
END_TEST

struct killer {
	corun_pool *pool;
	int kills;
};

static void
kill_one(void *arg)
{
	struct killer *k = arg;
	int pids[8];
	size_t n = corun_pool_worker_pids(k->pool, pids, 8);

	/* Take turns, so no single job is likely to be hit every time. */
	if (n > 0) {
		kill(pids[k->kills % n], SIGKILL);
		k->kills++;
	}
	if (k->kills < 3) {
		corun_call_later(loop, 0.15, kill_one, k, NULL);
	}
}

START_TEST(test_worker_killed_mid_run)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	corun_pool *p = NULL;
	enum { N = 120 };
	struct corun_job j = job("sleep", "10");
	corun_future *f[N];
	struct killer k = { NULL, 0 };
	struct corun_pool_stats st;

	/* Three kills may hit one job three times; allow for that here. */
	o.model = CORUN_MODEL_PROCESS;
	o.jobs = 2;
	o.quiet = 1;
	o.max_attempts = 10;
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	k.pool = p;
	for (int i = 0; i < N; i++) {
		j.tag = (uint64_t)i;
		ck_assert_int_eq(corun_pool_submit(p, &j, &f[i]), 0);
	}
	corun_call_later(loop, 0.1, kill_one, &k, NULL);
	run_all(f, N, 30);
	for (int i = 0; i < N; i++) {
		const struct corun_job_result *r = corun_pool_result(f[i]);

		/* Every job completed once, with its own result. */
		ck_assert_msg(r != NULL, "job %d: %s", i,
		    corun_strerror(corun_future_status(f[i])));
		ck_assert_int_eq(r->status, 0);
		ck_assert_uint_eq(r->tag, (uint64_t)i);
		corun_future_unref(f[i]);
	}
	corun_pool_stats(p, &st);
	ck_assert_int_ge(k.kills, 1);
	ck_assert_uint_ge(st.restarts, 1);
	ck_assert_uint_eq(st.completed, N);
	shutdown_pool(p);
}
END_TEST

START_TEST(test_attempts_run_out)
{
	corun_pool *p = new_pool(CORUN_MODEL_PROCESS, 1);
	/* The job kills the worker that runs it, every time. */
	static const char suicide[] = "sh\0-c\0kill -KILL $PPID; sleep 5\0";
	struct corun_job j = shell(suicide, sizeof(suicide) - 1);
	corun_future *f;
	const char *msg;

	ck_assert_int_eq(corun_pool_submit(p, &j, &f), 0);
	run_all(&f, 1, 30);
	ck_assert_int_eq(corun_future_error(f, &msg), CORUN_ELOST);
	ck_assert_msg(strstr(msg, "worker lost: signal 9") != NULL, "%s", msg);
	ck_assert_msg(strstr(msg, "attempt 3 of 3") != NULL, "%s", msg);
	corun_future_unref(f);
	shutdown_pool(p);
}
END_TEST

START_TEST(test_broken_pool_fails_futures)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	struct corun_job j = job("noop", NULL);
	corun_pool *p = NULL;
	corun_future *f;
	const char *msg;

	o.model = CORUN_MODEL_PROCESS;
	o.jobs = 1;
	o.quiet = 1;
	o.restart_max = 3;
	o.worker_path = "/bin/false";	/* exits at once, every time */
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	ck_assert_int_eq(corun_pool_submit(p, &j, &f), 0);
	run_all(&f, 1, 20);
	ck_assert_int_eq(corun_future_error(f, &msg), CORUN_EBROKEN);
	ck_assert_msg(strstr(msg, "workers keep dying") != NULL, "%s", msg);
	corun_future_unref(f);
	ck_assert_int_eq(corun_pool_submit(p, &j, &f), CORUN_EBROKEN);
	corun_pool_free(p);

	/* A failed start leaves the caller's descriptors alone (0 too). */
	if (fcntl(0, F_GETFD) < 0) {
		ck_assert_int_eq(open("/dev/null", O_RDONLY), 0);
	}
	o.worker_path = "/nonexistent/corun-worker";
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), CORUN_ESYS);
	ck_assert_int_ge(fcntl(0, F_GETFD), 0);
}
END_TEST

/*
 * A worker's listener is opened after it is spawned, at the first
 * dispatch: one that cannot be opened stops that worker (its first jobs
 * keep their attempts), and listeners that keep failing break the pool
 * with the reason instead of hanging it.  Once they open again, a new pool
 * works.
 */
START_TEST(test_listener_failure_breaks_pool)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	struct corun_job j = job("noop", NULL);
	const struct corun_job_result *r;
	corun_pool *p = NULL;
	corun_future *f;
	const char *msg;

	o.model = CORUN_MODEL_PROCESS;
	o.jobs = 1;
	o.quiet = 1;
	o.restart_max = 2;
	ck_assert_int_eq(cr_fault_set(CR_FAULT_LISTEN, 1, 1), 0);
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	ck_assert_int_eq(corun_pool_submit(p, &j, &f), 0);
	run_all(&f, 1, 20);
	ck_assert_int_eq(corun_future_error(f, &msg), CORUN_EBROKEN);
	ck_assert_msg(strstr(msg, "workers keep dying") != NULL, "%s", msg);
	ck_assert_uint_ge(cr_fault_hits(CR_FAULT_LISTEN), 3);
	corun_future_unref(f);
	corun_pool_free(p);
	cr_fault_clear();

	/*
	 * The first listener fails once: its replacement runs the job, whose
	 * one allowed loss was not used up by a worker we stopped ourselves
	 * (it was handed to both; attempts counts hand-outs).
	 */
	o.max_attempts = 1;
	ck_assert_int_eq(cr_fault_set(CR_FAULT_LISTEN, 1, 0), 0);
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	ck_assert_int_eq(corun_pool_submit(p, &j, &f), 0);
	run_all(&f, 1, 20);
	ck_assert_int_eq(cr_fault_hits(CR_FAULT_LISTEN), 1);
	cr_fault_clear();
	ck_assert_ptr_nonnull(r = corun_pool_result(f));
	ck_assert_int_eq(r->status, 0);
	ck_assert_uint_eq(r->attempts, 2);
	corun_future_unref(f);
	shutdown_pool(p);
}
END_TEST

/*
 * A "worker" that is really nngcat sending garbage: the supervisor must
 * refuse the frame with a logged reason, drop that peer, keep running, and
 * in the end report a broken pool rather than hang.
 */
START_TEST(test_malformed_frame_drops_peer)
{
	char dir[] = "/tmp/corun-test.XXXXXX", script[64], log[64];
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	struct corun_job j = job("noop", NULL);
	corun_pool *p = NULL;
	corun_future *f;
	char buf[4096] = { 0 };
	FILE *fp;
	int saved, fd;

	ck_assert_msg(system("command -v nngcat >/dev/null 2>&1") == 0,
	    "nngcat is needed: install the Debian package nng-utils");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(script, sizeof(script), "%s/fake-worker", dir);
	snprintf(log, sizeof(log), "%s/log", dir);
	fp = fopen(script, "w");
	fprintf(fp, "#!/bin/sh\nwhile [ $# -gt 0 ]; do [ \"$1\" = --connect ] "
	    "&& url=$2; shift; done\nexec nngcat --pair1 --dial \"$url\" "
	    "--data 'this is not a frame' --recv-timeout 2 --silent\n");
	fclose(fp);
	chmod(script, 0755);
	o.model = CORUN_MODEL_PROCESS;
	o.jobs = 1;
	o.restart_max = 2;
	o.worker_path = script;
	/* The pool logs to stderr: keep it in a file to read it back. */
	fflush(stderr);
	saved = dup(2);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	ck_assert_int_eq(corun_pool_submit(p, &j, &f), 0);
	run_all(&f, 1, 30);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ck_assert_int_eq(corun_future_status(f), CORUN_EBROKEN);
	fp = fopen(log, "r");
	ck_assert_uint_gt(fread(buf, 1, sizeof(buf) - 1, fp), 0);
	fclose(fp);
	ck_assert_msg(strstr(buf, "protocol error: ") != NULL &&
	    strstr(buf, "bad magic") != NULL, "log: %s", buf);
	corun_future_unref(f);
	corun_pool_free(p);
	unlink(script);
	unlink(log);
	rmdir(dir);
}
END_TEST

/*
 * Closing a pool that still runs jobs (corun run does it once its input is
 * all submitted): each worker is told to run what it holds and leave
 * (SHUTDOWN drain).  It exits right behind its last results, and those
 * results are still read, not re-run: every job ends once, on its first
 * attempt, in each of a few rounds (the race is between the worker's exit
 * and its last frames).  A job that fails with a retry left after the
 * drain is run again by a worker started for it.
 */
START_TEST(test_shutdown_drains_workers)
{
	enum { N = 120 };
	struct corun_job jobs[N];
	corun_future *f[N], *done, *g;
	const struct corun_job_result *r;
	char cmd[128];

	for (int round = 0; round < 4; round++) {
		corun_pool *p = new_pool(round % 2 ? CORUN_MODEL_PROCESS :
		    CORUN_MODEL_ASYNC, 4);

		for (int i = 0; i < N; i++) {
			jobs[i] = job("sleep", i % 3 ? "1" : "3");
			jobs[i].tag = (uint64_t)i;
		}
		ck_assert_int_eq(corun_pool_map(p, jobs, N, f), 0);
		ck_assert_int_eq(corun_pool_shutdown(p, 1, 0, &done), 0);
		run_all(f, N, 20);
		for (int i = 0; i < N; i++) {
			ck_assert_ptr_nonnull(r = corun_pool_result(f[i]));
			ck_assert_int_eq(r->status, 0);
			ck_assert_uint_eq(r->attempts, 1);
			ck_assert_uint_eq(r->tag, (uint64_t)i);
			corun_future_unref(f[i]);
		}
		finish_pool(p, done);
	}

	/* A retry after the drain: a fresh worker runs it. */
	{
		corun_pool *p = new_pool(CORUN_MODEL_ASYNC, 2);
		char path[] = "/tmp/corun-drain-XXXXXX";
		int fd = mkstemp(path);
		struct corun_job j;
		size_t len;

		ck_assert_int_ge(fd, 0);
		close(fd);
		unlink(path);
		len = (size_t)snprintf(cmd, sizeof(cmd), "sh%c-c%ctest -e %s "
		    "|| { touch %s; exit 1; }", 0, 0, path, path) + 1;
		j = shell(cmd, len);
		j.retries = 1;
		ck_assert_int_eq(corun_pool_submit(p, &j, &g), 0);
		ck_assert_int_eq(corun_pool_shutdown(p, 1, 0, &done), 0);
		run_all(&g, 1, 10);
		ck_assert_ptr_nonnull(r = corun_pool_result(g));
		ck_assert_int_eq(r->status, 0);
		ck_assert_uint_eq(r->attempts, 2);
		corun_future_unref(g);
		finish_pool(p, done);
		unlink(path);
	}
}
END_TEST

/*
 * A drained worker sends its last results and BYE and exits at once, so
 * the pool may see the exit before it has read those frames.  With the
 * rx fault the loop never reads a worker's frames on its own: only the
 * exit's check does.  The result must come from that read (one attempt,
 * nothing lost), not from a second run on a new worker (whose HELLO,
 * unread, would hang this test instead).
 */
START_TEST(test_exit_seen_before_last_frames)
{
	corun_pool *p = new_pool(CORUN_MODEL_PROCESS, 1);
	struct corun_job j = job("noop", NULL), s = job("sleep", "50");
	const struct corun_job_result *r;
	struct corun_pool_stats st;
	corun_future *f, *done;

	/* The worker ready first: its HELLO read, a job done. */
	ck_assert_int_eq(corun_pool_submit(p, &j, &f), 0);
	run_all(&f, 1, 20);
	corun_future_unref(f);

	ck_assert_int_eq(cr_fault_set(CR_FAULT_RX, 1, 1), 0);
	ck_assert_int_eq(corun_pool_submit(p, &s, &f), 0);
	ck_assert_int_eq(corun_pool_shutdown(p, 1, 0, &done), 0);
	run_all(&f, 1, 20);
	ck_assert_uint_gt(cr_fault_hits(CR_FAULT_RX), 0);
	cr_fault_clear();
	ck_assert_ptr_nonnull(r = corun_pool_result(f));
	ck_assert_int_eq(r->status, 0);
	ck_assert_uint_eq(r->attempts, 1);
	corun_pool_stats(p, &st);
	ck_assert_uint_eq(st.lost, 0);
	ck_assert_uint_eq(st.completed, 2);
	corun_future_unref(f);
	finish_pool(p, done);
}
END_TEST

/*
 * Shutdown without wait cancels what runs; so does it after an earlier
 * call with wait (_i = 1: a halt or a signal after corun run closed its
 * pool once its input was all submitted).
 */
START_TEST(test_shutdown_without_wait_cancels)
{
	corun_pool *p = new_pool(CORUN_MODEL_ASYNC, 2);
	struct corun_job j = job("sleep", "10000");
	corun_future *f[4], *done;
	double t0 = now_s();

	ck_assert_int_eq(corun_pool_submit(p, &j, &f[0]), 0);
	ck_assert_int_eq(corun_pool_submit(p, &j, &f[1]), 0);
	ck_assert_int_eq(corun_pool_submit(p, &j, &f[2]), 0);
	if (_i == 1) {
		ck_assert_int_eq(corun_pool_shutdown(p, 1, 0, &done), 0);
		corun_future_unref(done);
	}
	corun_loop_run_once(loop, 0.2);
	corun_loop_run_once(loop, 0.2);
	ck_assert_int_eq(corun_pool_shutdown(p, 0, 1, &done), 0);
	ck_assert_int_eq(corun_pool_submit(p, &j, &f[3]), CORUN_ECLOSED);
	corun_call_later(loop, 10, (corun_cb)corun_loop_stop, loop, NULL);
	corun_loop_run_until_complete(loop, done);
	ck_assert(corun_future_done(done));
	run_all(f, 3, 5);
	for (int i = 0; i < 3; i++) {
		ck_assert(was_cancelled(f[i]));
		corun_future_unref(f[i]);
	}
	ck_assert(now_s() - t0 < 5);
	corun_future_unref(done);
	corun_pool_free(p);
}
END_TEST

START_TEST(test_models_resolve)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	unsigned pp, t, c;
	enum corun_model m;

	o.jobs = 8;
	o.model = CORUN_MODEL_THREAD;
	ck_assert_int_eq(corun_model_resolve(&o, &pp, &t, &c), 0);
	ck_assert(pp == 1 && t == 8 && c == 1);
	o.model = CORUN_MODEL_ASYNC;
	corun_model_resolve(&o, &pp, &t, &c);
	ck_assert(pp == 1 && t == 1 && c == 8);
	o.model = CORUN_MODEL_PROCESS;
	corun_model_resolve(&o, &pp, &t, &c);
	ck_assert(pp == 8 && t == 1 && c == 1);
	o.model = CORUN_MODEL_HYBRID;
	corun_model_resolve(&o, &pp, &t, &c);
	ck_assert_uint_ge(pp, 1);
	ck_assert_uint_ge(pp * c, 8);
	o.model = CORUN_MODEL_CUSTOM;
	o.procs = 2;
	o.threads = 3;
	o.concurrency = 4;
	corun_model_resolve(&o, &pp, &t, &c);
	ck_assert(pp == 2 && t == 3 && c == 4);
	ck_assert_int_eq(corun_model_parse("hybrid", &m), 0);
	ck_assert_int_eq(m, CORUN_MODEL_HYBRID);
	ck_assert_int_eq(corun_model_parse("proces", &m), CORUN_EINVAL);
	ck_assert_str_eq(corun_model_name(CORUN_MODEL_ASYNC), "async");
}
END_TEST

/*
 * struct corun_pool_opts grows: a caller compiled when it ended before
 * the remote options (its size says so) still gets a working pool, and
 * what lies beyond its size is not read.  A size of 0 (a struct not set
 * up with CORUN_POOL_OPTS_INIT) is refused, and so is a larger struct
 * with options set that this library does not know.
 */
START_TEST(test_opts_size)
{
	struct {
		struct corun_pool_opts o;
		char newer[16];		/* options of a later version */
	} big;
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	struct corun_job j = job("noop", NULL);
	corun_future *f = NULL;
	corun_pool *p = NULL;
	unsigned pp, t, c;

	ck_assert_uint_eq(o.size, sizeof(struct corun_pool_opts));
	o.model = CORUN_MODEL_PROCESS;
	o.jobs = 1;
	o.quiet = 1;
	o.size = offsetof(struct corun_pool_opts, listen);
	/* Past the caller's size: garbage an older caller never set. */
	o.listen = "not a URL";
	o.no_local = 1;
	ck_assert_int_eq(corun_model_resolve(&o, &pp, &t, &c), 0);
	ck_assert(pp == 1 && t == 1 && c == 1);
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	ck_assert_int_eq(corun_pool_submit(p, &j, &f), 0);
	run_all(&f, 1, 10);
	ck_assert_ptr_nonnull(corun_pool_result(f));
	ck_assert_int_eq(corun_pool_result(f)->status, 0);
	corun_future_unref(f);
	shutdown_pool(p);

	o.size = 0;
	p = NULL;
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), CORUN_EINVAL);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(corun_model_resolve(&o, &pp, &t, &c), CORUN_EINVAL);

	/* A newer caller: its zero tail is fine, a set option is not. */
	memset(&big, 0, sizeof(big));
	big.o.size = sizeof(big);
	big.o.jobs = 3;
	ck_assert_int_eq(corun_model_resolve(&big.o, &pp, &t, &c), 0);
	ck_assert_uint_eq(pp, 3);
	big.newer[5] = 1;
	ck_assert_int_eq(corun_model_resolve(&big.o, &pp, &t, &c),
	    CORUN_EINVAL);
	ck_assert_int_eq(corun_pool_new(loop, &big.o, &p), CORUN_EINVAL);
	ck_assert_ptr_null(p);
}
END_TEST

/*
 * max_jobs_per_worker: each worker stops after about 10 jobs (9..11 with
 * the jitter) and is replaced; no job is lost or run twice, and the
 * replacements are neither logged as losses nor count as failures.
 */
/* The directory in a worker's --connect ipc:// URL, from its cmdline. */
static void
worker_rundir(int pid, char *dir, size_t len)
{
	char path[64], buf[4096], *a, *url = NULL, *slash;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	ck_assert_int_gt(n = read(fd, buf, sizeof(buf) - 1), 0);
	close(fd);
	buf[n] = '\0';
	for (a = buf; a < buf + n; a += strlen(a) + 1) {
		if (strcmp(a, "--connect") == 0 && a + strlen(a) + 1 < buf + n) {
			url = a + strlen(a) + 1;
		}
	}
	ck_assert_ptr_nonnull(url);
	ck_assert_msg(strncmp(url, "ipc://", 6) == 0, "%s", url);
	ck_assert_ptr_nonnull(slash = strrchr(url, '/'));
	*slash = '\0';
	snprintf(dir, len, "%s", url + 6);
}

/*
 * A pool's sockets live in a private 0700 directory made under
 * XDG_RUNTIME_DIR, else /dev/shm (a tmpfs: cheap to make and remove),
 * else /tmp; freeing the pool removes it.
 */
START_TEST(test_rundir_private_and_removed)
{
	char base[] = "/tmp/corun-rt.XXXXXX", dir[512], want[600];
	struct corun_job j = job("noop", NULL);
	const char *expect[2];
	corun_future *f;
	struct stat sb;
	corun_pool *p;
	int pid;

	ck_assert_ptr_nonnull(mkdtemp(base));
	expect[0] = base;
	expect[1] = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	for (int round = 0; round < 2; round++) {
		if (round == 0) {
			ck_assert_int_eq(setenv("XDG_RUNTIME_DIR", base, 1), 0);
		} else {
			ck_assert_int_eq(unsetenv("XDG_RUNTIME_DIR"), 0);
		}
		p = new_pool(CORUN_MODEL_ASYNC, 1);
		ck_assert_int_eq(corun_pool_submit(p, &j, &f), 0);
		run_all(&f, 1, 20);
		ck_assert_ptr_nonnull(corun_pool_result(f));
		corun_future_unref(f);
		ck_assert_uint_eq(corun_pool_worker_pids(p, &pid, 1), 1);
		worker_rundir(pid, dir, sizeof(dir));
		snprintf(want, sizeof(want), "%s/corun.", expect[round]);
		ck_assert_msg(strncmp(dir, want, strlen(want)) == 0,
		    "round %d: %s is not under %s", round, dir, expect[round]);
		ck_assert_int_eq(stat(dir, &sb), 0);
		ck_assert(S_ISDIR(sb.st_mode));
		ck_assert_uint_eq(sb.st_mode & 07777, 0700);
		shutdown_pool(p);
		ck_assert_msg(stat(dir, &sb) != 0, "%s is left behind", dir);
	}
	ck_assert_int_eq(rmdir(base), 0);	/* empty again */
}
END_TEST

START_TEST(test_recycle_workers)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	enum { N = 100 };
	struct corun_job jobs[N];
	corun_future *f[N];
	struct corun_pool_stats st;
	int pids[N], npids = 0;
	corun_pool *p = NULL;

	o.model = CORUN_MODEL_PROCESS;
	o.jobs = 2;
	o.prefetch = -1;	/* no held jobs: the limit is exact */
	o.quiet = 1;
	o.restart_max = 2;	/* recycling must not count against it */
	o.max_jobs_per_worker = 10;
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	for (int i = 0; i < N; i++) {
		jobs[i] = job("noop", NULL);
	}
	ck_assert_int_eq(corun_pool_map(p, jobs, N, f), 0);
	run_all(f, N, 60);
	for (int i = 0; i < N; i++) {
		const struct corun_job_result *r = corun_pool_result(f[i]);
		int k;

		ck_assert_msg(r != NULL, "job %d failed: %s", i,
		    corun_future_error(f[i], NULL) ? "error" : "?");
		ck_assert_int_eq(r->status, 0);
		ck_assert_int_eq(r->attempts, 1);
		for (k = 0; k < npids && pids[k] != r->worker_pid; k++) {
		}
		if (k == npids) {
			pids[npids++] = r->worker_pid;
		}
		corun_future_unref(f[i]);
	}
	corun_pool_stats(p, &st);
	/* 100 jobs / at most 11 per process: at least 10 processes ran. */
	ck_assert_msg(npids >= 10, "only %d worker processes", npids);
	ck_assert_msg(st.restarts >= 8, "restarts %llu",
	    (unsigned long long)st.restarts);
	ck_assert_uint_eq(st.lost, 0);
	ck_assert_uint_eq(st.completed, N);
	ck_assert_uint_eq(st.failed, 0);
	shutdown_pool(p);
}
END_TEST

START_TEST(test_bad_jobs_refused)
{
	corun_pool *p = new_pool(CORUN_MODEL_PROCESS, 1);
	struct corun_job j = job("", NULL);
	corun_future *f;

	ck_assert_int_eq(corun_pool_submit(p, &j, &f), CORUN_EINVAL);
	j = job("sleep", "1");
	j.timeout = -1;
	ck_assert_int_eq(corun_pool_submit(p, &j, &f), CORUN_EINVAL);
	/* An unknown kind reaches the worker and comes back explained. */
	j = job("nosuchkind", NULL);
	ck_assert_int_eq(corun_pool_submit(p, &j, &f), 0);
	run_all(&f, 1, 10);
	ck_assert_int_eq(corun_pool_result(f)->status, CORUN_ENOENT);
	ck_assert_ptr_nonnull(strstr(corun_pool_result(f)->message,
	    "nosuchkind"));
	corun_future_unref(f);
	shutdown_pool(p);
}
END_TEST

/* ---- corun_pool_map_chunked ------------------------------------------ */

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

int
main(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("pool");

	if (getenv("CORUN_WORKER") == NULL) {
		fprintf(stderr, "test_pool: CORUN_WORKER is not set\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_models_resolve);
	tcase_add_test(tc, test_opts_size);
	tcase_add_test(tc, test_many_noop_jobs);
	tcase_add_test(tc, test_flush_sends_now);
	tcase_add_test(tc, test_async_model_overlaps_sleeps);
	tcase_add_test(tc, test_shell_output_and_exit);
	tcase_add_test(tc, test_stream_output);
	tcase_add_test(tc, test_timeout_and_retries);
	tcase_add_test(tc, test_cancel_queued_and_running);
	tcase_add_test(tc, test_long_job_outlives_heartbeat_window);
	tcase_add_test(tc, test_worker_killed_mid_run);
	tcase_add_test(tc, test_attempts_run_out);
	tcase_add_test(tc, test_broken_pool_fails_futures);
	tcase_add_test(tc, test_listener_failure_breaks_pool);
	tcase_add_loop_test(tc, test_shutdown_without_wait_cancels, 0, 2);
	tcase_add_test(tc, test_shutdown_drains_workers);
	tcase_add_test(tc, test_exit_seen_before_last_frames);
	tcase_add_test(tc, test_bad_jobs_refused);
	tcase_add_test(tc, test_recycle_workers);
	tcase_add_test(tc, test_rundir_private_and_removed);
	tcase_add_test(tc, test_malformed_frame_drops_peer);
	tcase_add_test(tc, test_chunked_map_in_order_with_errors);
	tcase_add_test(tc, test_chunked_map_large);
	tcase_add_test(tc, test_chunked_map_retries_and_edges);
	tcase_add_test(tc, test_chunked_map_worker_killed);
	tcase_add_test(tc, test_chunked_map_cancel);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}

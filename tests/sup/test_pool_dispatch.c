/* SPDX-License-Identifier: MIT */
/*
 * test_pool_dispatch.c - the process pool, with real corun-worker
 * processes over real nng sockets: submitting and dispatching jobs
 * (pool-submit.c, pool-dispatch.c, pool-job.c, pool-frame.c): many jobs in
 * batches, flush, shell output and exit codes, streamed output, timeouts
 * and retries, cancellation, a killed job run again (corun_pool_kill), a
 * long job past the heartbeat window, bad jobs refused.
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
#include "pool-util.h"

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

/* Run the loop until path exists (or fail after 10 s). */
static void
wait_file(const char *path)
{
	double t0 = now_s();

	while (access(path, F_OK) != 0) {
		ck_assert_msg(now_s() - t0 < 10, "%s never appeared", path);
		corun_loop_run_once(loop, 0.02);
	}
}

/*
 * corun_pool_kill: a running job killed is a failed attempt, run again
 * while its retries allow (first in the queue); with none left it ends
 * as a cancelled running job does.  Not running: CORUN_EAGAIN.
 */
START_TEST(test_kill_is_a_failed_attempt)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	char count[64], script[256], mark[80], second[160];
	struct corun_job j[2];
	corun_future *f[2];
	const struct corun_job_result *r;
	corun_pool *p;
	size_t len, len2;

	snprintf(count, sizeof(count), "/tmp/corun-kill.%ld", (long)getpid());
	snprintf(mark, sizeof(mark), "%s.b", count);
	unlink(count);
	unlink(mark);
	/* Its first run waits to be killed, its second ends at once. */
	len = (size_t)snprintf(script, sizeof(script), "sh%c-c%cn=$(cat %s "
	    "2>/dev/null || echo 0); n=$((n+1)); echo $n >%s; echo run$n; "
	    "[ $n -ge 2 ] || sleep 30%c", 0, 0, count, count, 0);
	len2 = (size_t)snprintf(second, sizeof(second), "sh%c-c%ctouch %s; "
	    "sleep 30%c", 0, 0, mark, 0);
	o.model = CORUN_MODEL_PROCESS;
	o.jobs = 1;
	o.quiet = 1;
	o.prefetch = -1;
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	j[0] = shell(script, len);
	j[0].retries = 1;
	j[1] = shell(second, len2);
	ck_assert_int_eq(corun_pool_map(p, j, 2, f), 0);
	wait_file(count);
	ck_assert_int_eq(corun_pool_kill(f[1]), CORUN_EAGAIN);	/* queued */
	ck_assert_int_eq(corun_pool_kill(f[0]), 0);
	ck_assert_int_eq(corun_pool_kill(f[0]), CORUN_EAGAIN);	/* stopping */
	run_all(f, 1, 10);
	r = corun_pool_result(f[0]);
	ck_assert_int_eq(r->status, 0);
	ck_assert_uint_eq(r->attempts, 2);
	ck_assert_str_eq(r->out, "run2\n");	/* the last attempt's */
	ck_assert_int_eq(corun_pool_kill(f[0]), CORUN_ESTATE);
	/* No retries: it ends killed, with a result. */
	wait_file(mark);
	ck_assert_int_eq(corun_pool_kill(f[1]), 0);
	run_all(&f[1], 1, 10);
	r = corun_pool_result(f[1]);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->status, CORUN_ECANCELED);
	ck_assert_int_eq(r->signal, SIGTERM);
	ck_assert_uint_eq(r->attempts, 1);
	ck_assert_int_eq(corun_pool_kill(NULL), CORUN_EINVAL);
	unlink(count);
	unlink(mark);
	corun_future_unref(f[0]);
	corun_future_unref(f[1]);
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

int
main(void)
{
	Suite *s = suite_create("pool-dispatch");
	TCase *tc = tcase_create("dispatch");

	if (getenv("CORUN_WORKER") == NULL) {
		fprintf(stderr, "test_pool_dispatch: CORUN_WORKER is not set\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_many_noop_jobs);
	tcase_add_test(tc, test_flush_sends_now);
	tcase_add_test(tc, test_shell_output_and_exit);
	tcase_add_test(tc, test_stream_output);
	tcase_add_test(tc, test_timeout_and_retries);
	tcase_add_test(tc, test_cancel_queued_and_running);
	tcase_add_test(tc, test_kill_is_a_failed_attempt);
	tcase_add_test(tc, test_long_job_outlives_heartbeat_window);
	tcase_add_test(tc, test_bad_jobs_refused);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}

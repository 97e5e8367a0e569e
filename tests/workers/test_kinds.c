/* SPDX-License-Identifier: MIT */
/*
 * test_kinds.c - the job kinds and the job runner, in process: real
 * timers, processes and sockets on a corun loop through wk_job_start().
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <corun/corun.h>

#include "check-util.h"
#include "test_kinds.h"

corun_loop *loop;
static corun_future *futs[MAXF];
static size_t nfuts;

void
setup(void)
{
	ck_assert_int_eq(corun_loop_new(&loop), 0);
	nfuts = 0;
	/*
	 * Orphaned grandchildren of killed shells come to us, so the tests
	 * can reap them and see their process group gone (this machine's
	 * pid 1 does not reap).
	 */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
}

void
teardown(void)
{
	for (size_t i = 0; i < nfuts; i++) {
		corun_future_unref(futs[i]);
	}
	corun_loop_free(loop);
	loop = NULL;
}

double
ms_since(uint64_t t0)
{
	return (double)(corun_loop_now_ns() - t0) / 1e6;
}

corun_future *
start(const char *kind, const void *p, size_t len, uint32_t tmo, int offload)
{
	struct wk_job_exec ex = { 0 };
	corun_future *f;

	ex.id = 7 + nfuts;
	ex.attempt = 2;
	ex.kind = kind;
	ex.kind_len = strlen(kind);
	ex.payload = p;
	ex.len = len;
	ex.timeout_ms = tmo;
	ex.offload = offload;
	ck_assert_int_eq(wk_job_start(loop, &ex, &f), 0);
	ck_assert_uint_lt(nfuts, MAXF);
	futs[nfuts++] = f;
	return f;
}

const struct wk_job_outcome *
wait_job(corun_future *f)
{
	const struct wk_job_outcome *o;

	ck_assert_int_eq(corun_loop_run_until_complete(loop, f), 0);
	/* Always a result, never an error or a plain cancellation. */
	ck_assert_int_eq(corun_future_state(f), CORUN_FUTURE_RESULT);
	o = corun_future_result(f, NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_le(o->start_ns, o->end_ns);
	ck_assert(o->status == 0 ? o->message == NULL :
	    o->message != NULL && o->message[0] != '\0');
	return o;
}

const struct wk_job_outcome *
run1(const char *kind, const void *p, size_t len, uint32_t tmo)
{
	return wait_job(start(kind, p, len, tmo, 0));
}

static void
spin_done(void *arg)
{
	corun_future_set_result(arg, NULL, NULL);
}

void
spin(double seconds)
{
	corun_future *f;

	ck_assert_int_eq(corun_future_new(loop, &f), 0);
	ck_assert_int_eq(corun_call_later(loop, seconds, spin_done, f, NULL),
	    0);
	corun_loop_run_until_complete(loop, f);
	corun_future_unref(f);
}

void
wait_all(void)
{
	for (size_t i = 0; i < nfuts; i++) {
		wait_job(futs[i]);
	}
}

/* ---- noop, sleep, block, cpu ------------------------------------------ */

START_TEST(noop_outcome)
{
	const struct wk_job_outcome *o = run1("noop", NULL, 0, 0);

	ck_assert_int_eq(o->status, 0);
	ck_assert_uint_eq(o->id, 7);
	ck_assert_uint_eq(o->attempt, 2);
	ck_assert_int_eq(o->exit_code, -1);
	ck_assert_int_eq(o->signal, 0);
	ck_assert_uint_eq(o->out_len, 0);
	ck_assert_uint_eq(o->err_len, 0);
	ck_assert_ptr_null(o->message);
	ck_assert_uint_gt(o->start_ns, 1600000000ull * 1000000000ull);
}
END_TEST

START_TEST(sleep_waits)
{
	uint64_t t0 = corun_loop_now_ns();
	const struct wk_job_outcome *o = RUNS("sleep", "60", 0);

	ck_assert_int_eq(o->status, 0);
	ck_assert_double_ge(ms_since(t0), 59);
	ck_assert_uint_ge(o->end_ns - o->start_ns, 59000000u);
	ck_assert_int_eq(RUNS("sleep", "5ms", 0)->status, 0);
}
END_TEST

START_TEST(sleeps_overlap)
{
	uint64_t t0 = corun_loop_now_ns();

	for (int i = 0; i < 10; i++) {
		start("sleep", "50", 2, 0, 0);
	}
	wait_all();
	ck_assert_double_lt(ms_since(t0), 400);
}
END_TEST

START_TEST(blocks_serialise)
{
	uint64_t t0 = corun_loop_now_ns();

	for (int i = 0; i < 4; i++) {
		start("block", "50", 2, 0, 0);
	}
	wait_all();
	ck_assert_double_ge(ms_since(t0), 195);
}
END_TEST

START_TEST(blocks_offloaded_overlap)
{
	uint64_t t0;

	ck_assert_int_eq(corun_loop_set_executor_threads(loop, 4), 0);
	t0 = corun_loop_now_ns();
	for (int i = 0; i < 4; i++) {
		start("block", "200", 3, 0, 1);
	}
	wait_all();
	ck_assert_double_lt(ms_since(t0), 600);	/* 800 in turn */
	for (size_t i = 0; i < nfuts; i++) {
		ck_assert_int_eq(((const struct wk_job_outcome *)
		    corun_future_result(futs[i], NULL))->status, 0);
	}
}
END_TEST

START_TEST(offloaded_cancel)
{
	const struct wk_job_outcome *of, *og;
	corun_future *f, *g;
	uint64_t t0;

	/*
	 * One executor thread: f runs, g waits in the queue.  Cancelling
	 * cannot stop f's nanosleep, so f reports when it returns; g never
	 * starts its sleep.
	 */
	ck_assert_int_eq(corun_loop_set_executor_threads(loop, 1), 0);
	t0 = corun_loop_now_ns();
	f = start("block", "200", 3, 0, 1);
	g = start("block", "200", 3, 0, 1);
	spin(0.05);
	ck_assert_int_eq(corun_future_cancel(g), 0);
	ck_assert_int_eq(corun_future_cancel(f), 0);
	of = wait_job(f);
	ck_assert_int_eq(of->status, CORUN_ECANCELED);
	ck_assert_double_ge(ms_since(t0), 195);
	og = wait_job(g);
	ck_assert_int_eq(og->status, CORUN_ECANCELED);
	/* g ended right after f, without sleeping 200 ms of its own. */
	ck_assert_uint_lt(og->end_ns - of->end_ns, 150000000u);
}
END_TEST

static unsigned long long
cpu_iters(const struct wk_job_outcome *o, char *sum)
{
	unsigned long long n = 0;

	ck_assert_int_eq(o->status, 0);
	ck_assert_int_eq(sscanf(o->out, "%16s %llu", sum, &n), 2);
	ck_assert_uint_eq(strlen(sum), 16);
	return n;
}

START_TEST(cpu_deterministic)
{
	char a[32], b[32], c[32], d[32], req[64];
	unsigned long long n;

	ck_assert_uint_eq(cpu_iters(RUNS("cpu", "100000iter", 0), a), 100000);
	ck_assert_uint_eq(cpu_iters(RUNS("cpu", "100000iter", 0), b), 100000);
	ck_assert_str_eq(a, b);
	cpu_iters(RUNS("cpu", "100001iter", 0), c);
	ck_assert_str_ne(a, c);
	/* The timed form computes the same kernel: same count, same sum. */
	n = cpu_iters(RUNS("cpu", "20ms", 0), c);
	ck_assert_uint_gt(n, 0);
	snprintf(req, sizeof(req), "%lluiter", n);
	cpu_iters(RUNS("cpu", req, 0), d);
	ck_assert_str_eq(c, d);
	ck_assert_int_eq(RUNS("cpu", "5", 0)->status, 0);
}
END_TEST

START_TEST(cpu_offloaded_timeout)
{
	uint64_t t0 = corun_loop_now_ns();
	corun_future *f = start("cpu", "5000ms", 6, 100, 1);
	const struct wk_job_outcome *o = wait_job(f);

	/* The kernel looks at the stop request between chunks. */
	ck_assert_int_eq(o->status, CORUN_ETIMEDOUT);
	ck_assert_str_eq(o->message, "timeout after 0.1 s");
	ck_assert_double_lt(ms_since(t0), 1000);
}
END_TEST

/* ---- errors ------------------------------------------------------------- */

static void
expect_einval(const char *kind, const void *p, size_t len, const char *what)
{
	const struct wk_job_outcome *o = run1(kind, p, len, 0);

	ck_assert_int_eq(o->status, CORUN_EINVAL);
	ck_assert_msg(strstr(o->message, kind) != NULL &&
	    strstr(o->message, what) != NULL, "message '%s' lacks '%s'/'%s'",
	    o->message, kind, what);
}

START_TEST(bad_payloads)
{
	expect_einval("sleep", "abc", 3, "'abc'");
	expect_einval("sleep", "", 0, "milliseconds");
	expect_einval("block", "1.5", 3, "'1.5'");
	expect_einval("cpu", "-5", 2, "'-5'");
	expect_einval("cpu", "12xyz", 5, "Niter");
	expect_einval("shell", "", 0, "no command");
	expect_einval("shell", "\0FOO=1", 7, "no command");
	expect_einval("shell", "true\0\0NOEQUALS", 15, "NOEQUALS");
	expect_einval("net", "127.0.0.1\0hi", 12, "127.0.0.1");
	expect_einval("net", "127.0.0.1:99999", 15, "HOST:PORT");
	expect_einval("net", "::1:80", 6, "[IPV6]");
}
END_TEST

START_TEST(unknown_kind)
{
	const struct wk_job_outcome *o = RUNS("xyz", "", 0);

	ck_assert_int_eq(o->status, CORUN_ENOENT);
	ck_assert_ptr_nonnull(strstr(o->message, "unknown job kind 'xyz' "
	    "(known: noop, sleep, block, cpu, shell, net"));
	ck_assert_int_eq(run1("", NULL, 0, 0)->status, CORUN_ENOENT);
}
END_TEST

/* ---- cancel and timeout ------------------------------------------------- */

START_TEST(cancel_sleep)
{
	corun_future *f = start("sleep", "10000", 5, 0, 0);
	corun_future *g = start("sleep", "10000", 5, 0, 0);
	const struct wk_job_outcome *o;
	uint64_t t0 = corun_loop_now_ns();

	/* g before its task ever ran, f while it sleeps. */
	ck_assert_int_eq(corun_future_cancel(g), 0);
	spin(0.05);
	ck_assert(!corun_future_done(f));
	ck_assert_int_eq(corun_future_cancel(f), 0);
	o = wait_job(f);
	ck_assert_int_eq(o->status, CORUN_ECANCELED);
	ck_assert_str_eq(o->message, "cancelled");
	o = wait_job(g);
	ck_assert_int_eq(o->status, CORUN_ECANCELED);
	ck_assert_double_lt(ms_since(t0), 1000);
	ck_assert_int_eq(corun_future_cancel(f), CORUN_ESTATE);
}
END_TEST

START_TEST(timeout_sleep)
{
	uint64_t t0 = corun_loop_now_ns();
	const struct wk_job_outcome *o = RUNS("sleep", "10000", 100);

	ck_assert_int_eq(o->status, CORUN_ETIMEDOUT);
	ck_assert_str_eq(o->message, "timeout after 0.1 s");
	ck_assert_double_lt(ms_since(t0), 500);
	/* Finishing first wins over a later timeout. */
	ck_assert_int_eq(RUNS("sleep", "10", 1000)->status, 0);
}
END_TEST

/* Mappings in this process (/proc/self/maps lines). */
static int
count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int c, n = 0;

	ck_assert_ptr_nonnull(f);
	while ((c = getc(f)) != EOF) {
		n += c == '\n';
	}
	fclose(f);
	return n;
}

/*
 * noop and sleep run without a task (runner-nostack.c): 2000 sleeps in
 * flight add no stack mappings (a task's stack is a mapping and a guard
 * page each), and still end with their outcomes, a cancelled one a loop
 * turn after the cancel, not inside it.
 */
#define NOSTACK_N 2000
START_TEST(sleeps_need_no_stack)
{
	static corun_future *f[NOSTACK_N];
	struct wk_job_exec ex = { 0 };
	const struct wk_job_outcome *o;
	int before = count_maps();

	ex.kind = "sleep";
	ex.kind_len = 5;
	ex.payload = "200";
	ex.len = 3;
	for (int i = 0; i < NOSTACK_N; i++) {
		ex.id = (uint64_t)i + 1;
		ck_assert_int_eq(wk_job_start(loop, &ex, &f[i]), 0);
	}
	/* (Nothing ends before the loop runs.) */
	ck_assert(!corun_future_done(f[0]));
	ck_assert_int_lt(count_maps() - before, 50);
	ck_assert_int_eq(corun_future_cancel(f[1]), 0);
	ck_assert(!corun_future_done(f[1]));
	for (int i = 0; i < NOSTACK_N; i++) {
		o = wait_job(f[i]);
		ck_assert_uint_eq(o->id, (uint64_t)i + 1);
		ck_assert_int_eq(o->status, i == 1 ? CORUN_ECANCELED : 0);
		if (i != 1) {
			ck_assert_uint_ge(o->end_ns - o->start_ns, 190000000u);
		}
		corun_future_unref(f[i]);
	}
	/* noop ends at once, its future done before wk_job_start returns. */
	ex.kind = "noop";
	ex.kind_len = 4;
	ck_assert_int_eq(wk_job_start(loop, &ex, &f[0]), 0);
	ck_assert(corun_future_done(f[0]));
	ck_assert_int_eq(wait_job(f[0])->status, 0);
	corun_future_unref(f[0]);
}
END_TEST

/* A blocking kind cannot be interrupted, but its overrun is still a timeout. */
START_TEST(block_overrun_is_timeout)
{
	const struct wk_job_outcome *o = run1("block", "300", 3, 100);

	ck_assert_int_eq(o->status, CORUN_ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(o->message, "timeout after 0.1 s"));
	ck_assert_ptr_nonnull(strstr(o->message, "--offload"));
}
END_TEST

/* ---- suite ------------------------------------------------------------ */

static Suite *
kinds_suite(void)
{
	Suite *s = suite_create("kinds");
	TCase *tc;

	tc = tcase_create("basic");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, noop_outcome);
	tcase_add_test(tc, sleep_waits);
	tcase_add_test(tc, sleeps_overlap);
	tcase_add_test(tc, blocks_serialise);
	tcase_add_test(tc, block_overrun_is_timeout);
	tcase_add_test(tc, blocks_offloaded_overlap);
	tcase_add_test(tc, offloaded_cancel);
	tcase_add_test(tc, cpu_deterministic);
	tcase_add_test(tc, cpu_offloaded_timeout);
	tcase_add_test(tc, bad_payloads);
	tcase_add_test(tc, unknown_kind);
	tcase_add_test(tc, cancel_sleep);
	tcase_add_test(tc, timeout_sleep);
	tcase_add_test(tc, sleeps_need_no_stack);
	suite_add_tcase(s, tc);
	add_proc_tests(s);
	return s;
}

int
main(void)
{
	/* A reader of a closed socket must see EPIPE, not die. */
	signal(SIGPIPE, SIG_IGN);
	return cr_check_main(kinds_suite());
}

/* SPDX-License-Identifier: MIT */
/*
 * test_pool_shutdown.c - the process pool, with real corun-worker
 * processes over real nng sockets: shutting the pool down
 * (pool-shutdown.c): without wait it cancels what runs; with wait it
 * drains the workers.
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

int
main(void)
{
	Suite *s = suite_create("pool-shutdown");
	TCase *tc = tcase_create("shutdown");

	if (getenv("CORUN_WORKER") == NULL) {
		fprintf(stderr, "test_pool_shutdown: CORUN_WORKER is not set\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_shutdown_without_wait_cancels, 0, 2);
	tcase_add_test(tc, test_shutdown_drains_workers);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}

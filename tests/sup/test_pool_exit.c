/* SPDX-License-Identifier: MIT */
/*
 * test_pool_exit.c - the process pool, with real corun-worker processes
 * over real nng sockets: workers that exit (pool-exit.c): killed mid-run,
 * attempts that run out, a broken pool failing its futures, failing
 * listeners, a malformed frame dropping its peer, workers recycled, an
 * exit seen before the last frames.
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
 * A drained worker sends its last results and BYE and exits at once, so
 * the pool may see the exit before it has read those frames.  With the
 * rx fault the loop never reads a worker's frames on its own: only the
 * exit's check does.  The result must come from that read (one attempt,
 * nothing lost), not from a second run on a new worker (whose HELLO,
 * unread, would hang this test instead).
 */
static unsigned long
exit_before_frames_once(void)
{
	corun_pool *p = new_pool(CORUN_MODEL_PROCESS, 1);
	struct corun_job j = job("noop", NULL), s = job("sleep", "50");
	const struct corun_job_result *r;
	struct corun_pool_stats st;
	corun_future *f, *done;
	unsigned long hits;

	/* The worker ready first: its HELLO read, a job done. */
	ck_assert_int_eq(corun_pool_submit(p, &j, &f), 0);
	run_all(&f, 1, 20);
	corun_future_unref(f);

	ck_assert_int_eq(cr_fault_set(CR_FAULT_RX, 1, 1), 0);
	ck_assert_int_eq(corun_pool_submit(p, &s, &f), 0);
	ck_assert_int_eq(corun_pool_shutdown(p, 1, 0, &done), 0);
	run_all(&f, 1, 20);
	hits = cr_fault_hits(CR_FAULT_RX);
	cr_fault_clear();
	ck_assert_ptr_nonnull(r = corun_pool_result(f));
	ck_assert_int_eq(r->status, 0);
	ck_assert_uint_eq(r->attempts, 1);
	corun_pool_stats(p, &st);
	ck_assert_uint_eq(st.lost, 0);
	ck_assert_uint_eq(st.completed, 2);
	corun_future_unref(f);
	finish_pool(p, done);
	return hits;
}

/*
 * Whether the loop had a frame to leave unread depends on when the
 * worker's last frames arrive against its exit: the case runs until it
 * did (at most 5 times), each run checked whole.
 */
START_TEST(test_exit_seen_before_last_frames)
{
	int hit = 0;

	for (int i = 0; i < 5 && !hit; i++) {
		hit = exit_before_frames_once() > 0;
	}
	ck_assert_msg(hit, "the loop never left a frame unread in 5 runs");
}
END_TEST

/*
 * max_jobs_per_worker: each worker stops after about 10 jobs (9..11 with
 * the jitter) and is replaced; no job is lost or run twice, and the
 * replacements are neither logged as losses nor count as failures.
 */
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

int
main(void)
{
	Suite *s = suite_create("pool-exit");
	TCase *tc = tcase_create("exit");

	if (getenv("CORUN_WORKER") == NULL) {
		fprintf(stderr, "test_pool_exit: CORUN_WORKER is not set\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_worker_killed_mid_run);
	tcase_add_test(tc, test_attempts_run_out);
	tcase_add_test(tc, test_broken_pool_fails_futures);
	tcase_add_test(tc, test_listener_failure_breaks_pool);
	tcase_add_test(tc, test_exit_seen_before_last_frames);
	tcase_add_test(tc, test_recycle_workers);
	tcase_add_test(tc, test_malformed_frame_drops_peer);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}

/* SPDX-License-Identifier: MIT */
/*
 * test_pool_models.c - the process pool, with real corun-worker processes
 * over real nng sockets: the options and models (pool-new.c): the models
 * resolved from the options, the options struct and its size, the async
 * model overlapping sleeps, and the pool's private run directory.
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
 * A pool's sockets live in a private 0700 directory, corun.PID.XXXXXX
 * (PID: ours), made under XDG_RUNTIME_DIR, else /dev/shm (a tmpfs:
 * cheap to make and remove), else /tmp; freeing the pool removes it.
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
		snprintf(want, sizeof(want), "%s/corun.%ld.", expect[round],
		    (long)getpid());
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

int
main(void)
{
	Suite *s = suite_create("pool-models");
	TCase *tc = tcase_create("models");

	if (getenv("CORUN_WORKER") == NULL) {
		fprintf(stderr, "test_pool_models: CORUN_WORKER is not set\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_models_resolve);
	tcase_add_test(tc, test_opts_size);
	tcase_add_test(tc, test_async_model_overlaps_sleeps);
	tcase_add_test(tc, test_rundir_private_and_removed);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}

/* SPDX-License-Identifier: MIT */
/*
 * test_store.c - corund's durable job store (src/daemon/store.c) on a
 * temporary directory: add, take, finish exactly once, recover after a
 * crash, idempotency keys, dependencies, pauses, purging, reopening,
 * WAL checkpoints on their own thread.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check-util.h"
#include "daemon/daemon.h"

static char dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cr-store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static cd_store *
open_store(void)
{
	cd_store *s = NULL;
	char why[256];

	ck_assert_int_eq(cd_store_open(dir, 0, &s, why, sizeof(why)), 0);
	return s;
}

static int64_t
add(cd_store *s, const char *kind, int prio, const char *group)
{
	struct cd_jobspec js = { 0 };
	int64_t id = 0;
	int existed = -1;

	js.kind = kind;
	js.payload = "5";
	js.len = 1;
	js.priority = prio;
	js.group = group;
	ck_assert_int_eq(cd_store_add(s, &js, 1, &id, &existed), 0);
	ck_assert_int_eq(existed, 0);
	return id;
}

static void
finish(cd_store *s, int64_t id, int state, int expect_recorded)
{
	struct cd_outcome o = { 0 };
	int rec = -1;

	o.state = state;
	o.out = "hello";
	o.out_len = 5;
	o.end_ns = 10;
	ck_assert_int_eq(cd_store_finish(s, id, &o, &rec), 0);
	ck_assert_int_eq(rec, expect_recorded);
}

START_TEST(add_take_finish)
{
	cd_store *s = open_store();
	struct cd_taken t[8];
	uint64_t c[CD_NSTATES];
	size_t got;
	int64_t a, b, hi;
	json_t *j;

	ck_assert_int_eq(cd_store_begin(s), 0);
	a = add(s, "sleep", 0, NULL);
	b = add(s, "sleep", 0, NULL);
	hi = add(s, "noop", 5, NULL);
	ck_assert_int_eq(cd_store_commit(s), 0);
	ck_assert(a < b && b < hi);
	cd_store_counts(s, c);
	ck_assert_uint_eq(c[CD_QUEUED], 3);

	/* Priority first, then submission order. */
	ck_assert_int_eq(cd_store_take(s, 2, 2, t, &got), 0);
	ck_assert_uint_eq(got, 2);
	ck_assert_int_eq(t[0].id, hi);
	ck_assert_str_eq(t[0].kind, "noop");
	ck_assert_int_eq(t[1].id, a);
	ck_assert_uint_eq(t[1].len, 1);
	ck_assert_uint_eq(t[1].attempts, 1);
	cd_taken_free(&t[0]);
	cd_taken_free(&t[1]);
	cd_store_counts(s, c);
	ck_assert_uint_eq(c[CD_QUEUED], 1);
	ck_assert_uint_eq(c[CD_RUNNING], 2);

	finish(s, a, CD_DONE, 1);
	finish(s, a, CD_FAILED, 0);	/* exactly once */
	cd_store_counts(s, c);
	ck_assert_uint_eq(c[CD_DONE], 1);
	ck_assert_uint_eq(c[CD_FAILED], 0);
	ck_assert_int_eq(cd_store_job_json(s, a, 1, &j), 0);
	ck_assert_str_eq(json_string_value(json_object_get(j, "state")),
	    "done");
	ck_assert_str_eq(json_string_value(json_object_get(j, "stdout")),
	    "hello");
	json_decref(j);
	ck_assert_int_eq(cd_store_job_json(s, 999, 1, &j), CORUN_ENOENT);
	cd_store_close(s);
}
END_TEST

START_TEST(recover_after_crash)
{
	cd_store *s = open_store();
	struct cd_taken t[4];
	uint64_t c[CD_NSTATES];
	size_t got, rq, fl;
	int64_t a, b;
	int state;

	a = add(s, "noop", 0, NULL);
	b = add(s, "noop", 0, NULL);
	ck_assert_int_eq(cd_store_take(s, 4, 2, t, &got), 0);
	ck_assert_uint_eq(got, 2);
	/* Both started on a worker: an attempt each. */
	ck_assert_int_eq(cd_store_leased(s, t[0].id, t[0].attempts, 2), 0);
	ck_assert_int_eq(cd_store_leased(s, t[1].id, t[1].attempts, 2), 0);
	cd_taken_free(&t[0]);
	cd_taken_free(&t[1]);
	/* A crash: nothing recorded.  a had its last attempt. */
	cd_store_close(s);
	s = open_store();
	cd_store_counts(s, c);
	ck_assert_uint_eq(c[CD_RUNNING], 2);
	ck_assert_int_eq(cd_store_recover(s, 2, 3, &rq, &fl), 0);
	ck_assert_uint_eq(rq, 2);
	ck_assert_uint_eq(fl, 0);
	ck_assert_int_eq(cd_store_take(s, 1, 2, t, &got), 0);
	ck_assert_int_eq(t[0].id, a);
	ck_assert_uint_eq(t[0].attempts, 2);
	ck_assert_int_eq(cd_store_leased(s, t[0].id, t[0].attempts, 2), 0);
	cd_taken_free(&t[0]);
	ck_assert_int_eq(cd_store_recover(s, 2, 3, &rq, &fl), 0);
	ck_assert_uint_eq(rq, 0);
	ck_assert_uint_eq(fl, 1);
	ck_assert_int_eq(cd_store_state(s, a, &state), 0);
	ck_assert_int_eq(state, CD_FAILED);
	ck_assert_int_eq(cd_store_state(s, b, &state), 0);
	ck_assert_int_eq(state, CD_QUEUED);
	cd_store_counts(s, c);
	ck_assert_uint_eq(c[CD_FAILED], 1);
	ck_assert_uint_eq(c[CD_QUEUED], 1);
	ck_assert_uint_eq(c[CD_RUNNING], 0);
	cd_store_close(s);
}
END_TEST

/* Taken but never started (no lease): no attempt, however many crashes. */
START_TEST(unstarted_never_fails)
{
	cd_store *s = open_store();
	struct cd_taken t[1];
	size_t got, rq, fl;
	int64_t a;
	int state;

	a = add(s, "noop", 0, NULL);
	for (int crash = 0; crash < 5; crash++) {
		ck_assert_int_eq(cd_store_take(s, 1, 2, t, &got), 0);
		ck_assert_uint_eq(got, 1);
		ck_assert_uint_eq(t[0].attempts, 1);
		cd_taken_free(&t[0]);
		cd_store_close(s);
		s = open_store();
		ck_assert_int_eq(cd_store_recover(s, 1, 3, &rq, &fl), 0);
		ck_assert_uint_eq(rq, 1);
		ck_assert_uint_eq(fl, 0);
	}
	ck_assert_int_eq(cd_store_state(s, a, &state), 0);
	ck_assert_int_eq(state, CD_QUEUED);
	/* A fast stop undoes the stopped attempt; a lost lease stays. */
	ck_assert_int_eq(cd_store_take(s, 1, 2, t, &got), 0);
	ck_assert_int_eq(cd_store_leased(s, a, 1, 2), 0);
	ck_assert_int_eq(cd_store_requeue_at(s, a, 0), 0);
	cd_taken_free(&t[0]);
	ck_assert_int_eq(cd_store_take(s, 1, 2, t, &got), 0);
	ck_assert_uint_eq(t[0].attempts, 1);
	ck_assert_int_eq(cd_store_leased(s, a, 1, 2), 0);
	ck_assert_int_eq(cd_store_requeue(s, a), 0);
	cd_taken_free(&t[0]);
	ck_assert_int_eq(cd_store_take(s, 1, 2, t, &got), 0);
	ck_assert_uint_eq(t[0].attempts, 2);
	cd_taken_free(&t[0]);
	cd_store_close(s);
}
END_TEST

START_TEST(keys_deps_pause)
{
	cd_store *s = open_store();
	struct cd_jobspec js = { 0 };
	struct cd_taken t[4];
	int64_t a, k1, k2, dep, bad = 12345;
	size_t got;
	int existed;

	js.kind = "noop";
	js.key = "k";
	ck_assert_int_eq(cd_store_add(s, &js, 1, &k1, &existed), 0);
	ck_assert_int_eq(existed, 0);
	ck_assert_int_eq(cd_store_add(s, &js, 1, &k2, &existed), 0);
	ck_assert_int_eq(existed, 1);
	ck_assert_int_eq(k1, k2);

	a = add(s, "noop", 0, "g");
	js.key = NULL;
	js.after = &a;
	js.nafter = 1;
	js.priority = 9;
	ck_assert_int_eq(cd_store_add(s, &js, 1, &dep, &existed), 0);
	js.after = &bad;
	ck_assert_int_eq(cd_store_add(s, &js, 1, &bad, &existed),
	    CORUN_ENOENT);

	/* Group g paused: only k1 runs; dep waits for a. */
	ck_assert_int_eq(cd_store_set_paused(s, "g", 1), 0);
	ck_assert_int_eq(cd_store_take(s, 4, 2, t, &got), 0);
	ck_assert_uint_eq(got, 1);
	ck_assert_int_eq(t[0].id, k1);
	cd_taken_free(&t[0]);
	ck_assert_int_eq(cd_store_set_paused(s, "g", 0), 0);
	ck_assert_int_eq(cd_store_take(s, 4, 2, t, &got), 0);
	ck_assert_uint_eq(got, 1);
	ck_assert_int_eq(t[0].id, a);
	cd_taken_free(&t[0]);
	finish(s, a, CD_DONE, 1);
	ck_assert_int_eq(cd_store_take(s, 4, 2, t, &got), 0);
	ck_assert_uint_eq(got, 1);
	ck_assert_int_eq(t[0].id, dep);
	cd_taken_free(&t[0]);
	/* Requeue gives the attempt back. */
	ck_assert_int_eq(cd_store_requeue(s, dep), 0);
	ck_assert_int_eq(cd_store_take(s, 4, 2, t, &got), 0);
	ck_assert_uint_eq(t[0].attempts, 1);
	cd_taken_free(&t[0]);
	cd_store_close(s);
}
END_TEST

/* A group's parallelism caps a take; a take that found nothing is not
   repeated until a finish or more room makes a job runnable. */
START_TEST(group_parallel_take)
{
	cd_store *s = open_store();
	struct cd_taken t[4];
	int64_t a, b, c;
	size_t got;
	int found;

	ck_assert_int_eq(cd_store_group_set(s, "lim", 1, 1, &found), 0);
	ck_assert_int_eq(found, 0);
	a = add(s, "noop", 0, "lim");
	b = add(s, "noop", 0, "lim");
	c = add(s, "noop", 0, "lim");
	ck_assert_int_eq(cd_store_take(s, 4, 2, t, &got), 0);
	ck_assert_uint_eq(got, 1);
	ck_assert_int_eq(t[0].id, a);
	cd_taken_free(&t[0]);
	ck_assert_int_eq(cd_store_take(s, 4, 2, t, &got), 0);
	ck_assert_uint_eq(got, 0);	/* full */
	finish(s, a, CD_DONE, 1);
	ck_assert_int_eq(cd_store_take(s, 4, 2, t, &got), 0);
	ck_assert_uint_eq(got, 1);
	ck_assert_int_eq(t[0].id, b);
	cd_taken_free(&t[0]);
	ck_assert_int_eq(cd_store_group_set(s, "lim", 3, 0, &found), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(cd_store_take(s, 4, 2, t, &got), 0);
	ck_assert_uint_eq(got, 1);	/* room for two more, one queued */
	ck_assert_int_eq(t[0].id, c);
	cd_taken_free(&t[0]);
	cd_store_close(s);
}
END_TEST

START_TEST(purge)
{
	cd_store *s = open_store();
	uint64_t c[CD_NSTATES];
	size_t del;
	int64_t ids[10];
	int state;

	for (int i = 0; i < 10; i++) {
		ids[i] = add(s, "noop", 0, NULL);
	}
	for (int i = 0; i < 8; i++) {
		finish(s, ids[i], i % 2 ? CD_DONE : CD_FAILED, 1);
	}
	ck_assert_int_eq(cd_store_purge(s, 0, 3, 100, &del), 0);
	ck_assert_uint_eq(del, 5);
	cd_store_counts(s, c);
	ck_assert_uint_eq(c[CD_DONE] + c[CD_FAILED], 3);
	ck_assert_uint_eq(c[CD_QUEUED], 2);
	ck_assert_int_eq(cd_store_purge(s, 1e-9, 0, 100, &del), 0);
	ck_assert_uint_eq(del, 3);
	ck_assert_int_eq(cd_store_state(s, ids[9], &state), 0);
	ck_assert_int_eq(state, CD_QUEUED);
	cd_store_close(s);
	/* Counts survive a reopen. */
	s = open_store();
	cd_store_counts(s, c);
	ck_assert_uint_eq(c[CD_QUEUED], 2);
	ck_assert_uint_eq(c[CD_DONE], 0);
	/* Ids are never reused. */
	ck_assert(add(s, "noop", 0, NULL) > ids[9]);
	cd_store_close(s);
}
END_TEST

/*
 * The store's connection leaves checkpoints to a thread: they happen,
 * the log stays bounded under writes that never pause, and once writes
 * pause the log is reused from its start and cut back to 4 MB.
 */
START_TEST(checkpoints_off_the_loop)
{
	cd_store *s = open_store();
	char wal[128];
	struct stat st;
	struct timespec ts = { 0, 50000000 };
	uint64_t c[CD_NSTATES];
	off_t most = 0;
	int i;

	snprintf(wal, sizeof(wal), "%s/jobs.db-wal", dir);
	ck_assert_uint_eq(cd_store_checkpoints(s), 0);
	/* About 3 pages a commit: 8000 commits are 24000 pages of log. */
	for (i = 0; i < 8000; i++) {
		ck_assert_int_eq(cd_store_begin(s), 0);
		add(s, "noop", 0, NULL);
		ck_assert_int_eq(cd_store_commit(s), 0);
		if (stat(wal, &st) == 0 && st.st_size > most) {
			most = st.st_size;
		}
	}
	/*
	 * Unchecked, the log would pass 96 MB; it is checkpointed at 8000
	 * pages (32 MB), plus what is written while the thread holds the
	 * checkpoint lock.
	 */
	ck_assert_int_lt(most, 64 * 1024 * 1024);
	/* A pause: the thread catches up, the next write reuses the log. */
	for (i = 0; i < 200; i++) {
		nanosleep(&ts, NULL);
		ck_assert_int_eq(cd_store_begin(s), 0);
		add(s, "noop", 0, NULL);
		ck_assert_int_eq(cd_store_commit(s), 0);
		ck_assert_int_eq(stat(wal, &st), 0);
		if (st.st_size <= 4 * 1024 * 1024) {
			break;
		}
	}
	ck_assert_int_lt(i, 200);
	ck_assert_uint_gt(cd_store_checkpoints(s), 0);
	cd_store_close(s);
	s = open_store();
	cd_store_counts(s, c);
	ck_assert_uint_eq(c[CD_QUEUED], 8000 + (uint64_t)i + 1);
	cd_store_close(s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, add_take_finish);
	tcase_add_test(tc, recover_after_crash);
	tcase_add_test(tc, unstarted_never_fails);
	tcase_add_test(tc, keys_deps_pause);
	tcase_add_test(tc, purge);
	tcase_add_test(tc, group_parallel_take);
	tcase_add_test(tc, checkpoints_off_the_loop);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}

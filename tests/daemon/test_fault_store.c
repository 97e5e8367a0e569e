/* SPDX-License-Identifier: MIT */
/*
 * test_fault_store.c - corund's job store under allocation and I/O
 * failure (SQLite's allocator and a VFS shim, src/daemon/fault-hooks.c).
 *
 * A store with a few acknowledged jobs (one finished) is closed; then,
 * with the Nth allocation (or file read/write/sync/open) failing, once or
 * forever, the daemon's work is replayed: open, recover, submit jobs the
 * way ctl.c does (transaction, savepoint, add, release, commit; a client
 * retries with its idempotency key), take and finish jobs the way feed.c
 * does, read a job, pause a group, purge, close.  N goes up until a run
 * hits no fault.  After each run, with faults off: what the store holds
 * in memory matches the file, and after reopening, every job whose
 * submit was acknowledged (add and commit returned 0) is there exactly
 * once, every acknowledged result is recorded, nothing is stuck
 * running, and the file passes PRAGMA integrity_check.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check-util.h"
#include "daemon/daemon.h"
#include "fault-internal.h"

#define NPRE	3	/* jobs acknowledged before the faults */
#define NJOBS	6	/* submitted under faults */
#define MAXN	100000

static char dir[64];
static unsigned long cur_n;	/* the armed call, for messages */

struct acks {
	int64_t id[NPRE + NJOBS];	/* 0 = not acknowledged */
	int finished[NPRE + NJOBS];	/* result acknowledged */
};

static void
rmstate(void)
{
	static const char *const f[] = {
		"jobs.db", "jobs.db-wal", "jobs.db-shm", "jobs.db-journal",
		"jobs.acked"
	};
	char path[128];

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, f[i]);
		unlink(path);
	}
}

static int
submit(cd_store *s, int i, int64_t after, int64_t *id)
{
	struct cd_jobspec js = { 0 };
	char key[16];
	int existed, rc, crc;

	snprintf(key, sizeof(key), "j%d", i);
	js.kind = "noop";
	js.payload = "payload";
	js.len = 7;
	js.key = key;
	js.after = &after;
	js.nafter = after != 0;
	if (cd_store_begin(s) != 0) {
		return -1;
	}
	if (cd_store_savepoint(s) != 0) {
		rc = -1;
	} else {
		rc = cd_store_add(s, &js, 1, id, &existed);
		cd_store_release(s, rc != 0);
	}
	crc = cd_store_commit(s);
	return rc != 0 || crc != 0 ? -1 : 0;
}

/* Take what is runnable and finish it, one feed.c tick. */
static void
run_some(cd_store *s, struct acks *a, int requeue_last)
{
	struct cd_taken t[4];
	struct cd_outcome o = { 0 };
	int64_t done[4];
	size_t got = 0, ndone = 0;
	int rec;

	if (cd_store_begin(s) != 0) {
		return;
	}
	if (cd_store_take(s, 4, 2, t, &got) != 0) {
		got = 0;
	}
	o.state = CD_DONE;
	o.out = "out";
	o.out_len = 3;
	o.end_ns = 3;
	for (size_t i = 0; i < got; i++) {
		if (requeue_last && i + 1 == got) {
			cd_store_requeue(s, t[i].id);
		} else if (cd_store_finish(s, t[i].id, &o, &rec) == 0 &&
		    rec) {
			done[ndone++] = t[i].id;
		}
		cd_taken_free(&t[i]);
	}
	if (cd_store_commit(s) == 0) {
		for (size_t i = 0; i < ndone; i++) {
			for (int k = 0; k < NPRE + NJOBS; k++) {
				if (a->id[k] == done[i]) {
					a->finished[k] = 1;
				}
			}
		}
	}
}

/* The counts in memory are the file's. */
static void
check_counts(cd_store *s)
{
	uint64_t mem[CD_NSTATES], disk[CD_NSTATES] = { 0 };
	sqlite3_stmt *st;
	sqlite3 *db;
	char path[128];

	cd_store_counts(s, mem);
	snprintf(path, sizeof(path), "%s/jobs.db", dir);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT state, count(*) "
	    "FROM jobs GROUP BY state", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		disk[sqlite3_column_int(st, 0)] =
		    (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	for (int i = 0; i < CD_NSTATES; i++) {
		ck_assert_msg(mem[i] == disk[i], "N=%lu: %s: %llu in memory, "
		    "%llu in the file", cur_n, cd_state_name(i),
		    (unsigned long long)mem[i], (unsigned long long)disk[i]);
	}
}

static cd_store *
open_ok(void)
{
	cd_store *s = NULL;
	char why[256];

	ck_assert_msg(cd_store_open(dir, 0, &s, why, sizeof(why)) == 0, "%s",
	    why);
	return s;
}

/* The state before the faults: NPRE jobs, the first one finished. */
static void
prepare(struct acks *a)
{
	cd_store *s;

	memset(a, 0, sizeof(*a));
	rmstate();
	s = open_ok();
	for (int i = 0; i < NPRE; i++) {
		ck_assert_int_eq(submit(s, i, 0, &a->id[i]), 0);
	}
	run_some(s, a, 0);
	ck_assert_int_eq(a->finished[0], 1);
	cd_store_close(s);
}

/* The daemon's work, under whatever fault is armed. */
static void
operation(struct acks *a)
{
	cd_store *s = NULL;
	char why[256];
	size_t rq, fl, n;
	json_t *j;

	if (cd_store_open(dir, 0, &s, why, sizeof(why)) != 0) {
		ck_assert_msg(why[0] != '\0', "open failed without a reason");
		return;
	}
	cd_store_recover(s, 3, 4, &rq, &fl);
	for (int i = NPRE; i < NPRE + NJOBS; i++) {
		int64_t after = i == NPRE + 2 ? a->id[NPRE] : 0;

		/* A client retries a failed submit with the same key. */
		for (int tries = 0; tries < 2 && a->id[i] == 0; tries++) {
			int64_t id = 0;

			if (submit(s, i, after, &id) == 0) {
				ck_assert_int_gt(id, 0);
				a->id[i] = id;
			}
		}
		if (i == NPRE + 1) {
			run_some(s, a, 1);
		}
	}
	run_some(s, a, 0);
	if (cd_store_begin(s) == 0) {
		if (cd_store_job_json(s, a->id[0] != 0 ? a->id[0] : 1, 1,
		    &j) == 0) {
			json_decref(j);
		}
		cd_store_set_paused(s, "g", 1);
		json_decref(cd_store_paused_json(s));
		cd_store_purge(s, 1e6, 1000, 5, &n);
		cd_store_commit(s);
	}
	/* The store is still usable and consistent once faults stop. */
	cr_fault_clear();
	check_counts(s);
	cd_store_close(s);
}

static void
verify(const struct acks *a)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char path[128];

	snprintf(path, sizeof(path), "%s/jobs.db", dir);
	{
		/* Reopen as corund does, which also recovers the WAL. */
		cd_store *s = open_ok();

		check_counts(s);
		cd_store_close(s);
	}
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1,
	    &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*), min(id), "
	    "max(state) FROM jobs WHERE ikey = ?1", -1, &st, NULL), SQLITE_OK);
	for (int i = 0; i < NPRE + NJOBS; i++) {
		char key[16];
		int64_t count;

		snprintf(key, sizeof(key), "j%d", i);
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		count = sqlite3_column_int64(st, 0);
		/* Never twice; acknowledged means there. */
		ck_assert_int_le(count, 1);
		if (a->id[i] != 0) {
			ck_assert_msg(count == 1, "N=%lu: acknowledged job %s "
			    "(id %lld) is lost", cur_n, key,
			    (long long)a->id[i]);
			ck_assert_int_eq(sqlite3_column_int64(st, 1),
			    a->id[i]);
		}
		if (a->finished[i]) {
			ck_assert_msg(sqlite3_column_int(st, 2) == CD_DONE,
			    "N=%lu: the acknowledged result of %s is lost",
			    cur_n, key);
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static unsigned long
loop(int cls, int forever)
{
	struct acks a;
	unsigned long n, hits = 0;

	for (n = 1; n < MAXN; n++) {
		cur_n = n;
		prepare(&a);
		ck_assert_int_eq(cr_fault_set(cls, n, forever), 0);
		operation(&a);
		hits = cr_fault_hits(cls);
		cr_fault_clear();
		verify(&a);
		if (hits == 0) {
			break;
		}
	}
	ck_assert_uint_lt(n, MAXN);
	/* The run without a fault acknowledged everything. */
	for (int i = 0; i < NPRE + NJOBS; i++) {
		ck_assert_int_ne(a.id[i], 0);
	}
	printf("fault store %s %s: %lu fault points\n", cr_fault_name(cls),
	    forever ? "forever" : "once", n - 1);
	return n - 1;
}

static void
setup(void)
{
	/* Memory-backed when there is one: thousands of opens and syncs. */
	snprintf(dir, sizeof(dir), "/dev/shm/cr-fstore.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		snprintf(dir, sizeof(dir), "/tmp/cr-fstore.XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(dir));
	}
}

static void
teardown(void)
{
	rmstate();
	rmdir(dir);
}

START_TEST(test_store_alloc_once)
{
	ck_assert_uint_gt(loop(CR_FAULT_ALLOC, 0), 100);
}
END_TEST

START_TEST(test_store_alloc_forever)
{
	ck_assert_uint_gt(loop(CR_FAULT_ALLOC, 1), 100);
}
END_TEST

START_TEST(test_store_io_once)
{
	ck_assert_uint_gt(loop(CR_FAULT_IO, 0), 10);
}
END_TEST

START_TEST(test_store_io_forever)
{
	ck_assert_uint_gt(loop(CR_FAULT_IO, 1), 10);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fault_store");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_store_io_once);
	tcase_add_test(tc, test_store_io_forever);
	tcase_add_test(tc, test_store_alloc_once);
	tcase_add_test(tc, test_store_alloc_forever);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}

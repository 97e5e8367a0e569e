/* SPDX-License-Identifier: MIT */
/*
 * test_fault_ops.c - corund's control operations (src/daemon/ops.c, on
 * a real store) under allocation and I/O failure.
 *
 * Requests run as ctl.c runs them: one store transaction around the
 * request, and when the commit fails the reply becomes an error.  The
 * pool is not there: the few feed.c calls ops.c makes are small fakes
 * below.  The script: submit one job, submit a batch, status, status of
 * a job, result, wait that answers at once, wait that is answered later
 * (by a finished job, and by a flush), cancel, edit, pause, resume,
 * scale, an unknown op, bad JSON.  With the Nth allocation (SQLite's, jansson's
 * and corund's own) or file I/O failing, once or forever, N = 1, 2, ...
 * until a run reaches no fault, each request must get exactly one reply,
 * and that reply is either a well-formed error (a documented code and a
 * message), the fixed out-of-memory answer (ctl.c sends it when ops.c
 * could build nothing, marked by json_null() or NULL), or a complete
 * success with the fields the op promises.  Every submit answered "ok"
 * (and committed) is in the store exactly once after reopening, and an
 * edit answered "ok" is there whole.
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

#define MAXN	200000
#define BAD_JSON "{\"op\":"

static char dir[64];
static unsigned long cur_n;
static json_t *later_reply;	/* given to cd_ctl_reply */
static int nlater;

/* ---- what ops.c needs from feed.c, ctl.c and main.c ---------------- */

json_t *
cd_feed_status(struct cd_daemon *d)
{
	return json_pack("{s:i}", "workers", (int)d->workers);
}

void
cd_feed_kick(struct cd_daemon *d)
{
	(void)d;
}

int
cd_feed_cancel(struct cd_daemon *d, int64_t id, int *found)
{
	int state;

	*found = cd_store_state(d->store, id, &state) == 0;
	return 0;
}

int
cd_feed_scale(struct cd_daemon *d, unsigned n)
{
	d->workers = n;
	return 0;
}

void
cd_feed_drain(struct cd_daemon *d, int fast)
{
	(void)d;
	(void)fast;
}

/* The job events the operations log (corund's log.c): dropped. */
void
cd_log(const char *fmt, ...)
{
	(void)fmt;
}

void
cd_notify(const char *fmt, ...)
{
	(void)fmt;
}

void
cd_ctl_reply(struct cd_ctx *c, json_t *reply)
{
	(void)c;
	ck_assert_msg(nlater == 0, "N=%lu: a wait answered twice", cur_n);
	nlater++;
	later_reply = reply;
}

/* ---- checking replies ---------------------------------------------- */

static int
known_code(const char *code)
{
	static const char *const codes[] = {
		"bad_json", "bad_request", "unknown_op", "not_found",
		"too_large", "busy", "closed", "store", "internal",
		"bad_state", NULL
	};

	for (size_t i = 0; codes[i] != NULL; i++) {
		if (strcmp(code, codes[i]) == 0) {
			return 1;
		}
	}
	return 0;
}

/*
 * 1 for a success, 0 for an error reply; fails the test on anything
 * else.  fields: what a success must hold.
 */
static int
check_reply(json_t *r, const char *what, const char *const *fields)
{
	json_t *e;
	const char *code, *msg;

	if (r == NULL || json_is_null(r)) {
		return 0;	/* ctl.c sends its out-of-memory answer */
	}
	ck_assert_msg(json_is_object(r), "N=%lu: %s: reply not an object",
	    cur_n, what);
	ck_assert_msg(json_is_boolean(json_object_get(r, "ok")),
	    "N=%lu: %s: no \"ok\"", cur_n, what);
	if (json_is_true(json_object_get(r, "ok"))) {
		for (size_t i = 0; fields != NULL && fields[i] != NULL; i++) {
			ck_assert_msg(json_object_get(r, fields[i]) != NULL,
			    "N=%lu: %s: success without \"%s\"", cur_n, what,
			    fields[i]);
		}
		return 1;
	}
	e = json_object_get(r, "error");
	code = json_string_value(json_object_get(e, "code"));
	msg = json_string_value(json_object_get(e, "message"));
	ck_assert_msg(code != NULL && known_code(code), "N=%lu: %s: bad "
	    "error code", cur_n, what);
	/* Out of memory is not bad JSON (jansson leaves its error unset). */
	ck_assert_msg(strcmp(code, "bad_json") != 0 ||
	    strcmp(what, BAD_JSON) == 0, "N=%lu: %s: called bad JSON: %s",
	    cur_n, what, msg);
	ck_assert_msg(msg != NULL && *msg != '\0', "N=%lu: %s: no message",
	    cur_n, what);
	return 0;
}

/* ---- the script ---------------------------------------------------- */

struct acks {
	int64_t pre[2];		/* acknowledged before the faults */
	int64_t s0;		/* single submit, key s0 */
	int64_t b[3];		/* batch, keys b0..b2 */
	int edited;		/* the edit of s0 was answered "ok" */
};

/*
 * One request as ctl.c runs it: answered at once when it only reads (its
 * early hook), or in the step's transaction; NULL reply = answered later.
 */
static json_t *
request(struct cd_daemon *d, const char *text, int *later)
{
	json_t *r, *parsed = NULL;

	*later = 0;
	if ((r = cd_ops_early(d, text, strlen(text), &parsed)) != NULL) {
		return r;
	}
	if (cd_store_begin(d->store) != 0) {
		json_decref(parsed);
		return cd_ops_error("store", "unavailable");
	}
	r = cd_ops_handle_req(d, (struct cd_ctx *)d, text, strlen(text),
	    parsed);
	if (r == NULL) {
		*later = 1;
	}
	if (cd_store_commit(d->store) != 0 && r != NULL) {
		json_decref(r);
		r = cd_ops_error("store", "commit failed");
	}
	return r;
}

/* Send text; check the reply; 1 when it was a success. */
static int
call(struct cd_daemon *d, const char *text, const char *const *fields,
    json_t **out)
{
	json_t *r;
	int later, okay;

	r = request(d, text, &later);
	ck_assert_msg(!later, "N=%lu: %s deferred", cur_n, text);
	okay = check_reply(r, text, fields);
	if (out != NULL && okay) {
		*out = r;
	} else {
		json_decref(r);
	}
	return okay;
}

static void
script(struct cd_daemon *d, struct acks *a)
{
	static const char *const submit1[] = { "id", NULL };
	static const char *const submitn[] = { "ids", NULL };
	static const char *const job[] = { "job", NULL };
	static const char *const waitf[] = { "pending", "states", "counts",
	    "timed_out", "not_done", NULL };
	static const char *const cancelf[] = { "cancelled", "unknown", NULL };
	static const char *const scalef[] = { "workers", NULL };
	static const char *const editf[] = { "id", "changed", NULL };
	char text[512];
	json_t *r = NULL;
	int later;

	/* A client retries a failed submit once, with its keys. */
	for (int t = 0; t < 2 && a->s0 == 0; t++) {
		if (call(d, "{\"op\":\"submit\",\"cmd\":[\"echo\",\"hi\"],"
		    "\"env\":{\"A\":\"1\"},\"key\":\"s0\"}", submit1, &r)) {
			a->s0 = json_integer_value(json_object_get(r, "id"));
			ck_assert_int_gt(a->s0, 0);
			json_decref(r);
		}
	}
	snprintf(text, sizeof(text), "{\"op\":\"submit\",\"jobs\":["
	    "{\"kind\":\"noop\",\"key\":\"b0\"},"
	    "{\"kind\":\"sleep\",\"payload\":\"1\",\"key\":\"b1\","
	    "\"priority\":3,\"group\":\"g\"},"
	    "{\"cmd\":[\"true\"],\"key\":\"b2\",\"after\":[%lld]}]}",
	    (long long)a->pre[1]);
	for (int t = 0; t < 2 && a->b[0] == 0; t++) {
		if (call(d, text, submitn, &r)) {
			json_t *ids = json_object_get(r, "ids");

			ck_assert_msg(json_array_size(ids) == 3, "N=%lu: a "
			    "batch of 3 answered with %zu ids", cur_n,
			    json_array_size(ids));
			for (size_t i = 0; i < 3; i++) {
				a->b[i] = json_integer_value(
				    json_array_get(ids, i));
				ck_assert_int_gt(a->b[i], 0);
			}
			json_decref(r);
		}
	}
	call(d, "{\"op\":\"status\"}", NULL, NULL);
	snprintf(text, sizeof(text), "{\"op\":\"status\",\"id\":%lld}",
	    (long long)a->pre[0]);
	call(d, text, job, NULL);
	snprintf(text, sizeof(text), "{\"op\":\"result\",\"id\":%lld}",
	    (long long)a->pre[0]);
	if (call(d, text, job, &r)) {
		json_t *j = json_object_get(r, "job");

		/* A success is the whole job, not part of it. */
		ck_assert_msg(json_object_get(j, "stdout") != NULL &&
		    json_object_get(j, "state") != NULL, "N=%lu: partial "
		    "result", cur_n);
		json_decref(r);
	}
	snprintf(text, sizeof(text), "{\"op\":\"wait\",\"ids\":[%lld],"
	    "\"timeout\":0}", (long long)a->pre[0]);
	call(d, text, waitf, NULL);

	/* A wait answered later, when its job ends. */
	nlater = 0;
	later_reply = NULL;
	snprintf(text, sizeof(text), "{\"op\":\"wait\",\"ids\":[%lld]}",
	    (long long)a->pre[1]);
	r = request(d, text, &later);
	if (later) {
		struct cd_outcome o = { 0 };
		int rec;
		int64_t id = a->pre[1];

		o.state = CD_DONE;
		o.end_ns = 9;
		if (cd_store_begin(d->store) == 0) {
			/* As the feed step: the replies are read in the
			   transaction, sent only if its commit holds. */
			d->finished = &id;
			d->nfinished = cd_store_finish(d->store, id, &o,
			    &rec) == 0 && rec;
			if (d->nfinished > 0) {
				cd_ctl_notify_prepare(d);
			}
			if (cd_store_commit(d->store) != 0) {
				d->nfinished = 0;	/* none of them ended */
			}
			rec = d->nfinished > 0;
			cd_ctl_notify(d);
			d->finished = NULL;
			ck_assert_msg(nlater == rec, "N=%lu: a wait "
			    "answered %d times, its job's end %scommitted",
			    cur_n, nlater, rec ? "" : "not ");
		}
		/* Whatever happened, shutting down answers the rest. */
		cd_ctl_flush_waiters(d, "shutting down");
		ck_assert_msg(nlater == 1, "N=%lu: a wait got no answer",
		    cur_n);
		ck_assert(d->waiters == NULL);
		check_reply(later_reply, "wait (later)", NULL);
		json_decref(later_reply);
	} else {
		check_reply(r, text, waitf);
		json_decref(r);
	}

	snprintf(text, sizeof(text), "{\"op\":\"cancel\",\"ids\":[%lld,"
	    "999999]}", (long long)(a->b[1] != 0 ? a->b[1] : 1));
	call(d, text, cancelf, NULL);
	snprintf(text, sizeof(text), "{\"op\":\"edit\",\"id\":%lld,"
	    "\"cmd\":\"echo edited\",\"env\":{\"B\":\"2\"},"
	    "\"unset_env\":[\"A\"],\"priority\":4}",
	    (long long)(a->s0 != 0 ? a->s0 : a->pre[0]));
	a->edited = call(d, text, editf, NULL) && a->s0 != 0;
	call(d, "{\"op\":\"pause\",\"group\":\"g\"}", NULL, NULL);
	call(d, "{\"op\":\"resume\",\"group\":\"g\"}", NULL, NULL);
	call(d, "{\"op\":\"scale\",\"workers\":3}", scalef, NULL);
	ck_assert_int_eq(call(d, "{\"op\":\"nope\"}", NULL, NULL), 0);
	ck_assert_int_eq(call(d, BAD_JSON, NULL, NULL), 0);
}

/* ---- the loop ------------------------------------------------------ */

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

static cd_store *
open_ok(void)
{
	cd_store *s = NULL;
	char why[256];

	ck_assert_msg(cd_store_open(dir, 0, &s, why, sizeof(why)) == 0, "%s",
	    why);
	return s;
}

/* A fresh store with two jobs: pre[0] finished, pre[1] queued. */
static void
prepare(struct cd_daemon *d, struct acks *a)
{
	struct cd_jobspec js = { 0 };
	struct cd_taken t;
	struct cd_outcome o = { 0 };
	size_t got;
	int existed, rec;

	memset(a, 0, sizeof(*a));
	rmstate();
	d->store = open_ok();
	js.kind = "noop";
	js.key = "p0";
	ck_assert_int_eq(cd_store_add(d->store, &js, 1, &a->pre[0],
	    &existed), 0);
	js.key = "p1";
	js.priority = -1;
	ck_assert_int_eq(cd_store_add(d->store, &js, 1, &a->pre[1],
	    &existed), 0);
	ck_assert_int_eq(cd_store_take(d->store, 1, 2, &t, &got), 0);
	ck_assert_uint_eq(got, 1);
	ck_assert_int_eq(t.id, a->pre[0]);
	cd_taken_free(&t);
	o.state = CD_DONE;
	o.out = "hi\n";
	o.out_len = 3;
	o.end_ns = 3;
	ck_assert_int_eq(cd_store_finish(d->store, a->pre[0], &o, &rec), 0);
	ck_assert_int_eq(rec, 1);
	d->workers = 2;
}

/* After a run: every acknowledged submit is there exactly once. */
static void
verify(const struct acks *a)
{
	static const char *const keys[] = { "p0", "p1", "s0", "b0", "b1",
	    "b2" };
	const int64_t ids[] = { a->pre[0], a->pre[1], a->s0, a->b[0],
	    a->b[1], a->b[2] };
	cd_store *s = open_ok();
	sqlite3 *db;
	sqlite3_stmt *st;
	char path[128];

	cd_store_close(s);
	snprintf(path, sizeof(path), "%s/jobs.db", dir);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*), min(id) "
	    "FROM jobs WHERE ikey = ?1", -1, &st, NULL), SQLITE_OK);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, keys[i], -1, SQLITE_STATIC);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_int_le(sqlite3_column_int(st, 0), 1);
		if (ids[i] != 0) {
			ck_assert_msg(sqlite3_column_int(st, 0) == 1 &&
			    sqlite3_column_int64(st, 1) == ids[i],
			    "N=%lu: acknowledged job %s (id %lld) is lost",
			    cur_n, keys[i], (long long)ids[i]);
		}
	}
	sqlite3_finalize(st);
	if (a->edited) {
		/* The edit is whole: its command with B=2 and no A, its
		   priority. */
		static const char want[] = "echo edited\0\0B=2";

		ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT payload, "
		    "priority FROM jobs WHERE id = ?1", -1, &st, NULL),
		    SQLITE_OK);
		sqlite3_bind_int64(st, 1, a->s0);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_msg(sqlite3_column_bytes(st, 0) ==
		    (int)sizeof(want) && memcmp(sqlite3_column_blob(st, 0),
		    want, sizeof(want)) == 0 &&
		    sqlite3_column_int(st, 1) == 4, "N=%lu: an acknowledged "
		    "edit is not in the store whole", cur_n);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

static unsigned long
loop(int cls, int forever)
{
	struct cd_daemon d;
	struct acks a;
	unsigned long n, hits = 0;

	for (n = 1; n < MAXN; n++) {
		cur_n = n;
		memset(&d, 0, sizeof(d));
		ck_assert_int_eq(corun_loop_new(&d.loop), 0);
		prepare(&d, &a);
		ck_assert_int_eq(cr_fault_set(cls, n, forever), 0);
		script(&d, &a);
		hits = cr_fault_hits(cls);
		cr_fault_clear();
		ck_assert(d.waiters == NULL);
		cd_store_close(d.store);
		corun_loop_free(d.loop);
		verify(&a);
		if (hits == 0) {
			break;
		}
	}
	ck_assert_uint_lt(n, MAXN);
	ck_assert_int_ne(a.s0, 0);
	ck_assert_int_ne(a.b[2], 0);
	printf("fault ops %s %s: %lu fault points\n", cr_fault_name(cls),
	    forever ? "forever" : "once", n - 1);
	return n - 1;
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/dev/shm/cr-fops.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		snprintf(dir, sizeof(dir), "/tmp/cr-fops.XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(dir));
	}
}

static void
teardown(void)
{
	rmstate();
	rmdir(dir);
}

START_TEST(test_ops_alloc_once)
{
	ck_assert_uint_gt(loop(CR_FAULT_ALLOC, 0), 100);
}
END_TEST

START_TEST(test_ops_alloc_forever)
{
	ck_assert_uint_gt(loop(CR_FAULT_ALLOC, 1), 100);
}
END_TEST

START_TEST(test_ops_io_once)
{
	ck_assert_uint_gt(loop(CR_FAULT_IO, 0), 5);
}
END_TEST

START_TEST(test_ops_io_forever)
{
	ck_assert_uint_gt(loop(CR_FAULT_IO, 1), 5);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fault_ops");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_ops_io_once);
	tcase_add_test(tc, test_ops_io_forever);
	tcase_add_test(tc, test_ops_alloc_once);
	tcase_add_test(tc, test_ops_alloc_forever);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}

/* SPDX-License-Identifier: MIT */
/*
 * ops.c - the control operations: submit, status, result, cancel, and
 * the dispatch of every op (wait: wait.c; pause, resume, scale, drain,
 * shutdown: ops-admin.c; edit: ops-edit.c).
 *
 * Every request is checked before anything is done: it must be a JSON
 * object with a known "op", known fields of the right types and ranges;
 * the error names the field.  A submit batch is all or nothing (a
 * savepoint).  Error codes are short words a script can test:
 * bad_json, bad_request, unknown_op, not_found, too_large, busy, closed,
 * store, internal.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fault-internal.h"
#include "request.h"
#include "stats.h"
#include "store-delay.h"

static json_t *
ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- submit -------------------------------------------------------- */

/*
 * "wait": true, or at most this many seconds: answer once the jobs ended
 * (their results on disk).  *timeout: -1 no limit, 0 no wait.
 */
static int
submit_wait(json_t *req, double *timeout, json_t **err)
{
	json_t *v = json_object_get(req, "wait");

	*timeout = 0;
	if (v == NULL || json_is_false(v)) {
		return 0;
	}
	if (json_is_true(v)) {
		*timeout = -1;
		return 0;
	}
	if (!json_is_number(v) || !(json_number_value(v) > 0) ||
	    json_number_value(v) > 4e6) {
		*err = cd_ops_error("bad_request", "\"wait\" must be true, "
		    "false or a number of seconds in (0, 4000000]");
		return -1;
	}
	*timeout = json_number_value(v);
	return 0;
}

/* How many jobs a submit holds: 1, or a batch's "jobs"; else *err. */
static int
submit_count(json_t *req, size_t *n, json_t **err)
{
	json_t *jobs = json_object_get(req, "jobs");

	if (jobs == NULL) {
		*n = 1;
		return 0;
	}
	if (json_object_size(req) != 2 + (json_object_get(req,
	    "wait") != NULL) || !json_is_array(jobs) ||
	    json_array_size(jobs) == 0 ||
	    json_array_size(jobs) > CD_BATCH_MAX) {
		*err = cd_ops_error("bad_request", "\"jobs\" must be an "
		    "array of 1..%d job objects, alone with \"op\" "
		    "(and \"wait\")", CD_BATCH_MAX);
		return -1;
	}
	*n = json_array_size(jobs);
	return 0;
}

/*
 * A job's "not_before" (seconds since the epoch: not taken before then),
 * taken out of o so the job specification does not see it: 0 with *ns
 * (0: none), or -1 with *err.
 */
static int
take_not_before(json_t *o, const char *where, int64_t *ns, json_t **err)
{
	json_t *v = json_object_get(o, "not_before");
	double t;

	*ns = 0;
	if (v == NULL) {
		return 0;
	}
	t = json_is_number(v) ? json_number_value(v) : -1;
	if (!(t >= 0) || t > 1e10) {
		*err = cd_ops_error("bad_request", "%s: \"not_before\" must "
		    "be a time in seconds since the epoch", where);
		return -1;
	}
	*ns = (int64_t)(t * 1e9);
	json_object_del(o, "not_before");
	return 0;
}

/*
 * A job's "on_done" (its own on-done command), taken out of o as
 * "not_before" is: 0 with *cmd (a copy, or NULL), or -1 with *err.
 */
static int
take_on_done(json_t *o, const char *where, char **cmd, json_t **err)
{
	json_t *v = json_object_get(o, "on_done");

	*cmd = NULL;
	if (v == NULL) {
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > 4000 ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		*err = cd_ops_error("bad_request", "%s: \"on_done\" must be "
		    "a shell command of 1..4000 bytes", where);
		return -1;
	}
	if ((*cmd = strdup(json_string_value(v))) == NULL) {
		*err = cd_ops_oom();
		return -1;
	}
	json_object_del(o, "on_done");
	return 0;
}

/* After a job was added: its time and its on-done command, if it has
   them (0, or *err). */
static int
delay_job(struct cd_daemon *d, int64_t id, int64_t ns, const char *on_done,
    json_t **err)
{
	if (on_done != NULL && cd_store_on_done_set(d->store, id,
	    on_done) != 0) {
		*err = cd_ops_error("store", "%s", cd_store_errmsg(d->store));
		return -1;
	}
	if (ns == 0 || ns <= (int64_t)wall_ns()) {
		return 0;
	}
	if (cd_store_delay(d->store, id, ns) != 0) {
		*err = cd_ops_error("store", "%s", cd_store_errmsg(d->store));
		return -1;
	}
	return 0;	/* the feed wakes then (feed-delay.c) */
}

/*
 * Check and add the n jobs of a submit (jobs: a batch, or NULL for the
 * request itself) inside the caller's savepoint, through sb; their ids
 * go into ids.  NULL, or the error reply.
 */
static json_t *
add_jobs(struct cd_daemon *d, json_t *req, json_t *jobs, size_t n,
    struct spec_buf *sb, json_t *ids)
{
	json_t *err = NULL;
	uint64_t now = wall_ns();
	int batch = jobs != NULL;
	size_t added = 0;

	for (size_t i = 0; i < n && err == NULL; i++) {
		char where[32];
		int64_t id, not_before;
		char *on_done = NULL;
		int existed, rc;

		snprintf(where, sizeof(where), batch ? "jobs[%zu]" : "job", i);
		if (batch && json_object_get(json_array_get(jobs, i),
		    "wait") != NULL) {
			err = cd_ops_error("bad_request", "%s: \"wait\" "
			    "belongs to the request, not to a job", where);
			break;
		}
		if (take_not_before(batch ? json_array_get(jobs, i) : req,
		    where, &not_before, &err) != 0 ||
		    take_on_done(batch ? json_array_get(jobs, i) : req,
		    where, &on_done, &err) != 0) {
			break;
		}
		if (parse_job(batch ? json_array_get(jobs, i) : req, where, sb,
		    &err) != 0) {
			free(on_done);
			cm_jobspec_desc_free(&sb->d);
			if (err == NULL) {
				err = cd_ops_oom();	/* no memory for the error */
			}
			break;
		}
		rc = cd_store_add(d->store, &sb->js, now, &id, &existed);
		cm_jobspec_desc_free(&sb->d);
		if (rc == CORUN_ENOENT) {
			err = cd_ops_error("not_found", "%s: \"after\" names a "
			    "job that does not exist", where);
		} else if (rc != 0) {
			err = cd_ops_error("store", "%s: %s", where,
			    cd_store_errmsg(d->store));
		} else if (json_array_append_new(ids, json_integer(id)) != 0) {
			err = cd_ops_oom();
		} else if (!existed && delay_job(d, id, not_before, on_done,
		    &err) == 0) {
			added++;
		}
		free(on_done);
	}
	if (err == NULL) {
		cd_stats_submitted(d->stats, added);
	}
	return err;
}

static json_t *
op_submit(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req, int arg,
    int *later)
{
	json_t *jobs = json_object_get(req, "jobs"), *ids, *err = NULL;
	json_t *reply = NULL;
	struct spec_buf *sb;
	double wait;
	size_t n;
	int batch = jobs != NULL;

	(void)arg;

	if (d->exiting) {
		return cd_ops_error("closed", "corund is shutting down");
	}
	if (submit_wait(req, &wait, &err) != 0 ||
	    submit_count(req, &n, &err) != 0) {
		return err;
	}
	if ((sb = cr_calloc(1, sizeof(*sb))) == NULL ||
	    cd_store_savepoint(d->store) != 0) {
		free(sb);
		return cd_ops_error("store", "cannot start: %s",
		    cd_store_errmsg(d->store));
	}
	ids = json_array();
	err = add_jobs(d, req, jobs, n, sb, ids);
	free(sb);
	/*
	 * The reply is built before the savepoint ends: when it cannot be,
	 * nothing was added, and the client is told so.
	 */
	if (err == NULL) {
		reply = batch ? json_pack("{s:b, s:O}", "ok", 1, "ids", ids) :
		    json_pack("{s:b, s:O}", "ok", 1, "id",
		    json_array_get(ids, 0));
		if (reply == NULL) {
			err = cd_ops_oom();
		}
	}
	if (cd_store_release(d->store, err != NULL) != 0 && err == NULL) {
		json_decref(reply);
		reply = NULL;
		if ((err = cd_ops_error("store", "%s",
		    cd_store_errmsg(d->store))) == NULL) {
			err = cd_ops_oom();
		}
	}
	if (err != NULL) {
		json_decref(ids);
		return err;
	}
	cd_feed_kick(d);
	for (size_t i = 0; i < json_array_size(ids); i++) {
		cd_log("job %lld accepted", (long long)json_integer_value(
		    json_array_get(ids, i)));
	}
	if (wait != 0) {
		json_decref(reply);
		return cd_wait_submitted(d, ctx, ids, batch, wait, later);
	}
	json_decref(ids);
	return reply;
}

/* ---- status, result, cancel ---------------------------------------- */

/* Why a job could not be read: it is not there, or the store failed. */
static json_t *
job_error(struct cd_daemon *d, int rc, int64_t id)
{
	if (rc == CORUN_ENOENT) {
		return cd_ops_error("not_found", "no job %lld", (long long)id);
	}
	if (rc == CORUN_ENOMEM) {
		return cd_ops_oom();
	}
	return cd_ops_error("store", "job %lld: %s", (long long)id,
	    cd_store_errmsg(d->store));
}

static json_t *
op_status(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req, int arg,
    int *later)
{
	json_t *v = json_object_get(req, "id"), *job;
	int64_t id;
	int rc;

	(void)ctx;
	(void)arg;
	(void)later;

	if (v == NULL) {
		json_t *r = cd_feed_status(d);

		if (json_object_set_new(r, "ok", json_true()) != 0) {
			json_decref(r);
			return cd_ops_oom();
		}
		return r;
	}
	if ((id = job_id(v)) == 0) {
		return cd_ops_error("bad_request", "\"id\" must be a positive "
		    "integer");
	}
	if ((rc = cd_store_job_json(d->store, id, 0, &job)) != 0) {
		return job_error(d, rc, id);
	}
	return json_pack("{s:b, s:o}", "ok", 1, "job", job);
}

static json_t *
op_result(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req, int arg,
    int *later)
{
	json_t *job;
	int64_t id = job_id(json_object_get(req, "id"));
	int rc;

	(void)ctx;
	(void)arg;
	(void)later;

	if (id == 0) {
		return cd_ops_error("bad_request", "\"id\" must be a positive "
		    "integer");
	}
	if ((rc = cd_store_job_json(d->store, id, 1, &job)) != 0) {
		return job_error(d, rc, id);
	}
	return json_pack("{s:b, s:o}", "ok", 1, "job", job);
}

static json_t *
op_cancel(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req, int arg,
    int *later)
{
	json_t *err = NULL, *done = json_array(), *unknown = json_array(), *r;
	int64_t *ids;
	size_t n;
	int bad = 0;

	(void)ctx;
	(void)arg;
	(void)later;

	if (cd_ops_cancel_targets(d, req, &ids, &n, &err) != 0) {
		json_decref(done);
		json_decref(unknown);
		return err;
	}
	for (size_t i = 0; i < n; i++) {
		int found = 0;

		cd_feed_cancel(d, ids[i], &found);
		bad |= json_array_append_new(found ? done : unknown,
		    json_integer(ids[i]));
	}
	free(ids);
	r = bad ? NULL : json_pack("{s:b, s:O, s:O}", "ok", 1, "cancelled",
	    done, "unknown", unknown);
	json_decref(done);
	json_decref(unknown);
	if (r == NULL) {
		return cd_ops_error("internal", "out of memory for the reply; "
		    "the cancels were made");
	}
	return r;
}

/* ---- dispatch ------------------------------------------------------ */

static json_t *
op_wait(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req, int arg,
    int *later)
{
	(void)arg;
	return cd_wait_op(d, ctx, req, later);
}

static json_t *
op_ping(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req, int arg,
    int *later)
{
	(void)d;
	(void)ctx;
	(void)req;
	(void)arg;
	(void)later;
	return ok();
}

/* ---- dispatch ------------------------------------------------------ */

static const struct op {
	const char *name;
	json_t *(*fn)(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
	    int arg, int *later);
	int arg;
	int now;	/* it only reads what is committed: no transaction */
} ops[] = {
	{ "submit", op_submit, 0 },
	{ "status", op_status, 0, 1 },
	{ "wait", op_wait, 0 },
	{ "result", op_result, 0, 1 },
	{ "cancel", op_cancel, 0 },
	{ "pause", cd_ops_pause, 1 },
	{ "resume", cd_ops_pause, 0 },
	{ "scale", cd_ops_scale, 0 },
	{ "drain", cd_ops_drain, 0 },
	{ "shutdown", cd_ops_drain, 1 },
	{ "ping", op_ping, 0, 1 },
	{ "list", cd_ops_list, 0, 1 },
	{ "group_add", cd_ops_group_set, 1 },
	{ "group_set", cd_ops_group_set, 0 },
	{ "group_rm", cd_ops_group_rm, 0 },
	{ "group_list", cd_ops_group_list, 0, 1 },
	{ "restart", cd_ops_restart, 0 },
	{ "clean", cd_ops_clean, 0 },
	{ "stash", cd_ops_hold, 1 },
	{ "enqueue", cd_ops_hold, 0 },
	{ "follow", cd_ops_follow, 0 },
	{ "edit", cd_ops_edit, 0 },
};

/* The request as a JSON object into *req, or the error reply. */
static json_t *
parse_request(const char *buf, size_t len, json_t **req)
{
	json_error_t jerr;
	unsigned long nfail;

	/* C clients often send the string's NUL too: allow one. */
	if (len > 0 && buf[len - 1] == '\0') {
		len--;
	}
	/*
	 * Out of memory, jansson may leave jerr unset (before it starts)
	 * or call it a syntax error (a string it could not copy): count
	 * failed allocations (jansson allocates through cr_malloc).
	 */
	memset(&jerr, 0, sizeof(jerr));
	nfail = cr_fault_alloc_failures();
	/*
	 * jansson 2.14's lexer ignores a failed buffer growth and then
	 * writes past the buffer or asserts (akheron/jansson#362, open):
	 * no injected failure inside it.  A real one still reaches it.
	 */
	cr_fault_hold(1);
	*req = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	cr_fault_hold(0);
	if (*req == NULL && (cr_fault_alloc_failures() != nfail ||
	    jerr.text[0] == '\0')) {
		return cd_ops_oom();
	}
	if (*req == NULL) {
		return cd_ops_error("bad_json", "line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text);
	}
	if (!json_is_object(*req)) {
		json_decref(*req);
		*req = NULL;
		return cd_ops_error("bad_request", "a request must be a JSON "
		    "object {\"op\": ...}");
	}
	return NULL;
}

/* The op req names, or NULL with the error reply in *err (req freed). */
static const struct op *
lookup(struct cd_daemon *d, json_t *req, json_t **err)
{
	json_t *op = json_object_get(req, "op");
	const char *name;

	if (!json_is_string(op)) {
		json_decref(req);
		*err = cd_ops_error("bad_request", "\"op\" must be a string "
		    "(submit, status, wait, result, cancel, pause, resume, "
		    "scale, drain, shutdown, list, group_add, group_set, group_rm, "
		    "group_list, restart, clean, stash, enqueue, follow, "
		    "edit)");
		return NULL;
	}
	name = json_string_value(op);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(name, ops[i].name) == 0) {
			return &ops[i];
		}
	}
	*err = cd_ops_error("unknown_op", "unknown op \"%.64s\"", name);
	cd_stats_request(d->stats, "invalid", *err);
	json_decref(req);
	return NULL;
}

/* Run the parsed request (taken); NULL only for a wait answered later. */
static json_t *
dispatch(struct cd_daemon *d, struct cd_ctx *c, json_t *req, int *later)
{
	json_t *r;
	const struct op *o = lookup(d, req, &r);

	if (o == NULL) {
		return r != NULL ? r : cd_ops_oom();	/* the error */
	}
	r = o->fn(d, c, req, o->arg, later);
	cd_stats_request(d->stats, o->name, r);
	json_decref(req);
	/* Out of memory is a reply too. */
	return r != NULL || *later ? r : cd_ops_oom();
}

json_t *
cd_ops_early(struct cd_daemon *d, const char *buf, size_t len,
    json_t **parsed)
{
	const struct op *o;
	json_t *req, *r;
	int later = 0;

	*parsed = NULL;
	if ((r = parse_request(buf, len, &req)) != NULL) {
		cd_stats_request(d->stats, "invalid", r);
		return r;
	}
	if ((o = lookup(d, req, &r)) == NULL) {
		return r != NULL ? r : cd_ops_oom();
	}
	if (!o->now || !cd_store_at_rest(d->store)) {
		*parsed = req;
		return NULL;
	}
	return dispatch(d, NULL, req, &later);
}

json_t *
cd_ops_handle_req(struct cd_daemon *d, struct cd_ctx *c, const char *buf,
    size_t len, json_t *parsed)
{
	json_t *r;
	int later = 0;

	if (parsed == NULL && (r = parse_request(buf, len, &parsed)) != NULL) {
		cd_stats_request(d->stats, "invalid", r);
		return r;
	}
	return dispatch(d, c, parsed, &later);
}

json_t *
cd_ops_handle(struct cd_daemon *d, struct cd_ctx *c, const char *buf,
    size_t len)
{
	return cd_ops_handle_req(d, c, buf, len, NULL);
}

/*
 * ops.c - the control operations: submit, status, result, cancel, pause,
 * resume, scale, drain, shutdown (wait: wait.c).
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "fault-internal.h"

#define CD_BATCH_MAX 100000	/* jobs per submit request */
#define CD_AFTER_MAX 1000
#define CD_NAME_MAX 255
#define CD_WAIT_IDS_MAX 1000000

json_t *
cd_ops_error(const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", code,
	    "message", msg);
}

/*
 * Out of memory: a reply if one can still be built, else json_null(),
 * which needs no memory; ctl.c answers a reply that is not an object with
 * a fixed out-of-memory error.  Never NULL, which means "answered later".
 */
json_t *
cd_ops_oom(void)
{
	json_t *r = cd_ops_error("internal", "out of memory");

	return r != NULL ? r : json_null();
}

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

/* Only these keys may appear in obj (a NULL-terminated list). */
static const char *
unknown_key(json_t *obj, const char *const *keys)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v) {
		size_t i;

		for (i = 0; keys[i] != NULL; i++) {
			if (strcmp(k, keys[i]) == 0) {
				break;
			}
		}
		if (keys[i] == NULL) {
			return k;
		}
	}
	return NULL;
}

/* A positive job id from a JSON value; 0 if it is not one. */
static int64_t
job_id(json_t *v)
{
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		return json_integer_value(v);
	}
	return 0;
}

/* ---- submit -------------------------------------------------------- */

struct spec_buf {
	struct cd_jobspec js;
	char *payload;		/* owned */
	int64_t after[CD_AFTER_MAX];
};

static const char *const job_keys[] = {
	"op", "cmd", "env", "kind", "payload", "group", "priority",
	"timeout", "retries", "key", "after", "wait", NULL
};

/* Check one job object; on error *err is the reply. */
static int
parse_job(json_t *o, const char *where, struct spec_buf *sb, json_t **err)
{
	struct cd_jobspec *js = &sb->js;
	json_t *v;
	const char *bad;
	size_t i;

	memset(js, 0, sizeof(*js));
	sb->payload = NULL;
	if (!json_is_object(o)) {
		*err = cd_ops_error("bad_request", "%s: a job must be an "
		    "object", where);
		return -1;
	}
	if ((bad = unknown_key(o, job_keys)) != NULL) {
		*err = cd_ops_error("bad_request", "%s: unknown field \"%s\"",
		    where, bad);
		return -1;
	}
	if ((v = json_object_get(o, "cmd")) != NULL) {
		json_t *env = json_object_get(o, "env"), *w;
		size_t len = 0, off = 0;
		const char *k;

		if (json_object_get(o, "kind") != NULL ||
		    json_object_get(o, "payload") != NULL) {
			*err = cd_ops_error("bad_request", "%s: \"cmd\" and "
			    "\"kind\"/\"payload\" exclude each other", where);
			return -1;
		}
		if (!json_is_array(v) || json_array_size(v) == 0) {
			*err = cd_ops_error("bad_request", "%s: \"cmd\" must be "
			    "a non-empty array of strings", where);
			return -1;
		}
		if (env != NULL && !json_is_object(env)) {
			*err = cd_ops_error("bad_request", "%s: \"env\" must be "
			    "an object of strings", where);
			return -1;
		}
		json_array_foreach(v, i, w) {
			if (!json_is_string(w) || json_string_length(w) == 0 ||
			    memchr(json_string_value(w), '\0',
			    json_string_length(w)) != NULL) {
				*err = cd_ops_error("bad_request", "%s: cmd[%zu] "
				    "must be a non-empty string without NUL",
				    where, i);
				return -1;
			}
			len += json_string_length(w) + 1;
		}
		len++;
		json_object_foreach(env, k, w) {
			if (!json_is_string(w) || *k == '\0' ||
			    strchr(k, '=') != NULL || memchr(json_string_value(
			    w), '\0', json_string_length(w)) != NULL) {
				*err = cd_ops_error("bad_request", "%s: env.%s "
				    "must be a string (and the name without "
				    "\"=\")", where, k);
				return -1;
			}
			len += strlen(k) + json_string_length(w) + 2;
		}
		/* argv words, an empty word, then KEY=VALUE words. */
		if ((sb->payload = cr_malloc(len)) == NULL) {
			*err = cd_ops_oom();
			return -1;
		}
		json_array_foreach(v, i, w) {
			memcpy(sb->payload + off, json_string_value(w),
			    json_string_length(w) + 1);
			off += json_string_length(w) + 1;
		}
		sb->payload[off++] = '\0';
		json_object_foreach(env, k, w) {
			off += (size_t)sprintf(sb->payload + off, "%s=%s", k,
			    json_string_value(w)) + 1;
		}
		js->kind = "shell";
		js->payload = sb->payload;
		js->len = env != NULL && json_object_size(env) > 0 ? off :
		    off - 1;
	} else if ((v = json_object_get(o, "kind")) != NULL) {
		json_t *p = json_object_get(o, "payload");

		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > CD_NAME_MAX) {
			*err = cd_ops_error("bad_request", "%s: \"kind\" must be "
			    "a string of 1..255 bytes", where);
			return -1;
		}
		if (p != NULL && !json_is_string(p)) {
			*err = cd_ops_error("bad_request", "%s: \"payload\" must "
			    "be a string", where);
			return -1;
		}
		js->kind = json_string_value(v);
		js->payload = p != NULL ? json_string_value(p) : NULL;
		js->len = p != NULL ? json_string_length(p) : 0;
	} else {
		*err = cd_ops_error("bad_request", "%s: a job needs \"cmd\" "
		    "(an argv array) or \"kind\"", where);
		return -1;
	}
	if ((v = json_object_get(o, "group")) != NULL &&
	    (!json_is_string(v) || json_string_length(v) > CD_NAME_MAX)) {
		*err = cd_ops_error("bad_request", "%s: \"group\" must be a "
		    "string of at most 255 bytes", where);
		return -1;
	}
	js->group = v != NULL ? json_string_value(v) : "";
	if ((v = json_object_get(o, "priority")) != NULL &&
	    (!json_is_integer(v) || json_integer_value(v) < -1000000 ||
	    json_integer_value(v) > 1000000)) {
		*err = cd_ops_error("bad_request", "%s: \"priority\" must be "
		    "an integer in -1000000..1000000", where);
		return -1;
	}
	js->priority = v != NULL ? (int)json_integer_value(v) : 0;
	if ((v = json_object_get(o, "timeout")) != NULL &&
	    (!json_is_number(v) || !(json_number_value(v) >= 0) ||
	    json_number_value(v) > 4e6)) {
		*err = cd_ops_error("bad_request", "%s: \"timeout\" must be a "
		    "number of seconds in 0..4000000", where);
		return -1;
	}
	js->timeout = v != NULL ? json_number_value(v) : 0;
	if ((v = json_object_get(o, "retries")) != NULL &&
	    (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 1000)) {
		*err = cd_ops_error("bad_request", "%s: \"retries\" must be an "
		    "integer in 0..1000", where);
		return -1;
	}
	js->retries = v != NULL ? (int)json_integer_value(v) : 0;
	if ((v = json_object_get(o, "key")) != NULL &&
	    (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > CD_NAME_MAX)) {
		*err = cd_ops_error("bad_request", "%s: \"key\" must be a "
		    "string of 1..255 bytes", where);
		return -1;
	}
	js->key = v != NULL ? json_string_value(v) : NULL;
	if ((v = json_object_get(o, "after")) != NULL) {
		json_t *w;

		if (!json_is_array(v) || json_array_size(v) > CD_AFTER_MAX) {
			*err = cd_ops_error("bad_request", "%s: \"after\" must be "
			    "an array of at most 1000 job ids", where);
			return -1;
		}
		json_array_foreach(v, i, w) {
			if ((sb->after[i] = job_id(w)) == 0) {
				*err = cd_ops_error("bad_request", "%s: after[%zu] "
				    "is not a job id", where, i);
				return -1;
			}
		}
		js->after = sb->after;
		js->nafter = json_array_size(v);
	}
	return 0;
}

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

static json_t *
op_submit(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req, int *later)
{
	json_t *jobs = json_object_get(req, "jobs"), *ids, *err = NULL;
	json_t *reply = NULL;
	struct spec_buf *sb;
	uint64_t now = wall_ns();
	double wait;
	size_t n, i;
	int batch = jobs != NULL;

	if (d->exiting) {
		return cd_ops_error("closed", "corund is shutting down");
	}
	if (submit_wait(req, &wait, &err) != 0) {
		return err;
	}
	if (batch) {
		if (json_object_size(req) != 2 + (json_object_get(req,
		    "wait") != NULL) || !json_is_array(jobs) ||
		    json_array_size(jobs) == 0 ||
		    json_array_size(jobs) > CD_BATCH_MAX) {
			return cd_ops_error("bad_request", "\"jobs\" must be an "
			    "array of 1..%d job objects, alone with \"op\" "
			    "(and \"wait\")", CD_BATCH_MAX);
		}
		n = json_array_size(jobs);
	} else {
		n = 1;
	}
	if ((sb = cr_calloc(1, sizeof(*sb))) == NULL ||
	    cd_store_savepoint(d->store) != 0) {
		free(sb);
		return cd_ops_error("store", "cannot start: %s",
		    cd_store_errmsg(d->store));
	}
	ids = json_array();
	for (i = 0; i < n && err == NULL; i++) {
		char where[32];
		int64_t id;
		int existed, rc;

		snprintf(where, sizeof(where), batch ? "jobs[%zu]" : "job", i);
		if (batch && json_object_get(json_array_get(jobs, i),
		    "wait") != NULL) {
			err = cd_ops_error("bad_request", "%s: \"wait\" "
			    "belongs to the request, not to a job", where);
			break;
		}
		if (parse_job(batch ? json_array_get(jobs, i) : req, where, sb,
		    &err) != 0) {
			free(sb->payload);
			if (err == NULL) {
				err = cd_ops_oom();	/* no memory for the error */
			}
			break;
		}
		rc = cd_store_add(d->store, &sb->js, now, &id, &existed);
		free(sb->payload);
		if (rc == CORUN_ENOENT) {
			err = cd_ops_error("not_found", "%s: \"after\" names a "
			    "job that does not exist", where);
		} else if (rc != 0) {
			err = cd_ops_error("store", "%s: %s", where,
			    cd_store_errmsg(d->store));
		} else if (json_array_append_new(ids, json_integer(id)) != 0) {
			err = cd_ops_oom();
		}
	}
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
op_status(struct cd_daemon *d, json_t *req)
{
	json_t *v = json_object_get(req, "id"), *job;
	int64_t id;
	int rc;

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
op_result(struct cd_daemon *d, json_t *req)
{
	json_t *job;
	int64_t id = job_id(json_object_get(req, "id"));
	int rc;

	if (id == 0) {
		return cd_ops_error("bad_request", "\"id\" must be a positive "
		    "integer");
	}
	if ((rc = cd_store_job_json(d->store, id, 1, &job)) != 0) {
		return job_error(d, rc, id);
	}
	return json_pack("{s:b, s:o}", "ok", 1, "job", job);
}

int
cd_ops_get_ids(json_t *req, int64_t **out, size_t *n, json_t **err)
{
	json_t *v = json_object_get(req, "ids"), *w;
	size_t i;

	if (v == NULL && (w = json_object_get(req, "id")) != NULL) {
		if ((*out = cr_malloc(sizeof(**out))) == NULL) {
			*err = cd_ops_oom();
			return -1;
		}
		if ((**out = job_id(w)) == 0) {
			free(*out);
			*err = cd_ops_error("bad_request", "\"id\" must be a "
			    "positive integer");
			return -1;
		}
		*n = 1;
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > CD_WAIT_IDS_MAX) {
		*err = cd_ops_error("bad_request", "\"ids\" must be a non-empty "
		    "array of job ids");
		return -1;
	}
	if ((*out = cr_malloc(json_array_size(v) * sizeof(**out))) == NULL) {
		*err = cd_ops_oom();
		return -1;
	}
	json_array_foreach(v, i, w) {
		if (((*out)[i] = job_id(w)) == 0) {
			free(*out);
			*err = cd_ops_error("bad_request", "ids[%zu] is not a "
			    "job id", i);
			return -1;
		}
	}
	*n = json_array_size(v);
	return 0;
}

static json_t *
op_cancel(struct cd_daemon *d, json_t *req)
{
	json_t *err = NULL, *done = json_array(), *unknown = json_array(), *r;
	int64_t *ids;
	size_t n;
	int bad = 0;

	if (cd_ops_get_ids(req, &ids, &n, &err) != 0) {
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

/* ---- pause, resume, scale, drain, shutdown ------------------------- */

static json_t *
op_pause(struct cd_daemon *d, json_t *req, int pause)
{
	json_t *g = json_object_get(req, "group");

	if (g != NULL && (!json_is_string(g) ||
	    json_string_length(g) > CD_NAME_MAX)) {
		return cd_ops_error("bad_request", "\"group\" must be a string");
	}
	if (g == NULL) {
		d->paused_all = pause;
	} else if (cd_store_set_paused(d->store, json_string_value(g),
	    pause) != 0) {
		return cd_ops_error("store", "%s", cd_store_errmsg(d->store));
	}
	cd_notify("STATUS=%s", d->paused_all ? "paused" : "running");
	cd_feed_kick(d);
	return ok();
}

static json_t *
op_scale(struct cd_daemon *d, json_t *req)
{
	json_t *v = json_object_get(req, "workers");
	json_t *dv = json_object_get(req, "delta");
	long long n;
	int rc;

	if ((v == NULL) == (dv == NULL) || (v != NULL && !json_is_integer(v)) ||
	    (dv != NULL && !json_is_integer(dv))) {
		return cd_ops_error("bad_request", "give \"workers\": N or "
		    "\"delta\": +N/-N (integers)");
	}
	if (v != NULL) {
		n = json_integer_value(v);
	} else if (json_integer_value(dv) < -1024 ||
	    json_integer_value(dv) > 1024) {
		/* Checked first: workers + delta must not overflow. */
		return cd_ops_error("bad_request", "delta %lld would take "
		    "workers out of 1..1024",
		    (long long)json_integer_value(dv));
	} else {
		n = (long long)d->workers + json_integer_value(dv);
	}
	if (n < 1 || n > 1024) {
		return cd_ops_error("bad_request", "workers would be %lld; it "
		    "must be in 1..1024", n);
	}
	if (d->exiting) {
		return cd_ops_error("closed", "corund is shutting down");
	}
	if ((rc = cd_feed_scale(d, (unsigned)n)) != 0) {
		return cd_ops_error("internal", "cannot start %lld workers: %s",
		    n, corun_strerror(rc));
	}
	return json_pack("{s:b, s:i}", "ok", 1, "workers", (int)n);
}

static json_t *
op_drain(struct cd_daemon *d, json_t *req, int is_shutdown)
{
	int fast = is_shutdown;
	json_t *g = json_object_get(req, "graceful");

	if (g != NULL && !json_is_boolean(g)) {
		return cd_ops_error("bad_request", "\"graceful\" must be a "
		    "boolean");
	}
	if (is_shutdown && json_is_true(g)) {
		fast = 0;
	}
	cd_feed_drain(d, fast);
	return json_pack("{s:b, s:I}", "ok", 1, "in_flight",
	    (json_int_t)d->ninflight);
}

/* ---- dispatch ------------------------------------------------------ */

static json_t *
handle(struct cd_daemon *d, struct cd_ctx *c, const char *buf, size_t len,
    int *later)
{
	json_error_t jerr;
	json_t *req, *op, *r;
	const char *name;
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
	req = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	cr_fault_hold(0);
	if (req == NULL && (cr_fault_alloc_failures() != nfail ||
	    jerr.text[0] == '\0')) {
		return cd_ops_oom();
	}
	if (req == NULL) {
		return cd_ops_error("bad_json", "line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text);
	}
	if (!json_is_object(req)) {
		json_decref(req);
		return cd_ops_error("bad_request", "a request must be a JSON "
		    "object {\"op\": ...}");
	}
	op = json_object_get(req, "op");
	if (!json_is_string(op)) {
		json_decref(req);
		return cd_ops_error("bad_request", "\"op\" must be a string "
		    "(submit, status, wait, result, cancel, pause, resume, "
		    "scale, drain, shutdown)");
	}
	name = json_string_value(op);
	if (strcmp(name, "submit") == 0) {
		r = op_submit(d, c, req, later);
	} else if (strcmp(name, "status") == 0) {
		r = op_status(d, req);
	} else if (strcmp(name, "wait") == 0) {
		r = cd_wait_op(d, c, req, later);
	} else if (strcmp(name, "result") == 0) {
		r = op_result(d, req);
	} else if (strcmp(name, "cancel") == 0) {
		r = op_cancel(d, req);
	} else if (strcmp(name, "pause") == 0) {
		r = op_pause(d, req, 1);
	} else if (strcmp(name, "resume") == 0) {
		r = op_pause(d, req, 0);
	} else if (strcmp(name, "scale") == 0) {
		r = op_scale(d, req);
	} else if (strcmp(name, "drain") == 0) {
		r = op_drain(d, req, 0);
	} else if (strcmp(name, "shutdown") == 0) {
		r = op_drain(d, req, 1);
	} else if (strcmp(name, "ping") == 0) {
		r = ok();
	} else {
		r = cd_ops_error("unknown_op", "unknown op \"%.64s\"", name);
	}
	json_decref(req);
	return r;
}

json_t *
cd_ops_handle(struct cd_daemon *d, struct cd_ctx *c, const char *buf,
    size_t len)
{
	int later = 0;
	json_t *r = handle(d, c, buf, len, &later);

	/* NULL only for a wait answered later: out of memory is a reply. */
	return r != NULL || later ? r : cd_ops_oom();
}

/* SPDX-License-Identifier: MIT */
/*
 * wait.c - waits: the wait op, and submit with "wait", answered once
 * their jobs ended (their results on disk) or their time ran out.
 *
 * A waiter holds its ids sorted and unique with a done flag each;
 * cd_ctl_notify() is called after every commit with the ids that ended
 * in it (d->finished) and answers the waiters it completes.  Their
 * replies are read before, in the commit's transaction
 * (cd_ctl_notify_prepare), and sent only if the commit held.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault-internal.h"
#include "request.h"

struct cd_waiter {
	struct cd_daemon *d;
	struct cd_ctx *ctx;
	int all;
	int64_t *ids;		/* sorted, unique */
	uint8_t *done;
	size_t n, left;
	corun_handle *timer;
	json_t *submitted;	/* submit-and-wait: the id, or the ids */
	json_t *ready;		/* its reply, if this step's commit holds */
	struct cd_waiter *next;
};

static json_t *wait_for(struct cd_daemon *d, struct cd_waiter *w,
    double timeout, int *later);

static int
cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
waiter_free(struct cd_daemon *d, struct cd_waiter *w)
{
	struct cd_waiter **pp;

	for (pp = &d->waiters; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	if (w->timer != NULL) {
		corun_handle_cancel(w->timer);
		corun_handle_release(w->timer);
	}
	free(w->ids);
	free(w->done);
	json_decref(w->submitted);
	json_decref(w->ready);
	free(w);
}

static json_t *
wait_reply(struct cd_daemon *d, struct cd_waiter *w, int timed_out)
{
	json_t *r = json_object(), *pending = json_array();
	json_t *states = json_object(), *counts = json_object();
	uint64_t c[CD_NSTATES];
	size_t failed = 0;
	int bad = 0;

	cd_store_counts(d->store, c);
	for (int i = 0; i < CD_NSTATES; i++) {
		bad |= json_object_set_new(counts, cd_state_name(i),
		    json_integer((json_int_t)c[i]));
	}
	for (size_t i = 0; i < w->n && !bad; i++) {
		char key[32];
		int state = -1;

		if (cd_store_state(d->store, w->ids[i], &state) != 0) {
			json_decref(pending);
			json_decref(states);
			json_decref(counts);
			json_decref(r);
			return cd_ops_error("store", "job %lld: %s",
			    (long long)w->ids[i], cd_store_errmsg(d->store));
		}
		if (state < CD_DONE) {
			bad |= json_array_append_new(pending,
			    json_integer(w->ids[i]));
		} else if (state != CD_DONE) {
			failed++;
		}
		if (w->n <= 10000) {
			snprintf(key, sizeof(key), "%lld",
			    (long long)w->ids[i]);
			bad |= json_object_set_new(states, key,
			    json_string(cd_state_name(state)));
		}
	}
	if (w->all) {
		failed = (size_t)(c[CD_FAILED] + c[CD_CANCELLED]);
	}
	bad |= json_object_set_new(r, "ok", json_true());
	bad |= json_object_set_new(r, "timed_out", json_boolean(timed_out));
	bad |= json_object_set_new(r, "pending", pending);
	bad |= json_object_set_new(r, "not_done",
	    json_integer((json_int_t)failed));
	bad |= json_object_set_new(r, "states", states);
	bad |= json_object_set_new(r, "counts", counts);
	if (bad) {
		json_decref(r);
		return cd_ops_oom();
	}
	return r;
}

/*
 * A submit-and-wait's reply: one job's, with its result (as the result
 * op gives it); a batch's, as a wait's with the ids added.
 */
static json_t *
waiter_reply(struct cd_daemon *d, struct cd_waiter *w, int timed_out)
{
	json_t *r, *job;

	if (w->submitted == NULL || json_is_array(w->submitted)) {
		r = wait_reply(d, w, timed_out);
		if (w->submitted != NULL) {
			json_object_set(r, "ids", w->submitted);
		}
		return r;
	}
	if (cd_store_job_json(d->store, json_integer_value(w->submitted), 1,
	    &job) != 0) {
		/* Purged already: say so, the id still counts. */
		job = json_null();
	}
	return json_pack("{s:b, s:O, s:b, s:o}", "ok", 1, "id",
	    w->submitted, "timed_out", timed_out, "job", job);
}

static void
wait_expired(void *arg)
{
	struct cd_waiter *w = arg;

	corun_handle_release(w->timer);
	w->timer = NULL;
	cd_ctl_reply(w->ctx, waiter_reply(w->d, w, 1));
	waiter_free(w->d, w);
}

static int
waiter_complete(struct cd_daemon *d, struct cd_waiter *w)
{
	uint64_t c[CD_NSTATES];

	if (w->all) {
		cd_store_counts(d->store, c);
		return c[CD_QUEUED] + c[CD_RUNNING] == 0;
	}
	return w->left == 0;
}

json_t *
cd_wait_op(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req, int *later)
{
	json_t *err = NULL, *v;
	struct cd_waiter *w;
	double timeout = -1;

	if ((v = json_object_get(req, "timeout")) != NULL) {
		if (!json_is_number(v) || !(json_number_value(v) >= 0) ||
		    json_number_value(v) > 4e6) {
			return cd_ops_error("bad_request", "\"timeout\" must be "
			    "a number of seconds in 0..4000000");
		}
		timeout = json_number_value(v);
	}
	if ((w = cr_calloc(1, sizeof(*w))) == NULL) {
		return cd_ops_oom();
	}
	w->d = d;
	w->ctx = ctx;
	if (json_is_true(json_object_get(req, "all"))) {
		w->all = 1;
	} else if (cd_ops_get_ids(req, &w->ids, &w->n, &err) != 0) {
		free(w);
		return err;
	}
	return wait_for(d, w, timeout, later);
}

/*
 * Wait for w's ids (or all): the reply now if they ended (or timeout is
 * 0), else NULL and w waits.  Takes w.
 */
static json_t *
wait_for(struct cd_daemon *d, struct cd_waiter *w, double timeout,
    int *later)
{
	json_t *err;

	if (!w->all) {
		size_t k = 0;

		qsort(w->ids, w->n, sizeof(*w->ids), cmp_id);
		for (size_t i = 0; i < w->n; i++) {
			if (k == 0 || w->ids[k - 1] != w->ids[i]) {
				w->ids[k++] = w->ids[i];
			}
		}
		w->n = k;
		if ((w->done = cr_calloc(k, 1)) == NULL) {
			waiter_free(d, w);
			return cd_ops_oom();
		}
		for (size_t i = 0; i < k; i++) {
			int state;

			int rc = cd_store_state(d->store, w->ids[i], &state);

			if (rc != 0) {
				err = rc == CORUN_ENOENT ? cd_ops_error(
				    "not_found", "no job %lld",
				    (long long)w->ids[i]) : cd_ops_error("store",
				    "%s", cd_store_errmsg(d->store));
				waiter_free(d, w);
				return err;
			}
			w->done[i] = state >= CD_DONE;
			w->left += !w->done[i];
		}
	}
	if (waiter_complete(d, w) || timeout == 0 || d->exiting) {
		json_t *r = waiter_reply(d, w, !waiter_complete(d, w));

		waiter_free(d, w);
		return r;
	}
	if (timeout > 0) {
		corun_call_later(d->loop, timeout, wait_expired, w, &w->timer);
	}
	w->next = d->waiters;
	d->waiters = w;
	*later = 1;
	return NULL;
}

/* How many of w's ids still pending are in d->finished. */
static size_t
ending_ids(struct cd_daemon *d, struct cd_waiter *w)
{
	size_t hits = 0;

	for (size_t i = 0; i < d->nfinished; i++) {
		int64_t *p = bsearch(&d->finished[i], w->ids, w->n,
		    sizeof(*w->ids), cmp_id);

		if (p != NULL && w->done[p - w->ids] == 0) {
			w->done[p - w->ids] = 2;	/* counted once */
			hits++;
		}
	}
	for (size_t i = 0; hits > 0 && i < d->nfinished; i++) {
		int64_t *p = bsearch(&d->finished[i], w->ids, w->n,
		    sizeof(*w->ids), cmp_id);

		if (p != NULL && w->done[p - w->ids] == 2) {
			w->done[p - w->ids] = 0;
		}
	}
	return hits;
}

void
cd_ctl_notify_prepare(struct cd_daemon *d)
{
	for (struct cd_waiter *w = d->waiters; w != NULL; w = w->next) {
		if (!w->all && w->ready == NULL && w->left > 0 &&
		    ending_ids(d, w) == w->left) {
			w->ready = waiter_reply(d, w, 0);
		}
	}
}

void
cd_ctl_notify(struct cd_daemon *d)
{
	struct cd_waiter *w, *next;

	for (w = d->waiters; w != NULL; w = next) {
		next = w->next;
		for (size_t i = 0; !w->all && i < d->nfinished; i++) {
			int64_t *p = bsearch(&d->finished[i], w->ids, w->n,
			    sizeof(*w->ids), cmp_id);

			if (p != NULL && !w->done[p - w->ids]) {
				w->done[p - w->ids] = 1;
				w->left--;
			}
		}
		if (waiter_complete(d, w)) {
			json_t *r = w->ready != NULL ? w->ready :
			    waiter_reply(d, w, 0);

			w->ready = NULL;
			cd_ctl_reply(w->ctx, r);
			waiter_free(d, w);
		} else if (w->ready != NULL) {
			/* The commit failed: its ends are recorded again. */
			json_decref(w->ready);
			w->ready = NULL;
		}
	}
	d->nfinished = 0;
}

void
cd_ctl_flush_waiters(struct cd_daemon *d, const char *why)
{
	while (d->waiters != NULL) {
		struct cd_waiter *w = d->waiters;
		json_t *r;

		if (w->submitted != NULL) {
			/* Its jobs were accepted: say which, and that the
			   wait was cut short. */
			r = waiter_reply(d, w, 1);
			json_object_set_new(r, "stopping", json_string(why));
		} else {
			r = cd_ops_error("closed", "%s", why);
		}
		cd_ctl_reply(w->ctx, r);
		waiter_free(d, w);
	}
}

void
cd_ops_forget(struct cd_daemon *d, struct cd_ctx *c)
{
	for (struct cd_waiter *w = d->waiters; w != NULL; w = w->next) {
		if (w->ctx == c) {
			waiter_free(d, w);
			return;
		}
	}
}

json_t *
cd_wait_submitted(struct cd_daemon *d, struct cd_ctx *ctx, json_t *ids,
    int batch, double timeout, int *later)
{
	struct cd_waiter *w;
	json_t *v;
	size_t i;

	if ((w = cr_calloc(1, sizeof(*w))) == NULL ||
	    (w->ids = cr_malloc(json_array_size(ids) *
	    sizeof(*w->ids))) == NULL) {
		free(w);
		json_decref(ids);
		/* Not undone: the jobs are queued, only not awaited. */
		return cd_ops_oom();
	}
	w->d = d;
	w->ctx = ctx;
	json_array_foreach(ids, i, v) {
		w->ids[i] = json_integer_value(v);
	}
	w->n = json_array_size(ids);
	w->submitted = batch ? ids : json_incref(json_array_get(ids, 0));
	if (!batch) {
		json_decref(ids);
	}
	return wait_for(d, w, timeout, later);
}

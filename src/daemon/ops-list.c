/* SPDX-License-Identifier: MIT */
/*
 * ops-list.c - the list operation: one page of jobs, oldest first from a
 * cursor (or newest first), filtered by state and group.  The reply
 * holds at most "limit" jobs (1000 at most) and the cursor of the next
 * page, so a client lists any queue in bounded memory and time.
 */
#include "config.h"

#include <string.h>

#include "request.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000

/* "state": a name or an array of names, into a bit per state. */
static int
list_states(json_t *v, unsigned *states, json_t **err)
{
	json_t *w;
	size_t i;

	if (v == NULL) {
		*states = (1u << CD_NSTATES) - 1;
		return 0;
	}
	*states = 0;
	if (json_is_string(v)) {
		v = json_pack("[O]", v);
	} else {
		json_incref(v);
	}
	if (!json_is_array(v) || json_array_size(v) == 0) {
		json_decref(v);
		*err = cd_ops_error("bad_request", "\"state\" must be a state "
		    "or an array of them (queued, running, done, failed, "
		    "cancelled)");
		return -1;
	}
	json_array_foreach(v, i, w) {
		int k;

		for (k = 0; k < CD_NSTATES; k++) {
			if (json_is_string(w) && strcmp(json_string_value(w),
			    cd_state_name(k)) == 0) {
				break;
			}
		}
		if (k == CD_NSTATES) {
			json_decref(v);
			*err = cd_ops_error("bad_request", "state[%zu] is not "
			    "one of queued, running, done, failed, cancelled",
			    i);
			return -1;
		}
		*states |= 1u << k;
	}
	json_decref(v);
	return 0;
}

/* Every field of the request into q; -1 with *err the reply. */
static int
list_query(json_t *req, struct cd_list_query *q, json_t **err)
{
	json_t *v;
	const char *k;
	json_int_t n;

	memset(q, 0, sizeof(*q));
	q->limit = LIST_DEFAULT;
	json_object_foreach(req, k, v) {
		if (strcmp(k, "op") == 0 || strcmp(k, "state") == 0) {
			continue;
		}
		n = json_is_integer(v) ? json_integer_value(v) : -1;
		if (strcmp(k, "group") == 0 && json_is_string(v) &&
		    json_string_length(v) <= CD_NAME_MAX) {
			q->group = json_string_value(v);
		} else if (strcmp(k, "after") == 0 && n >= 0) {
			q->cursor = n;
		} else if (strcmp(k, "limit") == 0 && n >= 1 &&
		    n <= LIST_MAX) {
			q->limit = (size_t)n;
		} else if (strcmp(k, "newest_first") == 0 &&
		    json_is_boolean(v)) {
			q->desc = json_is_true(v);
		} else {
			*err = cd_ops_error("bad_request", "list: \"%s\" is not "
			    "a field of list, or not of the right type (group: "
			    "string, after: id or 0, limit: 1..%d, "
			    "newest_first: boolean)", k, LIST_MAX);
			return -1;
		}
	}
	return list_states(json_object_get(req, "state"), &q->states, err);
}

static int
add_row(void *arg, const struct cd_job_row *row)
{
	return json_array_append_new(arg, cd_store_row_json(row));
}

json_t *
cd_ops_list(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req, int arg,
    int *later)
{
	struct cd_list_query q;
	json_t *err = NULL, *jobs, *last;
	int rc;

	(void)ctx;
	(void)arg;
	(void)later;

	if (list_query(req, &q, &err) != 0) {
		return err;
	}
	if ((jobs = json_array()) == NULL) {
		return cd_ops_oom();
	}
	if ((rc = cd_store_list(d->store, &q, add_row, jobs)) != 0) {
		json_decref(jobs);
		return rc == CORUN_ENOMEM ? cd_ops_oom() :
		    cd_ops_error("store", "%s", cd_store_errmsg(d->store));
	}
	/* A full page may have more after it: its last id is the cursor. */
	last = json_array_get(jobs, json_array_size(jobs) - 1);
	return json_pack("{s:b, s:o, s:o}", "ok", 1, "jobs", jobs, "next",
	    json_array_size(jobs) == q.limit ?
	    json_incref(json_object_get(last, "id")) : json_null());
}

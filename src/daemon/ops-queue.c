/* SPDX-License-Identifier: MIT */
/*
 * ops-queue.c - fixing the queue after the fact: which jobs a cancel
 * with "all" or "group" means, restart (finished jobs run again as new
 * jobs; one of them edited as ops-edit.c edits) and clean (forget finished jobs and their output).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "request.h"
#include "store-queue.h"

int
cd_ops_cancel_targets(struct cd_daemon *d, json_t *req, int64_t **ids,
    size_t *n, json_t **err)
{
	json_t *all = json_object_get(req, "all");
	json_t *g = json_object_get(req, "group");
	int rc;

	if (all == NULL && g == NULL) {
		return cd_ops_get_ids(req, ids, n, err);
	}
	if ((all != NULL && !json_is_true(all)) || (all != NULL) ==
	    (g != NULL) || json_object_get(req, "ids") != NULL ||
	    json_object_get(req, "id") != NULL || (g != NULL &&
	    (!json_is_string(g) || json_string_length(g) > CD_NAME_MAX))) {
		*err = cd_ops_error("bad_request", "cancel: give \"ids\", "
		    "\"id\", \"all\": true or \"group\": NAME (one of them)");
		return -1;
	}
	rc = cd_store_active_ids(d->store, g != NULL ? json_string_value(g) :
	    NULL, ids, n);
	if (rc != 0) {
		*err = rc == CORUN_ENOMEM ? cd_ops_oom() : cd_ops_error("store",
		    "%s", cd_store_errmsg(d->store));
		return -1;
	}
	return 0;
}

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Restart old[i] into *id, edited as e says (when it says anything). */
static json_t *
restart_one(struct cd_daemon *d, int64_t old, const struct cd_edit_req *e,
    int64_t *id)
{
	json_t *err = NULL;
	int changed, rc = cd_store_restart(d->store, old, wall_ns(), id);

	if (rc == CORUN_ENOENT) {
		return cd_ops_error("not_found", "no job %lld", (long long)old);
	}
	if (rc == CORUN_ESTATE) {
		return cd_ops_error("bad_state", "job %lld has not ended "
		    "(cancel it first)", (long long)old);
	}
	if (rc != 0) {
		return cd_ops_error("store", "job %lld: %s", (long long)old,
		    cd_store_errmsg(d->store));
	}
	if (e->any && cd_ops_edit_apply(d, *id, e, &changed, &err) != 0) {
		return err;
	}
	return NULL;
}

json_t *
cd_ops_restart(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
    int arg, int *later)
{
	static const char *const own[] = { "op", "id", "ids", NULL };
	json_t *err = NULL, *ids;
	struct cd_edit_req e;
	int64_t *old;
	size_t n;

	(void)ctx;
	(void)arg;
	(void)later;
	if (cd_ops_edit_parse(req, own, &e, &err) != 0 ||
	    cd_ops_get_ids(req, &old, &n, &err) != 0) {
		return err;
	}
	if (e.any && n != 1) {
		free(old);
		return cd_ops_error("bad_request", "restart: an edit (\"cmd\", "
		    "\"env\", \"unset_env\", \"priority\") takes one job");
	}
	if (d->exiting || cd_store_savepoint(d->store) != 0) {
		free(old);
		return cd_ops_error(d->exiting ? "closed" : "store", "%s",
		    d->exiting ? "corund is shutting down" :
		    cd_store_errmsg(d->store));
	}
	ids = json_array();
	/* All or nothing, as a submit batch. */
	for (size_t i = 0; i < n && err == NULL; i++) {
		int64_t id;

		if ((err = restart_one(d, old[i], &e, &id)) == NULL) {
			json_array_append_new(ids, json_integer(id));
		}
	}
	free(old);
	if (cd_store_release(d->store, err != NULL) != 0 && err == NULL) {
		err = cd_ops_error("store", "%s", cd_store_errmsg(d->store));
	}
	if (err != NULL) {
		json_decref(ids);
		return err;
	}
	cd_feed_kick(d);
	return json_pack("{s:b, s:o}", "ok", 1, "ids", ids);
}

json_t *
cd_ops_clean(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req, int arg,
    int *later)
{
	json_t *v = json_object_get(req, "state"), *w;
	unsigned mask = 0;
	size_t i, deleted = 0, before;

	(void)ctx;
	(void)arg;
	(void)later;
	if (json_object_size(req) != 1 + (v != NULL)) {
		return cd_ops_error("bad_request", "clean takes only \"state\"");
	}
	if (v == NULL) {
		mask = (1u << CD_DONE) | (1u << CD_FAILED) |
		    (1u << CD_CANCELLED);
	}
	json_array_foreach(json_is_array(v) ? v : NULL, i, w) {
		int k;

		for (k = CD_DONE; k < CD_NSTATES; k++) {
			if (json_is_string(w) && strcmp(json_string_value(w),
			    cd_state_name(k)) == 0) {
				break;
			}
		}
		if (k == CD_NSTATES) {
			return cd_ops_error("bad_request", "state[%zu] is not "
			    "one of done, failed, cancelled", i);
		}
		mask |= 1u << k;
	}
	if (mask == 0) {
		return cd_ops_error("bad_request", "\"state\" must be a "
		    "non-empty array of done, failed, cancelled");
	}
	do {
		before = deleted;
		if (cd_store_clean(d->store, mask, &deleted) != 0) {
			return cd_ops_error("store", "%s",
			    cd_store_errmsg(d->store));
		}
	} while (deleted - before == 10000);
	return json_pack("{s:b, s:I}", "ok", 1, "deleted", (json_int_t)deleted);
}

/* stash (hold 1) or enqueue (hold 0): "ids"/"id"; all or none. */
json_t *
cd_ops_hold(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req, int hold,
    int *later)
{
	json_t *err = NULL;
	int64_t *ids;
	size_t n;

	(void)ctx;
	(void)later;
	if (cd_ops_get_ids(req, &ids, &n, &err) != 0) {
		return err;
	}
	if (cd_store_savepoint(d->store) != 0) {
		free(ids);
		return cd_ops_error("store", "%s", cd_store_errmsg(d->store));
	}
	for (size_t i = 0; i < n && err == NULL; i++) {
		int rc = cd_store_hold(d->store, ids[i], hold);

		if (rc == CORUN_ENOENT) {
			err = cd_ops_error("not_found", "no job %lld",
			    (long long)ids[i]);
		} else if (rc == CORUN_ESTATE) {
			err = cd_ops_error("bad_state", "job %lld is not queued",
			    (long long)ids[i]);
		} else if (rc != 0) {
			err = cd_ops_error("store", "%s",
			    cd_store_errmsg(d->store));
		}
	}
	free(ids);
	if (cd_store_release(d->store, err != NULL) != 0 && err == NULL) {
		err = cd_ops_error("store", "%s", cd_store_errmsg(d->store));
	}
	if (err != NULL) {
		return err;
	}
	cd_feed_kick(d);
	return json_pack("{s:b}", "ok", 1);
}

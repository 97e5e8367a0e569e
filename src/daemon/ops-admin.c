/* SPDX-License-Identifier: MIT */
/*
 * ops-admin.c - the ops that steer the daemon rather than a job: pause
 * and resume (a group, or all; one job: ops-jobsig.c), scale the workers, drain and shutdown.
 */
#include "config.h"

#include "request.h"

json_t *
cd_ops_pause(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req, int pause,
    int *later)
{
	json_t *g = json_object_get(req, "group");

	(void)ctx;
	(void)later;

	if (json_object_get(req, "id") != NULL) {
		return cd_ops_job_pause(d, req, pause);	/* one job */
	}
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
	return json_pack("{s:b}", "ok", 1);
}

json_t *
cd_ops_scale(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req, int arg,
    int *later)
{
	json_t *v = json_object_get(req, "workers");
	json_t *dv = json_object_get(req, "delta");
	long long n;
	int rc;

	(void)ctx;
	(void)arg;
	(void)later;

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

json_t *
cd_ops_drain(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
    int is_shutdown, int *later)
{
	int fast = is_shutdown;
	json_t *g = json_object_get(req, "graceful");

	(void)ctx;
	(void)later;

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

/* SPDX-License-Identifier: MIT */
/*
 * web.c - corund's web listener (web.h): the state the dashboard shows,
 * a job's detail, and the control actions, which go through the same
 * operations as the control socket's requests (ops.c), so they are
 * checked, counted and logged the same way.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/http.h"
#include "common/poolview.h"
#include "stats.h"
#include "web.h"

/* The workers of p (up to 256) into w; how many. */
static size_t
pool_workers(corun_pool *p, struct corun_worker_info *w)
{
	size_t n;

	for (size_t i = 0; i < 256; i++) {
		w[i].size = sizeof(w[i]);
	}
	n = corun_pool_workers(p, w, 256);
	return n < 256 ? n : 256;
}

/* The workers of the pool and of those draining, with what each holds. */
static json_t *
workers_json(struct cd_daemon *d, const char *host)
{
	static struct corun_worker_info w[256];
	const char *model = corun_model_name(d->conf.model);
	uint64_t now = corun_loop_now_ns();
	json_t *a = json_array();

	if (a != NULL && d->pool != NULL) {
		cm_workers_json(w, pool_workers(d->pool, w), model, host, 0,
		    now, a);
	}
	for (size_t i = 0; a != NULL && i < d->nold; i++) {
		cm_workers_json(w, pool_workers(d->old_pools[i], w), model,
		    host, 1, now, a);
	}
	return a;
}

static char *
web_state(void *arg)
{
	struct cd_daemon *d = arg;
	json_t *j = json_object(), *groups = cd_web_groups(d, 1);
	char *s;

	if (j == NULL) {
		return NULL;
	}
	json_object_set_new(j, "source", json_string("corund"));
	json_object_set_new(j, "status", cd_feed_status(d));
	json_object_set_new(j, "workers", workers_json(d, d->web->host));
	json_object_set_new(j, "groups", groups != NULL ? json_incref(groups) :
	    json_object());
	json_object_set_new(j, "submitted", json_integer((json_int_t)
	    d->stats->submitted));
	cm_jobstats_json(&d->stats->jobs, (uint64_t)time(NULL), j);
	json_object_set_new(j, "control", json_boolean(
	    d->conf.http_token_file != NULL));
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static char *
web_job(void *arg, int64_t id, int *found)
{
	struct cd_daemon *d = arg;
	json_t *j = NULL;
	char *s;
	int rc = cd_store_job_json(d->store, id, 1, &j);

	*found = rc != CORUN_ENOENT;
	if (rc != 0) {
		return NULL;
	}
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

/* The control request an action stands for, or NULL (why set). */
static json_t *
action_request(const char *action, const char *arg, char *why,
    size_t whysize)
{
	char *e;
	long long n = strtoll(arg, &e, 10);
	int num = *arg != '\0' && *e == '\0';

	if (strcmp(action, "pause") == 0 || strcmp(action, "resume") == 0) {
		return *arg == '\0' ? json_pack("{s:s}", "op", action) :
		    json_pack("{s:s, s:s}", "op", action, "group", arg);
	}
	if (strcmp(action, "cancel") == 0 && num) {
		return json_pack("{s:s, s:[I]}", "op", "cancel", "ids",
		    (json_int_t)n);
	}
	if (strcmp(action, "scale") == 0 && num) {
		return json_pack("{s:s, s:I}", "op", "scale", "workers",
		    (json_int_t)n);
	}
	snprintf(why, whysize, "action=%.32s arg=%.32s: expected pause or "
	    "resume (arg: a group, or none for all), cancel (arg: a job id) "
	    "or scale (arg: a number of workers)", action, arg);
	return NULL;
}

static int
web_control(void *arg, const char *action, const char *argument, char *why,
    size_t whysize)
{
	struct cd_daemon *d = arg;
	json_t *req = action_request(action, argument, why, whysize), *r;
	char *text;
	int ok;

	if (req == NULL || (text = json_dumps(req, JSON_COMPACT)) == NULL) {
		json_decref(req);
		return -1;
	}
	json_decref(req);
	if (cd_store_begin(d->store) != 0) {
		free(text);
		snprintf(why, whysize, "store: %s", cd_store_errmsg(d->store));
		return -1;
	}
	r = cd_ops_handle(d, NULL, text, strlen(text));
	free(text);
	ok = cd_store_commit(d->store) == 0;
	cd_feed_kick(d);
	if (!ok || !json_is_true(json_object_get(r, "ok"))) {
		snprintf(why, whysize, "%s", !ok ? "the store could not commit"
		    : json_string_value(json_object_get(json_object_get(r,
		    "error"), "message")));
		json_decref(r);
		return -1;
	}
	cd_log("http: %s %s", action, argument);
	json_decref(r);
	return 0;
}

static void
web_metrics(void *arg, struct cm_buf *b)
{
	cd_web_metrics(arg, b);
}

static const struct cm_http_ops web_ops = {
	.metrics = web_metrics,
	.state = web_state,
	.job = web_job,
	.control = web_control,
};

/* The control token: the first line of path (NULL: none). */
static int
read_token(const char *path, char *tok, size_t size, char *why,
    size_t whysize)
{
	FILE *f;

	tok[0] = '\0';
	if (path == NULL) {
		return 0;
	}
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(why, whysize, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fgets(tok, (int)size, f) == NULL) {
		tok[0] = '\0';
	}
	fclose(f);
	tok[strcspn(tok, "\r\n")] = '\0';
	if (tok[0] == '\0') {
		snprintf(why, whysize, "%s: the first line (the token) is empty",
		    path);
		return -1;
	}
	return 0;
}

int
cd_web_start(struct cd_daemon *d, char *why, size_t whysize)
{
	char tok[512];
	int rc;

	if (d->conf.http == NULL) {
		return 0;
	}
	if (read_token(d->conf.http_token_file, tok, sizeof(tok), why,
	    whysize) != 0 || (d->web = calloc(1, sizeof(*d->web))) == NULL) {
		if (tok[0] != '\0') {
			snprintf(why, whysize, "out of memory");
		}
		return -1;
	}
	if (gethostname(d->web->host, sizeof(d->web->host) - 1) != 0) {
		snprintf(d->web->host, sizeof(d->web->host), "localhost");
	}
	rc = cm_http_open(corun_loop_base(d->loop), d->conf.http, tok, 1.0,
	    &web_ops, d, &d->web->http, why, whysize);
	memset(tok, 0, sizeof(tok));
	if (rc != 0) {
		free(d->web);
		d->web = NULL;
		return -1;
	}
	cd_log("http: /metrics and the dashboard on http://%s/%s",
	    d->conf.http, d->conf.http_token_file != NULL ?
	    " (control with the token)" : " (read-only)");
	return 0;
}

void
cd_web_stop(struct cd_daemon *d)
{
	if (d->web != NULL) {
		cm_http_close(d->web->http);
		json_decref(d->web->groups[0]);
		json_decref(d->web->groups[1]);
		free(d->web);
		d->web = NULL;
	}
}

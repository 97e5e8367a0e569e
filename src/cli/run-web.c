/* SPDX-License-Identifier: MIT */
/*
 * run-web.c - corun run --http (run-web.h): the same listener, page and
 * metrics as corund's (src/common/http.c, jobstats.c, poolview.c), with
 * what a run knows: its pool and the jobs it has submitted and seen end.
 * The metrics are named corun_run_*; corun(1) lists them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/http.h"
#include "common/jobstats.h"
#include "common/poolview.h"
#include "run-internal.h"
#include "run-web.h"

struct cli_web {
	struct cm_http *http;
	struct cm_jobstats jobs;
	uint64_t submitted;
	uint64_t started_ns;	/* loop clock */
	char host[256];
	struct corun_worker_info w[256];	/* the pool's, when asked */
};

uint64_t
cli_run_web_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The model the pool runs, from its shape (the default one resolved). */
static const char *
model_name(struct cli_run *r)
{
	struct corun_pool_stats st;

	if (r->o->model != CORUN_MODEL_DEFAULT) {
		return corun_model_name(r->o->model);
	}
	memset(&st, 0, sizeof(st));
	corun_pool_stats(r->pool, &st);
	return corun_model_name(st.threads > 1 ? (st.concurrency > 1 ?
	    CORUN_MODEL_HYBRID : CORUN_MODEL_THREAD) : st.concurrency > 1 ?
	    CORUN_MODEL_ASYNC : CORUN_MODEL_PROCESS);
}

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

static json_t *
status_json(struct cli_run *r, const struct corun_pool_stats *st)
{
	const struct cm_jobstats *js = &r->web->jobs;

	return json_pack("{s:s, s:i, s:s, s:f, s:{s:i, s:i, s:I, s:I, s:s}, "
	    "s:{s:I, s:I, s:I, s:I, s:I}, s:[]}", "state", r->stopping ?
	    "stopping" : r->eof ? "finishing" : "running", "pid", (int)getpid(),
	    "version", PACKAGE_VERSION, "uptime", (double)(corun_loop_now_ns() -
	    r->web->started_ns) / 1e9, "workers", "target", (int)st->procs,
	    "alive", (int)st->workers_alive, "restarts",
	    (json_int_t)st->restarts, "lost", (json_int_t)st->lost, "model",
	    model_name(r), "counts", "queued", (json_int_t)st->queued,
	    "running", (json_int_t)st->running, "done",
	    (json_int_t)js->ended[CM_JS_DONE], "failed",
	    (json_int_t)js->ended[CM_JS_FAILED], "cancelled",
	    (json_int_t)js->ended[CM_JS_CANCELLED], "paused");
}

static char *
web_state(void *arg)
{
	struct cli_run *r = arg;
	struct corun_pool_stats st;
	json_t *j = json_object(), *w = json_array();
	char *s;

	memset(&st, 0, sizeof(st));
	corun_pool_stats(r->pool, &st);
	if (j == NULL || w == NULL) {
		json_decref(j);
		json_decref(w);
		return NULL;
	}
	cm_workers_json(r->web->w, pool_workers(r->pool, r->web->w),
	    model_name(r), r->web->host, 0, corun_loop_now_ns(), w);
	json_object_set_new(j, "source", json_string("corun run"));
	json_object_set_new(j, "status", status_json(r, &st));
	json_object_set_new(j, "workers", w);
	json_object_set_new(j, "groups", json_object());
	json_object_set_new(j, "submitted", json_integer((json_int_t)
	    r->web->submitted));
	cm_jobstats_json(&r->web->jobs, (uint64_t)time(NULL), j);
	json_object_set_new(j, "control", json_false());
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static void
web_metrics(void *arg, struct cm_buf *b)
{
	struct cli_run *r = arg;
	struct corun_pool_stats st;

	memset(&st, 0, sizeof(st));
	corun_pool_stats(r->pool, &st);
	cm_prom_head(b, "corun_run_jobs", "gauge", "Jobs in the pool, by "
	    "state (queued: waiting for a worker).");
	cm_prom_sample(b, "corun_run_jobs", (double)st.queued, "state",
	    "queued", (char *)NULL);
	cm_prom_sample(b, "corun_run_jobs", (double)st.running, "state",
	    "running", (char *)NULL);
	cm_prom_head(b, "corun_run_jobs_submitted_total", "counter",
	    "Jobs handed to the pool.");
	cm_prom_sample(b, "corun_run_jobs_submitted_total",
	    (double)r->web->submitted, (char *)NULL);
	cm_jobstats_prom(&r->web->jobs, "corun_run", b);
	cm_prom_head(b, "corun_run_workers", "gauge",
	    "Worker processes wanted (target) and ready (alive).");
	cm_prom_sample(b, "corun_run_workers", (double)st.procs, "kind",
	    "target", (char *)NULL);
	cm_prom_sample(b, "corun_run_workers", (double)st.workers_alive,
	    "kind", "alive", (char *)NULL);
	cm_prom_head(b, "corun_run_worker_restarts_total", "counter",
	    "Workers restarted after they exited.");
	cm_prom_sample(b, "corun_run_worker_restarts_total",
	    (double)st.restarts, (char *)NULL);
	cm_prom_head(b, "corun_run_workers_lost_total", "counter",
	    "Workers lost while holding jobs.");
	cm_prom_sample(b, "corun_run_workers_lost_total", (double)st.lost,
	    (char *)NULL);
	cm_prom_head(b, "corun_run_worker_inflight", "gauge",
	    "Jobs each worker holds now, by worker pid.");
	cm_workers_inflight_prom(r->web->w, pool_workers(r->pool, r->web->w),
	    "corun_run_worker_inflight", b);
}

static const struct cm_http_ops web_ops = {
	.metrics = web_metrics,
	.state = web_state,
};

int
cli_run_web_start(struct cli_run *r)
{
	char why[512];

	if ((r->web = calloc(1, sizeof(*r->web))) == NULL) {
		cli_warn("--http: out of memory");
		return -1;
	}
	cm_jobstats_init(&r->web->jobs);
	r->web->started_ns = corun_loop_now_ns();
	if (gethostname(r->web->host, sizeof(r->web->host) - 1) != 0) {
		snprintf(r->web->host, sizeof(r->web->host), "localhost");
	}
	if (cm_http_open(corun_loop_base(r->loop), r->o->http, NULL, 1.0,
	    &web_ops, r, &r->web->http, why, sizeof(why)) != 0) {
		cli_warn("--http %s", why);
		free(r->web);
		r->web = NULL;
		return -1;
	}
	return 0;
}

void
cli_run_web_stop(struct cli_run *r)
{
	if (r->web != NULL) {
		cm_http_close(r->web->http);
		free(r->web);
		r->web = NULL;
	}
}

void
cli_run_web_submitted(struct cli_run *r)
{
	if (r->web != NULL) {
		r->web->submitted++;
	}
}

void
cli_run_web_ended(struct cli_run *r, const struct cli_outcome *oc,
    uint64_t submitted_ns, int killed)
{
	struct cm_js_job j;

	if (r->web == NULL) {
		return;
	}
	memset(&j, 0, sizeof(j));
	j.id = (int64_t)oc->js->seq;
	j.state = oc->status == 0 ? CM_JS_DONE : killed ||
	    oc->status == CORUN_ECANCELED ? CM_JS_CANCELLED : CM_JS_FAILED;
	j.submitted_ns = submitted_ns;
	j.message = oc->message != NULL && *oc->message != '\0' ?
	    oc->message : cli_status_name(oc->status);
	if (oc->res != NULL) {
		j.worker_pid = oc->res->worker_pid;
		j.start_ns = oc->res->start_ns;
		j.end_ns = oc->res->end_ns;
	}
	if (j.end_ns == 0) {
		j.end_ns = cli_run_web_now();
	}
	cm_jobstats_ended(&r->web->jobs, &j);
}

/*
 * stats.c - corund's own counters for /metrics and the dashboard
 * (stats.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

/* Seconds: from a millisecond to an hour. */
static const double bounds[] = {
	0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 3600
};

struct cd_stats *
cd_stats_new(void)
{
	struct cd_stats *s = calloc(1, sizeof(*s));

	if (s != NULL) {
		cm_hist_init(&s->runtime, bounds, sizeof(bounds) /
		    sizeof(bounds[0]));
		cm_hist_init(&s->wait, bounds, sizeof(bounds) /
		    sizeof(bounds[0]));
	}
	return s;
}

void
cd_stats_free(struct cd_stats *s)
{
	free(s);
}

void
cd_stats_submitted(struct cd_stats *s, size_t n)
{
	if (s != NULL) {
		s->submitted += n;
	}
}

/* One more job ended in second sec, having run rt seconds. */
static void
history_add(struct cd_stats *s, uint64_t sec, double rt)
{
	size_t i = (size_t)(sec % CD_STATS_HIST);

	if (s->hist_sec[i] != sec) {
		s->hist_sec[i] = sec;
		s->hist_n[i] = 0;
		s->hist_rt[i] = 0;
	}
	s->hist_n[i]++;
	s->hist_rt[i] += rt;
}

static void
end_set(struct cd_stats_end *e, int64_t id, const struct cd_outcome *o,
    double rt)
{
	e->id = id;
	e->state = o->state;
	e->worker_pid = o->worker_pid;
	e->end_ns = o->end_ns;
	e->runtime = rt;
	snprintf(e->message, sizeof(e->message), "%s", o->state == CD_DONE ?
	    "" : o->message != NULL ? o->message : "failed");
}

void
cd_stats_ended(struct cd_stats *s, int64_t id, const struct cd_outcome *o,
    uint64_t submitted_ns)
{
	double rt = 0;

	if (s == NULL || o->state < 0 || o->state >= CD_NSTATES) {
		return;
	}
	s->ended[o->state]++;
	if (o->start_ns > 0 && o->end_ns >= o->start_ns) {
		rt = (double)(o->end_ns - o->start_ns) / 1e9;
		cm_hist_observe(&s->runtime, rt);
		if (submitted_ns > 0 && o->start_ns >= submitted_ns) {
			cm_hist_observe(&s->wait, (double)(o->start_ns -
			    submitted_ns) / 1e9);
		}
	}
	history_add(s, o->end_ns / 1000000000u, rt);
	end_set(&s->recent[s->nrecent++ % CD_STATS_RECENT], id, o, rt);
	if (o->state == CD_FAILED) {
		end_set(&s->fail[s->nfail++ % CD_STATS_FAILS], id, o, rt);
	}
}

/* The index of name in list (adding it when there is room), or -1. */
static int
slot(char (*list)[24], size_t *n, size_t max, const char *name)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(list[i], name) == 0) {
			return (int)i;
		}
	}
	if (*n >= max) {
		return -1;
	}
	snprintf(list[*n], sizeof(list[0]), "%s", name);
	return (int)(*n)++;
}

void
cd_stats_request(struct cd_stats *s, const char *op, json_t *r)
{
	const char *code = NULL;
	size_t i;
	int c;

	if (s == NULL) {
		return;
	}
	for (i = 0; i < s->nops && strcmp(s->ops[i].name, op) != 0; i++) {
	}
	if (i == s->nops) {
		if (s->nops == CD_STATS_OPS) {
			return;
		}
		snprintf(s->ops[s->nops++].name, sizeof(s->ops[0].name),
		    "%s", op);
	}
	if (r != NULL && json_is_false(json_object_get(r, "ok"))) {
		code = json_string_value(json_object_get(json_object_get(r,
		    "error"), "code"));
	}
	if (code == NULL) {
		s->ops[i].ok++;
	} else if ((c = slot(s->codes, &s->ncodes, CD_STATS_CODES,
	    code)) >= 0) {
		s->ops[i].err[c]++;
	}
}

static void
prom_requests(const struct cd_stats *s, struct cm_buf *b)
{
	cm_prom_head(b, "corund_control_requests_total", "counter",
	    "Control requests answered, by op and result (ok or the error "
	    "code).");
	for (size_t i = 0; i < s->nops; i++) {
		cm_prom_sample(b, "corund_control_requests_total",
		    (double)s->ops[i].ok, "op", s->ops[i].name, "result", "ok",
		    (char *)NULL);
		for (size_t c = 0; c < s->ncodes; c++) {
			if (s->ops[i].err[c] > 0) {
				cm_prom_sample(b,
				    "corund_control_requests_total",
				    (double)s->ops[i].err[c], "op",
				    s->ops[i].name, "result", s->codes[c],
				    (char *)NULL);
			}
		}
	}
}

void
cd_stats_prom(const struct cd_stats *s, struct cm_buf *b)
{
	cm_prom_head(b, "corund_jobs_submitted_total", "counter",
	    "Jobs added by submit requests since corund started.");
	cm_prom_sample(b, "corund_jobs_submitted_total", (double)s->submitted,
	    (char *)NULL);
	cm_prom_head(b, "corund_jobs_ended_total", "counter",
	    "Jobs whose end corund recorded since it started, by final state"
	    " (done, failed, cancelled).");
	for (int i = CD_DONE; i < CD_NSTATES; i++) {
		cm_prom_sample(b, "corund_jobs_ended_total",
		    (double)s->ended[i], "state", cd_state_name(i),
		    (char *)NULL);
	}
	cm_prom_hist(b, "corund_job_runtime_seconds", "Run time of the jobs "
	    "that ended (start on a worker to end).", &s->runtime);
	cm_prom_hist(b, "corund_job_queue_wait_seconds", "Time from submit "
	    "to start on a worker of the jobs that ended.", &s->wait);
	prom_requests(s, b);
}

/* Ring r of size cap holding n ever: newest first, as JSON. */
static json_t *
ends_json(const struct cd_stats_end *r, size_t cap, size_t n)
{
	json_t *a = json_array();

	for (size_t k = 0; k < n && k < cap && a != NULL; k++) {
		const struct cd_stats_end *e = &r[(n - 1 - k) % cap];

		json_array_append_new(a, json_pack("{s:I, s:s, s:i, s:f, s:f, "
		    "s:s}", "id", (json_int_t)e->id, "state",
		    cd_state_name(e->state), "worker_pid", e->worker_pid,
		    "ended", (double)e->end_ns / 1e9, "runtime", e->runtime,
		    "message", e->message));
	}
	return a;
}

json_t *
cd_stats_failures_json(const struct cd_stats *s)
{
	return ends_json(s->fail, CD_STATS_FAILS, s->nfail);
}

json_t *
cd_stats_recent_json(const struct cd_stats *s)
{
	return ends_json(s->recent, CD_STATS_RECENT, s->nrecent);
}

json_t *
cd_stats_history_json(const struct cd_stats *s, uint64_t now_s)
{
	json_t *a = json_array();

	/* Oldest first: [seconds ago, jobs ended, mean run time]. */
	for (uint64_t k = CD_STATS_HIST; k-- > 0 && a != NULL;) {
		uint64_t sec = now_s - k;
		size_t i = (size_t)(sec % CD_STATS_HIST);
		int hit = s->hist_sec[i] == sec && s->hist_n[i] > 0;

		json_array_append_new(a, json_pack("[I, I, f]",
		    (json_int_t)k, (json_int_t)(hit ? s->hist_n[i] : 0),
		    hit ? s->hist_rt[i] / s->hist_n[i] : 0.0));
	}
	return a;
}

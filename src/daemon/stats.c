/* SPDX-License-Identifier: MIT */
/*
 * stats.c - corund's own counters for /metrics and the dashboard
 * (stats.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

struct cd_stats *
cd_stats_new(void)
{
	struct cd_stats *s = calloc(1, sizeof(*s));

	if (s != NULL) {
		cm_jobstats_init(&s->jobs);
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

void
cd_stats_ended(struct cd_stats *s, int64_t id, const struct cd_outcome *o,
    uint64_t submitted_ns)
{
	struct cm_js_job j;

	if (s == NULL) {
		return;
	}
	j.id = id;
	j.state = o->state == CD_DONE ? CM_JS_DONE : o->state == CD_FAILED ?
	    CM_JS_FAILED : CM_JS_CANCELLED;
	j.worker_pid = o->worker_pid;
	j.submitted_ns = submitted_ns;
	j.start_ns = o->start_ns;
	j.end_ns = o->end_ns;
	j.message = o->message;
	cm_jobstats_ended(&s->jobs, &j);
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
	cm_jobstats_prom(&s->jobs, "corund", b);
	prom_requests(s, b);
}

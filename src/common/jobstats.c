/* SPDX-License-Identifier: MIT */
/*
 * jobstats.c - counts of the jobs that ended, for /metrics and the
 * dashboards (jobstats.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/jobstats.h"

/* Seconds: from a millisecond to an hour. */
static const double bounds[] = {
	0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 3600
};

static const char *const names[CM_JS_N] = { "done", "failed", "cancelled" };

const char *
cm_js_state_name(int state)
{
	return state >= 0 && state < CM_JS_N ? names[state] : "unknown";
}

void
cm_jobstats_init(struct cm_jobstats *s)
{
	memset(s, 0, sizeof(*s));
	cm_hist_init(&s->runtime, bounds, sizeof(bounds) / sizeof(bounds[0]));
	cm_hist_init(&s->wait, bounds, sizeof(bounds) / sizeof(bounds[0]));
}

/* One more job ended in second sec, having run rt seconds. */
static void
history_add(struct cm_jobstats *s, uint64_t sec, double rt)
{
	size_t i = (size_t)(sec % CM_JS_HIST);

	if (s->hist_sec[i] != sec) {
		s->hist_sec[i] = sec;
		s->hist_n[i] = 0;
		s->hist_rt[i] = 0;
	}
	s->hist_n[i]++;
	s->hist_rt[i] += rt;
}

static void
end_set(struct cm_js_end *e, const struct cm_js_job *j, double rt)
{
	e->id = j->id;
	e->state = j->state;
	e->worker_pid = j->worker_pid;
	e->end_ns = j->end_ns;
	e->runtime = rt;
	snprintf(e->message, sizeof(e->message), "%s", j->state == CM_JS_DONE ?
	    "" : j->message != NULL && *j->message != '\0' ? j->message :
	    names[j->state]);
}

void
cm_jobstats_ended(struct cm_jobstats *s, const struct cm_js_job *j)
{
	double rt = 0;

	if (j->state < 0 || j->state >= CM_JS_N) {
		return;
	}
	s->ended[j->state]++;
	if (j->start_ns > 0 && j->end_ns >= j->start_ns) {
		rt = (double)(j->end_ns - j->start_ns) / 1e9;
		cm_hist_observe(&s->runtime, rt);
		if (j->submitted_ns > 0 && j->start_ns >= j->submitted_ns) {
			cm_hist_observe(&s->wait, (double)(j->start_ns -
			    j->submitted_ns) / 1e9);
		}
	}
	history_add(s, j->end_ns / 1000000000u, rt);
	end_set(&s->recent[s->nrecent++ % CM_JS_RECENT], j, rt);
	if (j->state == CM_JS_FAILED) {
		end_set(&s->fail[s->nfail++ % CM_JS_FAILS], j, rt);
	}
}

void
cm_jobstats_prom(const struct cm_jobstats *s, const char *prefix,
    struct cm_buf *b)
{
	char n[96];

	snprintf(n, sizeof(n), "%s_jobs_ended_total", prefix);
	cm_prom_head(b, n, "counter", "Jobs whose end was recorded since the "
	    "start, by final state (done, failed, cancelled).");
	for (int i = 0; i < CM_JS_N; i++) {
		cm_prom_sample(b, n, (double)s->ended[i], "state", names[i],
		    (char *)NULL);
	}
	snprintf(n, sizeof(n), "%s_job_runtime_seconds", prefix);
	cm_prom_hist(b, n, "Run time of the jobs that ended (start on a "
	    "worker to end).", &s->runtime);
	snprintf(n, sizeof(n), "%s_job_queue_wait_seconds", prefix);
	cm_prom_hist(b, n, "Time from submit to start on a worker of the jobs"
	    " that ended.", &s->wait);
}

/* Ring r of size cap holding n ever: newest first, as JSON. */
static json_t *
ends_json(const struct cm_js_end *r, size_t cap, size_t n)
{
	json_t *a = json_array();

	for (size_t k = 0; k < n && k < cap && a != NULL; k++) {
		const struct cm_js_end *e = &r[(n - 1 - k) % cap];

		json_array_append_new(a, json_pack("{s:I, s:s, s:i, s:f, s:f, "
		    "s:s}", "id", (json_int_t)e->id, "state",
		    cm_js_state_name(e->state), "worker_pid", e->worker_pid,
		    "ended", (double)e->end_ns / 1e9, "runtime", e->runtime,
		    "message", e->message));
	}
	return a;
}

static json_t *
history_json(const struct cm_jobstats *s, uint64_t now_s)
{
	json_t *a = json_array();

	for (uint64_t k = CM_JS_HIST; k-- > 0 && a != NULL;) {
		uint64_t sec = now_s - k;
		size_t i = (size_t)(sec % CM_JS_HIST);
		int hit = s->hist_sec[i] == sec && s->hist_n[i] > 0;

		/* Integers: formatting 120 reals a second costs more. */
		json_array_append_new(a, json_pack("[I, I, I]",
		    (json_int_t)k, (json_int_t)(hit ? s->hist_n[i] : 0),
		    (json_int_t)(hit ? s->hist_rt[i] * 1e6 / s->hist_n[i] :
		    0)));
	}
	return a;
}

void
cm_jobstats_json(const struct cm_jobstats *s, uint64_t now_s, json_t *j)
{
	json_object_set_new(j, "recent", ends_json(s->recent, CM_JS_RECENT,
	    s->nrecent));
	json_object_set_new(j, "failures", ends_json(s->fail, CM_JS_FAILS,
	    s->nfail));
	json_object_set_new(j, "history", history_json(s, now_s));
}

/* SPDX-License-Identifier: MIT */
/*
 * compare-jobs.c - what `corun compare` runs under each model: the
 * model's pool plan under the core budget, and the jobs of each
 * workload, made one at a time.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <corun/pool.h>

#include "compare.h"

static unsigned
ncores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

void
cli_cmp_plan(const struct cli_cmp_opts *o, enum corun_model m, uint64_t count,
    struct corun_pool_opts *po)
{
	unsigned n = o->jobs ? o->jobs : ncores();
	uint64_t c = o->conc ? o->conc : 1000;

	if (count > 0 && c > count) {
		c = count;
	}
	if (c < 1) {
		c = 1;
	}
	*po = (struct corun_pool_opts)CORUN_POOL_OPTS_INIT;
	po->model = m;
	switch (m) {
	case CORUN_MODEL_ASYNC:
		po->jobs = (unsigned)c;
		break;
	case CORUN_MODEL_HYBRID:
		/* N processes sharing the C jobs in flight. */
		po->model = CORUN_MODEL_CUSTOM;
		po->procs = n;
		po->threads = 1;
		po->concurrency = (unsigned)((c + n - 1) / n);
		break;
	default:
		po->jobs = n;
		break;
	}
}

/* ---- making jobs ---------------------------------------------------- */

/* (A window's jobs share their length: printf's %f once, not per job.) */
static void
kind_ms(struct cli_mkjob *mk, struct corun_job *j, const char *kind, double ms)
{
	if (!mk->have_ms || mk->ms != ms) {
		mk->mslen = (size_t)snprintf(mk->msbuf, sizeof(mk->msbuf),
		    "%.0f", ms);
		if (mk->mslen >= sizeof(mk->msbuf)) {
			mk->mslen = sizeof(mk->msbuf) - 1;  /* (--ms <= 1 h) */
		}
		mk->ms = ms;
		mk->have_ms = 1;
	}
	j->kind = kind;
	j->len = mk->mslen;
	j->payload = mk->msbuf;
}

static void
cpu_job(struct cli_mkjob *mk, struct corun_job *j, uint64_t iters)
{
	j->kind = "cpu";
	j->len = (size_t)snprintf(mk->buf, sizeof(mk->buf), "%" PRIu64 "iter",
	    iters ? iters : 1);
	j->payload = mk->buf;
}

int
cli_cmp_make_job(const struct cli_cmp_work *w, struct cli_jobsfile *jf,
    uint64_t i, struct cli_mkjob *mk, struct corun_job *j, struct cli_err *e)
{
	const unsigned *mix = w->o->mix;
	unsigned r, total;
	int rc, n;

	memset(j, 0, sizeof(*j));
	j->tag = i;
	switch (w->wl) {
	case CLI_WL_IO:
		kind_ms(mk, j, "sleep", w->ms);
		break;
	case CLI_WL_CPU:
		cpu_job(mk, j, w->cpu_iters);
		break;
	case CLI_WL_BLOCKING:
		kind_ms(mk, j, "block", w->ms);
		break;
	case CLI_WL_MIXED:
		/* Weighted round robin: the blend is the same in every run. */
		total = mix[0] + mix[1] + mix[2];
		r = (unsigned)(i % total);
		if (r < mix[0]) {
			kind_ms(mk, j, "sleep", w->ms);
		} else if (r < mix[0] + mix[1]) {
			cpu_job(mk, j, w->cpu_iters);
		} else {
			kind_ms(mk, j, "block", w->ms);
		}
		break;
	case CLI_WL_SHELL:
		/* argv words, each NUL-terminated, then an empty word. */
		j->kind = "shell";
		if (w->ms > 0) {
			n = snprintf(mk->buf, sizeof(mk->buf), "sleep%c%.3f%c",
			    '\0', w->ms / 1000.0, '\0');
		} else {
			n = snprintf(mk->buf, sizeof(mk->buf), "true%c", '\0');
		}
		mk->buf[n] = '\0';
		j->payload = mk->buf;
		j->len = (size_t)n + 1;
		break;
	case CLI_WL_NET:
		j->kind = "net";
		n = snprintf(mk->buf, sizeof(mk->buf), "%s%cGET %" PRIu64 "\n",
		    w->addr, '\0', i);
		j->payload = mk->buf;
		j->len = (size_t)n;
		break;
	case CLI_WL_NOOP:
		j->kind = "noop";
		break;
	case CLI_WL_FILE:
		if (mk->have_js) {
			cli_jobspec_free(&mk->js);
			mk->have_js = 0;
		}
		memset(&mk->js, 0, sizeof(mk->js));
		rc = cli_jobsfile_next(jf, &mk->js, e);
		if (rc == CORUN_EDONE) {
			return 0;
		}
		if (rc != 0) {
			return -1;
		}
		mk->have_js = 1;
		/* Left out: no timeout, no retries. */
		cli_jobsfile_pool_job(&mk->js, 0, 0, j);
		j->tag = i;
		return 1;
	}
	return 1;
}

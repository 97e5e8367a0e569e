/* SPDX-License-Identifier: MIT */
/*
 * compare.c - `corun compare`: one workload under every model, side by
 * side, with a verdict and a chart.
 *
 * The order: check everything given (a broken jobs file is found before
 * anything runs, and so is a chart or export path that could not be
 * written), start the net server if the workload needs it (before any
 * pool: see compare-net.c), calibrate the cpu kernel, then run every
 * model in rounds, interleaved (process, thread, ..., process, ...) so
 * that a noisy moment on a shared machine does not land on one model
 * only: at least --min-runs rounds, more while the wall times spread
 * (compare-repeat.c).  Python peers run in the same rounds, after the
 * corun models.
 */
#include "config.h"

#include <limits.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"

#ifndef CLI_PKGDATADIR
#define CLI_PKGDATADIR "/usr/local/share/corun"
#endif

#define CLI_PEERS_MAX 8

struct cli_defaults {
	uint64_t count;
	double ms;
};

/* Small enough that a default compare takes seconds on two cores. */
static const struct cli_defaults defaults[] = {
	[CLI_WL_IO] = { 100, 50 },
	[CLI_WL_CPU] = { 40, 20 },
	[CLI_WL_BLOCKING] = { 40, 20 },
	[CLI_WL_MIXED] = { 100, 20 },
	[CLI_WL_SHELL] = { 100, 0 },
	[CLI_WL_NET] = { 200, 10 },
	[CLI_WL_NOOP] = { 10000, 0 },
	[CLI_WL_FILE] = { 0, 0 },
};

static unsigned
ncores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

static void
describe(const struct cli_cmp_work *w, char *buf, size_t len)
{
	const unsigned *m = w->o->mix;

	switch (w->wl) {
	case CLI_WL_IO:
		snprintf(buf, len, "%llu x sleep %.0f ms",
		    (unsigned long long)w->count, w->ms);
		break;
	case CLI_WL_CPU:
		snprintf(buf, len, "%llu x cpu ~%.0f ms",
		    (unsigned long long)w->count, w->ms);
		break;
	case CLI_WL_BLOCKING:
		snprintf(buf, len, "%llu x block %.0f ms",
		    (unsigned long long)w->count, w->ms);
		break;
	case CLI_WL_MIXED:
		snprintf(buf, len, "%llu x %.0f ms, sleep:cpu:block %u:%u:%u",
		    (unsigned long long)w->count, w->ms, m[0], m[1], m[2]);
		break;
	case CLI_WL_SHELL:
		if (w->ms > 0) {
			snprintf(buf, len, "%llu x shell sleep %.3f",
			    (unsigned long long)w->count, w->ms / 1000);
		} else {
			snprintf(buf, len, "%llu x shell true",
			    (unsigned long long)w->count);
		}
		break;
	case CLI_WL_NET:
		snprintf(buf, len, "%llu x net request, server delay %.0f ms",
		    (unsigned long long)w->count, w->ms);
		break;
	case CLI_WL_NOOP:
		snprintf(buf, len, "%llu x noop",
		    (unsigned long long)w->count);
		break;
	case CLI_WL_FILE:
		if (w->o->count > 0) {
			snprintf(buf, len, "the first %llu jobs of %s",
			    (unsigned long long)w->count, w->file);
		} else {
			snprintf(buf, len, "the %llu jobs of %s",
			    (unsigned long long)w->count, w->file);
		}
		break;
	}
}

/* ---- the command ---------------------------------------------------- */

static void
check_file(const char *path, uint64_t *njobs, struct cli_err *e, int *rc)
{
	struct cli_jobsfile jf;
	struct cli_jobspec js;

	/* Open validates every line, so nothing runs on a broken file. */
	if ((*rc = cli_jobsfile_open(&jf, path, e)) != 0) {
		return;
	}
	*njobs = 0;
	memset(&js, 0, sizeof(js));
	while ((*rc = cli_jobsfile_next(&jf, &js, e)) == 0) {
		cli_jobspec_free(&js);
		memset(&js, 0, sizeof(js));
		(*njobs)++;
	}
	if (*rc == CORUN_EDONE) {
		*rc = *njobs > 0 ? 0 : cli_errf(e, CORUN_EINVAL, "%s: no jobs",
		    path);
	}
	cli_jobsfile_close(&jf);
}

/* The work from the options; 0, or an exit status (the warning is out). */
static int
prepare(struct cli_cmp_opts *o, struct cli_cmp_work *w, char *script,
    size_t len)
{
	struct cli_err e;
	uint64_t njobs = 0;
	int rc;

	memset(w, 0, sizeof(*w));
	w->o = o;
	w->wl = o->wl;
	w->file = o->file;
	w->count = o->count ? o->count : defaults[o->wl].count;
	w->ms = o->ms >= 0 ? o->ms : defaults[o->wl].ms;
	if (o->wl == CLI_WL_FILE) {
		check_file(o->file, &njobs, &e, &rc);
		if (rc != 0) {
			cli_warn("compare: --workload: %s", e.msg);
			return CLI_EXIT_ERROR;
		}
		if (w->count == 0 || w->count > njobs) {
			w->count = njobs;
		}
	}
	if (o->peers && cli_cmp_find_peers(script, len) != 0) {
		cli_warn("compare: --peers python: peers.py not found (looked "
		    "at $CORUN_PEERS, next to corun, and %s)", CLI_PKGDATADIR);
		return CLI_EXIT_ERROR;
	}
	if (o->peers && o->wl == CLI_WL_FILE) {
		cli_warn("compare: --peers: the peers run the built-in "
		    "workloads only; not for %s", o->file);
		o->peers = 0;
	}
	return 0;
}

/* The net server and the cpu calibration; 0, or an exit status. */
static int
start_work(struct cli_cmp_work *w, struct cli_netsrv *srv)
{
	const struct cli_cmp_opts *o = w->o;
	struct cli_err e;

	if (o->wl == CLI_WL_NET) {
		if (cli_netsrv_start(srv, w->ms, &e) != 0) {
			cli_warn("compare: %s", e.msg);
			return CLI_EXIT_ERROR;
		}
		snprintf(w->addr, sizeof(w->addr), "127.0.0.1:%d", srv->port);
	}
	if ((o->wl == CLI_WL_CPU || (o->wl == CLI_WL_MIXED && o->mix[1] > 0)) &&
	    cli_cmp_calibrate_cpu(w->ms, &w->cpu_iters, &e) != 0) {
		cli_warn("compare: %s", e.msg);
		return 1;
	}
	return 0;
}

/* The peers' names seen so far: their runs follow the models'. */
struct peer_names {
	char v[CLI_PEERS_MAX][CLI_CMP_NAME];
	size_t n;
};

/* Round r of the peers, matched by name from one round to the next. */
static void
merge_peers(const struct cli_cmp_row *peer, size_t np, struct peer_names *pn,
    struct cli_cmp_row *runs, size_t nm, unsigned repeat, unsigned r)
{
	for (size_t i = 0; i < np; i++) {
		size_t k;

		for (k = 0; k < pn->n; k++) {
			if (strcmp(pn->v[k], peer[i].model) == 0) {
				break;
			}
		}
		if (k == pn->n && k < CLI_PEERS_MAX) {
			memcpy(pn->v[k], peer[i].model, CLI_CMP_NAME);
			pn->n++;
		}
		if (k < CLI_PEERS_MAX) {
			runs[(nm + k) * repeat + r] = peer[i];
		}
	}
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Every model (and the peers) in interleaved rounds, as many as
 * cli_cmp_more_rounds() asks for; model m's run r at runs[m * max_runs
 * + r].  The number of rounds run.
 */
static unsigned
run_rounds(const struct cli_cmp_work *w, const char *script,
    struct cli_cmp_row *runs, struct peer_names *pn)
{
	const struct cli_cmp_opts *o = w->o;
	struct cli_cmp_row peer[CLI_PEERS_MAX];
	struct cli_cmp_stop stop = { o->min_runs, o->max_runs, o->budget_s,
	    o->max_spread };
	struct corun_pool_opts po;
	size_t nm = o->nmodels, st = o->max_runs;
	double t0 = now_s();
	unsigned r;

	for (r = 0; cli_cmp_more_rounds(&stop, runs, nm + pn->n, st, r,
	    now_s() - t0); r++) {
		for (size_t m = 0; m < nm; m++) {
			cli_cmp_plan(o, o->models[m], w->count, &po);
			if (cli_cmp_run_model(w, &po,
			    corun_model_name(o->models[m]),
			    &runs[m * st + r]) != 0) {
				cli_warn("compare: %s: %s",
				    corun_model_name(o->models[m]),
				    runs[m * st + r].error);
			}
		}
		if (o->peers) {
			size_t np = cli_cmp_run_peers(script, w, ncores(), peer,
			    CLI_PEERS_MAX);

			merge_peers(peer, np, pn, runs, nm, st, r);
		}
	}
	return r;
}

/* What the workload's jobs do, for the verdict's reason. */
static int
nature(enum cli_wl wl)
{
	switch (wl) {
	case CLI_WL_IO:
	case CLI_WL_NET:
		return CLI_NATURE_WAITS;
	case CLI_WL_CPU:
		return CLI_NATURE_COMPUTES;
	case CLI_WL_BLOCKING:
		return CLI_NATURE_BLOCKS;
	default:
		return CLI_NATURE_UNKNOWN;
	}
}

/* Print the rows and the verdict, write the charts; the exit status. */
static int
report(const struct cli_cmp_work *w, const struct cli_cmp_row *rows,
    size_t nrows, const struct cli_verdict *v)
{
	const struct cli_cmp_opts *o = w->o;
	struct cli_cmp_report rep;
	struct cli_err e;
	char desc[160];
	int status = 0;

	describe(w, desc, sizeof(desc));
	memset(&rep, 0, sizeof(rep));
	rep.o = o;
	rep.workload = o->wl == CLI_WL_FILE ? o->file : cli_wl_name(o->wl);
	rep.desc = desc;
	rep.count = w->count;
	rep.ms = w->ms;
	rep.cores = o->jobs ? o->jobs : ncores();
	rep.conc = (unsigned)(o->conc ? o->conc : 1000);
	if (w->count > 0 && rep.conc > w->count) {
		rep.conc = (unsigned)w->count;
	}
	rep.rows = rows;
	rep.nrows = nrows;
	rep.v = v;
	if (o->json) {
		cli_cmp_print_json(stdout, &rep);
	} else if (o->csv) {
		cli_cmp_print_csv(stdout, &rep);
	} else {
		cli_cmp_print_table(stdout, &rep);
	}
	fflush(stdout);
	if (o->svg != NULL && cli_cmp_chart(o->svg, 0, &rep, &e) != 0) {
		cli_warn("compare: --svg: %s", e.msg);
		status = 1;
	}
	if (o->png != NULL && cli_cmp_chart(o->png, 1, &rep, &e) != 0) {
		cli_warn("compare: --png: %s", e.msg);
		status = 1;
	}
	if (cli_cmp_export(&rep, &e) != 0) {
		cli_warn("compare: %s", e.msg);
		status = 1;
	}
	return status;
}

int
cli_cmd_compare(int argc, char **argv)
{
	struct cli_cmp_opts o;
	struct cli_cmp_work w;
	struct cli_cmp_row *runs = NULL, *rows = NULL;
	struct cli_netsrv srv = { -1, -1, 0 };
	struct peer_names pn;
	struct cli_verdict v;
	struct cli_err e;
	char script[PATH_MAX];
	size_t nm, nrows = 0;
	int rc, status = 0;

	if (cli_compare_opts_parse(argc, argv, &o, &e) != 0) {
		cli_warn("compare: %s", e.msg);
		return CLI_EXIT_ERROR;
	}
	if (o.help) {
		cli_compare_usage(stdout);
		return 0;
	}
	if ((rc = prepare(&o, &w, script, sizeof(script))) != 0) {
		return rc;
	}
	nm = o.nmodels;
	runs = calloc((nm + CLI_PEERS_MAX) * o.max_runs, sizeof(*runs));
	rows = calloc(nm + CLI_PEERS_MAX, sizeof(*rows));
	if (runs == NULL || rows == NULL) {
		cli_warn("compare: out of memory");
		status = CLI_EXIT_ERROR;
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((status = start_work(&w, &srv)) != 0) {
		goto out;
	}
	pn.n = 0;
	o.repeat = run_rounds(&w, script, runs, &pn);
	for (size_t m = 0; m < nm + pn.n; m++) {
		cli_cmp_aggregate(&runs[m * o.max_runs], o.repeat,
		    &rows[nrows]);
		if (rows[nrows].error[0] != '\0') {
			status = 1;
		}
		nrows++;
	}
	cli_cmp_derive(rows, nrows);
	cli_cmp_verdict_wl(rows, nrows, nature(o.wl), &v);
	if (report(&w, rows, nrows, &v) != 0) {
		status = 1;
	}
out:
	cli_netsrv_stop(&srv);
	free(runs);
	free(rows);
	return status;
}

/*
 * compare.c - `corun compare`: one workload under every model, side by
 * side, with a verdict and a chart.
 *
 * The order: check everything given (a broken jobs file is found before
 * anything runs), start the net server if the workload needs it (before
 * any pool: see compare-net.c), calibrate the cpu kernel, then run every
 * model --repeat times, interleaved (process, thread, ..., process, ...)
 * so that a noisy moment on a shared machine does not land on one model
 * only.  Python peers run in the same pass, after the corun models.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compare.h"

#ifndef CR_PKGDATADIR
#define CR_PKGDATADIR "/usr/local/share/corun"
#endif

#define CR_PEERS_MAX 8

extern char **environ;

struct cr_defaults {
	uint64_t count;
	double ms;
};

/* Small enough that a default compare takes seconds on two cores. */
static const struct cr_defaults defaults[] = {
	[CR_WL_IO] = { 100, 50 },
	[CR_WL_CPU] = { 40, 20 },
	[CR_WL_BLOCKING] = { 40, 20 },
	[CR_WL_MIXED] = { 100, 20 },
	[CR_WL_SHELL] = { 100, 0 },
	[CR_WL_NET] = { 200, 10 },
	[CR_WL_NOOP] = { 10000, 0 },
	[CR_WL_FILE] = { 0, 0 },
};

static unsigned
ncores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

static void
describe(const struct cr_cmp_work *w, char *buf, size_t len)
{
	const unsigned *m = w->o->mix;

	switch (w->wl) {
	case CR_WL_IO:
		snprintf(buf, len, "%llu x sleep %.0f ms",
		    (unsigned long long)w->count, w->ms);
		break;
	case CR_WL_CPU:
		snprintf(buf, len, "%llu x cpu ~%.0f ms",
		    (unsigned long long)w->count, w->ms);
		break;
	case CR_WL_BLOCKING:
		snprintf(buf, len, "%llu x block %.0f ms",
		    (unsigned long long)w->count, w->ms);
		break;
	case CR_WL_MIXED:
		snprintf(buf, len, "%llu x %.0f ms, sleep:cpu:block %u:%u:%u",
		    (unsigned long long)w->count, w->ms, m[0], m[1], m[2]);
		break;
	case CR_WL_SHELL:
		if (w->ms > 0) {
			snprintf(buf, len, "%llu x shell sleep %.3f",
			    (unsigned long long)w->count, w->ms / 1000);
		} else {
			snprintf(buf, len, "%llu x shell true",
			    (unsigned long long)w->count);
		}
		break;
	case CR_WL_NET:
		snprintf(buf, len, "%llu x net request, server delay %.0f ms",
		    (unsigned long long)w->count, w->ms);
		break;
	case CR_WL_NOOP:
		snprintf(buf, len, "%llu x noop",
		    (unsigned long long)w->count);
		break;
	case CR_WL_FILE:
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

/* ---- python peers ----------------------------------------------------- */

static int
readable(const char *p)
{
	return access(p, R_OK) == 0;
}

/* $CORUN_PEERS, next to the binary (build tree or install), pkgdatadir. */
static int
find_peers(char *out, size_t len)
{
	const char *env = getenv("CORUN_PEERS");
	static const char *const rel[] = {
		"/src/cli/peers.py", "/../share/corun/peers.py"
	};
	char exe[PATH_MAX / 2], *slash;
	ssize_t n;

	if (env != NULL && *env != '\0') {
		snprintf(out, len, "%s", env);
		return readable(out) ? 0 : -1;
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
		}
		for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			snprintf(out, len, "%s%s", exe, rel[i]);
			if (readable(out)) {
				return 0;
			}
		}
	}
	snprintf(out, len, "%s/peers.py", CR_PKGDATADIR);
	return readable(out) ? 0 : -1;
}

/*
 * Run peers.py once: it runs the workload under each Python
 * implementation and prints one JSON row per line.  Spawned (no fork:
 * nng is live in this process).
 */
static size_t
run_peers(const char *script, const struct cr_cmp_work *w,
    struct cr_cmp_row *rows, size_t max)
{
	const char *py = getenv("PYTHON3");
	char a_count[32], a_ms[32], a_j[16], a_c[16], a_mix[48], a_it[32];
	const char *argv[24];
	posix_spawn_file_actions_t fa;
	struct cr_cmp_row row;
	struct cr_err e;
	char line[4096];
	size_t n = 0, k = 0;
	int p[2], status;
	pid_t pid;
	FILE *f;

	if (py == NULL || *py == '\0') {
		py = "python3";
	}
	snprintf(a_count, sizeof(a_count), "%llu",
	    (unsigned long long)w->count);
	snprintf(a_ms, sizeof(a_ms), "%.0f", w->ms);
	snprintf(a_j, sizeof(a_j), "%u", w->o->jobs ? w->o->jobs : ncores());
	snprintf(a_c, sizeof(a_c), "%u", w->o->conc ? w->o->conc : 1000);
	snprintf(a_mix, sizeof(a_mix), "%u:%u:%u", w->o->mix[0],
	    w->o->mix[1], w->o->mix[2]);
	snprintf(a_it, sizeof(a_it), "%llu",
	    (unsigned long long)w->cpu_iters);
	argv[k++] = py;
	argv[k++] = script;
	argv[k++] = "--workload";
	argv[k++] = cr_wl_name(w->wl);
	argv[k++] = "--count";
	argv[k++] = a_count;
	argv[k++] = "--ms";
	argv[k++] = a_ms;
	argv[k++] = "-j";
	argv[k++] = a_j;
	argv[k++] = "--concurrency";
	argv[k++] = a_c;
	argv[k++] = "--mix";
	argv[k++] = a_mix;
	if (w->wl == CR_WL_NET) {
		argv[k++] = "--addr";
		argv[k++] = w->addr;
	}
	argv[k] = NULL;
	if (pipe(p) != 0) {
		cr_warn("compare: peers: pipe: %s", strerror(errno));
		return 0;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	posix_spawn_file_actions_addclose(&fa, p[1]);
	status = posix_spawnp(&pid, py, &fa, NULL, (char *const *)argv,
	    environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (status != 0) {
		cr_warn("compare: peers: cannot run %s: %s", py,
		    strerror(status));
		close(p[0]);
		return 0;
	}
	if ((f = fdopen(p[0], "r")) == NULL) {
		close(p[0]);
	} else {
		while (fgets(line, sizeof(line), f) != NULL) {
			if (cr_cmp_row_from_json(line, &row, &e) != 0) {
				cr_warn("compare: peers: %s: %s", script,
				    e.msg);
			} else if (n < max) {
				rows[n++] = row;
			}
		}
		fclose(f);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		cr_warn("compare: peers: %s did not exit cleanly", script);
	}
	return n;
}

/* ---- the command ---------------------------------------------------- */

static void
check_file(const char *path, uint64_t *njobs, struct cr_err *e, int *rc)
{
	struct cr_jobsfile jf;
	struct cr_jobspec js;

	/* Open validates every line, so nothing runs on a broken file. */
	if ((*rc = cr_jobsfile_open(&jf, path, e)) != 0) {
		return;
	}
	*njobs = 0;
	memset(&js, 0, sizeof(js));
	while ((*rc = cr_jobsfile_next(&jf, &js, e)) == 0) {
		cr_jobspec_free(&js);
		memset(&js, 0, sizeof(js));
		(*njobs)++;
	}
	if (*rc == CORUN_EDONE) {
		*rc = *njobs > 0 ? 0 : cr_errf(e, CORUN_EINVAL, "%s: no jobs",
		    path);
	}
	cr_jobsfile_close(&jf);
}

int
cr_cmd_compare(int argc, char **argv)
{
	struct cr_cmp_opts o;
	struct cr_cmp_work w;
	struct cr_cmp_row *runs = NULL, *rows = NULL;
	struct cr_cmp_row peer[CR_PEERS_MAX];
	struct cr_cmp_report rep;
	struct corun_pool_opts po;
	struct cr_netsrv srv = { -1, -1, 0 };
	struct cr_verdict v;
	struct cr_err e;
	char script[PATH_MAX], desc[160];
	size_t nm, nrows = 0, npeer_names = 0;
	char peer_names[CR_PEERS_MAX][CR_CMP_NAME];
	uint64_t njobs = 0;
	int rc, status = 0;

	if (cr_compare_opts_parse(argc, argv, &o, &e) != 0) {
		cr_warn("compare: %s", e.msg);
		return CR_EXIT_ERROR;
	}
	if (o.help) {
		cr_compare_usage(stdout);
		return 0;
	}
	memset(&w, 0, sizeof(w));
	w.o = &o;
	w.wl = o.wl;
	w.file = o.file;
	w.count = o.count ? o.count : defaults[o.wl].count;
	w.ms = o.ms >= 0 ? o.ms : defaults[o.wl].ms;
	if (o.wl == CR_WL_FILE) {
		check_file(o.file, &njobs, &e, &rc);
		if (rc != 0) {
			cr_warn("compare: --workload: %s", e.msg);
			return CR_EXIT_ERROR;
		}
		if (w.count == 0 || w.count > njobs) {
			w.count = njobs;
		}
	}
	if (o.peers && find_peers(script, sizeof(script)) != 0) {
		cr_warn("compare: --peers python: peers.py not found (looked "
		    "at $CORUN_PEERS, next to corun, and %s)", CR_PKGDATADIR);
		return CR_EXIT_ERROR;
	}
	if (o.peers && o.wl == CR_WL_FILE) {
		cr_warn("compare: --peers: the peers run the built-in "
		    "workloads only; not for %s", o.file);
		o.peers = 0;
	}
	nm = o.nmodels;
	runs = calloc(nm * o.repeat + CR_PEERS_MAX * o.repeat, sizeof(*runs));
	rows = calloc(nm + CR_PEERS_MAX, sizeof(*rows));
	if (runs == NULL || rows == NULL) {
		cr_warn("compare: out of memory");
		status = CR_EXIT_ERROR;
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	if (o.wl == CR_WL_NET) {
		if (cr_netsrv_start(&srv, w.ms, &e) != 0) {
			cr_warn("compare: %s", e.msg);
			status = CR_EXIT_ERROR;
			goto out;
		}
		snprintf(w.addr, sizeof(w.addr), "127.0.0.1:%d", srv.port);
	}
	if ((o.wl == CR_WL_CPU || (o.wl == CR_WL_MIXED && o.mix[1] > 0)) &&
	    cr_cmp_calibrate_cpu(w.ms, &w.cpu_iters, &e) != 0) {
		cr_warn("compare: %s", e.msg);
		status = 1;
		goto out;
	}

	for (unsigned r = 0; r < o.repeat; r++) {
		for (size_t m = 0; m < nm; m++) {
			cr_cmp_plan(&o, o.models[m], w.count, &po);
			if (cr_cmp_run_model(&w, &po,
			    corun_model_name(o.models[m]),
			    &runs[m * o.repeat + r]) != 0) {
				cr_warn("compare: %s: %s",
				    corun_model_name(o.models[m]),
				    runs[m * o.repeat + r].error);
			}
		}
		if (o.peers) {
			size_t np = run_peers(script, &w, peer, CR_PEERS_MAX);

			/* Peers are matched by name from one run to the next. */
			for (size_t i = 0; i < np; i++) {
				size_t k;

				for (k = 0; k < npeer_names; k++) {
					if (strcmp(peer_names[k],
					    peer[i].model) == 0) {
						break;
					}
				}
				if (k == npeer_names && k < CR_PEERS_MAX) {
					memcpy(peer_names[k], peer[i].model,
					    CR_CMP_NAME);
					npeer_names++;
				}
				if (k < CR_PEERS_MAX) {
					runs[(nm + k) * o.repeat + r] =
					    peer[i];
				}
			}
		}
	}
	for (size_t m = 0; m < nm + npeer_names; m++) {
		cr_cmp_aggregate(&runs[m * o.repeat], o.repeat, &rows[nrows]);
		if (rows[nrows].error[0] != '\0') {
			status = 1;
		}
		nrows++;
	}
	cr_cmp_derive(rows, nrows);
	cr_cmp_verdict(rows, nrows, &v);

	describe(&w, desc, sizeof(desc));
	memset(&rep, 0, sizeof(rep));
	rep.o = &o;
	rep.workload = o.wl == CR_WL_FILE ? o.file : cr_wl_name(o.wl);
	rep.desc = desc;
	rep.count = w.count;
	rep.ms = w.ms;
	rep.cores = o.jobs ? o.jobs : ncores();
	rep.conc = (unsigned)(o.conc ? o.conc : 1000);
	if (w.count > 0 && rep.conc > w.count) {
		rep.conc = (unsigned)w.count;
	}
	rep.rows = rows;
	rep.nrows = nrows;
	rep.v = &v;
	if (o.json) {
		cr_cmp_print_json(stdout, &rep);
	} else if (o.csv) {
		cr_cmp_print_csv(stdout, &rep);
	} else {
		cr_cmp_print_table(stdout, &rep);
	}
	fflush(stdout);
	if (o.svg != NULL && cr_cmp_chart(o.svg, 0, &rep, &e) != 0) {
		cr_warn("compare: --svg: %s", e.msg);
		status = 1;
	}
	if (o.png != NULL && cr_cmp_chart(o.png, 1, &rep, &e) != 0) {
		cr_warn("compare: --png: %s", e.msg);
		status = 1;
	}
out:
	cr_netsrv_stop(&srv);
	free(runs);
	free(rows);
	return status;
}

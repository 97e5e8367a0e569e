/* SPDX-License-Identifier: MIT */
/*
 * compare-peers.c - `corun compare --peers python`: find peers.py and
 * run it, once per round, to measure the same workload under Python's
 * pools and asyncio.  It prints one JSON row per implementation.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compare.h"

#ifndef CLI_PKGDATADIR
#define CLI_PKGDATADIR "/usr/local/share/corun"
#endif

extern char **environ;

/* The numbers of peers.py's command line, as text. */
struct peer_argv {
	char count[32], ms[32], j[16], c[16], mix[48];
};

static int
readable(const char *p)
{
	return access(p, R_OK) == 0;
}

int
cli_cmp_find_peers(char *out, size_t len)
{
	const char *env = getenv("CORUN_PEERS");
	/* From corun-engine: a build tree, PREFIX/libexec/corun. */
	static const char *const rel[] = {
		"/src/cli/peers.py", "/../../share/corun/peers.py"
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
	snprintf(out, len, "%s/peers.py", CLI_PKGDATADIR);
	return readable(out) ? 0 : -1;
}

/* peers.py's arguments: the workload as corun runs it. */
static void
peer_args(const struct peer_argv *pa, const char *py, const char *script,
    const struct cli_cmp_work *w, const char **argv)
{
	size_t k = 0;

	argv[k++] = py;
	argv[k++] = script;
	argv[k++] = "--workload";
	argv[k++] = cli_wl_name(w->wl);
	argv[k++] = "--count";
	argv[k++] = pa->count;
	argv[k++] = "--ms";
	argv[k++] = pa->ms;
	argv[k++] = "-j";
	argv[k++] = pa->j;
	argv[k++] = "--concurrency";
	argv[k++] = pa->c;
	argv[k++] = "--mix";
	argv[k++] = pa->mix;
	if (w->wl == CLI_WL_NET) {
		argv[k++] = "--addr";
		argv[k++] = w->addr;
	}
	argv[k] = NULL;
}

/* Spawn py with argv, its stdout into a pipe: the pipe's read end, or -1. */
static int
spawn_peers(const char *py, const char **argv, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int p[2], status;

	if (pipe(p) != 0) {
		cli_warn("compare: peers: pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	posix_spawn_file_actions_addclose(&fa, p[1]);
	status = posix_spawnp(pid, py, &fa, NULL, (char *const *)argv,
	    environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (status != 0) {
		cli_warn("compare: peers: cannot run %s: %s", py,
		    strerror(status));
		close(p[0]);
		return -1;
	}
	return p[0];
}

/* One row per line of fd, up to max; fd is closed. */
static size_t
read_rows(int fd, const char *script, struct cli_cmp_row *rows, size_t max)
{
	struct cli_cmp_row row;
	struct cli_err e;
	char line[4096];
	size_t n = 0;
	FILE *f;

	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (cli_cmp_row_from_json(line, &row, &e) != 0) {
			cli_warn("compare: peers: %s: %s", script, e.msg);
		} else if (n < max) {
			rows[n++] = row;
		}
	}
	fclose(f);
	return n;
}

size_t
cli_cmp_run_peers(const char *script, const struct cli_cmp_work *w,
    unsigned cores, struct cli_cmp_row *rows, size_t max)
{
	const char *py = getenv("PYTHON3");
	struct peer_argv pa;
	const char *argv[24];
	size_t n;
	int fd, status;
	pid_t pid;

	if (py == NULL || *py == '\0') {
		py = "python3";
	}
	snprintf(pa.count, sizeof(pa.count), "%llu",
	    (unsigned long long)w->count);
	snprintf(pa.ms, sizeof(pa.ms), "%.0f", w->ms);
	snprintf(pa.j, sizeof(pa.j), "%u", w->o->jobs ? w->o->jobs : cores);
	snprintf(pa.c, sizeof(pa.c), "%u", w->o->conc ? w->o->conc : 1000);
	snprintf(pa.mix, sizeof(pa.mix), "%u:%u:%u", w->o->mix[0],
	    w->o->mix[1], w->o->mix[2]);
	peer_args(&pa, py, script, w, argv);
	if ((fd = spawn_peers(py, argv, &pid)) < 0) {
		return 0;
	}
	n = read_rows(fd, script, rows, max);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		cli_warn("compare: peers: %s did not exit cleanly", script);
	}
	return n;
}

/* SPDX-License-Identifier: MIT */
/*
 * front.c - the corun program users type: corund's client commands over
 * ipc:// here, everything else by exec of corun-engine.
 *
 * A `corun status` is one request and one reply, yet the whole corun
 * program (nng, mbedTLS, libevent and the job runner linked in) costs
 * its start-up: about 20 page faults more than a program holding only
 * the client, most of them relocating pointer tables the request never
 * reads (BENCHMARKS.md, client_status).  So the client commands live in
 * this small program, linked with jansson and libc alone, and the rest
 * - run, sem, compare, top, help, usage, --version, and the client
 * commands when the control URL is not ipc:// (nng dials those) - is
 * corun-engine, which this program becomes with execv(2): same process,
 * same pid, same arguments, so signals, exit statuses and stdin are the
 * engine's as before.  A `corun run` pays one execve more (BENCHMARKS.md
 * says what that costs).
 *
 * The engine is looked for in this order: $CORUN_ENGINE; corun-engine
 * beside this program (a build tree); CR_PKGLIBEXECDIR/corun-engine
 * (installed).  If none can be run, the exit status is 127 (126 when
 * the file is there but cannot be run), as env(1) reports a command it
 * cannot run.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"

#define ENGINE "corun-engine"

/* corun-engine beside this program into buf: 0, or -1 (no /proc). */
static int
sibling(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - sizeof(ENGINE));
	char *slash;

	if (n <= 0) {
		return -1;
	}
	buf[n] = '\0';
	if ((slash = strrchr(buf, '/')) == NULL) {
		return -1;
	}
	memcpy(slash + 1, ENGINE, sizeof(ENGINE));
	return 0;
}

/* Run the engine with argv: returns only when it could not be run. */
static int
exec_engine(char **argv)
{
	const char *env = getenv("CORUN_ENGINE");
	const char *path = CR_PKGLIBEXECDIR "/" ENGINE;
	char self[PATH_MAX];
	int err;

	if (env != NULL && *env != '\0') {
		path = env;
	} else if (sibling(self, sizeof(self)) == 0) {
		execv(self, argv);
		if (errno != ENOENT) {
			path = self;
			goto fail;
		}
	}
	execv(path, argv);
fail:
	err = errno;
	fprintf(stderr, "%s: cannot run %s (the program behind `corun %s`): "
	    "%s; $CORUN_ENGINE names another\n", CLI_PROG, path,
	    argv[1] != NULL ? argv[1] : "", strerror(err));
	return err == ENOENT ? 127 : 126;
}

int
main(int argc, char **argv)
{
	const struct cli_subcmd *c;
	int at = argc > 2 && strcmp(argv[1], "-S") == 0 ? 3 : 1;

	if (argc <= at ||
	    (c = cli_subcmd_find(cli_client_cmds, argv[at])) == NULL) {
		return exec_engine(argv);
	}
	/* corun -S URL COMMAND: the corund control socket for the clients. */
	if (at == 3) {
		setenv("CORUN_SOCKET", argv[2], 1);
	}
	if (strncmp(cli_client_url(), "ipc://", 6) != 0) {
		return exec_engine(argv);
	}
	cli_client_seed_json();
	return c->fn(argc - at, argv + at);
}

/* SPDX-License-Identifier: MIT */
/*
 * main.c - corun-engine: the whole corun command, every subcommand.
 *
 * Users type `corun`, the front (front.c), which serves corund's client
 * commands over ipc:// itself and execs this program for the rest: run,
 * sem, compare, top, help, and the clients over other URLs.  Subcommands
 * live in tables, one line each.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compare.h"
#include "client.h"
#include "help.h"
#include "top.h"

/* `corun sem ARGS` is `corun run --semaphore ARGS` (sem.c). */
static int
cli_cmd_sem(int argc, char **argv)
{
	char **av = calloc((size_t)argc + 2, sizeof(*av));
	int rc;

	if (av == NULL) {
		cli_warn("out of memory");
		return CLI_EXIT_ERROR;
	}
	av[0] = argv[0];
	av[1] = "--semaphore";
	memcpy(av + 2, argv + 1, (size_t)(argc - 1) * sizeof(*av));
	rc = cli_cmd_run(argc + 1, av);
	free(av);
	return rc;
}

/*
 * corun-engine's own commands, listed around the daemon's clients
 * (client-cmdtab.c, which the corun front serves without this program).
 */
static const struct cli_subcmd cmds_first[] = {
	{ "run", cli_cmd_run, "run [options] command [arg ...] ::: value ..." },
	{ "sem", cli_cmd_sem, "sem [--id NAME] [-j N] [--fg] command | "
	    "--wait" },
	{ "compare", cli_cmd_compare, "compare [--workload W] [--count N] "
	    "[--models LIST] [-j N] [--json|--csv] [--svg F] [--png F]" },
	{ NULL, NULL, NULL }
};
static const struct cli_subcmd cmds_last[] = {
	{ "top", cli_cmd_top, "top [HOST:PORT] [--interval S] [--once]" },
	{ NULL, NULL, NULL }
};
static const struct cli_subcmd *const tables[] = {
	cmds_first, cli_client_cmds, cmds_last
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

void
cli_usage(FILE *f)
{
	const struct cli_subcmd *c;

	fputs("usage: corun command [options] [args]\n"
	    "       corun -h | --help | --version\n\ncommands:\n", f);
	for (size_t t = 0; t < NTABLES; t++) {
		for (c = tables[t]; c->name != NULL; c++) {
			fprintf(f, "  corun %s\n", c->synopsis);
		}
	}
	cli_help_options(f, "corun");
	fputs("\n`corun COMMAND --help` describes a command and its options.\n"
	    "Exit status 255: a bad option or usage, in every command.\n", f);
}

int
main(int argc, char **argv)
{
	const struct cli_subcmd *c;

	cli_client_seed_json();
	cli_client_set_dial(cli_client_nng_call);

	/* corun -S URL COMMAND: the corund control socket for the clients. */
	if (argc > 2 && strcmp(argv[1], "-S") == 0) {
		setenv("CORUN_SOCKET", argv[2], 1);
		argv[2] = argv[0];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		cli_usage(stderr);
		return CLI_EXIT_ERROR;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cli_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", CLI_PROG, PACKAGE_VERSION);
		return 0;
	}
	for (size_t t = 0; t < NTABLES; t++) {
		if ((c = cli_subcmd_find(tables[t], argv[1])) != NULL) {
			return c->fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "%s: unknown command \"%s\"\n", CLI_PROG, argv[1]);
	cli_usage(stderr);
	return CLI_EXIT_ERROR;
}

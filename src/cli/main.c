/*
 * main.c - the corun command: dispatch to a subcommand.
 *
 * Subcommands live in a table so that compare, submit, status and the
 * other daemon clients are one line each when they arrive.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compare.h"
#include "client.h"

struct cr_subcmd {
	const char *name;
	int (*fn)(int argc, char **argv);	/* argv[0] is the name */
	const char *synopsis;
};

static const struct cr_subcmd subcmds[] = {
	{ "run", cr_cmd_run, "run [options] command [arg ...] ::: value ..." },
	{ "compare", cr_cmd_compare, "compare [--workload W] [--count N] "
	    "[--models LIST] [-j N] [--json|--csv] [--svg F] [--png F]" },
	{ "submit", cr_cmd_submit, "submit [options] command [arg ...] | "
	    "--jobs-file FILE|-" },
	{ "status", cr_cmd_status, "status [ID] [--json]" },
	{ "wait", cr_cmd_wait, "wait ID ... | --all [--timeout S]" },
	{ "result", cr_cmd_result, "result ID [--json]" },
	{ "cancel", cr_cmd_cancel, "cancel ID ..." },
	{ "pause", cr_cmd_pause, "pause [GROUP]" },
	{ "resume", cr_cmd_resume, "resume [GROUP]" },
	{ "scale", cr_cmd_scale, "scale N | +N | -N" },
	{ "drain", cr_cmd_drain, "drain" },
	{ "logs", cr_cmd_logs, "logs ID" },
	{ NULL, NULL, NULL }
};

void
cr_usage(FILE *f)
{
	const struct cr_subcmd *c;

	fputs("usage: corun command [options] [args]\n"
	    "       corun -h | --help | --version\n\ncommands:\n", f);
	for (c = subcmds; c->name != NULL; c++) {
		fprintf(f, "  corun %s\n", c->synopsis);
	}
	fputs("\n`corun COMMAND --help` describes a command.\n", f);
}

int
main(int argc, char **argv)
{
	const struct cr_subcmd *c;

	/* corun -S URL COMMAND: the corund control socket for the clients. */
	if (argc > 2 && strcmp(argv[1], "-S") == 0) {
		setenv("CORUN_SOCKET", argv[2], 1);
		argv[2] = argv[0];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		cr_usage(stderr);
		return CR_EXIT_ERROR;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cr_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", CR_PROG, PACKAGE_VERSION);
		return 0;
	}
	for (c = subcmds; c->name != NULL; c++) {
		if (strcmp(argv[1], c->name) == 0) {
			return c->fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "%s: unknown command \"%s\"\n", CR_PROG, argv[1]);
	cr_usage(stderr);
	return CR_EXIT_ERROR;
}

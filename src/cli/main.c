/* SPDX-License-Identifier: MIT */
/*
 * main.c - the corun command: dispatch to a subcommand.
 *
 * Subcommands live in a table so that compare, submit, status and the
 * other daemon clients are one line each when they arrive.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "compare.h"
#include "client.h"
#include "help.h"
#include "top.h"

struct cli_subcmd {
	const char *name;
	int (*fn)(int argc, char **argv);	/* argv[0] is the name */
	const char *synopsis;
};

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

static const struct cli_subcmd subcmds[] = {
	{ "run", cli_cmd_run, "run [options] command [arg ...] ::: value ..." },
	{ "sem", cli_cmd_sem, "sem [--id NAME] [-j N] [--fg] command | "
	    "--wait" },
	{ "compare", cli_cmd_compare, "compare [--workload W] [--count N] "
	    "[--models LIST] [-j N] [--json|--csv] [--svg F] [--png F]" },
	{ "submit", cli_cmd_submit, "submit [options] command [arg ...] | "
	    "--jobs-file FILE|-" },
	{ "status", cli_cmd_status, "status [ID] [--json]" },
	{ "wait", cli_cmd_wait, "wait ID ... | --all [--timeout S]" },
	{ "result", cli_cmd_result, "result ID [--json]" },
	{ "cancel", cli_cmd_cancel, "cancel ID ... | --all | --group G" },
	{ "pause", cli_cmd_pause, "pause [ID | GROUP | --group GROUP]" },
	{ "resume", cli_cmd_resume, "resume [ID | GROUP | --group GROUP]" },
	{ "scale", cli_cmd_scale, "scale N | +N | -N" },
	{ "drain", cli_cmd_drain, "drain" },
	{ "logs", cli_cmd_logs, "logs [-f|--follow] ID" },
	{ "follow", cli_cmd_follow, "follow ID" },
	{ "list", cli_cmd_list, "list|ls [--state S[,S...]] [--group G] "
	    "[--last N] [--json]" },
	{ "ls", cli_cmd_list, "ls: the same as list" },
	{ "restart", cli_cmd_restart, "restart [--edit | --command CMD] "
	    "[--priority N] [--env NAME=VALUE]... [--unset-env NAME]... "
	    "ID ..." },
	{ "edit", cli_cmd_edit, "edit ID [--command CMD] [--priority N] "
	    "[--env NAME=VALUE]... [--unset-env NAME]..." },
	{ "clean", cli_cmd_clean, "clean [--state S[,S...]]" },
	{ "stash", cli_cmd_stash, "stash ID ..." },
	{ "enqueue", cli_cmd_enqueue, "enqueue ID ..." },
	{ "group", cli_cmd_group, "group [--json] | group add NAME "
	    "[--parallel N] | group set NAME --parallel N | group rm NAME" },
	{ "top", cli_cmd_top, "top [HOST:PORT] [--interval S] [--once]" },
	{ NULL, NULL, NULL }
};

void
cli_usage(FILE *f)
{
	const struct cli_subcmd *c;

	fputs("usage: corun command [options] [args]\n"
	    "       corun -h | --help | --version\n\ncommands:\n", f);
	for (c = subcmds; c->name != NULL; c++) {
		fprintf(f, "  corun %s\n", c->synopsis);
	}
	cli_help_options(f, "corun");
	fputs("\n`corun COMMAND --help` describes a command and its options.\n"
	    "Exit status 255: a bad option or usage, in every command.\n", f);
}

/*
 * jansson seeds its hash tables from /dev/urandom (open, read, close)
 * when the first object is made: three system calls and a page fault of
 * each `corun status`.  A seed from the clock, the pid and where the
 * stack is serves as well against crafted input.
 */
static void
seed_json(void)
{
	struct timespec ts;
	uint64_t v;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	v = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^
	    (uint64_t)getpid() << 40 ^ (uint64_t)(uintptr_t)&ts;
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	json_object_seed((size_t)(v | 1));
}

int
main(int argc, char **argv)
{
	const struct cli_subcmd *c;

	seed_json();

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
	for (c = subcmds; c->name != NULL; c++) {
		if (strcmp(argv[1], c->name) == 0) {
			return c->fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "%s: unknown command \"%s\"\n", CLI_PROG, argv[1]);
	cli_usage(stderr);
	return CLI_EXIT_ERROR;
}

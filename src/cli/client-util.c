/* SPDX-License-Identifier: MIT */
/*
 * client-util.c - what the corund client commands share: their usage
 * lines, job ids on the command line, --json, reading a reply's fields,
 * and printing a job's result.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "client-internal.h"
#include "help.h"

/* The command's name: text up to its first space ("wait ID ..."). */
static void
cmd_name(const char *text, char *buf, size_t size)
{
	snprintf(buf, size, "%.*s", (int)strcspn(text, " |\n"), text);
}

int
cli_client_usage(const char *text)
{
	char cmd[32];

	cmd_name(text, cmd, sizeof(cmd));
	fprintf(stderr, "usage: corun [-S URL] %s\n"
	    "Try `corun %s --help'.\n", text, cmd);
	return CLI_CLIENT_USAGE;
}

int
cli_client_want_help(int argc, char **argv, const char *text)
{
	char cmd[32];

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		cmd_name(text, cmd, sizeof(cmd));
		cli_help_client(stdout, cmd, text);
		return 1;
	}
	return 0;
}

int
cli_client_parse_id(const char *s, json_int_t *out)
{
	unsigned long long v;

	if (cli_parse_uint(s, (1ull << 62), &v) != 0 || v == 0) {
		cli_warn("\"%s\" is not a job id", s);
		return -1;
	}
	*out = (json_int_t)v;
	return 0;
}

int
cli_client_json_flag(int *argc, char **argv)
{
	int found = 0, k = 0;

	for (int i = 0; i < *argc; i++) {
		if (i > 0 && strcmp(argv[i], "--json") == 0) {
			found = 1;
		} else {
			argv[k++] = argv[i];
		}
	}
	*argc = k;
	return found;
}

const char *
cli_client_jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "-";
}

long long
cli_client_jint(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* A job's output, and its exit status as ours (result, submit --wait). */
int
cli_client_print_result(json_t *job, const char *id, int as_json)
{
	const char *state;
	int rc = 0;

	if (!json_is_object(job)) {
		cli_warn("job %s: no record (purged?)", id);
		return CLI_CLIENT_FAILED;
	}
	if (as_json) {
		cli_client_print_json(job);
		return 0;
	}
	state = cli_client_jstr(job, "state");
	fputs(cli_client_jstr(job, "stdout") + (json_is_string(
	    json_object_get(job, "stdout")) ? 0 : 1), stdout);
	fputs(cli_client_jstr(job, "stderr") + (json_is_string(
	    json_object_get(job, "stderr")) ? 0 : 1), stderr);
	if (strcmp(state, "queued") == 0 || strcmp(state, "running") == 0) {
		cli_warn("job %s is %s: no result yet", id, state);
		rc = CLI_CLIENT_FAILED;
	} else if (strcmp(state, "done") != 0) {
		cli_warn("job %s %s: %s", id, state,
		    cli_client_jstr(job, "error"));
		rc = cli_client_jint(job, "exit_code") > 0 ?
		    (int)cli_client_jint(job, "exit_code") : CLI_CLIENT_FAILED;
	}
	return rc;
}

/*
 * jansson seeds its hash tables from /dev/urandom (open, read, close)
 * when the first object is made: three system calls and a page fault of
 * each `corun status`.  A seed from the clock, the pid and where the
 * stack is serves as well against crafted input.
 */
void
cli_client_seed_json(void)
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

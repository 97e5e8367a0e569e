/* SPDX-License-Identifier: MIT */
/*
 * client-follow.c - corun follow ID (and corun logs -f ID): a job's
 * stdout and stderr as it writes them, from the start, through corund's
 * follow op (corund(8)): each reply brings the bytes past the offsets
 * reached so far; with nothing new the next request waits 0.1 s.  Ends
 * when the job has ended and all of its output is out, with the job's
 * exit status (0 done, its exit code, or 1).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "client-internal.h"
#include "client.h"

/* Write one stream's new bytes; returns how far the offset moved. */
static long long
put(json_t *reply, const char *text, const char *next, long long off,
    FILE *f)
{
	json_t *s = json_object_get(reply, text);
	long long to = cli_client_jint(reply, next);

	if (json_is_string(s) && json_string_length(s) > 0) {
		fwrite(json_string_value(s), 1, json_string_length(s), f);
		fflush(f);
	}
	return to > off ? to - off : 0;
}

/* The exit status an ended job means (as corun result). */
static int
ended_status(json_t *reply, json_int_t id)
{
	const char *state = cli_client_jstr(reply, "state");

	if (strcmp(state, "done") == 0) {
		return 0;
	}
	cli_warn("job %lld %s: %s", (long long)id, state,
	    cli_client_jstr(reply, "error"));
	return cli_client_jint(reply, "exit_code") > 0 ?
	    (int)cli_client_jint(reply, "exit_code") : CLI_CLIENT_FAILED;
}

static int
follow(json_int_t id)
{
	long long out = 0, err = 0, attempts = -1;
	const struct timespec pause = { 0, 100000000 };

	for (;;) {
		json_t *reply;
		long long moved;
		int rc;

		rc = cli_client_call(json_pack("{s:s, s:I, s:I, s:I}", "op",
		    "follow", "id", id, "out", (json_int_t)out, "err",
		    (json_int_t)err), CLI_CALL_TIMEOUT, &reply);
		if (rc != 0) {
			return rc;
		}
		if (attempts >= 0 && attempts != cli_client_jint(reply,
		    "attempts") && !json_is_true(json_object_get(reply,
		    "ended")) && out + err > 0) {
			/* Run again (its worker was lost): from the start. */
			cli_warn("job %lld runs again: its output from the "
			    "start", (long long)id);
			out = err = 0;
			attempts = cli_client_jint(reply, "attempts");
			json_decref(reply);
			continue;
		}
		attempts = cli_client_jint(reply, "attempts");
		moved = put(reply, "stdout", "out", out, stdout);
		out += moved;
		moved += put(reply, "stderr", "err", err, stderr);
		err = cli_client_jint(reply, "err") > err ?
		    cli_client_jint(reply, "err") : err;
		if (json_is_true(json_object_get(reply, "ended")) &&
		    moved == 0) {
			rc = ended_status(reply, id);
			json_decref(reply);
			return rc;
		}
		json_decref(reply);
		if (moved == 0) {
			nanosleep(&pause, NULL);
		}
	}
}

int
cli_cmd_follow(int argc, char **argv)
{
	static const char u[] = "follow ID";
	json_int_t id;

	if (cli_client_want_help(argc, argv, u)) {
		return 0;
	}
	if (argc != 2) {
		return cli_client_usage(u);
	}
	if (cli_client_parse_id(argv[1], &id) != 0) {
		return CLI_CLIENT_USAGE;
	}
	return follow(id);
}

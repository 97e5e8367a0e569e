/* SPDX-License-Identifier: MIT */
/*
 * client-queue.c - fixing the queue after the fact: corun clean
 * [--state S[,S...]] (forget finished jobs and their output), corun
 * stash ID... / enqueue ID... (hold queued jobs back, let them go).
 * Each is one request to corund (clean, stash, enqueue).  restart and
 * edit are client-edit.c's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "client-internal.h"

/* stash ID... / enqueue ID...: one request with the ids. */
static int
hold(int argc, char **argv, const char *op)
{
	json_t *ids, *reply;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: corun [-S URL] %s ID ...\n", op);
		return CLI_CLIENT_USAGE;
	}
	ids = json_array();
	for (int k = 1; k < argc; k++) {
		json_int_t id;

		if (cli_client_parse_id(argv[k], &id) != 0) {
			json_decref(ids);
			return CLI_CLIENT_USAGE;
		}
		json_array_append_new(ids, json_integer(id));
	}
	rc = cli_client_call(json_pack("{s:s, s:o}", "op", op, "ids", ids),
	    CLI_CALL_TIMEOUT, &reply);
	if (rc == 0) {
		json_decref(reply);
	}
	return rc;
}

int
cli_cmd_stash(int argc, char **argv)
{
	if (cli_client_want_help(argc, argv, "stash ID ...")) {
		return 0;
	}
	return hold(argc, argv, "stash");
}

int
cli_cmd_enqueue(int argc, char **argv)
{
	if (cli_client_want_help(argc, argv, "enqueue ID ...")) {
		return 0;
	}
	return hold(argc, argv, "enqueue");
}

int
cli_cmd_clean(int argc, char **argv)
{
	static const char u[] = "clean [--state S[,S...]]";
	json_t *req, *reply, *states;
	char *s, *tok, *save = NULL;
	int rc;

	if (cli_client_want_help(argc, argv, u)) {
		return 0;
	}
	req = json_pack("{s:s}", "op", "clean");
	if (argc == 3 && strcmp(argv[1], "--state") == 0) {
		states = json_array();
		s = strdup(argv[2]);
		for (tok = strtok_r(s, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			json_array_append_new(states, json_string(tok));
		}
		free(s);
		json_object_set_new(req, "state", states);
	} else if (argc != 1) {
		json_decref(req);
		return cli_client_usage(u);
	}
	if ((rc = cli_client_call(req, CLI_CALL_TIMEOUT, &reply)) != 0) {
		return rc;
	}
	printf("%lld job(s) forgotten\n", cli_client_jint(reply, "deleted"));
	json_decref(reply);
	return 0;
}

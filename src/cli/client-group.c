/* SPDX-License-Identifier: MIT */
/*
 * client-group.c - corun group: list the groups with their parallelism
 * and counts, add one (--parallel N: at most N of its jobs run at once),
 * set its parallelism, remove it.  Each is one request to corund
 * (group_list, group_add, group_set, group_rm; see corund(8)).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "client-internal.h"

static const char group_usage[] =
    "group [--json] | group add NAME [--parallel N] |\n"
    "       group set NAME --parallel N | group rm NAME";

static int
group_list(int as_json)
{
	json_t *reply, *g, *c;
	size_t i;
	int rc;

	rc = cli_client_call(json_pack("{s:s}", "op", "group_list"),
	    CLI_CALL_TIMEOUT, &reply);
	if (rc != 0) {
		return rc;
	}
	if (as_json) {
		cli_client_print_json(json_object_get(reply, "groups"));
		json_decref(reply);
		return 0;
	}
	printf("%-16s %8s %6s %8s %8s %8s %8s %9s\n", "GROUP", "PARALLEL",
	    "PAUSED", "QUEUED", "RUNNING", "DONE", "FAILED", "CANCELLED");
	json_array_foreach(json_object_get(reply, "groups"), i, g) {
		const char *name = cli_client_jstr(g, "name");
		char par[16];

		c = json_object_get(g, "counts");
		snprintf(par, sizeof(par), cli_client_jint(g, "parallel") > 0 ?
		    "%lld" : "-", cli_client_jint(g, "parallel"));
		printf("%-16s %8s %6s %8lld %8lld %8lld %8lld %9lld\n",
		    *name ? name : "default", par,
		    json_is_true(json_object_get(g, "paused")) ? "yes" : "no",
		    cli_client_jint(c, "queued"), cli_client_jint(c, "running"),
		    cli_client_jint(c, "done"), cli_client_jint(c, "failed"),
		    cli_client_jint(c, "cancelled"));
	}
	json_decref(reply);
	return 0;
}

/* add/set NAME [--parallel N]; rm NAME. */
static int
group_change(int argc, char **argv)
{
	const char *verb = argv[1];
	json_t *req, *reply;
	unsigned long long n = 0;
	int have_n = 0, rc;

	if (argc == 5 && strcmp(argv[3], "--parallel") == 0) {
		if (cli_parse_uint(argv[4], 100000, &n) != 0) {
			cli_warn("--parallel: \"%s\" is not 0..100000",
			    argv[4]);
			return CLI_CLIENT_USAGE;
		}
		have_n = 1;
	} else if (argc != 3) {
		return cli_client_usage(group_usage);
	}
	if ((strcmp(verb, "set") == 0 && !have_n) ||
	    (strcmp(verb, "rm") == 0 && have_n)) {
		return cli_client_usage(group_usage);
	}
	req = json_pack("{s:s, s:s}", "op", strcmp(verb, "add") == 0 ?
	    "group_add" : strcmp(verb, "set") == 0 ? "group_set" :
	    "group_rm", "name", argv[2]);
	if (have_n) {
		json_object_set_new(req, "parallel", json_integer(
		    (json_int_t)n));
	}
	if ((rc = cli_client_call(req, CLI_CALL_TIMEOUT, &reply)) == 0) {
		json_decref(reply);
	}
	return rc;
}

int
cli_cmd_group(int argc, char **argv)
{
	int as_json = cli_client_json_flag(&argc, argv);

	if (cli_client_want_help(argc, argv, group_usage)) {
		return 0;
	}
	if (argc == 1) {
		return group_list(as_json);
	}
	if (as_json || (strcmp(argv[1], "add") != 0 &&
	    strcmp(argv[1], "set") != 0 && strcmp(argv[1], "rm") != 0)) {
		return cli_client_usage(group_usage);
	}
	return group_change(argc, argv);
}

/* SPDX-License-Identifier: MIT */
/*
 * client-cmds.c - corun status, wait, result, cancel, pause, resume,
 * scale, drain, logs: each builds one request for corund (see corund(8)
 * for the operations) and prints the reply for people, or as JSON with
 * --json.  submit is client-submit.c's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "client-internal.h"

/* ---- status -------------------------------------------------------- */

int
cli_cmd_status(int argc, char **argv)
{
	static const char u[] = "status [ID] [--json]";
	int as_json = cli_client_json_flag(&argc, argv), rc;
	json_t *req, *reply, *counts, *w, *job;
	json_int_t id;
	const char *k;
	json_t *v;

	if (cli_client_want_help(argc, argv, u)) {
		return 0;
	}
	if (argc > 2) {
		return cli_client_usage(u);
	}
	req = json_pack("{s:s}", "op", "status");
	if (argc == 2) {
		if (cli_client_parse_id(argv[1], &id) != 0) {
			json_decref(req);
			return CLI_CLIENT_USAGE;
		}
		json_object_set_new(req, "id", json_integer(id));
	}
	if ((rc = cli_client_call(req, CLI_CALL_TIMEOUT, &reply)) != 0) {
		return rc;
	}
	json_object_del(reply, "ok");
	if ((job = json_object_get(reply, "job")) != NULL) {
		if (as_json) {
			cli_client_print_json(job);
		} else {
			printf("%lld %s %s attempts=%lld group=%s\n",
			    cli_client_jint(job, "id"),
			    cli_client_jstr(job, "state"),
			    cli_client_jstr(job, "kind"),
			    cli_client_jint(job, "attempts"),
			    cli_client_jstr(job, "group"));
		}
		json_decref(reply);
		return 0;
	}
	counts = json_object_get(reply, "counts");
	if (as_json) {
		/* The counts also at the top, for `jq .queued`. */
		json_object_foreach(counts, k, v) {
			json_object_set(reply, k, v);
		}
		cli_client_print_json(reply);
	} else {
		w = json_object_get(reply, "workers");
		printf("corund %lld: %s, %lld/%lld workers (%s), %lld in the "
		    "pool\n", cli_client_jint(reply, "pid"),
		    cli_client_jstr(reply, "state"), cli_client_jint(w, "alive"),
		    cli_client_jint(w, "target"), cli_client_jstr(w, "model"),
		    cli_client_jint(reply, "in_pool"));
		if (json_is_string(json_object_get(reply, "pool_error"))) {
			printf("pool failing: %s\n",
			    cli_client_jstr(reply, "pool_error"));
		}
		printf("queued %lld  running %lld  done %lld  failed %lld  "
		    "cancelled %lld\n", cli_client_jint(counts, "queued"),
		    cli_client_jint(counts, "running"),
		    cli_client_jint(counts, "done"),
		    cli_client_jint(counts, "failed"),
		    cli_client_jint(counts, "cancelled"));
	}
	json_decref(reply);
	return 0;
}

/* ---- wait ---------------------------------------------------------- */

int
cli_cmd_wait(int argc, char **argv)
{
	static const char u[] = "wait ID ... | --all [--timeout S]";
	json_t *req = json_pack("{s:s}", "op", "wait"), *ids = json_array();
	json_t *reply;
	double timeout = -1;
	int all = 0, rc;

	if (cli_client_want_help(argc, argv, u)) {
		json_decref(req);
		json_decref(ids);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		json_int_t id;

		if (strcmp(argv[i], "--all") == 0) {
			all = 1;
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			if (cli_parse_double(argv[++i], &timeout) != 0 ||
			    timeout < 0) {
				cli_warn("--timeout: \"%s\" is not seconds",
				    argv[i]);
				rc = CLI_CLIENT_USAGE;
				goto out;
			}
		} else if (cli_client_parse_id(argv[i], &id) == 0) {
			json_array_append_new(ids, json_integer(id));
		} else {
			rc = cli_client_usage(u);
			goto out;
		}
	}
	if (all == (json_array_size(ids) > 0)) {
		rc = cli_client_usage(u);
		goto out;
	}
	if (all) {
		json_object_set_new(req, "all", json_true());
	} else {
		json_object_set(req, "ids", ids);
	}
	if (timeout >= 0) {
		json_object_set_new(req, "timeout", json_real(timeout));
	}
	rc = cli_client_call(req, timeout < 0 ? -1 : timeout + 10, &reply);
	req = NULL;
	if (rc != 0) {
		goto out;
	}
	if (json_is_true(json_object_get(reply, "timed_out"))) {
		cli_warn("timed out: %zu job(s) not finished",
		    json_array_size(json_object_get(reply, "pending")));
		rc = CLI_CLIENT_TIMEOUT;
	} else if (cli_client_jint(reply, "not_done") > 0) {
		cli_warn("%lld job(s) failed or were cancelled",
		    cli_client_jint(reply, "not_done"));
		rc = CLI_CLIENT_FAILED;
	}
	json_decref(reply);
out:
	json_decref(req);
	json_decref(ids);
	return rc;
}

/* ---- result, logs -------------------------------------------------- */

static int
get_job(const char *arg, json_t **reply, json_t **job)
{
	json_int_t id;
	int rc;

	if (cli_client_parse_id(arg, &id) != 0) {
		return CLI_CLIENT_USAGE;
	}
	rc = cli_client_call(json_pack("{s:s, s:I}", "op", "result", "id", id),
	    CLI_CALL_TIMEOUT, reply);
	if (rc == 0) {
		*job = json_object_get(*reply, "job");
	}
	return rc;
}

int
cli_cmd_result(int argc, char **argv)
{
	static const char u[] = "result ID [--json]";
	int as_json = cli_client_json_flag(&argc, argv), rc;
	json_t *reply, *job;

	if (cli_client_want_help(argc, argv, u)) {
		return 0;
	}
	if (argc != 2) {
		return cli_client_usage(u);
	}
	if ((rc = get_job(argv[1], &reply, &job)) != 0) {
		return rc;
	}
	rc = cli_client_print_result(job, argv[1], as_json);
	json_decref(reply);
	return rc;
}

int
cli_cmd_logs(int argc, char **argv)
{
	static const char u[] = "logs [-f|--follow] ID";
	json_t *reply, *job;
	const char *out;
	int rc;

	if (cli_client_want_help(argc, argv, u)) {
		return 0;
	}
	if (argc == 3 && (strcmp(argv[1], "-f") == 0 ||
	    strcmp(argv[1], "--follow") == 0)) {
		return cli_cmd_follow(argc - 1, argv + 1);
	}
	if (argc != 2) {
		return cli_client_usage(u);
	}
	if ((rc = get_job(argv[1], &reply, &job)) != 0) {
		return rc;
	}
	if (!json_is_string(json_object_get(job, "stdout"))) {
		cli_warn("job %s is %s: its output is kept when it ends",
		    argv[1], cli_client_jstr(job, "state"));
		json_decref(reply);
		return CLI_CLIENT_FAILED;
	}
	out = cli_client_jstr(job, "stdout");
	printf("==> job %s stdout <==\n%s", argv[1], out);
	printf("%s==> job %s stderr <==\n%s",
	    *out != '\0' && out[strlen(out) - 1] != '\n' ? "\n" : "", argv[1],
	    cli_client_jstr(job, "stderr"));
	json_decref(reply);
	return 0;
}

/* ---- cancel, pause, resume, scale, drain --------------------------- */

int
cli_cmd_cancel(int argc, char **argv)
{
	static const char u[] = "cancel ID ... | --all | --group G";
	json_t *ids = json_array(), *reply, *unknown, *v;
	size_t i;
	int rc;

	if (cli_client_want_help(argc, argv, u)) {
		json_decref(ids);
		return 0;
	}
	if (argc < 2) {
		json_decref(ids);
		return cli_client_usage(u);
	}
	if ((argc == 2 && strcmp(argv[1], "--all") == 0) ||
	    (argc == 3 && strcmp(argv[1], "--group") == 0)) {
		/* Every job not ended, or every one of the group. */
		json_decref(ids);
		rc = cli_client_call(argc == 2 ? json_pack("{s:s, s:b}", "op",
		    "cancel", "all", 1) : json_pack("{s:s, s:s}", "op",
		    "cancel", "group", argv[2]), CLI_CALL_TIMEOUT, &reply);
		if (rc == 0) {
			printf("%zu job(s) cancelled\n", json_array_size(
			    json_object_get(reply, "cancelled")));
			json_decref(reply);
		}
		return rc;
	}
	for (int k = 1; k < argc; k++) {
		json_int_t id;

		if (cli_client_parse_id(argv[k], &id) != 0) {
			json_decref(ids);
			return CLI_CLIENT_USAGE;
		}
		json_array_append_new(ids, json_integer(id));
	}
	rc = cli_client_call(json_pack("{s:s, s:o}", "op", "cancel", "ids",
	    ids), CLI_CALL_TIMEOUT, &reply);
	if (rc != 0) {
		return rc;
	}
	unknown = json_object_get(reply, "unknown");
	json_array_foreach(unknown, i, v) {
		cli_warn("no job %" JSON_INTEGER_FORMAT, json_integer_value(v));
		rc = CLI_CLIENT_FAILED;
	}
	json_decref(reply);
	return rc;
}

#define PAUSE_USAGE "pause [ID | GROUP | --group GROUP]"
#define RESUME_USAGE "resume [ID | GROUP | --group GROUP]"

/* All digits: a job id (a group of that name needs --group). */
static int
is_number(const char *s)
{
	return *s != '\0' && strspn(s, "0123456789") == strlen(s);
}

static int
pause_resume(int argc, char **argv, const char *op)
{
	json_t *req = json_pack("{s:s}", "op", op), *reply;
	json_int_t id;
	int rc;

	if (argc == 3 && strcmp(argv[1], "--group") == 0 &&
	    argv[2][0] != '\0') {
		json_object_set_new(req, "group", json_string(argv[2]));
	} else if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		json_decref(req);
		return cli_client_usage(strcmp(op, "pause") == 0 ?
		    PAUSE_USAGE : RESUME_USAGE);
	} else if (argc == 2 && is_number(argv[1])) {
		if (cli_client_parse_id(argv[1], &id) != 0) {
			json_decref(req);
			return CLI_CLIENT_USAGE;
		}
		json_object_set_new(req, "id", json_integer(id));
	} else if (argc == 2) {
		json_object_set_new(req, "group", json_string(argv[1]));
	}
	if ((rc = cli_client_call(req, CLI_CALL_TIMEOUT, &reply)) == 0) {
		json_decref(reply);
	}
	return rc;
}

int
cli_cmd_pause(int argc, char **argv)
{
	if (cli_client_want_help(argc, argv, PAUSE_USAGE)) {
		return 0;
	}
	return pause_resume(argc, argv, "pause");
}

int
cli_cmd_resume(int argc, char **argv)
{
	if (cli_client_want_help(argc, argv, RESUME_USAGE)) {
		return 0;
	}
	return pause_resume(argc, argv, "resume");
}

int
cli_cmd_scale(int argc, char **argv)
{
	static const char u[] = "scale N | +N | -N";
	json_t *req, *reply;
	unsigned long long n;
	const char *s;
	int rc;

	if (cli_client_want_help(argc, argv, u)) {
		return 0;
	}
	if (argc != 2) {
		return cli_client_usage(u);
	}
	s = argv[1] + (argv[1][0] == '+' || argv[1][0] == '-' ||
	    argv[1][0] == '=');
	if (cli_parse_uint(s, 1024, &n) != 0) {
		cli_warn("scale: \"%s\" is not N, +N or -N", argv[1]);
		return CLI_CLIENT_USAGE;
	}
	if (argv[1][0] == '+' || argv[1][0] == '-') {
		req = json_pack("{s:s, s:I}", "op", "scale", "delta",
		    (json_int_t)(argv[1][0] == '-' ? -(long long)n :
		    (long long)n));
	} else {
		req = json_pack("{s:s, s:I}", "op", "scale", "workers",
		    (json_int_t)n);
	}
	if ((rc = cli_client_call(req, CLI_CALL_TIMEOUT, &reply)) != 0) {
		return rc;
	}
	printf("%lld\n", cli_client_jint(reply, "workers"));
	json_decref(reply);
	return 0;
}

int
cli_cmd_drain(int argc, char **argv)
{
	json_t *reply;
	int rc;

	if (cli_client_want_help(argc, argv, "drain")) {
		return 0;
	}
	if (argc != 1) {
		return cli_client_usage("drain");
	}
	rc = cli_client_call(json_pack("{s:s}", "op", "drain"),
	    CLI_CALL_TIMEOUT, &reply);
	if (rc == 0) {
		printf("draining: %lld job(s) in flight\n",
		    cli_client_jint(reply, "in_flight"));
		json_decref(reply);
	}
	return rc;
}

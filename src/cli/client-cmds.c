/*
 * client-cmds.c - corun submit, status, wait, result, cancel, pause,
 * resume, scale, drain, logs: each builds one request for corund (see
 * corund(8) for the operations) and prints the reply for people, or as
 * JSON with --json.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"

#define CR_SUBMIT_CHUNK 10000	/* jobs per request from a jobs file */
#define CR_CALL_TIMEOUT 60.0

static int
usage(const char *text)
{
	fprintf(stderr, "usage: corun [-S URL] %s\n", text);
	return CR_CLIENT_USAGE;
}

static int
want_help(int argc, char **argv, const char *text)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		printf("usage: corun [-S URL] %s\n", text);
		return 1;
	}
	return 0;
}

static int
parse_id(const char *s, json_int_t *out)
{
	unsigned long long v;

	if (cr_parse_uint(s, (1ull << 62), &v) != 0 || v == 0) {
		cr_warn("\"%s\" is not a job id", s);
		return -1;
	}
	*out = (json_int_t)v;
	return 0;
}

/* ---- submit -------------------------------------------------------- */

static const char submit_usage[] =
    "submit [--group G] [--priority N] [--timeout S] [--retries N]\n"
    "           [--key K] [--after ID[,ID...]] [--env NAME=VALUE]\n"
    "           [--wait [--json]] command [arg ...] | --jobs-file FILE|-";

static int print_result(json_t *job, const char *id, int as_json);

/* Send a batch of jobs; print the ids. */
static int
send_batch(json_t *jobs)
{
	json_t *reply, *ids, *v;
	size_t i;
	int rc;

	rc = cr_client_call(json_pack("{s:s, s:o}", "op", "submit", "jobs",
	    jobs), CR_CALL_TIMEOUT, &reply);
	if (rc != 0) {
		return rc;
	}
	ids = json_object_get(reply, "ids");
	json_array_foreach(ids, i, v) {
		printf("%" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
	}
	json_decref(reply);
	return 0;
}

/* Each line: a JSON job object, or a shell command line. */
static int
submit_file(const char *path, json_t *defaults)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	json_t *jobs = json_array();
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;

	if (f == NULL) {
		cr_warn("%s: cannot open", path);
		json_decref(jobs);
		return CR_CLIENT_FAILED;
	}
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		json_t *job;
		json_error_t jerr;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
			line[--n] = '\0';
		}
		if (n == 0) {
			continue;
		}
		if (line[0] == '{') {
			job = json_loadb(line, (size_t)n, 0, &jerr);
			if (!json_is_object(job)) {
				cr_warn("%s:%zu: %s", path, lineno, job == NULL ?
				    jerr.text : "not a JSON object");
				json_decref(job);
				rc = CR_CLIENT_FAILED;
				break;
			}
		} else {
			job = json_pack("{s:[s,s,s]}", "cmd", "/bin/sh", "-c",
			    line);
		}
		json_object_update_missing(job, defaults);
		json_array_append_new(jobs, job);
		if (json_array_size(jobs) == CR_SUBMIT_CHUNK) {
			rc = send_batch(jobs);
			jobs = json_array();
		}
	}
	free(line);
	if (f != stdin) {
		fclose(f);
	}
	if (rc == 0 && json_array_size(jobs) > 0) {
		return send_batch(jobs);
	}
	json_decref(jobs);
	return rc;
}

int
cr_cmd_submit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "group", required_argument, NULL, 'g' },
		{ "priority", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "retries", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "after", required_argument, NULL, 'a' },
		{ "env", required_argument, NULL, 'e' },
		{ "jobs-file", required_argument, NULL, 'f' },
		{ "wait", no_argument, NULL, 'W' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	json_t *job = json_object(), *env = json_object(), *after = NULL;
	json_t *reply, *cmd;
	const char *file = NULL;
	unsigned long long u;
	double x;
	int opt, rc, wait = 0, as_json = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+g:p:t:r:k:a:e:f:h", opts,
	    NULL)) != -1) {
		switch (opt) {
		case 'g':
			json_object_set_new(job, "group", json_string(optarg));
			break;
		case 'p': {
			char *end;
			long p = strtol(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0') {
				cr_warn("--priority: \"%s\" is not an integer",
				    optarg);
				return CR_CLIENT_USAGE;
			}
			json_object_set_new(job, "priority", json_integer(p));
			break;
		}
		case 't':
			if (cr_parse_double(optarg, &x) != 0 || x < 0) {
				cr_warn("--timeout: \"%s\" is not seconds",
				    optarg);
				return CR_CLIENT_USAGE;
			}
			json_object_set_new(job, "timeout", json_real(x));
			break;
		case 'r':
			if (cr_parse_uint(optarg, 1000, &u) != 0) {
				cr_warn("--retries: \"%s\" is not 0..1000",
				    optarg);
				return CR_CLIENT_USAGE;
			}
			json_object_set_new(job, "retries", json_integer(
			    (json_int_t)u));
			break;
		case 'k':
			json_object_set_new(job, "key", json_string(optarg));
			break;
		case 'a': {
			char *s = strdup(optarg), *tok, *save = NULL;

			after = after != NULL ? after : json_array();
			for (tok = strtok_r(s, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save)) {
				json_int_t id;

				if (parse_id(tok, &id) != 0) {
					free(s);
					return CR_CLIENT_USAGE;
				}
				json_array_append_new(after, json_integer(id));
			}
			free(s);
			break;
		}
		case 'e': {
			char *eq = strchr(optarg, '=');

			if (eq == NULL || eq == optarg) {
				cr_warn("--env: \"%s\" is not NAME=VALUE",
				    optarg);
				return CR_CLIENT_USAGE;
			}
			*eq = '\0';
			json_object_set_new(env, optarg, json_string(eq + 1));
			*eq = '=';
			break;
		}
		case 'f':
			file = optarg;
			break;
		case 'W':
			wait = 1;
			break;
		case 'J':
			as_json = 1;
			break;
		case 'h':
			printf("usage: corun [-S URL] %s\n", submit_usage);
			return 0;
		default:
			return usage(submit_usage);
		}
	}
	if (after != NULL) {
		json_object_set_new(job, "after", after);
	}
	if (json_object_size(env) > 0) {
		json_object_set(job, "env", env);
	}
	json_decref(env);
	if (file != NULL || (as_json && !wait)) {
		if (optind < argc || wait || as_json) {
			json_decref(job);
			return usage(submit_usage);
		}
		rc = submit_file(file, job);
		json_decref(job);
		return rc;
	}
	if (optind >= argc) {
		json_decref(job);
		return usage(submit_usage);
	}
	cmd = json_array();
	for (int i = optind; i < argc; i++) {
		json_array_append_new(cmd, json_string(argv[i]));
	}
	json_object_set_new(job, "cmd", cmd);
	json_object_set_new(job, "op", json_string("submit"));
	if (wait) {
		char id[32];

		/* One request: the reply comes with the result. */
		json_object_set_new(job, "wait", json_true());
		if ((rc = cr_client_call(job, -1, &reply)) != 0) {
			return rc;
		}
		snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(json_object_get(reply, "id")));
		if (json_is_string(json_object_get(reply, "stopping"))) {
			cr_warn("job %s: %s", id, json_string_value(
			    json_object_get(reply, "stopping")));
		}
		rc = print_result(json_object_get(reply, "job"), id, as_json);
		json_decref(reply);
		return rc;
	}
	if ((rc = cr_client_call(job, CR_CALL_TIMEOUT, &reply)) != 0) {
		return rc;
	}
	printf("%" JSON_INTEGER_FORMAT "\n",
	    json_integer_value(json_object_get(reply, "id")));
	json_decref(reply);
	return 0;
}

/* ---- status -------------------------------------------------------- */

static int
json_flag(int *argc, char **argv)
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

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "-";
}

static long long
jint(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

int
cr_cmd_status(int argc, char **argv)
{
	static const char u[] = "status [ID] [--json]";
	int as_json = json_flag(&argc, argv), rc;
	json_t *req, *reply, *counts, *w, *job;
	json_int_t id;
	const char *k;
	json_t *v;

	if (want_help(argc, argv, u)) {
		return 0;
	}
	if (argc > 2) {
		return usage(u);
	}
	req = json_pack("{s:s}", "op", "status");
	if (argc == 2) {
		if (parse_id(argv[1], &id) != 0) {
			json_decref(req);
			return CR_CLIENT_USAGE;
		}
		json_object_set_new(req, "id", json_integer(id));
	}
	if ((rc = cr_client_call(req, CR_CALL_TIMEOUT, &reply)) != 0) {
		return rc;
	}
	json_object_del(reply, "ok");
	if ((job = json_object_get(reply, "job")) != NULL) {
		if (as_json) {
			cr_client_print_json(job);
		} else {
			printf("%lld %s %s attempts=%lld group=%s\n",
			    jint(job, "id"), jstr(job, "state"),
			    jstr(job, "kind"), jint(job, "attempts"),
			    jstr(job, "group"));
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
		cr_client_print_json(reply);
	} else {
		w = json_object_get(reply, "workers");
		printf("corund %lld: %s, %lld/%lld workers (%s), %lld in the "
		    "pool\n", jint(reply, "pid"), jstr(reply, "state"),
		    jint(w, "alive"), jint(w, "target"), jstr(w, "model"),
		    jint(reply, "in_pool"));
		if (json_is_string(json_object_get(reply, "pool_error"))) {
			printf("pool failing: %s\n",
			    jstr(reply, "pool_error"));
		}
		printf("queued %lld  running %lld  done %lld  failed %lld  "
		    "cancelled %lld\n", jint(counts, "queued"),
		    jint(counts, "running"), jint(counts, "done"),
		    jint(counts, "failed"), jint(counts, "cancelled"));
	}
	json_decref(reply);
	return 0;
}

/* ---- wait ---------------------------------------------------------- */

int
cr_cmd_wait(int argc, char **argv)
{
	static const char u[] = "wait ID ... | --all [--timeout S]";
	json_t *req = json_pack("{s:s}", "op", "wait"), *ids = json_array();
	json_t *reply;
	double timeout = -1;
	int all = 0, rc;

	if (want_help(argc, argv, u)) {
		json_decref(req);
		json_decref(ids);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		json_int_t id;

		if (strcmp(argv[i], "--all") == 0) {
			all = 1;
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			if (cr_parse_double(argv[++i], &timeout) != 0 ||
			    timeout < 0) {
				cr_warn("--timeout: \"%s\" is not seconds",
				    argv[i]);
				rc = CR_CLIENT_USAGE;
				goto out;
			}
		} else if (parse_id(argv[i], &id) == 0) {
			json_array_append_new(ids, json_integer(id));
		} else {
			rc = usage(u);
			goto out;
		}
	}
	if (all == (json_array_size(ids) > 0)) {
		rc = usage(u);
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
	rc = cr_client_call(req, timeout < 0 ? -1 : timeout + 10, &reply);
	req = NULL;
	if (rc != 0) {
		goto out;
	}
	if (json_is_true(json_object_get(reply, "timed_out"))) {
		cr_warn("timed out: %zu job(s) not finished",
		    json_array_size(json_object_get(reply, "pending")));
		rc = CR_CLIENT_TIMEOUT;
	} else if (jint(reply, "not_done") > 0) {
		cr_warn("%lld job(s) failed or were cancelled",
		    jint(reply, "not_done"));
		rc = CR_CLIENT_FAILED;
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

	if (parse_id(arg, &id) != 0) {
		return CR_CLIENT_USAGE;
	}
	rc = cr_client_call(json_pack("{s:s, s:I}", "op", "result", "id", id),
	    CR_CALL_TIMEOUT, reply);
	if (rc == 0) {
		*job = json_object_get(*reply, "job");
	}
	return rc;
}

int
cr_cmd_result(int argc, char **argv)
{
	static const char u[] = "result ID [--json]";
	int as_json = json_flag(&argc, argv), rc;
	json_t *reply, *job;

	if (want_help(argc, argv, u)) {
		return 0;
	}
	if (argc != 2) {
		return usage(u);
	}
	if ((rc = get_job(argv[1], &reply, &job)) != 0) {
		return rc;
	}
	rc = print_result(job, argv[1], as_json);
	json_decref(reply);
	return rc;
}

/* A job's output, and its exit status as ours (result, submit --wait). */
static int
print_result(json_t *job, const char *id, int as_json)
{
	const char *state;
	int rc = 0;

	if (!json_is_object(job)) {
		cr_warn("job %s: no record (purged?)", id);
		return CR_CLIENT_FAILED;
	}
	if (as_json) {
		cr_client_print_json(job);
		return 0;
	}
	state = jstr(job, "state");
	fputs(jstr(job, "stdout") + (json_is_string(json_object_get(job,
	    "stdout")) ? 0 : 1), stdout);
	fputs(jstr(job, "stderr") + (json_is_string(json_object_get(job,
	    "stderr")) ? 0 : 1), stderr);
	if (strcmp(state, "queued") == 0 || strcmp(state, "running") == 0) {
		cr_warn("job %s is %s: no result yet", id, state);
		rc = CR_CLIENT_FAILED;
	} else if (strcmp(state, "done") != 0) {
		cr_warn("job %s %s: %s", id, state, jstr(job, "error"));
		rc = jint(job, "exit_code") > 0 ? (int)jint(job, "exit_code") :
		    CR_CLIENT_FAILED;
	}
	return rc;
}

int
cr_cmd_logs(int argc, char **argv)
{
	static const char u[] = "logs ID";
	json_t *reply, *job;
	int rc;

	if (want_help(argc, argv, u)) {
		return 0;
	}
	if (argc != 2) {
		return usage(u);
	}
	if ((rc = get_job(argv[1], &reply, &job)) != 0) {
		return rc;
	}
	if (!json_is_string(json_object_get(job, "stdout"))) {
		cr_warn("job %s is %s: its output is kept when it ends",
		    argv[1], jstr(job, "state"));
		json_decref(reply);
		return CR_CLIENT_FAILED;
	}
	printf("==> job %s stdout <==\n%s", argv[1], jstr(job, "stdout"));
	printf("%s==> job %s stderr <==\n%s",
	    *jstr(job, "stdout") != '\0' && jstr(job, "stdout")[strlen(
	    jstr(job, "stdout")) - 1] != '\n' ? "\n" : "", argv[1],
	    jstr(job, "stderr"));
	json_decref(reply);
	return 0;
}

/* ---- cancel, pause, resume, scale, drain --------------------------- */

int
cr_cmd_cancel(int argc, char **argv)
{
	static const char u[] = "cancel ID ...";
	json_t *ids = json_array(), *reply, *unknown, *v;
	size_t i;
	int rc;

	if (want_help(argc, argv, u)) {
		json_decref(ids);
		return 0;
	}
	if (argc < 2) {
		json_decref(ids);
		return usage(u);
	}
	for (int k = 1; k < argc; k++) {
		json_int_t id;

		if (parse_id(argv[k], &id) != 0) {
			json_decref(ids);
			return CR_CLIENT_USAGE;
		}
		json_array_append_new(ids, json_integer(id));
	}
	rc = cr_client_call(json_pack("{s:s, s:o}", "op", "cancel", "ids",
	    ids), CR_CALL_TIMEOUT, &reply);
	if (rc != 0) {
		return rc;
	}
	unknown = json_object_get(reply, "unknown");
	json_array_foreach(unknown, i, v) {
		cr_warn("no job %" JSON_INTEGER_FORMAT, json_integer_value(v));
		rc = CR_CLIENT_FAILED;
	}
	json_decref(reply);
	return rc;
}

static int
pause_resume(int argc, char **argv, const char *op)
{
	json_t *req = json_pack("{s:s}", "op", op), *reply;
	int rc;

	if (argc > 2) {
		json_decref(req);
		fprintf(stderr, "usage: corun [-S URL] %s [GROUP]\n", op);
		return CR_CLIENT_USAGE;
	}
	if (argc == 2) {
		json_object_set_new(req, "group", json_string(argv[1]));
	}
	if ((rc = cr_client_call(req, CR_CALL_TIMEOUT, &reply)) == 0) {
		json_decref(reply);
	}
	return rc;
}

int
cr_cmd_pause(int argc, char **argv)
{
	if (want_help(argc, argv, "pause [GROUP]")) {
		return 0;
	}
	return pause_resume(argc, argv, "pause");
}

int
cr_cmd_resume(int argc, char **argv)
{
	if (want_help(argc, argv, "resume [GROUP]")) {
		return 0;
	}
	return pause_resume(argc, argv, "resume");
}

int
cr_cmd_scale(int argc, char **argv)
{
	static const char u[] = "scale N | +N | -N";
	json_t *req, *reply;
	unsigned long long n;
	const char *s;
	int rc;

	if (want_help(argc, argv, u)) {
		return 0;
	}
	if (argc != 2) {
		return usage(u);
	}
	s = argv[1] + (argv[1][0] == '+' || argv[1][0] == '-' ||
	    argv[1][0] == '=');
	if (cr_parse_uint(s, 1024, &n) != 0) {
		cr_warn("scale: \"%s\" is not N, +N or -N", argv[1]);
		return CR_CLIENT_USAGE;
	}
	if (argv[1][0] == '+' || argv[1][0] == '-') {
		req = json_pack("{s:s, s:I}", "op", "scale", "delta",
		    (json_int_t)(argv[1][0] == '-' ? -(long long)n :
		    (long long)n));
	} else {
		req = json_pack("{s:s, s:I}", "op", "scale", "workers",
		    (json_int_t)n);
	}
	if ((rc = cr_client_call(req, CR_CALL_TIMEOUT, &reply)) != 0) {
		return rc;
	}
	printf("%lld\n", jint(reply, "workers"));
	json_decref(reply);
	return 0;
}

int
cr_cmd_drain(int argc, char **argv)
{
	json_t *reply;
	int rc;

	if (want_help(argc, argv, "drain")) {
		return 0;
	}
	if (argc != 1) {
		return usage("drain");
	}
	rc = cr_client_call(json_pack("{s:s}", "op", "drain"),
	    CR_CALL_TIMEOUT, &reply);
	if (rc == 0) {
		printf("draining: %lld job(s) in flight\n",
		    jint(reply, "in_flight"));
		json_decref(reply);
	}
	return rc;
}

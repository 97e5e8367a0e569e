/* SPDX-License-Identifier: MIT */
/*
 * client-submit.c - corun submit: one job from the command line, or
 * every line of a jobs file, sent to corund; with --wait, the job's
 * result as `corun result` prints it.  Every job is checked here by the
 * job specification (src/common/jobspec.h) as corund checks it, so that a
 * bad one is named (the file, the line and the field) before anything is
 * sent, with the message corun run gives for the same line.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "client-internal.h"
#include "help.h"
#include "common/jobspec.h"

#define CLI_SUBMIT_CHUNK 10000	/* jobs per request from a jobs file */
/*
 * Bytes of job lines per request: a quarter of corund's default
 * max-request (16 MiB), so that a batch of long lines is sent as several
 * requests instead of being refused whole as too_large.  A single line
 * over corund's limit still goes alone and is refused in one line.
 */
#define CLI_SUBMIT_BYTES (4u << 20)

static const char submit_usage[] =
    "submit [--group G] [--priority N] [--timeout S] [--retries N]\n"
    "           [--key K] [--after ID[,ID...]] [--after-any ID[,ID...]]\n"
    "           [--env NAME=VALUE] [--delay SECS | --at TIME]\n"
    "           [--on-done CMD]\n"
    "           [--wait [--json]] command [arg ...] | --jobs-file FILE|-";

/* Send a batch of jobs; print the ids. */
static int
send_batch(json_t *jobs)
{
	json_t *reply, *ids, *v;
	size_t i;
	int rc;

	rc = cli_client_call(json_pack("{s:s, s:o}", "op", "submit", "jobs",
	    jobs), CLI_CALL_TIMEOUT, &reply);
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

/* Check job as corund will: 0, or -1 after a message starting with where. */
static int
check_job(json_t *job, const char *where)
{
	struct cm_jobspec_desc d;
	struct cm_jobspec_err e;
	json_t *spec = json_copy(job);	/* without corund's own fields */
	int rc = 0;

	json_object_del(spec, "not_before");
	json_object_del(spec, "on_done");
	if (cm_jobspec_parse_json(spec, where, CM_JOBSPEC_CORUND, &d, &e) !=
	    0) {
		cli_warn("%s", e.msg);
		rc = -1;
	} else {
		cm_jobspec_desc_free(&d);
	}
	json_decref(spec);
	return rc;
}

/* The options apply to every line of a jobs file; --env to commands. */
static void
add_defaults(json_t *job, json_t *defaults)
{
	const char *k;
	json_t *v;

	json_object_foreach(defaults, k, v) {
		if (strcmp(k, "env") == 0 && json_object_get(job, "cmd") ==
		    NULL && json_object_get(job, "argv") == NULL) {
			continue;
		}
		if (json_object_get(job, k) == NULL) {
			json_object_set(job, k, v);
		}
	}
}

/*
 * One line: a JSON job object, checked as corun run checks it (the same
 * message for the same bad line), or a shell command line; then the
 * options.  NULL after a message.
 */
static json_t *
line_job(const char *path, size_t lineno, const char *line, size_t n,
    json_t *defaults)
{
	struct cm_jobspec_desc d;
	struct cm_jobspec_err e;
	json_t *job;
	char where[512];

	snprintf(where, sizeof(where), "%s:%zu", path, lineno);
	if (line[0] != '{') {
		job = json_pack("{s:[s,s,s]}", "cmd", "/bin/sh", "-c", line);
	} else if (cm_jobspec_parse_line(line, n, where, CM_JOBSPEC_CORUND,
	    &d, &e) != 0) {
		cli_warn("%s", e.msg);
		return NULL;
	} else {
		cm_jobspec_desc_free(&d);
		job = json_loadb(line, n, JSON_REJECT_DUPLICATES |
		    JSON_ALLOW_NUL, NULL);
	}
	if (job == NULL) {
		cli_warn("out of memory");
		return NULL;
	}
	add_defaults(job, defaults);
	if (check_job(job, where) != 0) {
		json_decref(job);
		return NULL;
	}
	return job;
}

/* Each line a job; sent in batches of CLI_SUBMIT_CHUNK jobs or
 * CLI_SUBMIT_BYTES bytes of lines, whichever comes first. */
static int
submit_file(const char *path, json_t *defaults)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	json_t *jobs = json_array();
	char *line = NULL;
	size_t cap = 0, lineno = 0, bytes = 0;
	ssize_t n;
	int rc = 0;

	if (f == NULL) {
		cli_warn("%s: cannot open", path);
		json_decref(jobs);
		return CLI_CLIENT_FAILED;
	}
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		json_t *job;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
			line[--n] = '\0';
		}
		if (n == 0) {
			continue;
		}
		if ((job = line_job(path, lineno, line, (size_t)n,
		    defaults)) == NULL) {
			rc = CLI_CLIENT_FAILED;
			break;
		}
		if (json_array_size(jobs) > 0 &&
		    bytes + (size_t)n > CLI_SUBMIT_BYTES) {
			rc = send_batch(jobs);
			jobs = json_array();
			bytes = 0;
		}
		json_array_append_new(jobs, job);
		bytes += (size_t)n;
		if (rc == 0 && json_array_size(jobs) == CLI_SUBMIT_CHUNK) {
			rc = send_batch(jobs);
			jobs = json_array();
			bytes = 0;
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

/* ---- the options -------------------------------------------------- */

/* The request being built from the options. */
struct submit_req {
	json_t *job, *env, *after, *after_any;
	const char *file;	/* --jobs-file */
	int wait, as_json;
};

struct submit_opt;

/*
 * Apply one option (its argument is optarg, or NULL) to q: SUBMIT_NEXT
 * to go on, or the exit status of the command.
 */
typedef int submit_opt_fn(struct submit_req *q, const struct submit_opt *op,
    char *arg);

#define SUBMIT_NEXT (-1)

struct submit_opt {
	const char *name;
	int has_arg;
	int val;		/* getopt's answer for it */
	submit_opt_fn *fn;
};

/* --group, --key, --on-done: a string of the job's under the option's
   name (on_done for --on-done). */
static int
opt_string(struct submit_req *q, const struct submit_opt *op, char *arg)
{
	json_object_set_new(q->job, op->val == 'O' ? "on_done" : op->name,
	    json_string(arg));
	return SUBMIT_NEXT;
}

static int
opt_priority(struct submit_req *q, const struct submit_opt *op, char *arg)
{
	char *end;
	long p = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0') {
		cli_warn("--priority: \"%s\" is not an integer", arg);
		return CLI_CLIENT_USAGE;
	}
	json_object_set_new(q->job, "priority", json_integer(p));
	return SUBMIT_NEXT;
}

static int
opt_timeout(struct submit_req *q, const struct submit_opt *op, char *arg)
{
	double x;

	if (cli_parse_double(arg, &x) != 0 || x < 0) {
		cli_warn("--timeout: \"%s\" is not seconds", arg);
		return CLI_CLIENT_USAGE;
	}
	json_object_set_new(q->job, "timeout", json_real(x));
	return SUBMIT_NEXT;
}

/* --delay SECS, --at TIME: corund's "not_before". */
static int
opt_when(struct submit_req *q, const struct submit_opt *op, char *arg)
{
	double x;

	if (op->val == 'D' ? cli_parse_double(arg, &x) != 0 || !(x >= 0) ||
	    x > 4e6 : cli_client_parse_at(arg, &x) != 0) {
		cli_warn(op->val == 'D' ? "--delay: \"%s\" is not seconds "
		    "(0..4000000)" : "--at: \"%s\" is not HH:MM[:SS], "
		    "YYYY-MM-DD [HH:MM[:SS]] or @SECONDS", arg);
		return CLI_CLIENT_USAGE;
	}
	json_object_set_new(q->job, "not_before", json_real(op->val == 'D' ?
	    cli_client_after_secs(x) : x));
	return SUBMIT_NEXT;
}

static int
opt_retries(struct submit_req *q, const struct submit_opt *op, char *arg)
{
	unsigned long long u;

	if (cli_parse_uint(arg, 1000, &u) != 0) {
		cli_warn("--retries: \"%s\" is not 0..1000", arg);
		return CLI_CLIENT_USAGE;
	}
	json_object_set_new(q->job, "retries", json_integer((json_int_t)u));
	return SUBMIT_NEXT;
}

/*
 * --after ID[,ID...] (each must succeed) and --after-any (each must end),
 * given any number of times.
 */
static int
opt_after(struct submit_req *q, const struct submit_opt *op, char *arg)
{
	char *s = strdup(arg), *tok, *save = NULL;
	json_t **list = op->val == 'A' ? &q->after_any : &q->after;

	*list = *list != NULL ? *list : json_array();
	for (tok = strtok_r(s, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		json_int_t id;

		if (cli_client_parse_id(tok, &id) != 0) {
			free(s);
			return CLI_CLIENT_USAGE;
		}
		json_array_append_new(*list, json_integer(id));
	}
	free(s);
	return SUBMIT_NEXT;
}

static int
opt_env(struct submit_req *q, const struct submit_opt *op, char *arg)
{
	char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg) {
		cli_warn("--env: \"%s\" is not NAME=VALUE", arg);
		return CLI_CLIENT_USAGE;
	}
	*eq = '\0';
	json_object_set_new(q->env, arg, json_string(eq + 1));
	*eq = '=';
	return SUBMIT_NEXT;
}

/* --jobs-file, --wait, --json: how the jobs go and come back. */
static int
opt_mode(struct submit_req *q, const struct submit_opt *op, char *arg)
{
	if (op->val == 'f') {
		q->file = arg;
	} else if (op->val == 'W') {
		q->wait = 1;
	} else {
		q->as_json = 1;
	}
	return SUBMIT_NEXT;
}

static int
opt_help(struct submit_req *q, const struct submit_opt *op, char *arg)
{
	cli_help_client(stdout, "submit", submit_usage);
	return 0;
}

static const struct submit_opt submit_opts[] = {
	{ "group", required_argument, 'g', opt_string },
	{ "priority", required_argument, 'p', opt_priority },
	{ "timeout", required_argument, 't', opt_timeout },
	{ "retries", required_argument, 'r', opt_retries },
	{ "key", required_argument, 'k', opt_string },
	{ "after", required_argument, 'a', opt_after },
	{ "after-any", required_argument, 'A', opt_after },
	{ "env", required_argument, 'e', opt_env },
	{ "delay", required_argument, 'D', opt_when },
	{ "at", required_argument, 'T', opt_when },
	{ "on-done", required_argument, 'O', opt_string },
	{ "jobs-file", required_argument, 'f', opt_mode },
	{ "wait", no_argument, 'W', opt_mode },
	{ "json", no_argument, 'J', opt_mode },
	{ "help", no_argument, 'h', opt_help },
};

#define NSUBMIT_OPTS (sizeof(submit_opts) / sizeof(submit_opts[0]))

/* Every option into q: SUBMIT_NEXT, or the exit status. */
static int
parse_submit(int argc, char **argv, struct submit_req *q)
{
	struct option lo[NSUBMIT_OPTS + 1];
	size_t k;
	int opt, rc;

	memset(lo, 0, sizeof(lo));
	for (k = 0; k < NSUBMIT_OPTS; k++) {
		lo[k].name = submit_opts[k].name;
		lo[k].has_arg = submit_opts[k].has_arg;
		lo[k].val = submit_opts[k].val;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+g:p:t:r:k:a:e:f:h", lo,
	    NULL)) != -1) {
		for (k = 0; k < NSUBMIT_OPTS && submit_opts[k].val != opt;
		    k++) {
		}
		if (k == NSUBMIT_OPTS) {
			return cli_client_usage(submit_usage);
		}
		rc = submit_opts[k].fn(q, &submit_opts[k], optarg);
		if (rc != SUBMIT_NEXT) {
			return rc;
		}
	}
	return SUBMIT_NEXT;
}

/* ---- sending ------------------------------------------------------- */

/* --wait: one request, the reply comes with the result. */
static int
submit_wait(json_t *job, int as_json)
{
	json_t *reply;
	char id[32];
	int rc;

	json_object_set_new(job, "wait", json_true());
	if ((rc = cli_client_call(job, -1, &reply)) != 0) {
		return rc;
	}
	snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT,
	    json_integer_value(json_object_get(reply, "id")));
	if (json_is_string(json_object_get(reply, "stopping"))) {
		cli_warn("job %s: %s", id, json_string_value(
		    json_object_get(reply, "stopping")));
	}
	rc = cli_client_print_result(json_object_get(reply, "job"), id,
	    as_json);
	json_decref(reply);
	return rc;
}

/* The command words argv[first..] as one job. */
static int
submit_command(json_t *job, int argc, char **argv, int first, int wait,
    int as_json)
{
	json_t *reply, *cmd = json_array();
	int rc;

	for (int i = first; i < argc; i++) {
		json_array_append_new(cmd, json_string(argv[i]));
	}
	json_object_set_new(job, "cmd", cmd);
	/* Named as corund names a lone job ("job: cmd[0] ..."). */
	if (check_job(job, "job") != 0) {
		json_decref(job);
		return CLI_CLIENT_FAILED;
	}
	json_object_set_new(job, "op", json_string("submit"));
	if (wait) {
		return submit_wait(job, as_json);
	}
	if ((rc = cli_client_call(job, CLI_CALL_TIMEOUT, &reply)) != 0) {
		return rc;
	}
	printf("%" JSON_INTEGER_FORMAT "\n",
	    json_integer_value(json_object_get(reply, "id")));
	json_decref(reply);
	return 0;
}

int
cli_cmd_submit(int argc, char **argv)
{
	struct submit_req q;
	int rc;

	memset(&q, 0, sizeof(q));
	q.job = json_object();
	q.env = json_object();
	if ((rc = parse_submit(argc, argv, &q)) != SUBMIT_NEXT) {
		json_decref(q.job);
		json_decref(q.env);
		json_decref(q.after);
		json_decref(q.after_any);
		return rc;
	}
	if (q.after != NULL) {
		json_object_set_new(q.job, "after", q.after);
	}
	if (q.after_any != NULL) {
		json_object_set_new(q.job, "after_any", q.after_any);
	}
	if (json_object_size(q.env) > 0) {
		json_object_set(q.job, "env", q.env);
	}
	json_decref(q.env);
	if (q.file != NULL || (q.as_json && !q.wait)) {
		if (optind < argc || q.wait || q.as_json) {
			json_decref(q.job);
			return cli_client_usage(submit_usage);
		}
		rc = submit_file(q.file, q.job);
		json_decref(q.job);
		return rc;
	}
	if (optind >= argc) {
		json_decref(q.job);
		return cli_client_usage(submit_usage);
	}
	return submit_command(q.job, argc, argv, optind, q.wait, q.as_json);
}

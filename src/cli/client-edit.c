/* SPDX-License-Identifier: MIT */
/*
 * client-edit.c - corun edit ID (a queued job's command, environment or
 * priority) and corun restart [--edit] ID... (finished jobs run again as
 * new jobs, one of them edited): the edit and restart requests of
 * corund.
 *
 * With no change on the command line, edit opens $VISUAL or $EDITOR
 * (else vi) on a temporary file holding the job's command as one shell
 * line; the saved text, its trailing newlines taken off, becomes the
 * command.  An empty or unchanged file changes nothing, and neither does
 * an editor that exits with a failure.  corund checks the job's state
 * again when the edit arrives, so a job that started meanwhile is
 * refused.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "client-internal.h"
#include "common/buf.h"
#include "common/shquote.h"
#include "help.h"

extern char **environ;

static const char edit_usage[] = "edit ID [--command CMD] [--priority N] "
    "[--env NAME=VALUE]... [--unset-env NAME]...";
static const char restart_usage[] = "restart [--edit | --command CMD] "
    "[--priority N] [--env NAME=VALUE]... [--unset-env NAME]... ID ...";

/* A client command's "go on" from an option handler. */
#define EDIT_NEXT (-1)

/* What the command line asks. */
struct edit_args {
	json_t *req;		/* the request, with the change fields */
	int editor;		/* open the editor on the command */
	int changes;		/* change options given */
	json_t *ids;		/* the job ids */
};

static int
opt_env(struct edit_args *a, const char *arg)
{
	const char *eq = strchr(arg, '=');
	json_t *env = json_object_get(a->req, "env");
	char *name;

	if (eq == NULL || eq == arg) {
		cli_warn("--env: \"%s\" is not NAME=VALUE", arg);
		return CLI_CLIENT_USAGE;
	}
	if (env == NULL) {
		env = json_object();
		json_object_set_new(a->req, "env", env);
	}
	if ((name = strndup(arg, (size_t)(eq - arg))) == NULL) {
		cli_warn("out of memory");
		return CLI_CLIENT_FAILED;
	}
	json_object_set_new(env, name, json_string(eq + 1));
	free(name);
	return EDIT_NEXT;
}

static int
opt_unset(struct edit_args *a, const char *arg)
{
	json_t *u = json_object_get(a->req, "unset_env");

	if (*arg == '\0' || strchr(arg, '=') != NULL) {
		cli_warn("--unset-env: \"%s\" is not a NAME", arg);
		return CLI_CLIENT_USAGE;
	}
	if (u == NULL) {
		u = json_array();
		json_object_set_new(a->req, "unset_env", u);
	}
	json_array_append_new(u, json_string(arg));
	return EDIT_NEXT;
}

static int
opt_priority(struct edit_args *a, const char *arg)
{
	char *end;
	long p;

	errno = 0;
	p = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || errno != 0 || p < -1000000 ||
	    p > 1000000) {
		cli_warn("--priority: \"%s\" is not an integer in "
		    "-1000000..1000000", arg);
		return CLI_CLIENT_USAGE;
	}
	json_object_set_new(a->req, "priority", json_integer(p));
	return EDIT_NEXT;
}

/* One option (its getopt value) into a: EDIT_NEXT, or the exit status. */
static int
one_opt(struct edit_args *a, int opt, const char *usage, int restart)
{
	a->changes += opt != 'E' && opt != 'h';
	switch (opt) {
	case 'c':
		if (strlen(optarg) == 0) {
			cli_warn("--command: the command is empty");
			return CLI_CLIENT_USAGE;
		}
		json_object_set_new(a->req, "cmd", json_string(optarg));
		return EDIT_NEXT;
	case 'p':
		return opt_priority(a, optarg);
	case 'e':
		return opt_env(a, optarg);
	case 'u':
		return opt_unset(a, optarg);
	case 'E':
		if (!restart) {
			cli_warn("edit: --edit is restart's (edit opens the "
			    "editor when given no change)");
			return cli_client_usage(usage);
		}
		a->editor = 1;
		return EDIT_NEXT;
	case 'h':
		cli_help_client(stdout, restart ? "restart" : "edit", usage);
		return 0;
	default:
		return cli_client_usage(usage);
	}
}

/* The options and ids of edit (restart 0) or restart: EDIT_NEXT, or the
   exit status. */
static int
parse_args(int argc, char **argv, int restart, struct edit_args *a)
{
	static const struct option lo[] = {
		{ "command", required_argument, NULL, 'c' },
		{ "priority", required_argument, NULL, 'p' },
		{ "env", required_argument, NULL, 'e' },
		{ "unset-env", required_argument, NULL, 'u' },
		{ "edit", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *usage = restart ? restart_usage : edit_usage;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if ((rc = one_opt(a, opt, usage, restart)) != EDIT_NEXT) {
			return rc;
		}
	}
	if (a->editor && json_object_get(a->req, "cmd") != NULL) {
		cli_warn("%s: --edit and --command both give the command",
		    restart ? "restart" : "edit");
		return cli_client_usage(usage);
	}
	for (int k = optind; k < argc; k++) {
		json_int_t id;

		if (cli_client_parse_id(argv[k], &id) != 0) {
			return CLI_CLIENT_USAGE;
		}
		json_array_append_new(a->ids, json_integer(id));
	}
	if (json_array_size(a->ids) == 0 || (json_array_size(a->ids) > 1 &&
	    (!restart || a->changes > 0 || a->editor))) {
		if (json_array_size(a->ids) > 1) {
			cli_warn("%s takes one job id%s",
			    restart ? "an edited restart" : "edit",
			    restart ? "" : " at a time");
		}
		return cli_client_usage(usage);
	}
	if (!restart && a->changes == 0) {
		a->editor = 1;
	}
	return EDIT_NEXT;
}

/* ---- the editor ---------------------------------------------------- */

/*
 * The job's command as one shell line (malloc'ed), checking its state
 * first (queued for edit, ended for restart): NULL, with why printed.
 */
static char *
job_command(json_int_t id, int restart)
{
	json_t *reply, *job, *cmd, *w;
	struct cm_buf b = { 0 };
	const char *state;
	size_t i;

	if (cli_client_call(json_pack("{s:s, s:I}", "op", "result", "id", id),
	    CLI_CALL_TIMEOUT, &reply) != 0) {
		return NULL;
	}
	job = json_object_get(reply, "job");
	state = cli_client_jstr(job, "state");
	cmd = json_object_get(job, "cmd");
	if (!restart && strcmp(state, "queued") != 0) {
		cli_warn("job %" JSON_INTEGER_FORMAT " is %s: only a queued job "
		    "can be edited%s", id, state, strcmp(state, "running") != 0 ?
		    " (corun restart --edit runs it again, edited)" : "");
	} else if (restart && (strcmp(state, "queued") == 0 ||
	    strcmp(state, "running") == 0)) {
		cli_warn("job %" JSON_INTEGER_FORMAT " has not ended (cancel it "
		    "first)", id);
	} else if (!json_is_array(cmd) || json_array_size(cmd) == 0) {
		cli_warn("job %" JSON_INTEGER_FORMAT " is a %s job: it has no "
		    "command to edit", id, cli_client_jstr(job, "kind"));
	} else if (json_array_size(cmd) == 1) {
		cm_buf_adds(&b, json_string_value(json_array_get(cmd, 0)));
	} else {
		json_array_foreach(cmd, i, w) {
			if (i > 0) {
				cm_buf_addc(&b, ' ');
			}
			cm_shquote(&b, json_string_value(w));
		}
	}
	json_decref(reply);
	if (b.p == NULL && b.oom) {
		cli_warn("out of memory");
	}
	return b.p;
}

/* Run the editor on path: 0 when it exited with 0, else -1 (said). */
static int
run_editor(const char *path)
{
	const char *ed = getenv("VISUAL");
	char *script;
	pid_t pid;
	int st, rc;

	if (ed == NULL || *ed == '\0') {
		ed = getenv("EDITOR");
	}
	if (ed == NULL || *ed == '\0') {
		ed = "vi";
	}
	/* Through sh, so that EDITOR="code --wait" works as in git. */
	if (asprintf(&script, "%s \"$1\"", ed) < 0) {
		cli_warn("out of memory");
		return -1;
	}
	{
		char *const argv[] = { "sh", "-c", script, "sh", (char *)path,
		    NULL };

		rc = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
	}
	free(script);
	if (rc != 0) {
		cli_warn("edit: cannot run /bin/sh for the editor: %s",
		    strerror(rc));
		return -1;
	}
	while ((rc = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {
	}
	if (rc < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		cli_warn("edit: the editor (%s) %s %d: nothing changed", ed,
		    rc >= 0 && WIFSIGNALED(st) ? "was killed by signal" :
		    "exited with status", rc < 0 ? -1 : WIFSIGNALED(st) ?
		    WTERMSIG(st) : WEXITSTATUS(st));
		return -1;
	}
	return 0;
}

/* The file's text, its trailing newlines taken off: malloc'ed, or NULL
   (said). */
static char *
read_back(const char *path)
{
	struct cm_buf b = { 0 };
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		cli_warn("edit: %s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		cm_buf_add(&b, chunk, n);
	}
	fclose(f);
	if (cm_buf_addc(&b, '\0') != 0) {
		cli_warn("out of memory");
		cm_buf_free(&b);
		return NULL;
	}
	if (strlen(b.p) != b.len - 1) {
		cli_warn("edit: %s: the command holds a NUL byte", path);
		cm_buf_free(&b);
		return NULL;
	}
	while (b.len > 1 && (b.p[b.len - 2] == '\n' || b.p[b.len - 2] == '\r')) {
		b.p[--b.len - 1] = '\0';
	}
	return b.p;
}

/*
 * Edit job id's command in the editor; a new one goes into req's "cmd".
 * 0 (changed or not), or -1 (said).
 */
static int
edit_in_editor(json_int_t id, int restart, json_t *req)
{
	char path[4096], *old, *text = NULL;
	const char *tmp = getenv("TMPDIR");
	int fd, rc = -1;
	FILE *f;

	if ((old = job_command(id, restart)) == NULL) {
		return -1;
	}
	snprintf(path, sizeof(path), "%s/corun-edit-%" JSON_INTEGER_FORMAT
	    "-XXXXXX.sh", tmp != NULL && *tmp != '\0' ? tmp : "/tmp", id);
	if ((fd = mkstemps(path, 3)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		cli_warn("edit: a temporary file in %s: %s", tmp != NULL &&
		    *tmp != '\0' ? tmp : "/tmp", strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		free(old);
		return -1;
	}
	if (fprintf(f, "%s\n", old) < 0 || fclose(f) != 0) {
		cli_warn("edit: %s: %s", path, strerror(errno));
	} else if (run_editor(path) == 0 && (text = read_back(path)) != NULL) {
		rc = 0;
		if (*text == '\0' || strcmp(text, old) == 0) {
			fprintf(stderr, "edit: command unchanged\n");
		} else {
			json_object_set_new(req, "cmd", json_string(text));
		}
	}
	unlink(path);
	free(text);
	free(old);
	return rc;
}

/* ---- the commands -------------------------------------------------- */

static int
run_cmd(int argc, char **argv, int restart)
{
	struct edit_args a = { json_object(), 0, 0, json_array() };
	json_t *reply, *v;
	json_int_t id0;
	size_t i;
	int rc = parse_args(argc, argv, restart, &a);

	id0 = json_integer_value(json_array_get(a.ids, 0));
	if (rc == EDIT_NEXT && a.editor &&
	    edit_in_editor(id0, restart, a.req) != 0) {
		rc = CLI_CLIENT_FAILED;
	}
	if (rc != EDIT_NEXT || (!restart && json_object_size(a.req) == 0)) {
		/* the editor changed nothing: neither do we */
		json_decref(a.req);
		json_decref(a.ids);
		return rc == EDIT_NEXT ? 0 : rc;
	}
	json_object_set_new(a.req, "op", json_string(restart ? "restart" :
	    "edit"));
	json_object_set_new(a.req, restart ? "ids" : "id", restart ? a.ids :
	    json_integer(id0));
	if (!restart) {
		json_decref(a.ids);
	}
	if ((rc = cli_client_call(a.req, CLI_CALL_TIMEOUT, &reply)) != 0) {
		return rc;
	}
	if (!restart && json_is_false(json_object_get(reply, "changed"))) {
		fprintf(stderr, "edit: job %" JSON_INTEGER_FORMAT " unchanged\n",
		    id0);
	}
	json_array_foreach(restart ? json_object_get(reply, "ids") : NULL, i,
	    v) {
		printf("%" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
	}
	json_decref(reply);
	return 0;
}

int
cli_cmd_edit(int argc, char **argv)
{
	return run_cmd(argc, argv, 0);
}

int
cli_cmd_restart(int argc, char **argv)
{
	return run_cmd(argc, argv, 1);
}

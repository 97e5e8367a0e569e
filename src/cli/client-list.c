/* SPDX-License-Identifier: MIT */
/*
 * client-list.c - corun list (ls): the jobs as a table (id, state,
 * group, priority, exit, started, runtime, command, cut to the
 * terminal's width) or as a JSON array, page by page from corund's list
 * operation, so a queue of any length is shown in bounded memory.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "client-internal.h"

#define LIST_PAGE 500

static const char list_usage[] =
    "list|ls [--state S[,S...]] [--group G] [--last N] [--json]";

struct list_opts {
	json_t *req;		/* the request's filters */
	unsigned long long last;	/* 0: all */
	int as_json;
	int width;		/* cut lines to it; 0: never */
	int headed;		/* the header is out */
};

/* The terminal's width, $COLUMNS, or 0 (not a terminal: no cut). */
static int
term_width(void)
{
	struct winsize ws;
	const char *c = getenv("COLUMNS");

	if (c != NULL && atoi(c) > 0) {
		return atoi(c);
	}
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ,
	    &ws) == 0 && ws.ws_col > 0) {
		return ws.ws_col;
	}
	return 0;
}

/* The command: a shell job's words, or its kind. */
static void
job_command(json_t *job, char *buf, size_t size)
{
	json_t *cmd = json_object_get(job, "cmd"), *w;
	size_t i, len = 0;

	buf[0] = '\0';
	if (!json_is_array(cmd)) {
		snprintf(buf, size, "[%s]", cli_client_jstr(job, "kind"));
		return;
	}
	json_array_foreach(cmd, i, w) {
		int n = snprintf(buf + len, size - len, "%s%s", i ? " " : "",
		    json_string_value(w) != NULL ? json_string_value(w) : "");

		if (n < 0 || (size_t)n >= size - len) {
			break;
		}
		len += (size_t)n;
	}
}

/* "12:03:04" (local), or "-". */
static void
clock_time(json_t *t, char *buf, size_t size)
{
	time_t s;
	struct tm tm;

	if (!json_is_number(t)) {
		snprintf(buf, size, "-");
		return;
	}
	s = (time_t)json_number_value(t);
	localtime_r(&s, &tm);
	strftime(buf, size, "%H:%M:%S", &tm);
}

/* Seconds it ran (or has run), or "-". */
static void
runtime(json_t *job, char *buf, size_t size)
{
	json_t *st = json_object_get(job, "started");
	json_t *en = json_object_get(job, "ended");
	struct timespec now;
	double end;

	if (!json_is_number(st)) {
		snprintf(buf, size, "-");
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	end = json_is_number(en) ? json_number_value(en) :
	    (double)now.tv_sec + now.tv_nsec / 1e9;
	snprintf(buf, size, "%.1fs", end - json_number_value(st));
}

static void
print_row(const struct list_opts *o, json_t *job)
{
	char line[4096], cmd[2048], started[32], ran[32], ex[16];
	json_t *e = json_object_get(job, "exit_code");
	int n;

	job_command(job, cmd, sizeof(cmd));
	clock_time(json_object_get(job, "started"), started, sizeof(started));
	runtime(job, ran, sizeof(ran));
	snprintf(ex, sizeof(ex), json_is_integer(e) ? "%lld" : "-",
	    (long long)json_integer_value(e));
	n = snprintf(line, sizeof(line), "%-7lld %-9s %-10s %4lld %4s %8s "
	    "%8s  %s", cli_client_jint(job, "id"),
	    cli_client_jstr(job, "state"),
	    *cli_client_jstr(job, "group") ? cli_client_jstr(job, "group") :
	    "default", cli_client_jint(job, "priority"), ex, started, ran, cmd);
	if (o->width > 0 && n > o->width) {
		line[o->width] = '\0';
	}
	puts(line);
}

static void
print_header(struct list_opts *o)
{
	char line[128];

	if (!o->as_json && !o->headed++) {
		snprintf(line, sizeof(line), "%-7s %-9s %-10s %4s %4s %8s %8s  "
		    "%s", "ID", "STATE", "GROUP", "PRI", "EXIT", "STARTED",
		    "RUNTIME", "COMMAND");
		if (o->width > 0 && o->width < (int)sizeof(line)) {
			line[o->width] = '\0';
		}
		puts(line);
	}
}

/* One job out, as a row or as an element of the JSON array. */
static void
emit(const struct list_opts *o, json_t *job, size_t *shown)
{
	if (o->as_json) {
		char *s = json_dumps(job, JSON_COMPACT);

		printf("%s\n  %s", *shown ? "," : "[", s != NULL ? s : "null");
		free(s);
	} else {
		print_row(o, job);
	}
	(*shown)++;
}

/* One page from cursor; its jobs in *jobs, the next cursor in *next. */
static int
fetch(struct list_opts *o, json_int_t cursor, int newest_first,
    size_t limit, json_t **reply, json_int_t *next)
{
	json_t *req = json_deep_copy(o->req);
	int rc;

	json_object_set_new(req, "after", json_integer(cursor));
	json_object_set_new(req, "limit", json_integer((json_int_t)limit));
	if (newest_first) {
		json_object_set_new(req, "newest_first", json_true());
	}
	if ((rc = cli_client_call(req, CLI_CALL_TIMEOUT, reply)) != 0) {
		return rc;
	}
	*next = json_integer_value(json_object_get(*reply, "next"));
	print_header(o);	/* after the first answer, not before an error */
	return 0;
}

/* Every page, oldest first, each printed as it comes. */
static int
list_all(struct list_opts *o, size_t *shown)
{
	json_int_t cursor = 0;
	json_t *reply, *job;
	size_t i;
	int rc;

	do {
		if ((rc = fetch(o, cursor, 0, LIST_PAGE, &reply,
		    &cursor)) != 0) {
			return rc;
		}
		json_array_foreach(json_object_get(reply, "jobs"), i, job) {
			emit(o, job, shown);
		}
		json_decref(reply);
	} while (cursor != 0);
	return 0;
}

/* The newest o->last, newest first from corund, shown oldest first. */
static int
list_last(struct list_opts *o, size_t *shown)
{
	json_t *all = json_array(), *reply;
	json_int_t cursor = 0;
	size_t i;
	int rc = 0;

	do {
		size_t want = o->last - json_array_size(all);

		if ((rc = fetch(o, cursor, 1, want < LIST_PAGE ? want :
		    LIST_PAGE, &reply, &cursor)) != 0) {
			break;
		}
		json_array_extend(all, json_object_get(reply, "jobs"));
		json_decref(reply);
	} while (cursor != 0 && json_array_size(all) < o->last);
	for (i = json_array_size(all); rc == 0 && i > 0; i--) {
		emit(o, json_array_get(all, i - 1), shown);
	}
	json_decref(all);
	return rc;
}

/* --state, --group, --last, --json into o; -1 after a message. */
static int
list_parse(int argc, char **argv, struct list_opts *o)
{
	static const struct option lo[] = {
		{ "state", required_argument, NULL, 's' },
		{ "group", required_argument, NULL, 'g' },
		{ "last", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		char *s, *tok, *save = NULL;
		json_t *states;

		switch (c) {
		case 's':
			states = json_array();
			s = strdup(optarg);
			for (tok = strtok_r(s, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save)) {
				json_array_append_new(states, json_string(tok));
			}
			free(s);
			json_object_set_new(o->req, "state", states);
			break;
		case 'g':
			json_object_set_new(o->req, "group",
			    json_string(optarg));
			break;
		case 'n':
			if (cli_parse_uint(optarg, 100000000, &o->last) != 0 ||
			    o->last == 0) {
				cli_warn("--last: \"%s\" is not a count of jobs",
				    optarg);
				return -1;
			}
			break;
		case 'J':
			o->as_json = 1;
			break;
		default:
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

int
cli_cmd_list(int argc, char **argv)
{
	struct list_opts o;
	size_t shown = 0;
	int rc;

	if (cli_client_want_help(argc, argv, list_usage)) {
		return 0;
	}
	memset(&o, 0, sizeof(o));
	o.req = json_pack("{s:s}", "op", "list");
	if (list_parse(argc, argv, &o) != 0) {
		json_decref(o.req);
		return cli_client_usage(list_usage);
	}
	o.width = term_width();
	rc = o.last > 0 ? list_last(&o, &shown) : list_all(&o, &shown);
	if (o.as_json && rc == 0) {
		printf("%s]\n", shown ? "\n" : "[");
	}
	json_decref(o.req);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * options.c - corund's command line: a table of options, most of which
 * set a corund.conf key (kept, and applied over the file each time the
 * settings are built: at start and on SIGHUP); the others are handled
 * one function each.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

static void usage(FILE *f);

static const char usage_text[] =
    "usage: corund [--foreground] [--config FILE] [--state-dir DIR]\n"
    "              [--socket URL] [--workers N] [--model M]\n"
    "              [--pidfile FILE] [--user USER] [--log stderr|syslog|FILE]\n"
    "              [--heartbeat-timeout S] [--graceful-timeout S]\n"
    "              [--max-jobs-per-worker N] [--window N]\n"
    "              [--listen URL] [--token-file FILE] [--recover]\n"
    "              [--log-level error|warn|info|debug]\n"
    "              [--on-done COMMAND]\n"
    "              [--http HOST:PORT] [--http-token-file FILE]\n"
    "       corund -h | --help | --version\n";

/* ---- settings: file, then command line ----------------------------- */

struct override {
	const char *key, *value;
};

static struct override overrides[64];
static size_t noverrides;

int
cd_options_conf(struct cd_conf *c, const char *path, char *why, size_t whysize)
{
	char sub[512];

	cd_conf_init(c);
	if (path != NULL && cd_conf_load(c, path, why, whysize) != 0) {
		cd_conf_free(c);
		return -1;
	}
	for (size_t i = 0; i < noverrides; i++) {
		if (cd_conf_set(c, overrides[i].key, overrides[i].value, sub,
		    sizeof(sub)) != 0) {
			snprintf(why, whysize, "--%s", sub);
			cd_conf_free(c);
			return -2;
		}
	}
	return 0;
}

/* ---- the options -------------------------------------------------- */

/* An option, and the setting it gives a value to (NULL: not a setting). */
struct opt {
	const char *name;
	int has_arg;
	int val;
	const char *key;
};

static const struct opt opts[] = {
	{ "foreground", no_argument, 'f', NULL },
	{ "config", required_argument, 'c', NULL },
	{ "state-dir", required_argument, 'd', "state-dir" },
	{ "socket", required_argument, 'S', "socket" },
	{ "workers", required_argument, 'w', "workers" },
	{ "model", required_argument, 'm', "model" },
	{ "pidfile", required_argument, 'p', "pidfile" },
	{ "user", required_argument, 'u', "user" },
	{ "log", required_argument, 'l', "log" },
	{ "heartbeat-timeout", required_argument, 1, "heartbeat-timeout" },
	{ "graceful-timeout", required_argument, 2, "graceful-timeout" },
	{ "max-jobs-per-worker", required_argument, 3,
	    "max-jobs-per-worker" },
	{ "window", required_argument, 4, "window" },
	{ "listen", required_argument, 5, "listen" },
	{ "token-file", required_argument, 6, "token-file" },
	{ "recover", no_argument, 7, NULL },
	{ "on-done", required_argument, 18, "on-done" },
	{ "http", required_argument, 19, "http" },
	{ "http-token-file", required_argument, 20, "http-token-file" },
	{ "help", no_argument, 'h', NULL },
	{ "version", no_argument, 'V', NULL },
	{ "log-level", required_argument, 8, "log-level" },
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/* A setting's option: keep its value for cd_options_conf(). */
static void
keep_setting(int val)
{
	for (size_t i = 0; i < NOPTS; i++) {
		if (opts[i].val == val && opts[i].key != NULL) {
			if (noverrides < 64) {
				overrides[noverrides].key = opts[i].key;
				overrides[noverrides++].value = optarg;
			}
			return;
		}
	}
}

static int
is_setting(int val)
{
	for (size_t i = 0; i < NOPTS; i++) {
		if (opts[i].val == val) {
			return opts[i].key != NULL;
		}
	}
	return 0;
}

/* The options that are not settings; 1 to go on, else exit with *rc. */
static int
other_option(int opt, struct cd_options *o, int *rc)
{
	switch (opt) {
	case 'f':
		o->foreground = 1;
		return 1;
	case 7:
		o->recover = 1;
		return 1;
	case 'c':
		if ((o->conf_path = realpath(optarg, NULL)) == NULL) {
			fprintf(stderr, "%s: %s: %s\n", CD_PROG, optarg,
			    strerror(errno));
			*rc = 1;
			return 0;
		}
		return 1;
	case 'h':
		usage(stdout);
		/* Where the settings come from without --config. */
		printf("\nWithout --config: %s when it exists, else the "
		    "built-in defaults.\nUnder systemd: the store in "
		    "$STATE_DIRECTORY, the socket in $RUNTIME_DIRECTORY.\n",
		    cd_conf_default_path());
		*rc = 0;
		return 0;
	case 'V':
		printf("%s %s\n", CD_PROG, PACKAGE_VERSION);
		*rc = 0;
		return 0;
	default:
		fputs(usage_text, stderr);
		fprintf(stderr, "Try `%s --help'.\n", CD_PROG);
		*rc = CD_EXIT_USAGE;
		return 0;
	}
}

int
cd_options_parse(int argc, char **argv, struct cd_options *o, int *rc)
{
	struct option longopts[NOPTS + 1];
	int opt;

	memset(longopts, 0, sizeof(longopts));
	for (size_t i = 0; i < NOPTS; i++) {
		longopts[i].name = opts[i].name;
		longopts[i].has_arg = opts[i].has_arg;
		longopts[i].val = opts[i].val;
	}
	while ((opt = getopt_long(argc, argv, "fc:d:S:w:m:p:u:l:h", longopts,
	    NULL)) != -1) {
		if (is_setting(opt)) {
			keep_setting(opt);
		} else if (!other_option(opt, o, rc)) {
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", CD_PROG,
		    argv[optind]);
		fputs(usage_text, stderr);
		*rc = CD_EXIT_USAGE;
		return -1;
	}
	return 0;
}

/* The synopsis, then each option of the table with its line. */
static void
usage(FILE *f)
{
	const char *arg, *text;
	char left[64];

	fputs(usage_text, f);
	fputs("\noptions:\n", f);
	for (size_t i = 0; i < NOPTS; i++) {
		cd_option_doc(opts[i].name, &arg, &text);
		snprintf(left, sizeof(left), "    --%s%s%s", opts[i].name,
		    arg ? " " : "", arg ? arg : "");
		fprintf(f, "  %-28s %s\n", left, text);
	}
	fputs("\nExit status: 0 after a drain or shutdown, 1 when it cannot "
	    "start,\n255 a bad option or argument.\n", f);
}

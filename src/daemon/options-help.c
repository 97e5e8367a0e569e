/* SPDX-License-Identifier: MIT */
/*
 * options-help.c - what each option of corund does, for --help: a
 * table keyed by the long name, apart from options.c's table so that a
 * new option is one more line here.  An option without a line shows
 * "(no description)" in --help, which tests/cli/cli-help.sh refuses.
 */
#include "config.h"

#include <string.h>

#include "daemon.h"

static const struct {
	const char *name, *arg, *text;
} docs[] = {
	{ "foreground", NULL, "stay in the foreground, log to stderr" },
	{ "config", "FILE", "read settings from FILE (corund.conf(5))" },
	{ "state-dir", "DIR", "where the job store lives" },
	{ "socket", "URL", "the control socket (ipc://...)" },
	{ "workers", "N", "worker processes" },
	{ "model", "M", "process, thread, async or hybrid" },
	{ "pidfile", "FILE", "write the daemon's pid into FILE" },
	{ "user", "USER", "drop privileges to USER after binding" },
	{ "log", "DEST", "stderr, syslog or an absolute file name" },
	{ "log-level", "LEVEL", "error, warn, info or debug: the least "
	    "severe level logged (default info)" },
	{ "heartbeat-timeout", "S", "replace a worker silent this long" },
	{ "graceful-timeout", "S", "on stop, how long running jobs may "
	    "finish" },
	{ "max-jobs-per-worker", "N", "replace a worker after N jobs" },
	{ "window", "N", "jobs held in the pool at once" },
	{ "listen", "URL", "take remote workers on URL" },
	{ "token-file", "FILE", "the token remote workers must prove" },
	{ "recover", NULL, "start from what a damaged store still holds" },
	{ "on-done", "COMMAND", "run COMMAND (sh -c) each time a job ends, "
	    "with CORUN_JOB_ID, _STATE, _EXIT, _COMMAND set" },
	{ "http", "HOST:PORT", "serve /metrics, the dashboard and its API "
	    "(a non-loopback address needs --http-token-file)" },
	{ "http-token-file", "FILE", "the token that lets the dashboard "
	    "control corund" },
	{ "help", NULL, "print this help and exit" },
	{ "version", NULL, "print the version and exit" },
};

int
cd_option_doc(const char *name, const char **arg, const char **text)
{
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		if (strcmp(docs[i].name, name) == 0) {
			*arg = docs[i].arg;
			*text = docs[i].text;
			return 0;
		}
	}
	*arg = NULL;
	*text = "(no description)";
	return -1;
}

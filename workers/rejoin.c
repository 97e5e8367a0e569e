/* SPDX-License-Identifier: MIT */
/*
 * rejoin.c - a remote worker that finds the supervisor gone: --url-file
 * (where the run said it listens) and --rejoin (keep trying for a while).
 *
 * corun run --url-file FILE writes the URL on the first line and, on the
 * second, "token TOKEN" or "token-file PATH".  A worker given the same
 * file reads both from it, each time it starts.
 *
 * With --rejoin S, a worker whose supervisor is gone (connection lost or
 * silent, or not there yet) does not leave: once its jobs are stopped it
 * starts itself afresh (exec, same pid, so a batch system's step lives
 * on), which reads --url-file again (a new run may listen elsewhere) and
 * dials, and so on until S seconds after the loss.  The jobs it held are
 * re-leased by the supervisor as for any lost worker.  A session that
 * starts again gives the next loss a fresh S seconds; a signal ends the
 * worker as usual.  The deadline crosses exec in $CORUN_REJOIN_DEADLINE
 * (CLOCK_MONOTONIC nanoseconds).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "worker.h"

#define REJOIN_ENV	"CORUN_REJOIN_DEADLINE"

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The first line of path, into buf; -1 (errno) if it cannot be read. */
static int
first_lines(const char *path, char *l1, size_t n1, char *l2, size_t n2)
{
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		return -1;
	}
	if (fgets(l1, (int)n1, f) == NULL) {
		l1[0] = '\0';
	}
	if (fgets(l2, (int)n2, f) == NULL) {
		l2[0] = '\0';
	}
	fclose(f);
	l1[strcspn(l1, "\r\n")] = '\0';
	l2[strcspn(l2, "\r\n")] = '\0';
	return 0;
}

int
wk_url_file_load(struct wk_worker_opts *o, char *why, size_t whylen)
{
	static char url[1024], tok[WIRE_TOKEN_MAX + 16], tf[WIRE_TOKEN_MAX + 2];
	const char *p = o->url_file;

	if (first_lines(p, url, sizeof(url), tok, sizeof(tok)) != 0) {
		snprintf(why, whylen, "--url-file %s: %s%s", p,
		    strerror(errno), errno == ENOENT ? " (the run has not "
		    "started, or is over)" : "");
		return errno == ENOENT ? 1 : -1;
	}
	if (url[0] == '\0' || strstr(url, "://") == NULL) {
		snprintf(why, whylen, "--url-file %s: the first line is not a "
		    "URL", p);
		return -1;
	}
	o->url = url;
	if (strncmp(tok, "token ", 6) == 0 && tok[6] != '\0' &&
	    o->token == NULL) {
		o->token = tok + 6;
	} else if (strncmp(tok, "token-file ", 11) == 0 && o->token == NULL) {
		char none[2];

		if (first_lines(tok + 11, tf, sizeof(tf), none, sizeof(none)) !=
		    0 || tf[0] == '\0') {
			snprintf(why, whylen, "--url-file %s: token-file %s: "
			    "%s", p, tok + 11, tf[0] == '\0' ? "empty" :
			    strerror(errno));
			return -1;
		}
		o->token = tf;
	} else if (tok[0] != '\0' && strncmp(tok, "token", 5) != 0) {
		snprintf(why, whylen, "--url-file %s: the second line is "
		    "neither 'token T' nor 'token-file F'", p);
		return -1;
	}
	return 0;
}

void
wk_rejoin_wait(struct wk_worker_opts *o)
{
	const char *d = getenv(REJOIN_ENV);
	uint64_t now = mono_ns(), until;

	if (o->rejoin <= 0 || d == NULL || sscanf(d, "%" SCNu64, &until) != 1) {
		return;
	}
	/* A rejoin: dial at most a second, then read --url-file again. */
	o->wait = until > now ? (double)(until - now) / 1e9 : 0;
	o->wait = o->wait > 1 ? 1 : o->wait;
}

int
wk_rejoining(void)
{
	return getenv(REJOIN_ENV) != NULL;
}

void
wk_rejoin_attached(void)
{
	unsetenv(REJOIN_ENV);
}

void
wk_rejoin(struct wk_state *w, char **argv)
{
	const char *d = getenv(REJOIN_ENV);
	uint64_t now = mono_ns(), until = 0;
	struct timespec nap = { 0, 200000000L };
	char buf[32];

	if (w->opt.rejoin <= 0 || w->opt.parent != 0 || w->sigterms > 0 ||
	    w->late_signal) {
		return;
	}
	if (d == NULL || sscanf(d, "%" SCNu64, &until) != 1) {
		until = now + (uint64_t)(w->opt.rejoin * 1e9);
		wk_log(w, "the supervisor is gone; trying to rejoin for %g s",
		    w->opt.rejoin);
	}
	if (now >= until) {
		wk_log(w, "no supervisor to rejoin after %g s", w->opt.rejoin);
		return;
	}
	/* From here TERM and INT stop us (main.c), as they would the next
	 * process; one that came before is an order to stop too. */
	w->leaving = 0;
	if (w->late_signal) {
		return;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, until);
	setenv(REJOIN_ENV, buf, 1);
	nanosleep(&nap, NULL);
	fflush(NULL);
	execv("/proc/self/exe", argv);
	wk_log(w, "cannot start again to rejoin: %s", strerror(errno));
}

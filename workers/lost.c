/* SPDX-License-Identifier: MIT */
/*
 * lost.c - whether a supervisor that went away is worth a log line.
 *
 * A worker told to stop (SHUTDOWN, or a signal: the supervisor's, an
 * operator's, a batch system's) expects its supervisor to go, and says
 * nothing when it does.  So does a local worker whose supervisor process
 * has ended: that end is told by whoever waits for the supervisor (a
 * shell, corund's service manager), and it happens on every normal path
 * that stops a supervisor early (`corun run ... | head -3`, Ctrl-C, a
 * SIGTERM to the whole step).  What remains is news: a remote worker's
 * session dropped, or a local supervisor still alive that closed the
 * connection or fell silent.  That is one line on stderr.
 *
 * The supervisor's sockets close before its exit re-parents its workers,
 * so a local worker cannot tell at once which case it is in: the line is
 * kept until the worker leaves, and printed then only if the parent
 * process is still there a moment later.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "worker.h"

/* How long the parent's end gets to show, in 10 ms naps. */
#define WK_PARENT_NAPS	50

static int
parent_gone(const struct wk_state *w)
{
	return w->opt.parent != 0 && getppid() != w->opt.parent;
}

int
wk_lost_expected(const struct wk_state *w)
{
	return w->state == WK_W_DRAINING || w->sigterms > 0 || parent_gone(w);
}

void
wk_lost_note(struct wk_state *w, const char *msg)
{
	if (wk_lost_expected(w) || w->lost_why[0] != '\0') {
		return;
	}
	if (w->opt.parent == 0) {
		wk_log(w, "%s", msg);	/* a remote session: no parent to ask */
		return;
	}
	snprintf(w->lost_why, sizeof(w->lost_why), "%s", msg);
}

void
wk_lost_report(struct wk_state *w)
{
	struct timespec nap = { 0, 10000000 };
	int i;

	if (w->lost_why[0] == '\0') {
		return;
	}
	for (i = 0; i < WK_PARENT_NAPS && !parent_gone(w); i++) {
		while (nanosleep(&nap, &nap) != 0 && errno == EINTR) {
		}
		nap.tv_nsec = 10000000;
	}
	if (!parent_gone(w)) {
		wk_log(w, "%s", w->lost_why);
	}
	w->lost_why[0] = '\0';
}

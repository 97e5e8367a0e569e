/* SPDX-License-Identifier: MIT */
/*
 * log.c - corun-worker's log messages, one line each on stderr in the
 * format of every corun program (time, corun-worker[pid], level,
 * message: src/lib/cr-log.h), tagged with the worker's id once it has
 * one.  Every file of the program may call it.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "cr-log.h"
#include "worker.h"

void
wk_log(struct wk_state *w, const char *fmt, ...)
{
	char buf[1024];
	unsigned id = 0;
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (w != NULL) {
		id = w->worker_id != 0 ? w->worker_id : w->opt.id;
	}
	if (id != 0) {
		wk_logl(CR_LOG_WARN, "worker %u: %s", id, buf);
	} else {
		wk_logl(CR_LOG_WARN, "%s", buf);
	}
	errno = saved;
}

void
wk_logl(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cr_log_vline(stderr, "corun-worker", level, fmt, ap);
	va_end(ap);
}

/*
 * log.c - corun-worker's log messages, one line each on stderr, tagged
 * with the worker's id once it has one.  Every file of the program may
 * call it.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "worker.h"

void
wk_log(struct wk_state *w, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (w != NULL && w->worker_id != 0) {
		fprintf(stderr, "corun-worker[%u/%ld]: %s\n", w->worker_id,
		    (long)getpid(), buf);
	} else if (w != NULL && w->opt.id != 0) {
		fprintf(stderr, "corun-worker[%u/%ld]: %s\n", w->opt.id,
		    (long)getpid(), buf);
	} else {
		fprintf(stderr, "corun-worker[%ld]: %s\n", (long)getpid(), buf);
	}
	errno = saved;
}

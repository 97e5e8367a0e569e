/*
 * log.c - the supervisor's log lines on stderr ("corun: ..."), silenced by
 * opts.quiet.  Any file of the supervisor may call it.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "sup-internal.h"

void
sup_pool_log(const struct corun_pool *p, const char *fmt, ...)
{
	va_list ap;

	if (p->opts.quiet) {
		return;
	}
	va_start(ap, fmt);
	fputs("corun: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

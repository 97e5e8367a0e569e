/* SPDX-License-Identifier: MIT */
/*
 * log.c - the supervisor's log lines on stderr, at level warn in the
 * format of every corun program (time, program[pid], level, message:
 * src/lib/cr-log.h), silenced by opts.quiet.  Any file of the
 * supervisor may call it.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "cr-log.h"
#include "sup-internal.h"

void
sup_pool_log(const struct corun_pool *p, const char *fmt, ...)
{
	va_list ap;

	if (p->opts.quiet) {
		return;
	}
	va_start(ap, fmt);
	cr_log_vline(stderr, NULL, CR_LOG_WARN, fmt, ap);
	va_end(ap);
}

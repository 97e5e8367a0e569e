/* SPDX-License-Identifier: MIT */
/*
 * jobspec-util.c - the small tools of the job specification: error
 * messages, a command line quoted for /bin/sh (the display line of a job,
 * and the script that runs an argv /bin/sh must not interpret), string
 * values.  The byte buffer is buf.c's, the quoting shquote.c's.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corun/error.h>

#include "jobspec-internal.h"

int
cm_jobspec_fail(struct cm_jobspec_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int
cm_jobspec_oom(struct cm_jobspec_err *e)
{
	return cm_jobspec_fail(e, CORUN_ENOMEM, "out of memory");
}

int
cm_jobspec_shline(struct cm_buf *b, const char *const *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0) {
			cm_buf_addc(b, ' ');
		}
		cm_shquote(b, w[i]);
	}
	return b->oom ? CORUN_ENOMEM : 0;
}

const char *
cm_jobspec_str(json_t *v)
{
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) != json_string_length(v)) {
		return NULL;
	}
	return s;
}

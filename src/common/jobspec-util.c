/*
 * jobspec-util.c - the small tools of the job specification: a byte
 * buffer, error messages, and quoting for /bin/sh (the display line of a
 * job, and the script that runs an argv /bin/sh must not interpret).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corun/error.h>

#include "fault-internal.h"
#include "jobspec-internal.h"

int
cr_jsbuf_add(struct cr_jsbuf *b, const void *p, size_t len)
{
	size_t cap;
	char *np;

	if (b->oom) {
		return CORUN_ENOMEM;
	}
	if (b->len + len + 1 > b->cap) {
		cap = b->cap ? b->cap : 64;
		while (cap < b->len + len + 1) {
			cap *= 2;
		}
		if ((np = cr_realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return CORUN_ENOMEM;
		}
		b->p = np;
		b->cap = cap;
	}
	if (len > 0) {
		memcpy(b->p + b->len, p, len);
	}
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

int
cr_jsbuf_adds(struct cr_jsbuf *b, const char *s)
{
	return cr_jsbuf_add(b, s, strlen(s));
}

int
cr_jsbuf_addc(struct cr_jsbuf *b, char c)
{
	return cr_jsbuf_add(b, &c, 1);
}

char *
cr_jsbuf_steal(struct cr_jsbuf *b)
{
	char *p;

	if (b->oom || (b->p == NULL && cr_jsbuf_add(b, "", 0) != 0)) {
		cr_jsbuf_free(b);
		return NULL;
	}
	p = b->p;
	memset(b, 0, sizeof(*b));
	return p;
}

void
cr_jsbuf_free(struct cr_jsbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

int
cr_jobspec_fail(struct cr_jobspec_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int
cr_jobspec_oom(struct cr_jobspec_err *e)
{
	return cr_jobspec_fail(e, CORUN_ENOMEM, "out of memory");
}

int
cr_jobspec_sh_syntax(const char *s)
{
	/* Anything sh treats specially, including blanks and globs. */
	return s[strcspn(s, " \t\n\r|&;<>()$`\\\"'*?[]#~=%{}!")] != '\0';
}

static int
shell_safe(const char *s)
{
	if (*s == '\0') {
		return 0;
	}
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("_-./+", *s))) {
			return 0;
		}
	}
	return 1;
}

int
cr_jobspec_shquote(struct cr_jsbuf *b, const char *s)
{
	if (shell_safe(s)) {
		return cr_jsbuf_adds(b, s);
	}
	cr_jsbuf_addc(b, '\'');
	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			cr_jsbuf_adds(b, "'\\''");
		} else {
			cr_jsbuf_addc(b, *s);
		}
	}
	return cr_jsbuf_addc(b, '\'');
}

int
cr_jobspec_shline(struct cr_jsbuf *b, const char *const *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0) {
			cr_jsbuf_addc(b, ' ');
		}
		cr_jobspec_shquote(b, w[i]);
	}
	return b->oom ? CORUN_ENOMEM : 0;
}

const char *
cr_jobspec_str(json_t *v)
{
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) != json_string_length(v)) {
		return NULL;
	}
	return s;
}

/* SPDX-License-Identifier: MIT */
/*
 * util.c - strings, strict number parsing and error messages for the
 * corun command (the byte buffer is src/common/buf.c).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int
cli_errf(struct cli_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e != NULL) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", CLI_PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
cli_strv_free(struct cli_strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++) {
		free(sv->v[i]);
	}
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

int
cli_strv_take(struct cli_strv *sv, char *s)
{
	char **nv;
	size_t ncap;

	if (s == NULL) {
		return CORUN_ENOMEM;
	}
	/* Keep one spare slot so v is always NULL-terminated. */
	if (sv->n + 1 >= sv->cap) {
		ncap = sv->cap ? sv->cap * 2 : 8;
		nv = realloc(sv->v, ncap * sizeof(*nv));
		if (nv == NULL) {
			free(s);
			return CORUN_ENOMEM;
		}
		sv->v = nv;
		sv->cap = ncap;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return 0;
}

int
cli_strv_pushn(struct cli_strv *sv, const char *s, size_t len)
{
	char *c = malloc(len + 1);

	if (c == NULL) {
		return CORUN_ENOMEM;
	}
	memcpy(c, s, len);
	c[len] = '\0';
	return cli_strv_take(sv, c);
}

int
cli_strv_push(struct cli_strv *sv, const char *s)
{
	return cli_strv_pushn(sv, s, strlen(s));
}

int
cli_parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9') {
		return CORUN_EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		return CORUN_EINVAL;
	}
	if (errno == ERANGE || v > max) {
		return CORUN_ERANGE;
	}
	*out = v;
	return 0;
}

int
cli_parse_double(const char *s, double *out)
{
	double v;
	char *end;

	/* Only plain decimal numbers: no sign, no inf/nan, no hex. */
	if (s == NULL || ((*s < '0' || *s > '9') && *s != '.')) {
		return CORUN_EINVAL;
	}
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || end == s) {
		return CORUN_EINVAL;
	}
	if (errno == ERANGE || !isfinite(v)) {
		return CORUN_ERANGE;
	}
	*out = v;
	return 0;
}

void
cli_jobspec_free(struct cli_jobspec *js)
{
	free(js->kind);
	free(js->payload);
	free(js->cmdline);
	free(js->tagstr);
	free(js->id);
	cli_strv_free(&js->args);
	memset(js, 0, sizeof(*js));
}

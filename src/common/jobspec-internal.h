/*
 * jobspec-internal.h - what the files of the job specification share:
 * a byte buffer, error messages, shell quoting (jobspec-util.c) and the
 * payload of each kind (jobspec-kinds.c).  Not for use outside
 * src/common/jobspec*.c.
 */
#ifndef CR_COMMON_JOBSPEC_INTERNAL_H
#define CR_COMMON_JOBSPEC_INTERNAL_H

#include <stddef.h>

#include <jansson.h>

#include "jobspec.h"

/* ---- jobspec-util.c ------------------------------------------------ */

/* A growable byte buffer; NUL-terminated when len > 0. */
struct cr_jsbuf {
	char *p;
	size_t len, cap;
	int oom;		/* an add failed: every later add does too */
};

int cr_jsbuf_add(struct cr_jsbuf *b, const void *p, size_t len);
int cr_jsbuf_adds(struct cr_jsbuf *b, const char *s);
int cr_jsbuf_addc(struct cr_jsbuf *b, char c);
/* The contents ("" when empty), or NULL after a failed add (freed). */
char *cr_jsbuf_steal(struct cr_jsbuf *b);
void cr_jsbuf_free(struct cr_jsbuf *b);

/* Write the message into *e and return code. */
int cr_jobspec_fail(struct cr_jobspec_err *e, int code, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
int cr_jobspec_oom(struct cr_jobspec_err *e);

/*
 * Nonzero if s holds characters /bin/sh would interpret (as corun run's
 * templates decide; see src/cli/template.c).
 */
int cr_jobspec_sh_syntax(const char *s);
/* Append s quoted for /bin/sh: as is when safe, else '...'. */
int cr_jobspec_shquote(struct cr_jsbuf *b, const char *s);
/* The words quoted and joined with spaces. */
int cr_jobspec_shline(struct cr_jsbuf *b, const char *const *w, size_t n);

/* The string value of v if it is a string without NUL, else NULL. */
const char *cr_jobspec_str(json_t *v);

/* ---- jobspec-kinds.c ----------------------------------------------- */

/* The fields kind takes besides the common ones, as " a b c ". */
const char *cr_jobspec_kind_fields(const char *kind);

/*
 * Fill d->payload, d->len and d->line from the kind's fields of o
 * (d->kind is set).  Errors name the field.
 */
int cr_jobspec_build(json_t *o, struct cr_jobspec_desc *d,
    struct cr_jobspec_err *e);

#endif /* CR_COMMON_JOBSPEC_INTERNAL_H */

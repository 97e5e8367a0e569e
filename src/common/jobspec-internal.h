/* SPDX-License-Identifier: MIT */
/*
 * jobspec-internal.h - what the files of the job specification share:
 * error messages, a quoted command line (jobspec-util.c) and the
 * payload of each kind (jobspec-kinds.c).  Not for use outside
 * src/common/jobspec*.c.
 */
#ifndef CM_COMMON_JOBSPEC_INTERNAL_H
#define CM_COMMON_JOBSPEC_INTERNAL_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "jobspec.h"
#include "shquote.h"

/* ---- jobspec-util.c ------------------------------------------------ */

/* Write the message into *e and return code. */
int cm_jobspec_fail(struct cm_jobspec_err *e, int code, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
int cm_jobspec_oom(struct cm_jobspec_err *e);

/* The words quoted and joined with spaces. */
int cm_jobspec_shline(struct cm_buf *b, const char *const *w, size_t n);

/* The string value of v if it is a string without NUL, else NULL. */
const char *cm_jobspec_str(json_t *v);

/* ---- jobspec-kinds.c ----------------------------------------------- */

/* The fields kind takes besides the common ones, as " a b c ". */
const char *cm_jobspec_kind_fields(const char *kind);

/*
 * Fill d->payload, d->len and d->line from the kind's fields of o
 * (d->kind is set).  Errors name the field.
 */
int cm_jobspec_build(json_t *o, struct cm_jobspec_desc *d,
    struct cm_jobspec_err *e);

#endif /* CM_COMMON_JOBSPEC_INTERNAL_H */

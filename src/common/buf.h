/* SPDX-License-Identifier: MIT */
/*
 * buf.h - a growable byte buffer, for building strings and payloads
 * piece by piece (the job specification, the corun command).
 *
 * Contract: start from a zeroed struct cm_buf ({ 0 }).  The contents are
 * NUL-terminated once anything was added (p is NULL before that).  An add
 * that cannot allocate returns CORUN_ENOMEM and sets oom; from then on
 * every add fails the same way, so a caller may make several adds and
 * check only the last, or check oom.  cm_buf_steal() hands the contents
 * over and leaves the buffer empty; cm_buf_free() releases them.
 */
#ifndef CM_COMMON_BUF_H
#define CM_COMMON_BUF_H

#include <stddef.h>

struct cm_buf {
	char *p;
	size_t len, cap;
	int oom;		/* an add failed: every later add does too */
};

/* Append len bytes of p; 0 or CORUN_ENOMEM. */
int cm_buf_add(struct cm_buf *b, const void *p, size_t len);
/* Append the string s. */
int cm_buf_adds(struct cm_buf *b, const char *s);
/* Append one byte. */
int cm_buf_addc(struct cm_buf *b, char c);
/*
 * The contents, the caller's to free ("" when nothing was added), or
 * NULL after a failed add or when "" cannot be allocated (the buffer is
 * freed then).  The buffer is empty afterwards.
 */
char *cm_buf_steal(struct cm_buf *b);
/* Release the contents; the buffer is empty and usable again. */
void cm_buf_free(struct cm_buf *b);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * buf.c - a growable byte buffer (see buf.h).  Allocations go through
 * libcorun's cr_realloc so that fault injection reaches them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <corun/error.h>

#include "fault-internal.h"
#include "buf.h"

int
cm_buf_add(struct cm_buf *b, const void *p, size_t len)
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
cm_buf_adds(struct cm_buf *b, const char *s)
{
	return cm_buf_add(b, s, strlen(s));
}

int
cm_buf_addc(struct cm_buf *b, char c)
{
	return cm_buf_add(b, &c, 1);
}

char *
cm_buf_steal(struct cm_buf *b)
{
	char *p;

	if (b->oom || (b->p == NULL && cm_buf_add(b, "", 0) != 0)) {
		cm_buf_free(b);
		return NULL;
	}
	p = b->p;
	memset(b, 0, sizeof(*b));
	return p;
}

void
cm_buf_free(struct cm_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

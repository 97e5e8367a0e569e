/* SPDX-License-Identifier: MIT */
/*
 * job.c - the job API of <corun/job.h>: what a running kind calls on its
 * context (payload, timeout, output, failure, exit status).
 *
 * These functions touch nothing but the context (struct corun_job_ctx,
 * kinds-internal.h), so a kind may call them on an executor thread when
 * it runs offloaded.  Output written here is kept up to WK_OUT_CAP per
 * stream, and whole lines go to the context's stream callback, if any.
 * The runner (runner.c) sets the context up and reads it afterwards.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinds-internal.h"

const void *
corun_job_payload(const corun_job_ctx *ctx, size_t *len)
{
	if (len != NULL) {
		*len = ctx->len;
	}
	return ctx->payload;
}

double
corun_job_timeout(const corun_job_ctx *ctx)
{
	return ctx->timeout;
}

static int
buf_append(struct wk_outbuf *b, const void *p, size_t len)
{
	size_t cap;
	char *n;

	if (len == 0) {
		return 0;
	}
	if (p == NULL) {
		return CORUN_EINVAL;
	}
	if (len > WK_OUT_CAP - b->len) {
		/* Keep what fits; the outcome says the rest was dropped. */
		len = WK_OUT_CAP - b->len;
		b->truncated = 1;
		if (len == 0) {
			return 0;
		}
	}
	if (b->len + len + 1 > b->cap) {
		cap = b->cap != 0 ? b->cap : 4096;
		while (cap < b->len + len + 1) {
			cap *= 2;
		}
		if ((n = realloc(b->p, cap)) == NULL) {
			return CORUN_ENOMEM;
		}
		b->p = n;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

/* Hand the whole lines written so far to the stream callback. */
static void
stream_lines(corun_job_ctx *ctx, int which, const struct wk_outbuf *b)
{
	size_t *sent = &ctx->streamed[which - 1];
	const char *nl;

	if (ctx->stream == NULL || ctx->offloaded || b->len == *sent) {
		return;
	}
	nl = memrchr(b->p + *sent, '\n', b->len - *sent);
	if (nl != NULL) {
		ctx->stream(ctx->stream_arg, which, b->p + *sent,
		    (size_t)(nl + 1 - (b->p + *sent)));
		*sent = (size_t)(nl + 1 - b->p);
	}
}

int
corun_job_write_out(corun_job_ctx *ctx, const void *buf, size_t len)
{
	int rc = buf_append(&ctx->out, buf, len);

	stream_lines(ctx, 1, &ctx->out);
	return rc;
}

int
corun_job_write_err(corun_job_ctx *ctx, const void *buf, size_t len)
{
	int rc = buf_append(&ctx->err, buf, len);

	stream_lines(ctx, 2, &ctx->err);
	return rc;
}

int
corun_job_fail(corun_job_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (code <= 0 || code >= CORUN_EMAXERR) {
		code = CORUN_EFAILED;
	}
	if (fmt != NULL) {
		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) < 0) {
			msg = NULL;
		}
		va_end(ap);
	}
	/* The first failure is the cause; later ones are consequences. */
	if (ctx->fail_code == 0) {
		ctx->fail_code = code;
		ctx->fail_msg = msg;
	} else {
		free(msg);
	}
	return code;
}

void
corun_job_set_exit(corun_job_ctx *ctx, int exit_code, int signal)
{
	ctx->exit_code = exit_code;
	ctx->signal = signal;
}

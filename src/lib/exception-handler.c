/* SPDX-License-Identifier: MIT */
/*
 * exception-handler.c - the loop's exception handler and its default,
 * one line on stderr (corun/exception.h).
 */
#include "config.h"

#include <stdio.h>

#include <corun/exception.h>

#include "loop-internal.h"

void
corun_loop_set_exception_handler(corun_loop *loop,
    corun_exception_handler handler, void *arg)
{
	loop->exc_handler = handler;
	loop->exc_arg = arg;
}

void
corun_loop_call_exception_handler(corun_loop *loop,
    const struct corun_exception_ctx *ctx)
{
	if (loop == NULL || ctx == NULL) {
		return;
	}
	if (loop->exc_handler != NULL) {
		loop->exc_handler(loop, ctx, loop->exc_arg);
		return;
	}
	fprintf(stderr, "corun: %s%s%s: %s (%d)\n",
	    ctx->message != NULL ? ctx->message : "error",
	    ctx->task != NULL ? " in " : "",
	    ctx->task != NULL ? ctx->task : "",
	    ctx->detail != NULL ? ctx->detail : corun_strerror(ctx->code),
	    ctx->code);
}

/* SPDX-License-Identifier: MIT */
/*
 * corun/exception.h - the loop's exception handler (asyncio's
 * loop.set_exception_handler / call_exception_handler): where errors that
 * have nobody to return to are reported, such as a task that failed and
 * whose error nobody retrieved.
 */
#ifndef CORUN_EXCEPTION_H
#define CORUN_EXCEPTION_H

#include <corun/error.h>
#include <corun/loop.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What happened.  Fields may grow at the end; read, never build, it
   except to pass to corun_loop_call_exception_handler(). */
struct corun_exception_ctx {
	const char *message;	/* "task exception was never retrieved" */
	int code;		/* the error code, 0 if none */
	const char *detail;	/* the error's message, or NULL */
	corun_future *future;	/* the future concerned (borrowed), or NULL */
	const char *task;	/* the task's name when future is a task */
};

typedef void (*corun_exception_handler)(corun_loop *loop,
    const struct corun_exception_ctx *ctx, void *arg);

/*
 * Install handler (NULL: the default, one line on stderr "corun: message:
 * detail (code)").  Called on the loop's thread, possibly while the loop
 * is being freed; it must not free the loop or the future.
 */
void corun_loop_set_exception_handler(corun_loop *loop,
    corun_exception_handler handler, void *arg);

/* Report ctx through the loop's handler (or the default one). */
void corun_loop_call_exception_handler(corun_loop *loop,
    const struct corun_exception_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* CORUN_EXCEPTION_H */

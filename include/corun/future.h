/* SPDX-License-Identifier: MIT */
/*
 * corun/future.h - futures: a value that becomes available once.
 *
 * A future is pending, then done in exactly one of three ways: with a
 * result (an opaque pointer with an optional destructor, or a copied byte
 * buffer), with an error (a positive int code and a message), or cancelled.
 *
 * Contract: a future is completed exactly once.  A second completion
 * (set_result, set_bytes, set_error or cancel on a done future) returns
 * CORUN_ESTATE to its caller and never overwrites the outcome.
 *
 * Done-callbacks run on the loop that owns the future, never inside the
 * completing call and never on another thread: completion schedules them
 * with corun_call_soon() in registration order.  A callback added after the
 * future is done is scheduled at once.  Any number of callbacks and of
 * awaiters is allowed.
 *
 * Futures are reference counted; corun_future_new() returns one reference.
 * All futures must be released before their loop is freed.
 */
#ifndef CORUN_FUTURE_H
#define CORUN_FUTURE_H

#include <stdarg.h>
#include <stddef.h>

#include <corun/error.h>
#include <corun/loop.h>

#ifdef __cplusplus
extern "C" {
#endif

enum corun_future_state {
	CORUN_FUTURE_PENDING = 0,
	CORUN_FUTURE_RESULT = 1,
	CORUN_FUTURE_ERROR = 2,
	CORUN_FUTURE_CANCELLED = 3
};

typedef void (*corun_future_cb)(corun_future *fut, void *arg);
typedef void (*corun_dtor)(void *value);

/* Create a pending future owned by loop. */
int corun_future_new(corun_loop *loop, corun_future **out);

corun_future *corun_future_ref(corun_future *fut);
void corun_future_unref(corun_future *fut);

corun_loop *corun_future_loop(const corun_future *fut);

/*
 * Complete with an opaque result.  dtor (may be NULL) is called on value
 * when the future is freed.  On CORUN_ESTATE the value is NOT taken: the
 * caller still owns it.
 *
 * A task's outcome belongs to its body: set_result, set_bytes and
 * set_error on a task are refused with CORUN_ESTATE unless called from
 * that task's own body; called there while a cancellation request is not
 * yet delivered (the task cancelled itself, no await since), the task
 * completes as cancelled instead and the call returns CORUN_ECANCELED (the
 * value is not taken).
 */
int corun_future_set_result(corun_future *fut, void *value, corun_dtor dtor);

/* Complete with a copy of len bytes (a NUL is appended after the copy). */
int corun_future_set_bytes(corun_future *fut, const void *buf, size_t len);

/* Complete with an error: code > 0 and a printf-style message. */
int corun_future_set_error(corun_future *fut, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int corun_future_set_verror(corun_future *fut, int code, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

/*
 * Cancel.  The two kinds of future mean two different things here:
 *
 * - a plain future (and a shield) is completed as cancelled at once, its
 *   callbacks scheduled; returns 0.
 * - a task is only ASKED to cancel: the request is delivered to its body at
 *   its current or next await point, which returns CORUN_ECANCELED; the
 *   task is done only when its body returns, and it may refuse (see
 *   corun_task_uncancel()).  Each call counts in corun_task_cancelling().
 *   Combinators (gather, wait_for, a group's future) pass the request on
 *   to what they wait for and complete once that has wound down.
 *
 * Returns CORUN_ESTATE if fut is already done (asyncio's False).
 */
int corun_future_cancel(corun_future *fut);

/*
 * corun_future_cancel() with a message (may be NULL), copied: once fut is
 * cancelled, corun_future_error() gives it.  The first message asked for
 * is the one kept.  CORUN_ENOMEM if it cannot be copied.
 */
int corun_future_cancel_msg(corun_future *fut, const char *msg);

enum corun_future_state corun_future_state(const corun_future *fut);
int corun_future_done(const corun_future *fut);
int corun_future_cancelled(const corun_future *fut);

/*
 * The outcome as an error code: 0 for a result, the error code for an
 * error, CORUN_ECANCELED when cancelled, CORUN_ESTATE while pending.
 */
int corun_future_status(const corun_future *fut);

/* Result value (or byte buffer), NULL if none.  len may be NULL. */
void *corun_future_result(const corun_future *fut, size_t *len);

/*
 * Error code and message: for an error, its code and message; when
 * cancelled, CORUN_ECANCELED and "cancelled" (or the message given); for
 * a result or while pending, 0 and NULL.  The message lives as long as
 * the future.
 */
int corun_future_error(const corun_future *fut, const char **msg);

/*
 * Register cb(fut, arg) to run on the owning loop once fut is done.
 * Callbacks run in registration order.
 */
int corun_future_add_done_callback(corun_future *fut, corun_future_cb cb,
    void *arg);

/*
 * Remove every registration of (cb, arg) of a PENDING future; returns the
 * number removed.  As in asyncio, once fut is done its callbacks are
 * already scheduled: this removes nothing and returns 0, and a callback
 * that removes its siblings does not stop them from running.
 */
int corun_future_remove_done_callback(corun_future *fut, corun_future_cb cb,
    void *arg);

/*
 * C only: remove every registration of (cb, arg) that has not run yet,
 * even one already scheduled because fut is done, so that arg may be
 * freed after this call.  Returns the number removed.
 */
int corun_future_discard_callback(corun_future *fut, corun_future_cb cb,
    void *arg);

/*
 * Copy the outcome of src (which must be done) into dst.  Results with a
 * destructor are shared: dst keeps a reference to src.  Returns
 * CORUN_ESTATE if dst is already done.
 */
int corun_future_copy_outcome(corun_future *dst, const corun_future *src);

#ifdef __cplusplus
}
#endif

#endif /* CORUN_FUTURE_H */

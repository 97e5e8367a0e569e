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
 * Cancel.  A plain future is completed as cancelled at once (returns 0).
 * A task is asked to cancel: the request is delivered to its coroutine at
 * its current or next await point, which returns CORUN_ECANCELED; the task
 * is done only when its body returns.  Returns CORUN_ESTATE if already done.
 */
int corun_future_cancel(corun_future *fut);

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
 * Remove every not-yet-scheduled registration of (cb, arg); returns the
 * number removed.
 */
int corun_future_remove_done_callback(corun_future *fut, corun_future_cb cb,
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

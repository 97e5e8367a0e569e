/* SPDX-License-Identifier: MIT */
/*
 * corun/threadsafe.h - submitting work to a loop from another thread
 * (asyncio.run_coroutine_threadsafe), with a future that thread can wait
 * on (a concurrent.futures.Future).
 *
 * corun_submit_threadsafe() may be called from any thread; the task runs
 * on the loop's thread.  The returned corun_tfuture is the submitter's
 * (corun_tfuture_free), and every corun_tfuture_* call is thread-safe.
 * The loop must keep running until the submission has started: a loop
 * freed first drops it unrun and the tfuture never completes (wait with a
 * timeout); CORUN_ECLOSED if the loop was already being freed.
 */
#ifndef CORUN_THREADSAFE_H
#define CORUN_THREADSAFE_H

#include <corun/error.h>
#include <corun/loop.h>
#include <corun/task.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corun_tfuture corun_tfuture;

/*
 * Spawn fn(arg) as a stackful task on loop, from any thread.  *out
 * receives a new thread-safe future (owned by the caller) that completes
 * with the task's outcome.  CORUN_ECLOSED once the loop is being freed.
 */
int corun_submit_threadsafe(corun_loop *loop, corun_task_fn fn, void *arg,
    corun_tfuture **out);

/*
 * Wait up to timeout seconds (CORUN_NO_TIMEOUT: for ever; 0 or negative:
 * just look) for the task to be done.  Returns its status (0, its error
 * code, CORUN_ECANCELED), or CORUN_ETIMEDOUT if it is not done in time.
 * Must not be called from the loop's own thread with a timeout > 0
 * (the loop could not run the task: CORUN_EBUSY).
 */
int corun_tfuture_wait(corun_tfuture *tf, double timeout);

/* The task's result value (set with corun_future_set_result in its
   body), NULL if none or not done.  Borrowed: valid until free. */
void *corun_tfuture_result(corun_tfuture *tf);

/* Nonzero once done. */
int corun_tfuture_done(corun_tfuture *tf);

/* Ask the task to cancel (corun_future_cancel on the loop's thread).
   CORUN_ESTATE when already done. */
int corun_tfuture_cancel(corun_tfuture *tf);

/* Release the submitter's reference (the task keeps running). */
void corun_tfuture_free(corun_tfuture *tf);

#ifdef __cplusplus
}
#endif

#endif /* CORUN_THREADSAFE_H */

/* SPDX-License-Identifier: MIT */
/*
 * corun/executor.h - run blocking calls on a thread pool (run_in_executor).
 *
 * Each loop has a default executor, created on first use with
 * corun_loop_set_executor_threads() threads (default 4).  A call runs on a
 * pool thread; its completion is handed to the loop with
 * corun_call_soon_threadsafe(), so the future is completed and its
 * callbacks run on the loop's thread, never on the pool thread.
 */
#ifndef CORUN_EXECUTOR_H
#define CORUN_EXECUTOR_H

#include <stddef.h>

#include <corun/error.h>
#include <corun/future.h>
#include <corun/loop.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A blocking function.  Return 0 and set *result (may stay NULL), or an
 * error code (the future fails with it).  dtor is applied to the result
 * when the future is freed.
 */
typedef int (*corun_blocking_fn)(void *arg, void **result);

/*
 * Run fn(arg) on the loop's executor; *out completes with its outcome.
 * Cancelling *out before a thread picks the call up keeps it from running;
 * once running it finishes, and its result is dropped (dtor applied).
 * May be called from the loop's thread only.
 */
int corun_run_in_executor(corun_loop *loop, corun_blocking_fn fn, void *arg,
    corun_dtor dtor, corun_future **out);

/*
 * Set the number of threads of the loop's executor (1..256).  Before the
 * first use it sets the size; afterwards it grows the pool, or shrinks it as
 * threads become idle.
 */
int corun_loop_set_executor_threads(corun_loop *loop, size_t n);

/* Threads of the loop's executor (0 if it was not created yet). */
size_t corun_loop_executor_threads(const corun_loop *loop);

#ifdef __cplusplus
}
#endif

#endif /* CORUN_EXECUTOR_H */

/* SPDX-License-Identifier: MIT */
/*
 * corun/loop.h - the event loop: one per thread, on a libevent event_base.
 *
 * The loop keeps a FIFO ready queue of callbacks and a heap of timers, and
 * asks libevent for I/O readiness.  One iteration (as asyncio's _run_once):
 * poll I/O (without blocking when callbacks are ready, else until the
 * earliest timer), move due timers to the ready queue in deadline order,
 * then run the callbacks that were ready at the start of the step.
 * Callbacks scheduled while running go to the next iteration.
 *
 * Threads: a loop is used from the thread that runs it.  The only functions
 * safe to call from other threads are corun_call_soon_threadsafe() and
 * corun_loop_stop_threadsafe().
 */
#ifndef CORUN_LOOP_H
#define CORUN_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include <corun/error.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
typedef struct corun_loop corun_loop;
typedef struct corun_handle corun_handle;
typedef struct corun_future corun_future;

/* A scheduled callback. */
typedef void (*corun_cb)(void *arg);

/*
 * Create a loop with its own event_base.  The loop is not bound to a thread
 * until it runs; corun_loop_current() returns it on the thread that runs it.
 */
int corun_loop_new(corun_loop **out);

/*
 * Free a loop that is not running: returns 0, or CORUN_EBUSY (and frees
 * nothing) when called while the loop runs, e.g. from one of its
 * callbacks.  The executor, if any, is shut down first (waiting for
 * running calls to return).  Live tasks are then cancelled and the loop
 * run without blocking (up to 64 iterations, as long as tasks remain) so
 * that their bodies see CORUN_ECANCELED and run their cleanup code; tasks
 * still alive after that (or when another loop runs on this thread) are
 * destroyed without running further and completed as cancelled.  Pending
 * callbacks and timers are dropped without running.  Handles and futures
 * still referenced by the caller must be released before this call.
 */
int corun_loop_free(corun_loop *loop);

/* The loop running on the calling thread, or NULL. */
corun_loop *corun_loop_current(void);

/* The loop's libevent base, to add events of one's own. */
struct event_base *corun_loop_base(corun_loop *loop);

/* Monotonic time in seconds (CLOCK_MONOTONIC), read now. */
double corun_loop_time(corun_loop *loop);

/* Monotonic time in nanoseconds (the same clock). */
uint64_t corun_loop_now_ns(void);

/*
 * Schedule cb(arg) to run on the next iteration, after callbacks already
 * scheduled (FIFO).  If out is not NULL it receives a handle holding one
 * reference, for corun_handle_cancel(); release it with
 * corun_handle_release().
 */
int corun_call_soon(corun_loop *loop, corun_cb cb, void *arg,
    corun_handle **out);

/*
 * Schedule cb(arg) to run delay seconds from now.  A negative delay is a
 * deadline in the past: due at once, and earlier than a less negative one
 * (-2 runs before -1, as in asyncio).  Timers with the same deadline run
 * in the order they were scheduled.
 */
int corun_call_later(corun_loop *loop, double delay, corun_cb cb, void *arg,
    corun_handle **out);

/* Schedule cb(arg) at absolute loop time when (see corun_loop_time()). */
int corun_call_at(corun_loop *loop, double when, corun_cb cb, void *arg,
    corun_handle **out);

/*
 * Cancel a scheduled call.  Returns 0 if it was pending and will not run,
 * CORUN_ESTATE if it already ran or was cancelled.
 */
int corun_handle_cancel(corun_handle *h);

/* Drop the reference obtained through an out parameter. */
void corun_handle_release(corun_handle *h);

/*
 * Schedule cb(arg) on loop from any thread, waking the loop if it sleeps in
 * poll.  The callback runs on the loop's thread.  Safe from nng aio
 * callbacks and executor threads.  Returns CORUN_ECLOSED once the loop is
 * being freed.
 */
int corun_call_soon_threadsafe(corun_loop *loop, corun_cb cb, void *arg);

/*
 * Run until corun_loop_stop() is called.  The loop finishes the iteration
 * in which stop was called; a stop asked for before this call still lets
 * one iteration run (as asyncio).  Returns CORUN_EBUSY if the loop is
 * already running, 0 otherwise.
 */
int corun_loop_run_forever(corun_loop *loop);

/*
 * Run until fut is done; return corun_future_status(fut): 0 for a result,
 * the future's error code, or CORUN_ECANCELED.  CORUN_ESTATE if
 * corun_loop_stop() ended the loop first (at least one iteration runs),
 * CORUN_EBUSY if the loop is already running.
 */
int corun_loop_run_until_complete(corun_loop *loop, corun_future *fut);

/*
 * Run one iteration; block in poll for at most timeout seconds when nothing
 * is ready (timeout < 0 waits for the next timer or I/O).  Returns 0, or
 * CORUN_EBUSY if this loop or another one is already running on this
 * thread.
 */
int corun_loop_run_once(corun_loop *loop, double timeout);

/* Ask a running loop to stop after its current iteration. */
void corun_loop_stop(corun_loop *loop);

/* corun_loop_stop() from another thread. */
int corun_loop_stop_threadsafe(corun_loop *loop);

/* Nonzero while the loop is inside run_forever/run_until_complete/once. */
int corun_loop_is_running(const corun_loop *loop);

/*
 * Number of tasks (stackful and callback-style) created on this loop that
 * have not finished yet.
 */
size_t corun_loop_task_count(const corun_loop *loop);

#ifdef __cplusplus
}
#endif

#endif /* CORUN_LOOP_H */

/* SPDX-License-Identifier: MIT */
/*
 * corun/sync.h - synchronisation between tasks of one loop (asyncio.Lock,
 * Event, Condition, Semaphore, BoundedSemaphore).
 *
 * Waiting calls (acquire, wait) are made from stackful tasks; they
 * suspend the task, return 0 once done, or CORUN_ECANCELED if the task is
 * cancelled while waiting (then nothing is held), CORUN_ENOTCO outside a
 * task.  Waiters are served in FIFO order.  The other calls may be made
 * from anything on the loop's thread.  None of them is thread-safe.
 *
 * Ownership: *_new gives the caller the object; *_free frees it and
 * returns CORUN_EBUSY (freeing nothing) while a task waits on it.
 */
#ifndef CORUN_SYNC_H
#define CORUN_SYNC_H

#include <stddef.h>

#include <corun/error.h>
#include <corun/loop.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- lock (asyncio.Lock): not reentrant, not owned by a task ---------- */

typedef struct corun_lock corun_lock;

int corun_lock_new(corun_loop *loop, corun_lock **out);
int corun_lock_free(corun_lock *lock);
/* Wait until the lock is free, then take it. */
int corun_lock_acquire(corun_lock *lock);
/* Release: CORUN_ESTATE if not locked (asyncio: RuntimeError). */
int corun_lock_release(corun_lock *lock);
int corun_lock_locked(const corun_lock *lock);

/* ---- event (asyncio.Event) -------------------------------------------- */

typedef struct corun_event corun_event;

int corun_event_new(corun_loop *loop, corun_event **out);
int corun_event_free(corun_event *ev);
/* Wait until the event is set (at once if it is). */
int corun_event_wait(corun_event *ev);
/* Set: every waiter wakes; later waits return at once until clear. */
void corun_event_set(corun_event *ev);
void corun_event_clear(corun_event *ev);
int corun_event_is_set(const corun_event *ev);

/* ---- condition (asyncio.Condition) ------------------------------------ */

typedef struct corun_condition corun_condition;

/* lock: the lock the condition uses (borrowed, must outlive it), or NULL
   for a lock of its own. */
int corun_condition_new(corun_loop *loop, corun_lock *lock,
    corun_condition **out);
int corun_condition_free(corun_condition *c);
/* The condition's lock, for acquire/release/locked. */
corun_lock *corun_condition_lock(corun_condition *c);
/*
 * With the lock held: release it, wait until notified, take it again
 * (also when cancelled: the lock is held again on every return but
 * CORUN_ESTATE, which means the lock was not held).
 */
int corun_condition_wait(corun_condition *c);
/* Wait until pred(arg) is nonzero (checked first, and after each wake). */
int corun_condition_wait_for(corun_condition *c, int (*pred)(void *arg),
    void *arg);
/* With the lock held: wake up to n waiters (notify_all: every one).
   CORUN_ESTATE if the lock is not held. */
int corun_condition_notify(corun_condition *c, size_t n);
int corun_condition_notify_all(corun_condition *c);

/* ---- semaphores (asyncio.Semaphore, BoundedSemaphore) ------------------ */

typedef struct corun_semaphore corun_semaphore;

/* value >= 0; bounded: releasing above the initial value is an error. */
int corun_semaphore_new(corun_loop *loop, unsigned value, int bounded,
    corun_semaphore **out);
int corun_semaphore_free(corun_semaphore *s);
/* Wait until the value is above 0, then decrement it. */
int corun_semaphore_acquire(corun_semaphore *s);
/* Increment, waking one waiter; CORUN_ERANGE for a bounded semaphore
   released too many times (asyncio: ValueError). */
int corun_semaphore_release(corun_semaphore *s);
/* Nonzero when acquire would wait. */
int corun_semaphore_locked(const corun_semaphore *s);
unsigned corun_semaphore_value(const corun_semaphore *s);

#ifdef __cplusplus
}
#endif

#endif /* CORUN_SYNC_H */

/* SPDX-License-Identifier: MIT */
/*
 * corun/task.h - tasks: coroutines (or step functions) driven by a loop,
 * each one a future, plus asyncio's combinators.
 *
 * A task is a corun_future: await it, add callbacks to it, cancel it.
 *
 * Stackful tasks run a plain sequential C function on a coroutine stack.
 * Inside it, the await functions below suspend the task and let the loop
 * run others; they return 0 on success or an error code.  When the body
 * returns rc, a task whose future is still pending completes with: a NULL
 * result if rc == 0, cancelled if rc == CORUN_ECANCELED, otherwise the
 * error rc (message from corun_strerror).  The body may complete its own
 * future first (corun_future_set_result(corun_task_self(), ...)) to give a
 * value or a custom message; then rc is ignored.
 *
 * Cancellation: corun_future_cancel(task) records a request.  A task that
 * never started completes as cancelled without running.  A task suspended
 * in an await is woken: the future it awaits is cancelled too (unless it is
 * a shield), and the await returns CORUN_ECANCELED.  The request is
 * delivered once; the body may then clean up, await again, and return.
 *
 * Callback-style tasks have no stack: a step function is called at start
 * and each time what it waits for completes.  It returns CORUN_PENDING
 * after arranging a wake-up with corun_step_await()/corun_step_sleep(), or
 * a final rc with the meaning above.  Each costs one small allocation, so a
 * loop can hold a very large number of them.
 */
#ifndef CORUN_TASK_H
#define CORUN_TASK_H

#include <stddef.h>
#include <sys/types.h>

#include <corun/error.h>
#include <corun/future.h>
#include <corun/loop.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return value of a step function that is not finished. */
#define CORUN_PENDING (-1)

typedef int (*corun_task_fn)(void *arg);

struct corun_task_opts {
	size_t stack_size;	/* 0 = CORUN_CO_STACK_DEFAULT */
	const char *name;	/* copied; for logs and debugging */
};

/*
 * Create a stackful task running fn(arg) and schedule its first step with
 * call_soon.  If out is not NULL it receives a reference to the task's
 * future (release with corun_future_unref).  The loop holds its own
 * reference until the task is done.  opts may be NULL.
 */
int corun_task_spawn(corun_loop *loop, corun_task_fn fn, void *arg,
    const struct corun_task_opts *opts, corun_future **out);

/* The task running on this thread, or NULL outside a task. */
corun_future *corun_task_self(void);

/* The task's name (never NULL; "task-N" if none was given). */
const char *corun_task_name(const corun_future *task);

/* Nonzero if fut is a task (stackful or callback-style). */
int corun_is_task(const corun_future *fut);

/*
 * asyncio's Task.cancelling(): the number of cancellation requests made on
 * the task (corun_future_cancel, corun_future_cancel_msg, a timeout scope,
 * a task group) minus those withdrawn with corun_task_uncancel().  It
 * stays counted after the request is delivered: inside the handler that
 * sees CORUN_ECANCELED it reads 1 until uncancel.  0 for a non-task.
 */
int corun_task_cancelling(const corun_future *task);

/*
 * asyncio's Task.uncancel(): withdraw one request; returns the count
 * left.  At 0, a request not yet delivered is withdrawn too (the task is
 * not cancelled at its next await).  The body uses it once it has handled
 * a cancellation it was expecting (timeout scopes do it for it).
 */
int corun_task_uncancel(corun_future *task);

/* ---- awaiting, from inside a stackful task ------------------------- */

/*
 * Suspend until fut is done; return corun_future_status(fut), or
 * CORUN_ECANCELED if this task was cancelled while waiting.  Returns
 * CORUN_ENOTCO outside a task.  fut must belong to the same loop.
 */
int corun_await(corun_future *fut);

/* Suspend for seconds (0 yields to the other ready callbacks). */
int corun_sleep(double seconds);

/* Give the other ready callbacks one turn. */
int corun_yield(void);

#define CORUN_READ	0x02	/* same values as libevent's EV_READ */
#define CORUN_WRITE	0x04	/* and EV_WRITE */

/*
 * Wait until fd is readable and/or writable (events = CORUN_READ |
 * CORUN_WRITE) or timeout seconds pass (timeout < 0: no timeout).
 * *revents (may be NULL) receives what is ready.  CORUN_ETIMEDOUT on timeout.
 */
int corun_wait_fd(int fd, short events, double timeout, short *revents);

/*
 * Wait for child process pid to exit; *status (may be NULL) receives the
 * waitpid status.  The loop reaps the child.  Works from several tasks on
 * several children at once.
 */
int corun_wait_child(pid_t pid, int *status);

/* ---- callback-style tasks ------------------------------------------ */

/*
 * wake is 0 at the first call and after a normal wake-up, otherwise the
 * status of what was awaited (the awaited future's status,
 * CORUN_ECANCELED on cancellation).
 */
typedef int (*corun_step_fn)(corun_future *self, void *state, int wake);

/*
 * Create a callback-style task: step(self, state, 0) runs on the next
 * iteration.  state is the caller's; it is not freed by the task.
 */
int corun_task_spawn_step(corun_loop *loop, corun_step_fn step, void *state,
    corun_future **out);

/* From a step function: wake up when fut is done.  Then return CORUN_PENDING. */
int corun_step_await(corun_future *self, corun_future *fut);

/* From a step function: wake up after seconds.  Then return CORUN_PENDING. */
int corun_step_sleep(corun_future *self, double seconds);

/* ---- combinators ---------------------------------------------------- */

/*
 * shield: *out mirrors fut's outcome, but cancelling *out does not cancel
 * fut.
 */
int corun_shield(corun_future *fut, corun_future **out);

/*
 * wait_for: *out gets fut's outcome, or, if timeout seconds pass first, fut
 * is cancelled, and once it is done *out fails with CORUN_ETIMEDOUT.
 * Cancelling *out cancels fut.
 */
int corun_wait_for(corun_future *fut, double timeout, corun_future **out);

/* gather flags */
#define CORUN_GATHER_RETURN_ERRORS 0x1

/*
 * gather: *out completes when every future is done, with a result holding
 * the futures in the order given (read them with corun_gather_futures()).
 * Without CORUN_GATHER_RETURN_ERRORS the first error (or cancellation) is
 * propagated to *out at once, as asyncio does; the others keep running.
 * With it, *out always waits for all and the caller inspects each.
 * Cancelling *out cancels every child that is not done.  n may be 0.
 */
int corun_gather(corun_loop *loop, corun_future *const *futs, size_t n,
    int flags, corun_future **out);

/* The futures of a completed gather, in order. */
corun_future *const *corun_gather_futures(const corun_future *gathered,
    size_t *n);

enum corun_wait_when {
	CORUN_FIRST_COMPLETED = 1,
	CORUN_FIRST_ERROR = 2,	/* first error or cancel; else all */
	CORUN_ALL_COMPLETED = 3
};

struct corun_wait_set {
	size_t ndone;
	corun_future **done;	/* in completion order */
	size_t npending;
	corun_future **pending;	/* in the order given */
};

/*
 * wait: *out completes (always with a result, never an error) when the
 * condition holds or timeout seconds pass (timeout < 0: no timeout); read
 * the done and pending sets with corun_wait_result().  The futures are not
 * cancelled on timeout.
 */
int corun_wait(corun_loop *loop, corun_future *const *futs, size_t n,
    enum corun_wait_when when, double timeout, corun_future **out);

const struct corun_wait_set *corun_wait_result(const corun_future *waited);

/* as_completed: an iterator over futures in the order they finish. */
typedef struct corun_as_completed corun_as_completed;

int corun_as_completed_new(corun_loop *loop, corun_future *const *futs,
    size_t n, double timeout, corun_as_completed **out);

/*
 * From a stackful task: wait for the next input future to finish and store
 * it (a borrowed pointer, valid while the iterator lives) in *next.  Returns
 * CORUN_EDONE when all were returned, CORUN_ETIMEDOUT when the overall
 * timeout passed first.
 */
int corun_as_completed_next(corun_as_completed *ac, corun_future **next);

void corun_as_completed_free(corun_as_completed *ac);

/*
 * Task groups (asyncio.TaskGroup): tasks spawned in a group; the first
 * failure (an error, not a cancellation) cancels the other members; the
 * group's future completes when every member is done, with a NULL result if
 * none failed, else CORUN_EMULTI and a message listing every error.
 */
typedef struct corun_group corun_group;

/*
 * Create a group; *out is owned by the caller (corun_group_free).  Made
 * inside a task of loop, the group has that task as its owner, as an
 * asyncio.TaskGroup entered in it: a member's failure cancels the owner as
 * well as the other members (so that whatever the owner awaits in the
 * group's body stops), and corun_group_wait() ends the group.
 */
int corun_group_new(corun_loop *loop, corun_group **out);

/*
 * From the owner task: the end of the group's body (asyncio's
 * "async with TaskGroup()" exit).  rc is the status the body ends with (0,
 * or the error or CORUN_ECANCELED an await of it returned); an error or a
 * cancellation there cancels the members.  Waits until every member is
 * done (a cancellation of the owner while waiting cancels the members and
 * waits on), withdraws the cancellation the group made of its owner
 * (corun_task_uncancel), and returns CORUN_EMULTI if any member (or the
 * body, as "body") failed, listed by corun_group_error(); else
 * CORUN_ECANCELED if the owner was cancelled from elsewhere; else 0.  The
 * group is complete after it: no corun_group_future() call is needed.
 * CORUN_ESTATE when not called from the owner.
 */
int corun_group_wait(corun_group *g, int rc);

int corun_group_spawn(corun_group *g, corun_task_fn fn, void *arg,
    const struct corun_task_opts *opts, corun_future **out);

/* Add an existing future (e.g. a step task) to the group. */
int corun_group_add(corun_group *g, corun_future *fut);

/*
 * The group's future, BORROWED (valid while the group lives; take a
 * reference with corun_future_ref to keep it longer).  Asking for it closes the group's
 * membership list in the sense that the group may now complete: it is done
 * once every member is done (at the next iteration if it has none).  A
 * group whose future is never asked for never completes.  Once a member
 * has failed or the group is done, new members are refused with
 * CORUN_ESTATE.  Cancelling the future cancels every member; it completes
 * when they have wound down.
 */
corun_future *corun_group_future(corun_group *g);

/* Errors recorded, in the order they happened. */
size_t corun_group_error_count(const corun_group *g);
int corun_group_error(const corun_group *g, size_t i, const char **msg);

/* Cancel every member that is not done. */
void corun_group_cancel(corun_group *g);

/* Free the group; members keep running if not done. */
void corun_group_free(corun_group *g);

#ifdef __cplusplus
}
#endif

#endif /* CORUN_TASK_H */

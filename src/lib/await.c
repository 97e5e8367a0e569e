/* SPDX-License-Identifier: MIT */
/*
 * await.c - what a task can wait for: a future, time, an fd, a child.
 *
 * Stackful tasks suspend their coroutine; callback-style tasks arrange for
 * their step function to be called again.  Either way the thing waited on
 * schedules the task's step handle, and a cancellation request unhooks the
 * wait and schedules it with CORUN_ECANCELED (see task.c).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cr-spawn.h"
#include "task-internal.h"

/* The running stackful task, or NULL. */
static struct cr_task *
stackful(void)
{
	struct cr_task *t = cr_task_current();

	if (t == NULL || t->is_step || corun_co_self() != cr_task_co(t)) {
		return NULL;
	}
	return t;
}

/* Deliver a pending cancellation request, once. */
static int
take_cancel(struct cr_task *t)
{
	if (t->cancel_req > 0) {
		t->cancel_req = 0;
		return CORUN_ECANCELED;
	}
	return 0;
}

/* Suspend until woken; returns the wake status or CORUN_ECANCELED. */
static int
suspend(struct cr_task *t, int kind)
{
	int rc;

	t->wait_kind = (uint8_t)kind;
	corun_co_suspend();
	t->wait_kind = CR_W_NONE;
	rc = take_cancel(t);
	return rc != 0 ? rc : t->wake;
}

static uint64_t
deadline(double seconds)
{
	uint64_t now = corun_loop_now_ns();

	if (seconds > 1e9) {
		seconds = 1e9;
	}
	return now + (uint64_t)(seconds * 1e9);
}

int
corun_await(corun_future *fut)
{
	struct cr_task *t = stackful();
	int rc;

	if (t == NULL) {
		return CORUN_ENOTCO;
	}
	if (fut == NULL || fut->loop != t->fut.loop || fut == &t->fut) {
		return CORUN_EINVAL;
	}
	if ((rc = take_cancel(t)) != 0) {
		return rc;
	}
	if (corun_future_done(fut)) {
		return corun_future_status(fut);
	}
	if ((rc = corun_future_add_done_callback(fut, cr_task_on_done,
	    t)) != 0) {
		return rc;
	}
	t->w.fut = corun_future_ref(fut);
	t->wake = 0;
	rc = suspend(t, CR_W_FUTURE);
	/* Woken by a cancel before fut was done: stop listening. */
	corun_future_discard_callback(fut, cr_task_on_done, t);
	corun_future_unref(fut);
	return rc;
}

int
corun_yield(void)
{
	struct cr_task *t = stackful();
	int rc;

	if (t == NULL) {
		return CORUN_ENOTCO;
	}
	if ((rc = take_cancel(t)) != 0) {
		return rc;
	}
	t->wake = 0;
	cr_loop_schedule(t->fut.loop, &t->step_h);
	return suspend(t, CR_W_YIELD);
}

int
corun_sleep(double seconds)
{
	struct cr_task *t = stackful();
	int rc;

	if (t == NULL) {
		return CORUN_ENOTCO;
	}
	if (!(seconds > 0)) {
		return corun_yield();
	}
	if ((rc = take_cancel(t)) != 0) {
		return rc;
	}
	t->wake = 0;
	cr_loop_timer_add(t->fut.loop, &t->step_h, deadline(seconds));
	return suspend(t, CR_W_TIMER);
}

static void
fd_ready(evutil_socket_t fd, short what, void *arg)
{
	struct cr_task *t = arg;

	(void)fd;
	t->revents = what;
	cr_task_wake(t, (what & EV_TIMEOUT) ? CORUN_ETIMEDOUT : 0);
}

int
corun_wait_fd(int fd, short events, double timeout, short *revents)
{
	struct cr_task *t = stackful();
	struct timeval tv;
	struct event *ev;
	int rc;

	if (t == NULL) {
		return CORUN_ENOTCO;
	}
	if (fd < 0 || (events & (CORUN_READ | CORUN_WRITE)) == 0 ||
	    (events & ~(CORUN_READ | CORUN_WRITE)) != 0) {
		return CORUN_EINVAL;
	}
	if ((rc = take_cancel(t)) != 0) {
		return rc;
	}
	ev = event_new(corun_loop_base(t->fut.loop), fd, events, fd_ready, t);
	if (ev == NULL) {
		return CORUN_ENOMEM;
	}
	if (isnan(timeout)) {
		return CORUN_EINVAL;
	}
	if (!(isinf(timeout) && timeout > 0)) {
		if (timeout > 1e9) {
			timeout = 1e9;
		} else if (timeout < 0) {
			timeout = 0;	/* already expired */
		}
		tv.tv_sec = (time_t)timeout;
		tv.tv_usec = (suseconds_t)((timeout - (double)tv.tv_sec) * 1e6);
	}
	if (event_add(ev, isinf(timeout) ? NULL : &tv) != 0) {
		event_free(ev);
		return CORUN_ESYS;
	}
	t->w.ev = ev;
	t->wake = 0;
	t->revents = 0;
	rc = suspend(t, CR_W_FD);
	event_free(ev);
	if (revents != NULL) {
		*revents = rc == 0 ? (short)(t->revents &
		    (CORUN_READ | CORUN_WRITE)) : 0;
	}
	return rc;
}

/*
 * If pid has exited, reap it (or with nowait only see it): 1 done, 0
 * still running, -1 error.
 */
static int
try_reap(pid_t pid, int *status, int nowait)
{
	siginfo_t si;
	pid_t r;

	if (nowait) {
		memset(&si, 0, sizeof(si));
		while ((r = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG |
		    WNOWAIT)) != 0 && errno == EINTR) {
		}
		return r != 0 ? -1 : si.si_pid == pid;
	}
	do {
		r = waitpid(pid, status, WNOHANG);
	} while (r < 0 && errno == EINTR);
	if (r == pid) {
		return 1;
	}
	return r == 0 ? 0 : -1;
}

/* Wait in a task until pid exits; reap it unless nowait. */
static int
wait_child(pid_t pid, int *status, int nowait)
{
	struct cr_task *t = stackful();
	double delay = 0.001;
	int st = 0, rc, r;
	int pidfd = -1;

	if (t == NULL) {
		return CORUN_ENOTCO;
	}
	if (pid <= 0) {
		return CORUN_EINVAL;
	}
#ifdef SYS_pidfd_open
	/* A pidfd becomes readable when the child exits: no SIGCHLD games. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
	for (;;) {
		if ((r = try_reap(pid, &st, nowait)) != 0) {
			break;
		}
		if (pidfd >= 0) {
			rc = corun_wait_fd(pidfd, CORUN_READ,
			    CORUN_NO_TIMEOUT, NULL);
		} else {
			/* No pidfd (old kernel): poll with backoff. */
			rc = corun_sleep(delay);
			if (delay < 0.05) {
				delay *= 2;
			}
		}
		if (rc != 0) {
			if (pidfd >= 0) {
				close(pidfd);
			}
			return rc;
		}
	}
	if (pidfd >= 0) {
		close(pidfd);
	}
	if (r < 0) {
		return errno == ECHILD ? CORUN_ENOENT : CORUN_ESYS;
	}
	if (status != NULL) {
		*status = st;
	}
	return 0;
}

int
corun_wait_child(pid_t pid, int *status)
{
	return wait_child(pid, status, 0);
}

int
cr_wait_exited(pid_t pid)
{
	return wait_child(pid, NULL, 1);
}

/* ---- callback-style tasks ------------------------------------------ */

static struct cr_task *
step_task(corun_future *self)
{
	struct cr_task *t = (struct cr_task *)self;

	if (!corun_is_task(self) || !t->is_step || t->finished ||
	    t->wait_kind != CR_W_NONE || t->step_h.state != CR_H_IDLE) {
		return NULL;
	}
	return t;
}

int
corun_step_await(corun_future *self, corun_future *fut)
{
	struct cr_task *t;
	int rc;

	if (self == NULL || fut == NULL || fut == self) {
		return CORUN_EINVAL;
	}
	if ((t = step_task(self)) == NULL) {
		return CORUN_ESTATE;
	}
	if (fut->loop != self->loop) {
		return CORUN_EINVAL;
	}
	if (corun_future_done(fut)) {
		cr_task_wake(t, corun_future_status(fut));
		return 0;
	}
	if ((rc = corun_future_add_done_callback(fut, cr_task_on_done,
	    t)) != 0) {
		return rc;
	}
	t->w.fut = corun_future_ref(fut);
	t->wait_kind = CR_W_FUTURE;
	return 0;
}

int
corun_step_sleep(corun_future *self, double seconds)
{
	struct cr_task *t;

	if (self == NULL) {
		return CORUN_EINVAL;
	}
	if ((t = step_task(self)) == NULL) {
		return CORUN_ESTATE;
	}
	t->wake = 0;
	if (!(seconds > 0)) {
		cr_loop_schedule(self->loop, &t->step_h);
		return 0;
	}
	cr_loop_timer_add(self->loop, &t->step_h, deadline(seconds));
	t->wait_kind = CR_W_TIMER;
	return 0;
}

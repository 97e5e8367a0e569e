/* SPDX-License-Identifier: MIT */
/*
 * loop-run.c - running the loop: one iteration polls I/O (without blocking
 * when callbacks are ready, else until the earliest timer), moves due
 * timers to the ready queue, then runs the callbacks that were ready when
 * the iteration started.
 *
 * libevent sees a single timer event, set to the earliest deadline, so a
 * loop can hold hundreds of thousands of timers at the cost of a heap
 * entry each.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <sys/timerfd.h>
#endif

#include "loop-internal.h"
#include "future-internal.h"

static __thread corun_loop *cr_current_loop CR_TLS;

corun_loop *
corun_loop_current(void)
{
	return cr_current_loop;
}

void
cr_loop_forget_current(corun_loop *loop)
{
	if (cr_current_loop == loop) {
		cr_current_loop = NULL;
	}
}

/* ---- running -------------------------------------------------------- */

static void
arm_timer(corun_loop *loop, uint64_t timeout_ns, uint64_t when)
{
	if (loop->timer_fd >= 0) {
#ifdef __linux__
		struct itimerspec its;

		memset(&its, 0, sizeof(its));
		its.it_value.tv_sec = (time_t)(when / 1000000000u);
		its.it_value.tv_nsec = (long)(when % 1000000000u);
		if (timerfd_settime(loop->timer_fd, TFD_TIMER_ABSTIME, &its,
		    NULL) == 0) {
			loop->timer_armed = 1;
			loop->armed_when = when;
		}
#endif
		return;
	}
	{
		struct timeval tv;

		tv.tv_sec = (time_t)(timeout_ns / 1000000000u);
		tv.tv_usec = (suseconds_t)((timeout_ns % 1000000000u + 999u) /
		    1000u);
		if (event_add(loop->timer_ev, &tv) == 0) {
			loop->timer_armed = 1;
			loop->armed_when = when;
		}
	}
}

/*
 * Poll I/O for at most timeout_ns (0: do not block; UINT64_MAX: until
 * something happens).
 */
static void
poll_io(corun_loop *loop, uint64_t timeout_ns, uint64_t when)
{
	if (timeout_ns == 0) {
		event_base_loop(loop->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		return;
	}
	if (timeout_ns != UINT64_MAX) {
		/* Re-arm only when the earliest deadline changed. */
		if (!loop->timer_armed || loop->armed_when != when) {
			arm_timer(loop, timeout_ns, when);
		}
	} else if (loop->timer_armed && loop->timer_fd < 0) {
		/* A stale timerfd only wakes us once for nothing: leave it. */
		event_del(loop->timer_ev);
		loop->timer_armed = 0;
	}
	event_base_loop(loop->base, EVLOOP_ONCE);
}

static void
run_iteration(corun_loop *loop, uint64_t max_block_ns)
{
	uint64_t timeout = max_block_ns, now, when = 0;
	size_t n;

	if (loop->rq_len > 0 || loop->stopping) {
		timeout = 0;
	} else if (cr_timer_first(loop, &when) != NULL) {
		now = corun_loop_now_ns();
		if (when <= now) {
			timeout = 0;
		} else if (when - now < timeout) {
			timeout = when - now;
		} else {
			when = now + timeout;
		}
	} else if (timeout != UINT64_MAX) {
		when = corun_loop_now_ns() + timeout;
	}
	poll_io(loop, timeout, when);
	if (cr_timers_any(loop)) {
		struct corun_handle *h;

		now = corun_loop_now_ns();
		while ((h = cr_timer_first(loop, &when)) != NULL && when <= now) {
			cr_timer_remove(loop, h);
			cr_rq_push(loop, h);
		}
	}

	/* Callbacks scheduled by these ones wait for the next iteration. */
	for (n = loop->rq_len; n > 0 && loop->rq_head != NULL; n--) {
		struct corun_handle *h = loop->rq_head;

		int embedded = h->flags & CR_H_EMBEDDED;

		cr_rq_remove(loop, h);
		/* An embedded handle may be freed by its own callback. */
		h->cb(h->arg);
		if (!embedded) {
			cr_handle_unref(h);
		}
	}
}

static int
run_enter(corun_loop *loop)
{
	if (loop->running || cr_current_loop != NULL) {
		return CORUN_EBUSY;
	}
	loop->running = 1;
	loop->thread = pthread_self();
	cr_current_loop = loop;
	return 0;
}

static void
run_leave(corun_loop *loop)
{
	loop->running = 0;
	loop->stopping = 0;
	cr_current_loop = NULL;
}

int
corun_loop_run_once(corun_loop *loop, double timeout)
{
	uint64_t block;
	int rc;

	if (isnan(timeout)) {
		return CORUN_EINVAL;
	}
	if ((rc = run_enter(loop)) != 0) {
		return rc;
	}
	if (isinf(timeout) && timeout > 0) {
		block = UINT64_MAX;
	} else if (timeout <= 0) {
		block = 0;
	} else if (timeout > 1e9) {
		block = (uint64_t)1e18;
	} else {
		block = (uint64_t)(timeout * 1e9);
	}
	run_iteration(loop, block);
	run_leave(loop);
	return 0;
}

int
corun_loop_run_forever(corun_loop *loop)
{
	int rc;

	if ((rc = run_enter(loop)) != 0) {
		return rc;
	}
	/* A stop asked for before the call still lets one iteration run. */
	do {
		run_iteration(loop, UINT64_MAX);
	} while (!loop->stopping);
	run_leave(loop);
	return 0;
}

int
corun_loop_run_until_complete(corun_loop *loop, corun_future *fut)
{
	int rc;

	if (fut == NULL) {
		return CORUN_EINVAL;
	}
	if ((rc = run_enter(loop)) != 0) {
		return rc;
	}
	corun_future_ref(fut);
	while (!corun_future_done(fut)) {
		run_iteration(loop, UINT64_MAX);
		if (loop->stopping) {
			break;
		}
	}
	rc = corun_future_done(fut) ? corun_future_status(fut) :
	    CORUN_ESTATE;
	corun_future_unref(fut);
	run_leave(loop);
	return rc;
}

void
corun_loop_stop(corun_loop *loop)
{
	loop->stopping = 1;
}

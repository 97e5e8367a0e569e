/* SPDX-License-Identifier: MIT */
/*
 * loop-new.c - creating a loop (libevent base, wake-up fd, timer fd) and
 * freeing it: the parts above the core tear down through the hooks they
 * installed (cr_loop_set_part), then pending handles are dropped.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/timerfd.h>
#endif

#include "loop-internal.h"

/*
 * The timer event only ends the poll it fires in: the iteration that polled
 * collects the due timers itself (loop-run.c).
 */
static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	corun_loop *loop = arg;
	uint64_t expirations;

	(void)what;
	if (loop->timer_fd >= 0) {
		while (read(fd, &expirations, sizeof(expirations)) < 0 &&
		    errno == EINTR) {
		}
	}
	loop->timer_armed = 0;
}

/*
 * The earliest deadline is a timerfd we set only when that deadline
 * changes: precise to the nanosecond, and no timerfd_settime per poll,
 * which libevent's precise-timer mode would cost.  Elsewhere a libevent
 * timer (millisecond precision on epoll).  -1 when the timerfd's event
 * cannot be added; a NULL loop->timer_ev is the caller's to check.
 */
static int
timer_ev_new(corun_loop *loop)
{
	loop->timer_fd = -1;
#ifdef __linux__
	loop->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC |
	    TFD_NONBLOCK);
#endif
	if (loop->timer_fd >= 0) {
		loop->timer_ev = event_new(loop->base, loop->timer_fd,
		    EV_READ | EV_PERSIST, timer_cb, loop);
		if (loop->timer_ev != NULL &&
		    event_add(loop->timer_ev, NULL) != 0) {
			return -1;
		}
	} else {
		loop->timer_ev = evtimer_new(loop->base, timer_cb, loop);
	}
	return 0;
}

int
corun_loop_new(corun_loop **out)
{
	struct event_config *cfg;
	corun_loop *loop;

	if (out == NULL) {
		return CORUN_EINVAL;
	}
	if ((loop = calloc(1, sizeof(*loop))) == NULL) {
		return CORUN_ENOMEM;
	}
	loop->wake_fd[0] = loop->wake_fd[1] = -1;
	loop->timer_fd = -1;
	pthread_mutex_init(&loop->tsq_mu, NULL);
	cfg = event_config_new();
	if (cfg == NULL) {
		goto nomem;
	}
	/* One thread uses the base; wake-ups come through our own fd. */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
	loop->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (loop->base == NULL) {
		goto nomem;
	}
	if (cr_wake_fd_open(loop->wake_fd) != 0) {
		int err = errno;

		corun_loop_free(loop);
		errno = err;
		return CORUN_ESYS;
	}
	loop->wake_ev = event_new(loop->base, loop->wake_fd[0],
	    EV_READ | EV_PERSIST, cr_loop_wake_cb, loop);
	if (timer_ev_new(loop) != 0) {
		goto nomem;
	}
	if (loop->wake_ev == NULL || loop->timer_ev == NULL ||
	    event_add(loop->wake_ev, NULL) != 0) {
		goto nomem;
	}
	*out = loop;
	return 0;
nomem:
	corun_loop_free(loop);
	return CORUN_ENOMEM;
}

static void
drop_handle(struct corun_handle *h)
{
	h->state = CR_H_IDLE;
	if (h->drop != NULL) {
		h->drop(h->arg);
	}
	cr_handle_unref(h);
}

/* Stage 0: quiesce, 1: destroy, 2: release (struct cr_loop_part_ops). */
static void
run_part_hooks(corun_loop *loop, int stage)
{
	for (int i = 0; i < CR_PART_COUNT; i++) {
		const struct cr_loop_part_ops *ops = loop->parts[i];
		void (*fn)(corun_loop *);

		if (ops == NULL) {
			continue;
		}
		fn = stage == 0 ? ops->quiesce :
		    stage == 1 ? ops->destroy : ops->release;
		if (fn != NULL) {
			fn(loop);
		}
	}
}

int
corun_loop_free(corun_loop *loop)
{
	struct corun_handle *h;

	if (loop == NULL) {
		return 0;
	}
	if (loop->running) {
		/* From one of its callbacks: the iteration still uses it. */
		return CORUN_EBUSY;
	}
	/* Join the executor first: its threads may still post completions. */
	run_part_hooks(loop, 0);
	cr_loop_tsq_close(loop);
	/* Live tasks end before the handles they hold are dropped. */
	run_part_hooks(loop, 1);
	/* Dropping a handle may schedule nothing new: drop hooks only unref. */
	while ((h = loop->rq_head) != NULL) {
		cr_rq_remove(loop, h);
		drop_handle(h);
	}
	while ((h = cr_timer_first(loop, &(uint64_t){ 0 })) != NULL) {
		cr_timer_remove(loop, h);
		drop_handle(h);
	}
	free(loop->heap);
	run_part_hooks(loop, 2);
	while ((h = loop->free_handles) != NULL) {
		loop->free_handles = h->u.q.next;
		free(h);
	}
	if (loop->wake_ev != NULL) {
		event_free(loop->wake_ev);
	}
	if (loop->timer_ev != NULL) {
		event_free(loop->timer_ev);
	}
	if (loop->timer_fd >= 0) {
		close(loop->timer_fd);
	}
	if (loop->base != NULL) {
		event_base_free(loop->base);
	}
	cr_wake_fd_close(loop->wake_fd);
	pthread_mutex_destroy(&loop->tsq_mu);
	cr_loop_forget_current(loop);
	free(loop);
	return 0;
}

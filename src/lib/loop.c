/*
 * loop.c - the event loop: a ready queue, a timer heap and libevent for I/O.
 *
 * One iteration: poll I/O (without blocking when callbacks are ready, else
 * until the earliest timer), move due timers to the ready queue, then run
 * the callbacks that were ready when the run started.  libevent sees a
 * single timer event, set to the earliest deadline, so a loop can hold
 * hundreds of thousands of timers at the cost of a heap entry each.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#endif

#include "loop-internal.h"

#define CR_FREE_HANDLES_MAX 1024

static __thread corun_loop *cr_current_loop CR_TLS;

uint64_t
corun_loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double
corun_loop_time(corun_loop *loop)
{
	(void)loop;
	return (double)corun_loop_now_ns() / 1e9;
}

corun_loop *
corun_loop_current(void)
{
	return cr_current_loop;
}

struct event_base *
corun_loop_base(corun_loop *loop)
{
	return loop->base;
}

int
corun_loop_is_running(const corun_loop *loop)
{
	return loop->running;
}

size_t
corun_loop_task_count(const corun_loop *loop)
{
	return loop->ntasks;
}

/* ---- the ready queue and the sorted timer list ------------------------ */

static void
list_append(struct corun_handle **head, struct corun_handle **tail,
    struct corun_handle *h)
{
	h->u.q.next = NULL;
	h->u.q.prev = *tail;
	if (*tail != NULL) {
		(*tail)->u.q.next = h;
	} else {
		*head = h;
	}
	*tail = h;
}

static void
list_unlink(struct corun_handle **head, struct corun_handle **tail,
    struct corun_handle *h)
{
	struct corun_handle *next = h->u.q.next, *prev = h->u.q.prev;

	if (prev != NULL) {
		prev->u.q.next = next;
	} else {
		*head = next;
	}
	if (next != NULL) {
		next->u.q.prev = prev;
	} else {
		*tail = prev;
	}
	h->state = CR_H_IDLE;
}

static void
rq_push(corun_loop *loop, struct corun_handle *h)
{
	list_append(&loop->rq_head, &loop->rq_tail, h);
	loop->rq_len++;
	h->state = CR_H_READY;
}

static void
rq_remove(corun_loop *loop, struct corun_handle *h)
{
	list_unlink(&loop->rq_head, &loop->rq_tail, h);
	loop->rq_len--;
}

/*
 * ---- the timer heap (min by deadline, then by sequence) -------------
 *
 * Keys live in the heap array, not in the handles: sifting compares
 * neighbours in one array instead of chasing pointers to handles spread
 * over memory (each a cache miss when 100 000 tasks sleep).
 */

static int
heap_less(const struct cr_heap_ent *a, const struct cr_heap_ent *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void
heap_set(corun_loop *loop, size_t i, struct cr_heap_ent e)
{
	loop->heap[i] = e;
	e.h->u.t.idx = i;
}

static void
heap_up(corun_loop *loop, size_t i)
{
	struct cr_heap_ent e = loop->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!heap_less(&e, &loop->heap[parent])) {
			break;
		}
		heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_set(loop, i, e);
}

static void
heap_down(corun_loop *loop, size_t i)
{
	struct cr_heap_ent e = loop->heap[i];
	size_t n = loop->heap_len;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n) {
			break;
		}
		if (c + 1 < n && heap_less(&loop->heap[c + 1], &loop->heap[c])) {
			c++;
		}
		if (!heap_less(&loop->heap[c], &e)) {
			break;
		}
		heap_set(loop, i, loop->heap[c]);
		i = c;
	}
	heap_set(loop, i, e);
}

static int
heap_push(corun_loop *loop, struct corun_handle *h, uint64_t when)
{
	struct cr_heap_ent e;

	if (loop->heap_len == loop->heap_cap) {
		size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
		struct cr_heap_ent *nh;

		nh = realloc(loop->heap, cap * sizeof(*nh));
		if (nh == NULL) {
			return CORUN_ENOMEM;
		}
		loop->heap = nh;
		loop->heap_cap = cap;
	}
	e.when = when;
	e.seq = loop->seq++;
	e.h = h;
	heap_set(loop, loop->heap_len++, e);
	heap_up(loop, h->u.t.idx);
	h->state = CR_H_TIMER;
	return 0;
}

static void
heap_remove(corun_loop *loop, struct corun_handle *h)
{
	size_t i = h->u.t.idx;
	struct cr_heap_ent last = loop->heap[--loop->heap_len];

	h->state = CR_H_IDLE;
	if (last.h == h) {
		return;
	}
	heap_set(loop, i, last);
	if (i > 0 && heap_less(&last, &loop->heap[(i - 1) / 2])) {
		heap_up(loop, i);
	} else {
		heap_down(loop, i);
	}
}

/* ---- timers: the list or the heap ---------------------------------- */

/*
 * Equal deadlines must run in scheduling order.  A timer goes to the list
 * only when its deadline is >= every deadline the list has taken since
 * both structures were last empty (tq_max), so a list entry with the same
 * deadline as a heap entry was always scheduled first: ties go to the
 * list.
 */
static int
timer_insert(corun_loop *loop, struct corun_handle *h, uint64_t when)
{
	if (when >= loop->tq_max) {
		h->u.q.when = when;
		list_append(&loop->tq_head, &loop->tq_tail, h);
		loop->tq_max = when;
		h->state = CR_H_TIMERQ;
		return 0;
	}
	return heap_push(loop, h, when);
}

static void
timers_maybe_reset(corun_loop *loop)
{
	if (loop->tq_head == NULL && loop->heap_len == 0) {
		loop->tq_max = 0;
	}
}

static void
timer_remove(corun_loop *loop, struct corun_handle *h)
{
	if (h->state == CR_H_TIMERQ) {
		list_unlink(&loop->tq_head, &loop->tq_tail, h);
	} else {
		heap_remove(loop, h);
	}
	timers_maybe_reset(loop);
}

/* The earliest timer (ties: the list's), or NULL; *when its deadline. */
static struct corun_handle *
timer_first(const corun_loop *loop, uint64_t *when)
{
	const struct corun_handle *l = loop->tq_head;

	if (loop->heap_len > 0 &&
	    (l == NULL || loop->heap[0].when < l->u.q.when)) {
		*when = loop->heap[0].when;
		return loop->heap[0].h;
	}
	if (l != NULL) {
		*when = l->u.q.when;
	}
	return (struct corun_handle *)l;
}

/* ---- handles -------------------------------------------------------- */

void
cr_handle_init_embedded(struct corun_handle *h, corun_loop *loop,
    corun_cb cb, void *arg)
{
	memset(h, 0, sizeof(*h));
	h->cb = cb;
	h->arg = arg;
	h->loop = loop;
	h->flags = CR_H_EMBEDDED;
}

struct corun_handle *
cr_handle_alloc(corun_loop *loop, corun_cb cb, void *arg)
{
	struct corun_handle *h = loop->free_handles;

	if (h != NULL) {
		loop->free_handles = h->u.q.next;
		loop->nfree_handles--;
	} else if ((h = malloc(sizeof(*h))) == NULL) {
		return NULL;
	}
	memset(h, 0, sizeof(*h));
	h->cb = cb;
	h->arg = arg;
	h->loop = loop;
	h->refs = 1;
	return h;
}

void
cr_handle_unref(struct corun_handle *h)
{
	corun_loop *loop = h->loop;

	if ((h->flags & CR_H_EMBEDDED) || --h->refs > 0) {
		return;
	}
	if (loop->nfree_handles < CR_FREE_HANDLES_MAX) {
		h->u.q.next = loop->free_handles;
		loop->free_handles = h;
		loop->nfree_handles++;
	} else {
		free(h);
	}
}

void
cr_loop_schedule(corun_loop *loop, struct corun_handle *h)
{
	rq_push(loop, h);
}

void
cr_loop_timer_add(corun_loop *loop, struct corun_handle *h, uint64_t when)
{
	if (timer_insert(loop, h, when) != 0) {
		/*
		 * No memory to grow the heap: run the callback at once rather
		 * than lose it.  Early is the lesser evil than never.
		 */
		rq_push(loop, h);
	}
}

int
cr_handle_unschedule(struct corun_handle *h)
{
	switch (h->state) {
	case CR_H_READY:
		rq_remove(h->loop, h);
		return 0;
	case CR_H_TIMER:
	case CR_H_TIMERQ:
		timer_remove(h->loop, h);
		return 0;
	default:
		return CORUN_ESTATE;
	}
}

static int
schedule_new(corun_loop *loop, int timer, uint64_t when, corun_cb cb,
    void *arg, corun_handle **out)
{
	struct corun_handle *h;

	if (loop == NULL || cb == NULL) {
		return CORUN_EINVAL;
	}
	if ((h = cr_handle_alloc(loop, cb, arg)) == NULL) {
		return CORUN_ENOMEM;
	}
	if (timer) {
		if (timer_insert(loop, h, when) != 0) {
			cr_handle_unref(h);
			return CORUN_ENOMEM;
		}
	} else {
		rq_push(loop, h);
	}
	if (out != NULL) {
		h->refs++;
		*out = h;
	}
	return 0;
}

int
corun_call_soon(corun_loop *loop, corun_cb cb, void *arg, corun_handle **out)
{
	return schedule_new(loop, 0, 0, cb, arg, out);
}

static uint64_t
deadline_ns(double delay)
{
	uint64_t now = corun_loop_now_ns();

	if (!(delay > 0)) {
		return now;
	}
	if (delay > 1e9) {
		delay = 1e9;	/* about 31 years: far enough */
	}
	return now + (uint64_t)(delay * 1e9);
}

int
corun_call_later(corun_loop *loop, double delay, corun_cb cb, void *arg,
    corun_handle **out)
{
	return schedule_new(loop, 1, deadline_ns(delay), cb, arg, out);
}

int
corun_call_at(corun_loop *loop, double when, corun_cb cb, void *arg,
    corun_handle **out)
{
	/* Same when, same deadline: convert directly, not via a delay. */
	uint64_t ns = when > 0 ? (uint64_t)llround(when * 1e9) : 0;

	return schedule_new(loop, 1, ns, cb, arg, out);
}

int
corun_handle_cancel(corun_handle *h)
{
	if (h == NULL) {
		return CORUN_EINVAL;
	}
	if (cr_handle_unschedule(h) != 0) {
		return CORUN_ESTATE;
	}
	cr_handle_unref(h);	/* the loop's reference */
	return 0;
}

void
corun_handle_release(corun_handle *h)
{
	if (h != NULL) {
		cr_handle_unref(h);
	}
}

/* ---- wake-ups from other threads ------------------------------------ */

static void
wake_fd_write(corun_loop *loop)
{
	uint64_t one = 1;
	ssize_t n;

	do {
		n = write(loop->wake_fd[1], &one, sizeof(one));
	} while (n < 0 && errno == EINTR);
	/* EAGAIN: the counter or pipe is full, so the loop will wake anyway. */
}

static void
wake_fd_drain(corun_loop *loop)
{
	char buf[64];
	ssize_t n;

	do {
		n = read(loop->wake_fd[0], buf, sizeof(buf));
	} while (n > 0 || (n < 0 && errno == EINTR));
}

int
corun_call_soon_threadsafe(corun_loop *loop, corun_cb cb, void *arg)
{
	struct corun_handle *h;
	int signal;

	if (loop == NULL || cb == NULL) {
		return CORUN_EINVAL;
	}
	if ((h = malloc(sizeof(*h))) == NULL) {
		return CORUN_ENOMEM;
	}
	memset(h, 0, sizeof(*h));
	h->cb = cb;
	h->arg = arg;
	h->loop = loop;
	h->refs = 1;

	pthread_mutex_lock(&loop->tsq_mu);
	if (loop->closing) {
		pthread_mutex_unlock(&loop->tsq_mu);
		free(h);
		return CORUN_ECLOSED;
	}
	if (loop->tsq_tail != NULL) {
		loop->tsq_tail->u.q.next = h;
	} else {
		loop->tsq_head = h;
	}
	loop->tsq_tail = h;
	signal = !loop->tsq_signalled;
	loop->tsq_signalled = 1;
	/* Write under the lock so loop_free cannot close the fd under us. */
	if (signal) {
		wake_fd_write(loop);
	}
	pthread_mutex_unlock(&loop->tsq_mu);
	return 0;
}

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	corun_loop *loop = arg;
	struct corun_handle *h, *next;

	(void)fd;
	(void)what;
	wake_fd_drain(loop);
	pthread_mutex_lock(&loop->tsq_mu);
	h = loop->tsq_head;
	loop->tsq_head = loop->tsq_tail = NULL;
	loop->tsq_signalled = 0;
	pthread_mutex_unlock(&loop->tsq_mu);
	for (; h != NULL; h = next) {
		next = h->u.q.next;
		rq_push(loop, h);
	}
}

static void
stop_cb(void *arg)
{
	corun_loop_stop(arg);
}

int
corun_loop_stop_threadsafe(corun_loop *loop)
{
	return corun_call_soon_threadsafe(loop, stop_cb, loop);
}

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

/* ---- creation and destruction --------------------------------------- */

static int
wake_fd_open(int fds[2])
{
#ifdef __linux__
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd >= 0) {
		fds[0] = fds[1] = fd;
		return 0;
	}
#endif
	if (pipe(fds) != 0) {
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		fcntl(fds[i], F_SETFD, FD_CLOEXEC);
		fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
	}
	return 0;
}

static void
wake_fd_close(int fds[2])
{
	if (fds[0] >= 0) {
		close(fds[0]);
	}
	if (fds[1] >= 0 && fds[1] != fds[0]) {
		close(fds[1]);
	}
	fds[0] = fds[1] = -1;
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
	if (wake_fd_open(loop->wake_fd) != 0) {
		int err = errno;

		corun_loop_free(loop);
		errno = err;
		return CORUN_ESYS;
	}
	loop->wake_ev = event_new(loop->base, loop->wake_fd[0],
	    EV_READ | EV_PERSIST, wake_cb, loop);
	/*
	 * The earliest deadline is a timerfd we set only when that deadline
	 * changes: precise to the nanosecond, and no timerfd_settime per
	 * poll, which libevent's precise-timer mode would cost.  Elsewhere a
	 * libevent timer (millisecond precision on epoll).
	 */
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
			goto nomem;
		}
	} else {
		loop->timer_ev = evtimer_new(loop->base, timer_cb, loop);
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

void
corun_loop_free(corun_loop *loop)
{
	struct corun_handle *h, *next;

	if (loop == NULL) {
		return;
	}
	/* Join the executor first: its threads may still post completions. */
	cr_executor_destroy(loop);
	pthread_mutex_lock(&loop->tsq_mu);
	loop->closing = 1;
	h = loop->tsq_head;
	loop->tsq_head = loop->tsq_tail = NULL;
	pthread_mutex_unlock(&loop->tsq_mu);
	for (; h != NULL; h = next) {
		next = h->u.q.next;
		free(h);
	}
	cr_loop_destroy_tasks(loop);
	/* Dropping a handle may schedule nothing new: drop hooks only unref. */
	while ((h = loop->rq_head) != NULL) {
		rq_remove(loop, h);
		drop_handle(h);
	}
	while ((h = timer_first(loop, &(uint64_t){ 0 })) != NULL) {
		timer_remove(loop, h);
		drop_handle(h);
	}
	free(loop->heap);
	cr_loop_free_task_cache(loop);
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
	wake_fd_close(loop->wake_fd);
	pthread_mutex_destroy(&loop->tsq_mu);
	if (cr_current_loop == loop) {
		cr_current_loop = NULL;
	}
	free(loop);
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
	} else if (timer_first(loop, &when) != NULL) {
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
	if (loop->heap_len > 0 || loop->tq_head != NULL) {
		struct corun_handle *h;

		now = corun_loop_now_ns();
		while ((h = timer_first(loop, &when)) != NULL && when <= now) {
			timer_remove(loop, h);
			rq_push(loop, h);
		}
	}

	/* Callbacks scheduled by these ones wait for the next iteration. */
	for (n = loop->rq_len; n > 0 && loop->rq_head != NULL; n--) {
		struct corun_handle *h = loop->rq_head;

		int embedded = h->flags & CR_H_EMBEDDED;

		rq_remove(loop, h);
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

	if ((rc = run_enter(loop)) != 0) {
		return rc;
	}
	if (timeout < 0) {
		block = UINT64_MAX;
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
	while (!loop->stopping) {
		run_iteration(loop, UINT64_MAX);
	}
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
	while (!corun_future_done(fut) && !loop->stopping) {
		run_iteration(loop, UINT64_MAX);
	}
	rc = corun_future_done(fut) ? 0 : CORUN_ESTATE;
	corun_future_unref(fut);
	run_leave(loop);
	return rc;
}

void
corun_loop_stop(corun_loop *loop)
{
	loop->stopping = 1;
}

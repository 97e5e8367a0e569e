/* SPDX-License-Identifier: MIT */
/*
 * executor.c - run blocking calls on a per-loop thread pool.
 *
 * A call is its own future (struct cr_xcall starts with a corun_future).
 * It sits in a FIFO queue until a pool thread takes it, runs fn outside the
 * lock, then moves it to the done list.  The loop thread learns about done
 * calls through one corun_call_soon_threadsafe() per batch: the first call
 * to land on an empty done list posts a drain, and the drain completes
 * every call on the list.  So futures are only ever completed, and their
 * callbacks only ever run, on the loop's thread.
 *
 * References: the executor holds one on each call from submission until
 * the drain (or executor_destroy) is through with it; the caller holds
 * the one returned in *out.
 *
 * Cancelling a queued call unlinks it, so no thread ever sees it.  A running
 * call cannot be stopped: its future is cancelled at once and the drain
 * applies the dtor to whatever it returns.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "future-internal.h"
#include "loop-internal.h"

#include <corun/executor.h>

#define CR_EXEC_DEFAULT	4
#define CR_EXEC_MAX	256

/* Where a call is. */
enum {
	CR_X_QUEUED = 1,	/* in ex->q, no thread has it */
	CR_X_RUNNING,		/* a pool thread runs fn */
	CR_X_FINISHED,		/* in ex->done, waiting for the drain */
	CR_X_OUT		/* unlinked: drained, cancelled or dropped */
};

struct cr_xcall {
	struct corun_future fut;	/* first: the call is its future */
	struct cr_xcall *next, *prev;	/* queue; done list uses next */
	corun_blocking_fn fn;
	void *arg;
	corun_dtor dtor;
	void *result;			/* written by the pool thread */
	int rc;
	int where;			/* under ex->mu */
};

struct cr_xthread {
	pthread_t tid;
	struct cr_executor *ex;
	int exited;			/* returned; join without blocking */
	struct cr_xthread *next;
};

struct cr_executor {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	corun_loop *loop;
	struct cr_xcall *q_head, *q_tail;
	struct cr_xcall *d_head, *d_tail;
	struct cr_xthread *threads;	/* every thread not joined yet */
	size_t nthreads;		/* threads that have not exited */
	size_t target;
	int posted;			/* a drain is on its way to the loop */
	int stopping;
};

static int xcall_cancel(corun_future *fut);
static void xcall_destroy(corun_future *fut);
static void executor_destroy(corun_loop *loop);

/* Installed on a loop with its executor: corun_loop_free() joins the
   threads before it closes the thread-safe queue they post to. */
static const struct cr_loop_part_ops executor_part = {
	.quiesce = executor_destroy,
};

static const struct cr_future_ops xcall_ops = {
	.cancel = xcall_cancel,
	.destroy = xcall_destroy,
	.is_task = 0
};

static void
q_unlink(struct cr_executor *ex, struct cr_xcall *c)
{
	if (c->prev != NULL) {
		c->prev->next = c->next;
	} else {
		ex->q_head = c->next;
	}
	if (c->next != NULL) {
		c->next->prev = c->prev;
	} else {
		ex->q_tail = c->prev;
	}
	c->next = c->prev = NULL;
}

/* Called on the loop thread: complete a finished call and let it go. */
static void
xcall_finish(struct cr_xcall *c)
{
	corun_future *fut = &c->fut;
	int rc = c->rc;

	c->where = CR_X_OUT;
	if (!corun_future_done(fut)) {
		if (rc == 0) {
			corun_future_set_result(fut, c->result, c->dtor);
			c->result = NULL;
		} else {
			if (rc < 0 || rc >= CORUN_EMAXERR) {
				rc = CORUN_EFAILED;
			}
			corun_future_set_error(fut, rc, "%s",
			    corun_strerror(rc));
		}
	}
	/* Cancelled while running, or failed with a result: drop it. */
	if (c->result != NULL && c->dtor != NULL) {
		c->dtor(c->result);
	}
	c->result = NULL;
	corun_future_unref(fut);
}

/*
 * The drain gets the loop, not the executor: if it ever ran after
 * executor_destroy() it would find loop->executor NULL and do nothing.
 */
static void
xdrain(void *arg)
{
	corun_loop *loop = arg;
	struct cr_executor *ex = loop->executor;
	struct cr_xcall *c, *next;

	if (ex == NULL) {
		return;
	}
	pthread_mutex_lock(&ex->mu);
	c = ex->d_head;
	ex->d_head = ex->d_tail = NULL;
	ex->posted = 0;
	for (next = c; next != NULL; next = next->next) {
		next->where = CR_X_OUT;
	}
	pthread_mutex_unlock(&ex->mu);
	for (; c != NULL; c = next) {
		next = c->next;
		c->next = NULL;
		xcall_finish(c);
	}
}

static void *
xthread_main(void *p)
{
	struct cr_xthread *th = p;
	struct cr_executor *ex = th->ex;
	struct cr_xcall *c;
	int post;

	pthread_mutex_lock(&ex->mu);
	for (;;) {
		while (!ex->stopping && ex->q_head == NULL &&
		    ex->nthreads <= ex->target) {
			pthread_cond_wait(&ex->cv, &ex->mu);
		}
		/* Shrinking: surplus threads leave between calls. */
		if (ex->stopping || ex->nthreads > ex->target) {
			break;
		}
		c = ex->q_head;
		q_unlink(ex, c);
		c->where = CR_X_RUNNING;
		pthread_mutex_unlock(&ex->mu);

		c->rc = c->fn(c->arg, &c->result);

		pthread_mutex_lock(&ex->mu);
		c->where = CR_X_FINISHED;
		if (ex->d_tail != NULL) {
			ex->d_tail->next = c;
		} else {
			ex->d_head = c;
		}
		ex->d_tail = c;
		post = !ex->posted;
		ex->posted = 1;
		if (post) {
			pthread_mutex_unlock(&ex->mu);
			/*
			 * ECLOSED cannot happen (the loop joins us before it
			 * closes); on ENOMEM let the next completion retry.
			 */
			if (corun_call_soon_threadsafe(ex->loop, xdrain,
			    ex->loop) != 0) {
				pthread_mutex_lock(&ex->mu);
				ex->posted = 0;
			} else {
				pthread_mutex_lock(&ex->mu);
			}
		}
	}
	ex->nthreads--;
	th->exited = 1;
	pthread_mutex_unlock(&ex->mu);
	return NULL;
}

/*
 * Start one thread; ex->mu held.  Pool threads block every signal so that
 * signals reach the loop's thread, where libevent handles them.
 */
static int
xthread_start(struct cr_executor *ex)
{
	struct cr_xthread *th;
	sigset_t all, old;
	int rc;

	if ((th = calloc(1, sizeof(*th))) == NULL) {
		return CORUN_ENOMEM;
	}
	th->ex = ex;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ex->nthreads++;
	rc = pthread_create(&th->tid, NULL, xthread_main, th);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		ex->nthreads--;
		free(th);
		return CORUN_ESYS;
	}
	th->next = ex->threads;
	ex->threads = th;
	return 0;
}

/* Unlink the threads that have exited (ex->mu held); the caller joins. */
static struct cr_xthread *
xthread_reap(struct cr_executor *ex)
{
	struct cr_xthread **pp = &ex->threads, *th, *dead = NULL;

	while ((th = *pp) != NULL) {
		if (th->exited) {
			*pp = th->next;
			th->next = dead;
			dead = th;
		} else {
			pp = &th->next;
		}
	}
	return dead;
}

static void
xthread_join_list(struct cr_xthread *th)
{
	struct cr_xthread *next;

	for (; th != NULL; th = next) {
		next = th->next;
		pthread_join(th->tid, NULL);
		free(th);
	}
}

static int
executor_get(corun_loop *loop, struct cr_executor **out)
{
	struct cr_executor *ex = loop->executor;
	size_t i;

	if (ex != NULL) {
		*out = ex;
		return 0;
	}
	if ((ex = calloc(1, sizeof(*ex))) == NULL) {
		return CORUN_ENOMEM;
	}
	ex->loop = loop;
	ex->target = loop->executor_threads != 0 ? loop->executor_threads :
	    CR_EXEC_DEFAULT;
	pthread_mutex_init(&ex->mu, NULL);
	pthread_cond_init(&ex->cv, NULL);
	pthread_mutex_lock(&ex->mu);
	for (i = 0; i < ex->target; i++) {
		if (xthread_start(ex) != 0) {
			break;
		}
	}
	pthread_mutex_unlock(&ex->mu);
	if (i == 0) {
		/* Not one thread: nothing could ever run. */
		pthread_cond_destroy(&ex->cv);
		pthread_mutex_destroy(&ex->mu);
		free(ex);
		return CORUN_ESYS;
	}
	loop->executor = ex;
	cr_loop_set_part(loop, CR_PART_EXECUTOR, &executor_part);
	*out = ex;
	return 0;
}

static int
xcall_cancel(corun_future *fut)
{
	struct cr_xcall *c = (struct cr_xcall *)fut;
	struct cr_executor *ex = fut->loop->executor;
	int unqueued = 0;

	if (ex != NULL) {
		pthread_mutex_lock(&ex->mu);
		if (c->where == CR_X_QUEUED) {
			q_unlink(ex, c);
			c->where = CR_X_OUT;
			unqueued = 1;
		}
		pthread_mutex_unlock(&ex->mu);
	}
	cr_future_complete_cancelled(fut);
	if (unqueued) {
		corun_future_unref(fut);	/* the executor's reference */
	}
	return 0;
}

static void
xcall_destroy(corun_future *fut)
{
	free(fut);
}

int
corun_run_in_executor(corun_loop *loop, corun_blocking_fn fn, void *arg,
    corun_dtor dtor, corun_future **out)
{
	struct cr_executor *ex;
	struct cr_xcall *c;
	int rc;

	if (loop == NULL || fn == NULL || out == NULL) {
		return CORUN_EINVAL;
	}
	if ((rc = executor_get(loop, &ex)) != 0) {
		return rc;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		return CORUN_ENOMEM;
	}
	cr_future_init(&c->fut, loop, &xcall_ops);
	c->fn = fn;
	c->arg = arg;
	c->dtor = dtor;
	corun_future_ref(&c->fut);	/* the executor's */

	pthread_mutex_lock(&ex->mu);
	c->where = CR_X_QUEUED;
	c->prev = ex->q_tail;
	if (ex->q_tail != NULL) {
		ex->q_tail->next = c;
	} else {
		ex->q_head = c;
	}
	ex->q_tail = c;
	pthread_cond_signal(&ex->cv);
	pthread_mutex_unlock(&ex->mu);
	*out = &c->fut;
	return 0;
}

int
corun_loop_set_executor_threads(corun_loop *loop, size_t n)
{
	struct cr_executor *ex;
	struct cr_xthread *dead;
	int rc = 0;

	if (loop == NULL || n < 1 || n > CR_EXEC_MAX) {
		return CORUN_EINVAL;
	}
	loop->executor_threads = n;
	if ((ex = loop->executor) == NULL) {
		return 0;
	}
	pthread_mutex_lock(&ex->mu);
	ex->target = n;
	dead = xthread_reap(ex);
	while (rc == 0 && ex->nthreads < ex->target) {
		rc = xthread_start(ex);
	}
	/* Wake idle threads so the surplus can leave. */
	pthread_cond_broadcast(&ex->cv);
	pthread_mutex_unlock(&ex->mu);
	xthread_join_list(dead);
	return rc;
}

size_t
corun_loop_executor_threads(const corun_loop *loop)
{
	struct cr_executor *ex;
	size_t n;

	if (loop == NULL || (ex = loop->executor) == NULL) {
		return 0;
	}
	pthread_mutex_lock(&ex->mu);
	n = ex->target;
	pthread_mutex_unlock(&ex->mu);
	return n;
}

/*
 * Called by corun_loop_free() before it closes the thread-safe queue: stop
 * taking calls, let running ones return, join every thread, then release
 * what never reached the loop.  Nothing is completed: nobody can look.
 */
static void
executor_destroy(corun_loop *loop)
{
	struct cr_executor *ex = loop->executor;
	struct cr_xthread *threads;
	struct cr_xcall *c, *next;

	if (ex == NULL) {
		return;
	}
	pthread_mutex_lock(&ex->mu);
	ex->stopping = 1;
	pthread_cond_broadcast(&ex->cv);
	threads = ex->threads;
	ex->threads = NULL;
	pthread_mutex_unlock(&ex->mu);
	xthread_join_list(threads);

	loop->executor = NULL;
	for (c = ex->q_head; c != NULL; c = next) {
		next = c->next;
		c->where = CR_X_OUT;
		corun_future_unref(&c->fut);
	}
	for (c = ex->d_head; c != NULL; c = next) {
		next = c->next;
		c->where = CR_X_OUT;
		if (c->result != NULL && c->dtor != NULL) {
			c->dtor(c->result);
		}
		corun_future_unref(&c->fut);
	}
	pthread_cond_destroy(&ex->cv);
	pthread_mutex_destroy(&ex->mu);
	free(ex);
}

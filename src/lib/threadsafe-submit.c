/* SPDX-License-Identifier: MIT */
/*
 * threadsafe-submit.c - run_coroutine_threadsafe: a task spawned on a loop
 * from another thread, reported through a mutex-guarded future that any
 * thread may wait on (corun/threadsafe.h).
 *
 * The tfuture has two references: the submitter's and the loop side's
 * (dropped once the task's outcome is copied in, or when the loop drops
 * the submission unrun).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <corun/threadsafe.h>

#include "loop-internal.h"

struct corun_tfuture {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	corun_loop *loop;
	corun_task_fn fn;
	void *arg;
	corun_future *task;	/* loop thread only */
	void *result;
	int status;
	int done;
	int cancel_req;
	int loop_held;		/* the loop side's reference is held */
	int refs;
};

/* start() gives up the loop side's reference (nothing to keep). */
static void
drop_loop_side(corun_tfuture *tf);

static void
tf_unref(corun_tfuture *tf)
{
	int last;

	pthread_mutex_lock(&tf->mu);
	last = --tf->refs == 0;
	pthread_mutex_unlock(&tf->mu);
	if (last) {
		pthread_mutex_destroy(&tf->mu);
		pthread_cond_destroy(&tf->cv);
		free(tf);
	}
}

static void
tf_complete(corun_tfuture *tf, int status, void *result)
{
	pthread_mutex_lock(&tf->mu);
	if (!tf->done) {
		tf->done = 1;
		tf->status = status;
		tf->result = result;
		pthread_cond_broadcast(&tf->cv);
	}
	pthread_mutex_unlock(&tf->mu);
}

/* On the loop's thread: the task is done. */
static void
task_done(corun_future *task, void *arg)
{
	corun_tfuture *tf = arg;

	tf_complete(tf, corun_future_status(task),
	    corun_future_result(task, NULL));
	/* The task's future (and so its result) is kept until the
	   submitter frees the tfuture: see release_on_loop. */
}

/* On the loop's thread, after corun_tfuture_free: drop the task. */
static void
release_on_loop(void *arg)
{
	corun_tfuture *tf = arg;

	if (tf->task != NULL) {
		corun_future_discard_callback(tf->task, task_done, tf);
		corun_future_unref(tf->task);
		tf->task = NULL;
	}
	tf_unref(tf);
}

static void
drop_loop_side(corun_tfuture *tf)
{
	pthread_mutex_lock(&tf->mu);
	tf->loop_held = 0;
	pthread_mutex_unlock(&tf->mu);
	tf_unref(tf);
}

/* On the loop's thread: start the task. */
static void
start(void *arg)
{
	corun_tfuture *tf = arg;
	int rc, cancel;

	pthread_mutex_lock(&tf->mu);
	cancel = tf->cancel_req;
	pthread_mutex_unlock(&tf->mu);
	if (cancel) {
		tf_complete(tf, CORUN_ECANCELED, NULL);
		drop_loop_side(tf);
		return;
	}
	rc = corun_task_spawn(tf->loop, tf->fn, tf->arg, NULL, &tf->task);
	if (rc == 0) {
		rc = corun_future_add_done_callback(tf->task, task_done, tf);
	}
	if (rc != 0) {
		if (tf->task != NULL) {
			corun_future_cancel(tf->task);
		}
		tf_complete(tf, rc, NULL);
		drop_loop_side(tf);
	}
	/* Else the loop side's reference stays until release_on_loop. */
}

static void
cancel_on_loop(void *arg)
{
	corun_tfuture *tf = arg;

	if (tf->task != NULL) {
		(void)corun_future_cancel(tf->task);
	}
	tf_unref(tf);
}

int
corun_submit_threadsafe(corun_loop *loop, corun_task_fn fn, void *arg,
    corun_tfuture **out)
{
	corun_tfuture *tf;
	int rc;

	if (loop == NULL || fn == NULL || out == NULL) {
		return CORUN_EINVAL;
	}
	if ((tf = calloc(1, sizeof(*tf))) == NULL) {
		return CORUN_ENOMEM;
	}
	pthread_mutex_init(&tf->mu, NULL);
	pthread_cond_init(&tf->cv, NULL);
	tf->loop = loop;
	tf->fn = fn;
	tf->arg = arg;
	tf->refs = 2;
	tf->loop_held = 1;
	if ((rc = corun_call_soon_threadsafe(loop, start, tf)) != 0) {
		pthread_mutex_destroy(&tf->mu);
		pthread_cond_destroy(&tf->cv);
		free(tf);
		return rc;
	}
	*out = tf;
	return 0;
}

int
corun_tfuture_wait(corun_tfuture *tf, double timeout)
{
	struct timespec ts;
	int rc = 0;

	if (tf == NULL || isnan(timeout)) {
		return CORUN_EINVAL;
	}
	if (timeout > 0 && corun_loop_current() == tf->loop) {
		return CORUN_EBUSY;
	}
	if (!isinf(timeout) && timeout > 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)timeout;
		ts.tv_nsec += (long)((timeout - (double)(time_t)timeout) * 1e9);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&tf->mu);
	while (!tf->done && rc == 0 && timeout > 0) {
		rc = isinf(timeout) ? pthread_cond_wait(&tf->cv, &tf->mu) :
		    pthread_cond_timedwait(&tf->cv, &tf->mu, &ts);
	}
	rc = tf->done ? tf->status : CORUN_ETIMEDOUT;
	pthread_mutex_unlock(&tf->mu);
	return rc;
}

void *
corun_tfuture_result(corun_tfuture *tf)
{
	void *r;

	pthread_mutex_lock(&tf->mu);
	r = tf->done ? tf->result : NULL;
	pthread_mutex_unlock(&tf->mu);
	return r;
}

int
corun_tfuture_done(corun_tfuture *tf)
{
	int d;

	pthread_mutex_lock(&tf->mu);
	d = tf->done;
	pthread_mutex_unlock(&tf->mu);
	return d;
}

int
corun_tfuture_cancel(corun_tfuture *tf)
{
	int rc;

	if (tf == NULL) {
		return CORUN_EINVAL;
	}
	pthread_mutex_lock(&tf->mu);
	if (tf->done) {
		pthread_mutex_unlock(&tf->mu);
		return CORUN_ESTATE;
	}
	tf->cancel_req = 1;
	tf->refs++;		/* the cancel call's */
	pthread_mutex_unlock(&tf->mu);
	if ((rc = corun_call_soon_threadsafe(tf->loop, cancel_on_loop,
	    tf)) != 0) {
		tf_unref(tf);
	}
	return rc;
}

void
corun_tfuture_free(corun_tfuture *tf)
{
	int started;

	if (tf == NULL) {
		return;
	}
	pthread_mutex_lock(&tf->mu);
	/* Started and not dropped by start(): the loop side still holds
	   its reference and the task's future. */
	started = tf->loop_held;
	pthread_mutex_unlock(&tf->mu);
	if (started && corun_call_soon_threadsafe(tf->loop, release_on_loop,
	    tf) != 0) {
		/* The loop is being freed: it frees the task itself. */
		tf_unref(tf);
	}
	tf_unref(tf);
}

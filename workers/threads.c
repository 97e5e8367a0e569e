/* SPDX-License-Identifier: MIT */
/*
 * threads.c - corun-worker's job threads: their loops, started and
 * stopped, and the loop-lag probe each loop runs (reported in
 * heartbeats).
 *
 * T == 1: jobs run on the main loop itself, which then also runs the
 * probe.  T > 1: T threads, each running its own loop until
 * wk_dispatch_fini() stops it.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "worker.h"

/* Period of the loop-lag probe on every job loop. */
#define WK_PROBE_PERIOD		0.1

/* ---- loop lag --------------------------------------------------------- */

static void
probe(void *arg)
{
	struct wk_jthread *th = arg;
	uint64_t now = corun_loop_now_ns(), lag, cur;

	if (th->probe_due != 0 && now > th->probe_due) {
		lag = now - th->probe_due;
		cur = __atomic_load_n(&th->lag_max, __ATOMIC_RELAXED);
		while (lag > cur && !__atomic_compare_exchange_n(&th->lag_max,
		    &cur, lag, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
			continue;
		}
	}
	th->probe_due = now + (uint64_t)(WK_PROBE_PERIOD * 1e9);
	(void)corun_call_later(th->loop, WK_PROBE_PERIOD, probe, th, NULL);
}

uint64_t
wk_dispatch_take_lag(struct wk_state *w)
{
	uint64_t max = 0, v;
	unsigned i;

	for (i = 0; i < w->nthreads; i++) {
		v = __atomic_exchange_n(&w->threads[i].lag_max, 0,
		    __ATOMIC_RELAXED);
		if (v > max) {
			max = v;
		}
	}
	return max;
}

/* ---- threads ----------------------------------------------------------- */

static void *
thread_main(void *arg)
{
	struct wk_jthread *th = arg;

	(void)corun_loop_run_forever(th->loop);
	return NULL;
}

int
wk_dispatch_init(struct wk_state *w, char *why, size_t whylen)
{
	sigset_t block, old;
	size_t buckets = 16;
	unsigned i;
	int rc = 0;

	while (buckets < 2 * (size_t)w->window) {
		buckets *= 2;
	}
	w->table = calloc(buckets, sizeof(*w->table));
	w->threads = calloc(w->opt.threads, sizeof(*w->threads));
	if (w->table == NULL || w->threads == NULL) {
		snprintf(why, whylen, "out of memory");
		return CORUN_ENOMEM;
	}
	w->table_mask = buckets - 1;
	w->nthreads = w->opt.threads;
	if (w->nthreads == 1) {
		w->threads[0].w = w;
		w->threads[0].loop = w->loop;
		if ((rc = corun_call_soon(w->loop, probe, &w->threads[0],
		    NULL)) != 0) {
			snprintf(why, whylen, "%s", corun_strerror(rc));
		}
		return rc;
	}
	/*
	 * Termination signals belong to the main loop: job threads block
	 * them (they inherit the mask).  Shell jobs reset the mask and the
	 * dispositions of their children.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (i = 0; i < w->nthreads && rc == 0; i++) {
		struct wk_jthread *th = &w->threads[i];

		th->w = w;
		if ((rc = corun_loop_new(&th->loop)) != 0 ||
		    (rc = corun_call_soon_threadsafe(th->loop, probe,
		    th)) != 0) {
			snprintf(why, whylen, "cannot create a loop for job "
			    "thread %u: %s", i, corun_strerror(rc));
		} else if ((rc = pthread_create(&th->tid, NULL, thread_main,
		    th)) != 0) {
			snprintf(why, whylen, "cannot start job thread %u: %s",
			    i, strerror(rc));
			rc = CORUN_ESYS;
		} else {
			th->started = 1;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int
wk_dispatch_fini(struct wk_state *w)
{
	unsigned i;

	if (w->running > 0) {
		/* A job stuck in blocking code: do not wait for it. */
		return 1;
	}
	if (w->flush_timer != NULL) {
		corun_handle_cancel(w->flush_timer);
		corun_handle_release(w->flush_timer);
		w->flush_timer = NULL;
	}
	wk_dispatch_drop_results(w);
	for (i = 0; w->threads != NULL && i < w->nthreads; i++) {
		struct wk_jthread *th = &w->threads[i];

		if (th->loop == NULL || th->loop == w->loop) {
			continue;
		}
		if (th->started) {
			(void)corun_loop_stop_threadsafe(th->loop);
			pthread_join(th->tid, NULL);
		}
		corun_loop_free(th->loop);
	}
	free(w->threads);
	w->threads = NULL;
	free(w->table);
	w->table = NULL;
	return 0;
}

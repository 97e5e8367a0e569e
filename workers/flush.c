/* SPDX-License-Identifier: MIT */
/*
 * flush.c - finished jobs and streamed output on their way back to the
 * supervisor, on the main loop.
 *
 * Results are coalesced per loop iteration: the first outcome of an
 * iteration schedules one flush with corun_call_soon(), which runs after
 * every outcome of that iteration is in (results.c packs them into
 * RESULTS frames).  One job at low load, large batches at high load.
 * While prefetched jobs are held, results may wait WK_FLUSH_DELAY to
 * travel together.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "worker.h"

/* ---- the finished list and flushing ---------------------------------- */

static void
flush_cb(void *arg)
{
	struct wk_state *w = arg;

	if (w->flush_timer != NULL) {
		corun_handle_cancel(w->flush_timer);
		corun_handle_release(w->flush_timer);
		w->flush_timer = NULL;
	}
	w->flush_scheduled = 0;
	w->term_hold = 0;
	wk_dispatch_flush(w);
	if (w->running == 0) {
		w->dispatch_ops->idle(w);
	}
}

/*
 * How long results may wait to travel together.  Only while prefetched
 * jobs are held here: then no slot waits for the supervisor's answer, so
 * the delay costs no throughput and saves a message (about 30 us of CPU on
 * each side, and wake-ups of both processes' threads) per result at high
 * rates: 2000 x `true` at -j2 sends 115 result frames instead of 720 with
 * a 2 ms delay, and corun's own CPU drops by a sixth.  Output reaches the
 * user at most this much later.  Without held jobs results leave at the
 * end of the loop iteration.
 */
#define WK_FLUSH_DELAY 0.01

static void
flush_delayed_cb(void *arg)
{
	struct wk_state *w = arg;

	corun_handle_release(w->flush_timer);
	w->flush_timer = NULL;
	flush_cb(w);
}

static void
schedule_flush(struct wk_state *w)
{
	int hold = w->npending > 0 && w->done_count < w->window / 4 &&
	    (w->state == WK_W_RUNNING ||
	    (w->state == WK_W_DRAINING && w->drain));

	if (w->term_hold) {
		return;		/* a signalled result waits: see handback.c */
	}
	if (w->flush_timer != NULL && !hold) {
		/* The batch is full enough, or a slot may starve: go now. */
		corun_handle_cancel(w->flush_timer);
		corun_handle_release(w->flush_timer);
		w->flush_timer = NULL;
		w->flush_scheduled = 0;
	}
	if (w->flush_scheduled) {
		return;
	}
	if (hold) {
		if (corun_call_later(w->loop, WK_FLUSH_DELAY,
		    flush_delayed_cb, w, &w->flush_timer) == 0) {
			w->flush_scheduled = 1;
		}
	} else if (corun_call_soon(w->loop, flush_cb, w, NULL) == 0) {
		w->flush_scheduled = 1;
	}
}

void
wk_dispatch_schedule_flush(struct wk_state *w)
{
	schedule_flush(w);
}

void
wk_flush_push_done(struct wk_state *w, struct wk_job *j)
{
	if (w->state == WK_W_ABORTING || w->state >= WK_W_LINGER) {
		wk_job_unref(j);	/* nobody to tell */
		return;
	}
	j->dnext = NULL;
	if (w->done_tail != NULL) {
		w->done_tail->dnext = j;
	} else {
		w->done_head = j;
	}
	w->done_tail = j;
	w->done_count++;
	if (wk_handback_hold(w, j)) {
		/* Killed by SIGTERM: ours may follow, wait a moment. */
		if (w->flush_timer != NULL) {
			/* Wait the whole hold, whatever the timer was for. */
			corun_handle_cancel(w->flush_timer);
			corun_handle_release(w->flush_timer);
			w->flush_timer = NULL;
			w->flush_scheduled = 0;
		}
		if (!w->flush_scheduled && corun_call_later(w->loop,
		    WK_TERM_HOLD, flush_delayed_cb, w, &w->flush_timer) == 0) {
			w->flush_scheduled = 1;
			w->term_hold = 1;
			return;
		}
	}
	schedule_flush(w);
}

/* Main loop: streamed output joins the next flush, before any result. */
static void
output_back(void *arg)
{
	struct wk_outchunk *c = arg;
	struct wk_state *w = c->w;

	if (w->state == WK_W_ABORTING || w->state >= WK_W_LINGER) {
		free(c);
		return;
	}
	c->next = NULL;
	if (w->outp_tail != NULL) {
		w->outp_tail->next = c;
	} else {
		w->outp_head = c;
	}
	w->outp_tail = c;
	schedule_flush(w);
}

/*
 * Job thread: a streamed job wrote whole lines.  The chunk goes to the
 * main loop the way the job's outcome will, so it arrives first.
 */
void
wk_flush_job_output(void *arg, int stream, const char *data, size_t len)
{
	struct wk_job *j = arg;
	struct wk_state *w = j->w;
	struct wk_outchunk *c;

	if ((c = malloc(sizeof(*c) + len)) == NULL) {
		return;		/* the result still carries it */
	}
	c->w = w;
	c->id = j->id;
	c->attempt = j->attempt;
	c->stream = (uint32_t)stream;
	c->len = len;
	memcpy(c->data, data, len);
	if (j->th->loop == w->loop) {
		output_back(c);
	} else if (corun_call_soon_threadsafe(w->loop, output_back, c) != 0) {
		free(c);
	}
}


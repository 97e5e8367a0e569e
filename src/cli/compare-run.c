/* SPDX-License-Identifier: MIT */
/*
 * compare-run.c - run one workload once under one model, and measure it.
 *
 * Jobs are made one at a time as the window has room: at most `window`
 * futures are outstanding, and each completion makes room for the next
 * submit, so 100 000 jobs cost the supervisor no more memory than 100.
 * Latencies go into a fixed-size histogram for the same reason.
 *
 * The clock starts once every worker said hello and stops at the last
 * result.  CPU covers the same span: RUSAGE_SELF deltas for the
 * supervisor plus /proc/PID/stat deltas for every worker (utime + stime
 * + what it reaped, e.g. shell jobs), so that starting and stopping
 * workers does not swamp a short run.  Context switches are getrusage()
 * deltas, RUSAGE_CHILDREN once the workers were reaped: their whole
 * life, since /proc keeps no per-process total over threads.  Peak RSS
 * is VmHWM from /proc of every worker just before shutdown plus the
 * supervisor's, whose mark is reset first through /proc/self/clear_refs
 * so one model's peak does not carry over into the next.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <corun/future.h>
#include <corun/loop.h>
#include <corun/pool.h>

#include "compare.h"

/* Seconds to wait for the workers' hello. */
#define CLI_READY_WAIT 30.0

struct cli_slot {
	struct cli_cmp_state *st;
	uint64_t submit_ns;
	size_t next_free;
};

struct cli_cmp_state {
	const struct cli_cmp_work *w;
	corun_loop *loop;
	corun_pool *pool;
	struct cli_jobsfile jf;
	int use_jf, eof, failed_hard, finished;
	uint64_t count, next, done, failed;
	size_t window, outstanding;
	struct cli_slot *slots;
	size_t free_head;
	corun_handle *refill_h;
	struct cli_hist *hist;
	double run_ms_sum;
	uint64_t t_last;
	char *error;		/* the row's error buffer */
	size_t errlen;
	char first_fail[96];
};

static void refill(void *arg);

/*
 * The run is over: stop the loop once.  A refill already scheduled must
 * not run (and stop the loop again) inside the shutdown that follows.
 */
static void
finish(struct cli_cmp_state *st)
{
	if (st->finished) {
		return;
	}
	st->finished = 1;
	if (st->refill_h != NULL) {
		corun_handle_cancel(st->refill_h);
		corun_handle_release(st->refill_h);
		st->refill_h = NULL;
	}
	corun_loop_stop(st->loop);
}

/* ---- the window ----------------------------------------------------- */

static void
fail_run(struct cli_cmp_state *st, const char *msg)
{
	if (st->error[0] == '\0') {
		snprintf(st->error, st->errlen, "%s", msg);
	}
	st->failed_hard = 1;
	finish(st);
}

static void
on_done(corun_future *fut, void *arg)
{
	struct cli_slot *s = arg;
	struct cli_cmp_state *st = s->st;
	const struct corun_job_result *res = corun_pool_result(fut);
	uint64_t now = corun_loop_now_ns();
	const char *msg = NULL;

	cli_hist_add(st->hist, (double)(now - s->submit_ns) / 1e6);
	if (res != NULL && res->end_ns >= res->start_ns) {
		st->run_ms_sum += (double)(res->end_ns - res->start_ns) / 1e6;
	}
	if (res == NULL || res->status != 0) {
		if (st->failed++ == 0) {
			if (res != NULL) {
				msg = res->message;
			} else {
				corun_future_error(fut, &msg);
			}
			snprintf(st->first_fail, sizeof(st->first_fail), "%s",
			    msg != NULL && *msg ? msg : "failed");
		}
	}
	corun_future_unref(fut);
	s->next_free = st->free_head;
	st->free_head = (size_t)(s - st->slots);
	st->outstanding--;
	st->done++;
	st->t_last = now;
	if (st->eof && st->outstanding == 0) {
		finish(st);
	} else if (st->refill_h == NULL && !st->finished) {
		/* One refill per iteration: the submits leave in batches. */
		corun_call_soon(st->loop, refill, st, &st->refill_h);
	}
}

static void
refill(void *arg)
{
	struct cli_cmp_state *st = arg;
	struct cli_mkjob mk;
	struct corun_job j;
	struct cli_err e;
	corun_future *fut;
	struct cli_slot *s;
	int rc;

	if (st->refill_h != NULL) {
		corun_handle_release(st->refill_h);
		st->refill_h = NULL;
	}
	if (st->finished) {
		return;
	}
	memset(&mk, 0, sizeof(mk));
	while (!st->eof && st->outstanding < st->window) {
		if (st->next == st->count) {
			st->eof = 1;
			break;
		}
		rc = cli_cmp_make_job(st->w, &st->jf, st->next, &mk, &j, &e);
		if (rc == 0) {
			st->eof = 1;
			break;
		}
		if (rc < 0) {
			fail_run(st, e.msg);
			break;
		}
		s = &st->slots[st->free_head];
		st->free_head = s->next_free;
		s->st = st;
		s->submit_ns = corun_loop_now_ns();
		if ((rc = corun_pool_submit(st->pool, &j, &fut)) != 0 ||
		    (rc = corun_future_add_done_callback(fut, on_done,
		    s)) != 0) {
			snprintf(e.msg, sizeof(e.msg), "submit: %s",
			    corun_strerror(rc));
			fail_run(st, e.msg);
			break;
		}
		st->next++;
		st->outstanding++;
		if (st->next == st->count) {
			st->eof = 1;
		}
	}
	if (mk.have_js) {
		cli_jobspec_free(&mk.js);
	}
	if (st->eof && st->outstanding == 0) {
		finish(st);
	}
}

static int
wait_ready(corun_loop *loop, corun_pool *pool, unsigned procs)
{
	struct corun_pool_stats ps;
	double end = corun_loop_time(loop) + CLI_READY_WAIT;

	for (;;) {
		corun_pool_stats(pool, &ps);
		if (ps.workers_alive >= procs) {
			return 0;
		}
		if (corun_loop_time(loop) > end) {
			return CORUN_ETIMEDOUT;
		}
		corun_loop_run_once(loop, 0.005);
	}
}

static size_t
window_for(const struct cli_cmp_work *w, unsigned slots)
{
	size_t win = w->o->window;

	if (win == 0) {
		/* Enough to keep every slot busy while results travel. */
		win = (size_t)slots * 2;
		if (win < 256) {
			win = 256;
		}
	}
	if (w->count > 0 && win > w->count) {
		win = (size_t)w->count;
	}
	return win ? win : 1;
}

/* The window, the jobs file, the loop and the pool, up and ready. */
static int
run_setup(struct cli_cmp_state *st, const struct cli_cmp_work *w,
    const struct corun_pool_opts *po, struct cli_cmp_row *row)
{
	struct cli_err e;
	int rc;

	st->window = window_for(w, row->procs * row->threads * row->conc);
	st->slots = calloc(st->window, sizeof(*st->slots));
	st->hist = calloc(1, sizeof(*st->hist));
	if (st->slots == NULL || st->hist == NULL) {
		return CORUN_ENOMEM;
	}
	for (size_t i = 0; i < st->window; i++) {
		st->slots[i].next_free = i + 1;
	}
	if (w->wl == CLI_WL_FILE) {
		if ((rc = cli_jobsfile_open(&st->jf, w->file, &e)) != 0) {
			snprintf(row->error, sizeof(row->error), "%.120s",
			    e.msg);
			return rc;
		}
		st->use_jf = 1;
	}
	if ((rc = corun_loop_new(&st->loop)) != 0 ||
	    (rc = corun_pool_new(st->loop, po, &st->pool)) != 0) {
		snprintf(row->error, sizeof(row->error), "pool: %s",
		    corun_strerror(rc));
		return rc;
	}
	if ((rc = wait_ready(st->loop, st->pool, row->procs)) != 0) {
		snprintf(row->error, sizeof(row->error), "the workers did not "
		    "start within %.0f s", CLI_READY_WAIT);
		return rc;
	}
	return 0;
}

/* The numbers of a run that went to its end, into row. */
static void
run_record(const struct cli_cmp_state *st, struct cli_cmp_row *row,
    uint64_t t0)
{
	row->jobs = st->done;
	row->failed = st->failed;
	row->wall_s = (double)(st->t_last - t0) / 1e9;
	row->jobs_per_s = row->wall_s > 0 ? (double)st->done / row->wall_s :
	    0;
	row->p50_ms = cli_hist_quantile(st->hist, 0.50);
	row->p95_ms = cli_hist_quantile(st->hist, 0.95);
	row->p99_ms = cli_hist_quantile(st->hist, 0.99);
	row->mean_run_ms = st->done ? st->run_ms_sum / (double)st->done : 0;
}

/* Run the jobs and measure them; 0 or an error (row->error may say). */
static int
run_measure(struct cli_cmp_state *st, const char *name,
    struct cli_cmp_row *row)
{
	struct rusage s0, s1, c0, c1;
	corun_future *done = NULL;
	int pids[1024], rc;
	size_t npids;
	uint64_t t0;

	cli_reset_peak_rss();
	getrusage(RUSAGE_SELF, &s0);
	getrusage(RUSAGE_CHILDREN, &c0);
	cli_workers_cpu(st->pool, -1, &row->cpu_user_s, &row->cpu_sys_s);
	t0 = st->t_last = corun_loop_now_ns();
	refill(st);
	if (!st->finished) {
		corun_loop_run_forever(st->loop);
	}

	/* The peaks, while the workers are still there to ask. */
	npids = corun_pool_worker_pids(st->pool, pids, 1024);
	for (size_t i = 0; i < npids && i < 1024; i++) {
		row->peak_rss_kb += cli_proc_status_kb(pids[i], "VmHWM");
	}
	row->peak_rss_kb += cli_proc_status_kb(0, "VmHWM");
	cli_workers_cpu(st->pool, 1, &row->cpu_user_s, &row->cpu_sys_s);
	getrusage(RUSAGE_SELF, &s1);
	if (st->failed_hard) {
		return CORUN_EFAILED;
	}
	if ((rc = corun_pool_shutdown(st->pool, 1, 0, &done)) == 0) {
		rc = corun_loop_run_until_complete(st->loop, done);
		corun_future_unref(done);
	}
	getrusage(RUSAGE_CHILDREN, &c1);

	run_record(st, row, t0);
	cli_ru_delta(&s0, &s1, &row->cpu_user_s, &row->cpu_sys_s, &row->vcsw,
	    &row->ivcsw);
	/* Switches over the workers' whole life: /proc has no total. */
	cli_ru_delta(&c0, &c1, NULL, NULL, &row->vcsw, &row->ivcsw);
	row->cpu_s = row->cpu_user_s + row->cpu_sys_s;
	if (st->failed > 0) {
		fprintf(stderr, "corun: compare: %s: %" PRIu64 " of %" PRIu64
		    " job(s) failed; the first: %s\n", name, st->failed,
		    st->done, st->first_fail);
	}
	if (st->done == 0) {
		snprintf(row->error, sizeof(row->error), "no job ran");
		rc = CORUN_EFAILED;
	}
	return rc;
}

/* Free what run_setup made, whatever state the run ended in. */
static void
run_teardown(struct cli_cmp_state *st)
{
	if (st->refill_h != NULL) {
		corun_handle_cancel(st->refill_h);
		corun_handle_release(st->refill_h);
	}
	if (st->pool != NULL) {
		corun_pool_free(st->pool);
	}
	/*
	 * A run that stopped early: the free cancelled the futures still
	 * out; let their callbacks drop them before the loop goes.
	 */
	st->eof = 1;
	for (int i = 0; st->loop != NULL && i < 100 &&
	    st->outstanding > 0; i++) {
		corun_loop_run_once(st->loop, 0.01);
	}
	if (st->loop != NULL) {
		corun_loop_free(st->loop);
	}
	if (st->use_jf) {
		cli_jobsfile_close(&st->jf);
	}
	free(st->slots);
	free(st->hist);
}

int
cli_cmp_run_model(const struct cli_cmp_work *w,
    const struct corun_pool_opts *po, const char *name,
    struct cli_cmp_row *row)
{
	struct cli_cmp_state st;
	int rc;

	memset(row, 0, sizeof(*row));
	memset(&st, 0, sizeof(st));
	snprintf(row->model, sizeof(row->model), "%s", name);
	snprintf(row->impl, sizeof(row->impl), "corun");
	row->runs = 1;
	st.w = w;
	st.error = row->error;
	st.errlen = sizeof(row->error);
	st.count = w->count ? w->count : UINT64_MAX;
	if ((rc = corun_model_resolve(po, &row->procs, &row->threads,
	    &row->conc)) != 0) {
		snprintf(row->error, sizeof(row->error), "plan: %s",
		    corun_strerror(rc));
		return rc;
	}
	if ((rc = run_setup(&st, w, po, row)) == 0) {
		rc = run_measure(&st, name, row);
	}
	run_teardown(&st);
	if (rc != 0 && row->error[0] == '\0') {
		snprintf(row->error, sizeof(row->error), "%s",
		    corun_strerror(rc));
	}
	return rc;
}

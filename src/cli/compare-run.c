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
#define CR_READY_WAIT 30.0

struct cr_slot {
	struct cr_cmp_state *st;
	uint64_t submit_ns;
	size_t next_free;
};

struct cr_cmp_state {
	const struct cr_cmp_work *w;
	corun_loop *loop;
	corun_pool *pool;
	struct cr_jobsfile jf;
	int use_jf, eof, failed_hard, finished;
	uint64_t count, next, done, failed;
	size_t window, outstanding;
	struct cr_slot *slots;
	size_t free_head;
	corun_handle *refill_h;
	struct cr_hist *hist;
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
finish(struct cr_cmp_state *st)
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

static unsigned
ncores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

void
cr_cmp_plan(const struct cr_cmp_opts *o, enum corun_model m, uint64_t count,
    struct corun_pool_opts *po)
{
	unsigned n = o->jobs ? o->jobs : ncores();
	uint64_t c = o->conc ? o->conc : 1000;

	if (count > 0 && c > count) {
		c = count;
	}
	if (c < 1) {
		c = 1;
	}
	*po = (struct corun_pool_opts)CORUN_POOL_OPTS_INIT;
	po->model = m;
	switch (m) {
	case CORUN_MODEL_ASYNC:
		po->jobs = (unsigned)c;
		break;
	case CORUN_MODEL_HYBRID:
		/* N processes sharing the C jobs in flight. */
		po->model = CORUN_MODEL_CUSTOM;
		po->procs = n;
		po->threads = 1;
		po->concurrency = (unsigned)((c + n - 1) / n);
		break;
	default:
		po->jobs = n;
		break;
	}
}

/* ---- making jobs ---------------------------------------------------- */

struct cr_mkjob {
	char buf[128];
	struct cr_jobspec js;
	int have_js;
};

static void
kind_ms(struct cr_mkjob *mk, struct corun_job *j, const char *kind, double ms)
{
	j->kind = kind;
	j->len = (size_t)snprintf(mk->buf, sizeof(mk->buf), "%.0f", ms);
	j->payload = mk->buf;
}

static void
cpu_job(struct cr_mkjob *mk, struct corun_job *j, uint64_t iters)
{
	j->kind = "cpu";
	j->len = (size_t)snprintf(mk->buf, sizeof(mk->buf), "%" PRIu64 "iter",
	    iters ? iters : 1);
	j->payload = mk->buf;
}

/* The job number i of a synthetic workload; 1 with a job, 0 at the end. */
static int
make_job(struct cr_cmp_state *st, uint64_t i, struct cr_mkjob *mk,
    struct corun_job *j, struct cr_err *e)
{
	const struct cr_cmp_work *w = st->w;
	const unsigned *mix = w->o->mix;
	unsigned r, total;
	int rc, n;

	memset(j, 0, sizeof(*j));
	j->tag = i;
	switch (w->wl) {
	case CR_WL_IO:
		kind_ms(mk, j, "sleep", w->ms);
		break;
	case CR_WL_CPU:
		cpu_job(mk, j, w->cpu_iters);
		break;
	case CR_WL_BLOCKING:
		kind_ms(mk, j, "block", w->ms);
		break;
	case CR_WL_MIXED:
		/* Weighted round robin: the blend is the same in every run. */
		total = mix[0] + mix[1] + mix[2];
		r = (unsigned)(i % total);
		if (r < mix[0]) {
			kind_ms(mk, j, "sleep", w->ms);
		} else if (r < mix[0] + mix[1]) {
			cpu_job(mk, j, w->cpu_iters);
		} else {
			kind_ms(mk, j, "block", w->ms);
		}
		break;
	case CR_WL_SHELL:
		/* argv words, each NUL-terminated, then an empty word. */
		j->kind = "shell";
		if (w->ms > 0) {
			n = snprintf(mk->buf, sizeof(mk->buf), "sleep%c%.3f%c",
			    '\0', w->ms / 1000.0, '\0');
		} else {
			n = snprintf(mk->buf, sizeof(mk->buf), "true%c", '\0');
		}
		mk->buf[n] = '\0';
		j->payload = mk->buf;
		j->len = (size_t)n + 1;
		break;
	case CR_WL_NET:
		j->kind = "net";
		n = snprintf(mk->buf, sizeof(mk->buf), "%s%cGET %" PRIu64 "\n",
		    w->addr, '\0', i);
		j->payload = mk->buf;
		j->len = (size_t)n;
		break;
	case CR_WL_NOOP:
		j->kind = "noop";
		break;
	case CR_WL_FILE:
		if (mk->have_js) {
			cr_jobspec_free(&mk->js);
			mk->have_js = 0;
		}
		memset(&mk->js, 0, sizeof(mk->js));
		rc = cr_jobsfile_next(&st->jf, &mk->js, e);
		if (rc == CORUN_EDONE) {
			return 0;
		}
		if (rc != 0) {
			return -1;
		}
		mk->have_js = 1;
		j->kind = mk->js.kind;
		j->payload = mk->js.payload;
		j->len = mk->js.len;
		j->timeout = mk->js.timeout > 0 ? mk->js.timeout : 0;
		j->retries = mk->js.retries > 0 ? mk->js.retries : 0;
		return 1;
	}
	return 1;
}

/* ---- the window ----------------------------------------------------- */

static void
fail_run(struct cr_cmp_state *st, const char *msg)
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
	struct cr_slot *s = arg;
	struct cr_cmp_state *st = s->st;
	const struct corun_job_result *res = corun_pool_result(fut);
	uint64_t now = corun_loop_now_ns();
	const char *msg = NULL;

	cr_hist_add(st->hist, (double)(now - s->submit_ns) / 1e6);
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
	struct cr_cmp_state *st = arg;
	struct cr_mkjob mk;
	struct corun_job j;
	struct cr_err e;
	corun_future *fut;
	struct cr_slot *s;
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
		rc = make_job(st, st->next, &mk, &j, &e);
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
		cr_jobspec_free(&mk.js);
	}
	if (st->eof && st->outstanding == 0) {
		finish(st);
	}
}

static int
wait_ready(corun_loop *loop, corun_pool *pool, unsigned procs)
{
	struct corun_pool_stats ps;
	double end = corun_loop_time(loop) + CR_READY_WAIT;

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
window_for(const struct cr_cmp_work *w, unsigned slots)
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

int
cr_cmp_run_model(const struct cr_cmp_work *w,
    const struct corun_pool_opts *po, const char *name,
    struct cr_cmp_row *row)
{
	struct cr_cmp_state st;
	struct rusage s0, s1, c0, c1;
	corun_future *done = NULL;
	struct cr_err e;
	int pids[1024], rc;
	size_t npids;
	uint64_t t0;

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
	st.window = window_for(w, row->procs * row->threads * row->conc);
	st.slots = calloc(st.window, sizeof(*st.slots));
	st.hist = calloc(1, sizeof(*st.hist));
	if (st.slots == NULL || st.hist == NULL) {
		rc = CORUN_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < st.window; i++) {
		st.slots[i].next_free = i + 1;
	}
	if (w->wl == CR_WL_FILE) {
		if ((rc = cr_jobsfile_open(&st.jf, w->file, &e)) != 0) {
			snprintf(row->error, sizeof(row->error), "%.120s", e.msg);
			goto out;
		}
		st.use_jf = 1;
	}
	if ((rc = corun_loop_new(&st.loop)) != 0 ||
	    (rc = corun_pool_new(st.loop, po, &st.pool)) != 0) {
		snprintf(row->error, sizeof(row->error), "pool: %s",
		    corun_strerror(rc));
		goto out;
	}
	if ((rc = wait_ready(st.loop, st.pool, row->procs)) != 0) {
		snprintf(row->error, sizeof(row->error), "the workers did not "
		    "start within %.0f s", CR_READY_WAIT);
		goto out;
	}

	cr_reset_peak_rss();
	getrusage(RUSAGE_SELF, &s0);
	getrusage(RUSAGE_CHILDREN, &c0);
	cr_workers_cpu(st.pool, -1, &row->cpu_user_s, &row->cpu_sys_s);
	t0 = st.t_last = corun_loop_now_ns();
	refill(&st);
	if (!st.finished) {
		corun_loop_run_forever(st.loop);
	}

	/* The peaks, while the workers are still there to ask. */
	npids = corun_pool_worker_pids(st.pool, pids, 1024);
	for (size_t i = 0; i < npids && i < 1024; i++) {
		row->peak_rss_kb += cr_proc_status_kb(pids[i], "VmHWM");
	}
	row->peak_rss_kb += cr_proc_status_kb(0, "VmHWM");
	cr_workers_cpu(st.pool, 1, &row->cpu_user_s, &row->cpu_sys_s);
	getrusage(RUSAGE_SELF, &s1);
	if (st.failed_hard) {
		rc = CORUN_EFAILED;
		goto out;
	}
	if ((rc = corun_pool_shutdown(st.pool, 1, 0, &done)) == 0) {
		rc = corun_loop_run_until_complete(st.loop, done);
		corun_future_unref(done);
	}
	getrusage(RUSAGE_CHILDREN, &c1);

	row->jobs = st.done;
	row->failed = st.failed;
	row->wall_s = (double)(st.t_last - t0) / 1e9;
	row->jobs_per_s = row->wall_s > 0 ? (double)st.done / row->wall_s : 0;
	row->p50_ms = cr_hist_quantile(st.hist, 0.50);
	row->p95_ms = cr_hist_quantile(st.hist, 0.95);
	row->p99_ms = cr_hist_quantile(st.hist, 0.99);
	row->mean_run_ms = st.done ? st.run_ms_sum / (double)st.done : 0;
	cr_ru_delta(&s0, &s1, &row->cpu_user_s, &row->cpu_sys_s, &row->vcsw,
	    &row->ivcsw);
	/* Switches over the workers' whole life: /proc has no total. */
	cr_ru_delta(&c0, &c1, NULL, NULL, &row->vcsw, &row->ivcsw);
	row->cpu_s = row->cpu_user_s + row->cpu_sys_s;
	if (st.failed > 0) {
		fprintf(stderr, "corun: compare: %s: %" PRIu64 " of %" PRIu64
		    " job(s) failed; the first: %s\n", name, st.failed,
		    st.done, st.first_fail);
	}
	if (st.done == 0) {
		snprintf(row->error, sizeof(row->error), "no job ran");
		rc = CORUN_EFAILED;
	}
out:
	if (st.refill_h != NULL) {
		corun_handle_cancel(st.refill_h);
		corun_handle_release(st.refill_h);
	}
	if (st.pool != NULL) {
		corun_pool_free(st.pool);
	}
	/*
	 * A run that stopped early: the free cancelled the futures still
	 * out; let their callbacks drop them before the loop goes.
	 */
	st.eof = 1;
	for (int i = 0; st.loop != NULL && i < 100 &&
	    st.outstanding > 0; i++) {
		corun_loop_run_once(st.loop, 0.01);
	}
	if (st.loop != NULL) {
		corun_loop_free(st.loop);
	}
	if (st.use_jf) {
		cr_jobsfile_close(&st.jf);
	}
	if (rc != 0 && row->error[0] == '\0') {
		snprintf(row->error, sizeof(row->error), "%s",
		    corun_strerror(rc));
	}
	free(st.slots);
	free(st.hist);
	return rc;
}

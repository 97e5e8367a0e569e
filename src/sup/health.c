/* SPDX-License-Identifier: MIT */
/*
 * health.c - supervision policy beyond "restart what died": heartbeats to
 * the workers, workers that stop answering, and restart backoff.
 *
 * Workers take silence as a dead supervisor: every heartbeat interval each
 * ready worker gets a HEARTBEAT from us (sup_pool_start_heartbeats).
 *
 * Every frame a worker sends (its HEARTBEAT every heartbeat interval,
 * results, credit) stamps last_rx_ns.  A worker whose loop stops
 * answering - stopped (SIGSTOP), spinning, blocked in a call - goes quiet;
 * after opts.heartbeat_timeout_ms it is sent SIGABRT (so a core dump or a
 * backtrace shows where it was), logged with the jobs it held, and, if it
 * is still there a grace period later, SIGKILL.  Its exit then goes the
 * usual way: sup_pool_on_exit re-leases its jobs and restarts it.
 *
 * Restarts (sup_health_restart_delay): a worker that died while it ran
 * is replaced at once while restarts stay within the intensity limit
 * (restart_max in restart_window_ms); beyond it they are paced at that
 * rate (restart_window_ms / restart_max apart, 1 s by default), for as
 * long as the pool lives.  A worker that failed to start (no HELLO) is
 * retried after a delay that doubles with each such failure in a row
 * (100 ms up to 5 s), so a crash loop does not spin; pool-exit.c breaks
 * the pool after more than SUP_START_FAILS_MAX of them.
 *
 * A remote worker has no process here to signal: once it has been silent
 * for the remote timeout (a cut link shows up as nothing but silence) it
 * is dropped, and its jobs are re-leased to the others.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "sup-internal.h"

#define SUP_KILL_GRACE_NS (1000ull * 1000000ull)
#define SUP_BACKOFF_MIN 0.1
#define SUP_BACKOFF_MAX 5.0

static void
describe_jobs(const struct sup_worker *w, char *buf, size_t size)
{
	const struct sup_job *job;
	size_t off = 0;
	int n = 0;

	buf[0] = '\0';
	for (job = w->leases.head; job != NULL && off < size; job = job->next) {
		int k;

		if (n == 4) {
			snprintf(buf + off, size - off, ", ...");
			break;
		}
		k = snprintf(buf + off, size - off, "%s%s job %llu (tag %llu)",
		    n ? ", " : " ", job->kind, (unsigned long long)job->id,
		    (unsigned long long)job->tag);
		off += k > 0 ? (size_t)k : 0;
		n++;
	}
	if (n == 0) {
		snprintf(buf, size, " no job");
	}
}

static void
check_worker(struct corun_pool *p, struct sup_worker *w, uint64_t now,
    uint64_t limit)
{
	uint64_t quiet, since;
	char jobs[256], why[400];

	if (w->state != SUP_W_READY && w->state != SUP_W_STOPPING &&
	    w->state != SUP_W_STARTING) {
		return;
	}
	if (w->remote) {
		since = w->last_rx_ns > w->started_ns ? w->last_rx_ns :
		    w->started_ns;
		quiet = now > since ? now - since : 0;
		if (quiet >= sup_remote_timeout_ns(p)) {
			describe_jobs(w, jobs, sizeof(jobs));
			snprintf(why, sizeof(why), "%s for %llu ms while "
			    "running%s", w->state == SUP_W_STARTING ?
			    "no HELLO" : "no heartbeat",
			    (unsigned long long)(quiet / 1000000), jobs);
			sup_worker_kill(w, SIGKILL, why);
		}
		return;
	}
	if (limit == 0) {
		return;
	}
	if (w->hb_pid != w->pid) {
		/* A new process in this slot: start afresh. */
		w->hb_pid = w->pid;
		w->hb_killed_ns = 0;
	}
	since = w->last_rx_ns > w->started_ns ? w->last_rx_ns : w->started_ns;
	quiet = now > since ? now - since : 0;
	if (quiet < limit) {
		return;
	}
	if (w->hb_killed_ns == 0) {
		describe_jobs(w, jobs, sizeof(jobs));
		snprintf(why, sizeof(why), "no heartbeat for %llu ms (limit "
		    "%u ms) while running%s; SIGABRT",
		    (unsigned long long)(quiet / 1000000),
		    p->opts.heartbeat_timeout_ms, jobs);
		sup_worker_kill(w, SIGABRT, why);
		w->hb_killed_ns = now;
	} else if (now - w->hb_killed_ns > SUP_KILL_GRACE_NS) {
		/* SIGABRT stays pending on a stopped process: kill it. */
		sup_worker_kill(w, SIGKILL, "still there after SIGABRT; SIGKILL");
		w->hb_killed_ns = now + 60ull * 1000000000ull;
	}
}

static void
health_cb(void *arg)
{
	struct corun_pool *p = arg;
	uint64_t now = corun_loop_now_ns();
	uint64_t limit = (uint64_t)p->opts.heartbeat_timeout_ms * 1000000ull;
	double period;

	corun_handle_release(p->health_h);
	p->health_h = NULL;
	for (unsigned i = 0; i < p->nslots; i++) {
		check_worker(p, &p->workers[i], now, limit);
	}
	period = p->opts.heartbeat_timeout_ms / 4000.0;
	if (p->remote != NULL && (period == 0 ||
	    period > sup_remote_timeout_ns(p) / 4e9)) {
		period = sup_remote_timeout_ns(p) / 4e9;
	}
	period = period < 0.05 ? 0.05 : period > 1.0 ? 1.0 : period;
	corun_call_later(p->loop, period, health_cb, p, &p->health_h);
}

void
sup_health_start(struct corun_pool *p)
{
	if ((p->opts.heartbeat_timeout_ms > 0 || p->remote != NULL) &&
	    p->health_h == NULL) {
		corun_call_later(p->loop, 0.05, health_cb, p, &p->health_h);
	}
}

void
sup_health_stop(struct corun_pool *p)
{
	if (p->health_h != NULL) {
		corun_handle_cancel(p->health_h);
		corun_handle_release(p->health_h);
		p->health_h = NULL;
	}
}

uint64_t
sup_health_restart_window_ns(const struct corun_pool *p)
{
	if (p->opts.restart_window_ms > 0) {
		return (uint64_t)p->opts.restart_window_ms * 1000000ull;
	}
	return 10ull * 1000000000ull;
}

/* Count a restart; nonzero if more than restart_max fall in the window. */
static int
over_intensity(struct corun_pool *p)
{
	uint64_t now = corun_loop_now_ns();
	unsigned n = 0, cap = p->restart_max + 1;

	p->restart_times[p->nrestart_times++ % cap] = now;
	for (unsigned i = 0; i < cap && i < p->nrestart_times; i++) {
		if (now - p->restart_times[i] <
		    sup_health_restart_window_ns(p)) {
			n++;
		}
	}
	return n > p->restart_max;
}

double
sup_health_restart_delay(struct corun_pool *p, int start_failed)
{
	int over = over_intensity(p);
	double d;

	if (start_failed) {
		d = SUP_BACKOFF_MIN;
		for (unsigned i = 0; i < p->restart_streak &&
		    d < SUP_BACKOFF_MAX; i++) {
			d *= 2;
		}
		p->restart_streak++;
		return d < SUP_BACKOFF_MAX ? d : SUP_BACKOFF_MAX;
	}
	if (!over) {
		return 0;
	}
	/* Paced at the limit's own rate: restart_max per window. */
	d = (double)sup_health_restart_window_ns(p) / 1e9 / p->restart_max;
	return d < SUP_BACKOFF_MIN ? SUP_BACKOFF_MIN : d;
}

/*
 * Workers take silence as a dead supervisor: every heartbeat interval each
 * ready worker hears from us, whatever else is going on.
 */
static void
heartbeat_cb(void *arg)
{
	struct corun_pool *p = arg;
	struct wire_heartbeat hb = { 0 };
	const uint8_t *frame;
	size_t len;

	corun_handle_release(p->heartbeat_h);
	p->heartbeat_h = NULL;
	hb.seq = ++p->heartbeat_seq;
	for (unsigned i = 0; i < p->nslots; i++) {
		struct sup_worker *w = &p->workers[i];

		if (w->state != SUP_W_READY && w->state != SUP_W_STOPPING) {
			continue;
		}
		if ((w->hb_killed_ns != 0 && w->hb_pid == w->pid) ||
		    (w->state == SUP_W_STOPPING && w->leases.len == 0)) {
			/*
			 * Being killed (health.c), or stopping with nothing
			 * left to run: it is about to exit, and a write to
			 * it as it dies makes nng close the pipe while its
			 * last frames may still be read, which nng 1.5.2 can
			 * hang on (sockclose.c).
			 */
			continue;
		}
		hb.running = (uint32_t)w->leases.len;
		if (wire_encode_heartbeat(&p->wb, &hb, &frame, &len) == 0) {
			sup_worker_send(w, frame, len);
		}
	}
	corun_call_later(p->loop, SUP_HEARTBEAT_MS / 1000.0 / 2, heartbeat_cb,
	    p, &p->heartbeat_h);
}

void
sup_pool_start_heartbeats(struct corun_pool *p)
{
	if (p->heartbeat_h == NULL) {
		corun_call_later(p->loop, SUP_HEARTBEAT_MS / 1000.0 / 2,
		    heartbeat_cb, p, &p->heartbeat_h);
	}
}

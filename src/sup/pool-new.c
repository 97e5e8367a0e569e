/* SPDX-License-Identifier: MIT */
/*
 * pool-new.c - creating and freeing a pool; models.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sup-internal.h"

/* Held jobs per worker when P == 1: frames of up to a quarter of it. */
#define SUP_AUTO_PREFETCH 1024
/* Map chunks a local worker may hold when nothing else is held ahead. */
#define SUP_MAP_AHEAD 16

#ifndef CORUN_BINDIR
#define CORUN_BINDIR "/usr/local/bin"
#endif

static const char *const model_names[] = {
	[CORUN_MODEL_DEFAULT] = "default",
	[CORUN_MODEL_PROCESS] = "process",
	[CORUN_MODEL_THREAD] = "thread",
	[CORUN_MODEL_ASYNC] = "async",
	[CORUN_MODEL_HYBRID] = "hybrid",
	[CORUN_MODEL_CUSTOM] = "custom",
};

int
corun_model_parse(const char *name, enum corun_model *out)
{
	for (int m = CORUN_MODEL_PROCESS; m <= CORUN_MODEL_HYBRID; m++) {
		if (name != NULL && strcmp(name, model_names[m]) == 0) {
			*out = (enum corun_model)m;
			return 0;
		}
	}
	return CORUN_EINVAL;
}

const char *
corun_model_name(enum corun_model m)
{
	if ((unsigned)m > CORUN_MODEL_CUSTOM) {
		return "unknown";
	}
	return model_names[m];
}

/*
 * The caller's opts, of its own size, as this library's struct: what its
 * size covers copied, the options it did not know zeroed (their
 * defaults).  CORUN_EINVAL for a size of 0, one too small to hold size,
 * or a larger struct with options set that we do not know.
 */
static int
import_opts(const struct corun_pool_opts *in, struct corun_pool_opts *out)
{
	const unsigned char *tail = (const unsigned char *)in;
	size_t n = in->size;

	if (n < sizeof(in->size)) {
		return CORUN_EINVAL;
	}
	for (size_t i = sizeof(*out); i < n; i++) {
		if (tail[i] != 0) {
			return CORUN_EINVAL;
		}
	}
	if (n > sizeof(*out)) {
		n = sizeof(*out);
	}
	memset(out, 0, sizeof(*out));
	memcpy(out, in, n);
	out->size = sizeof(*out);
	return 0;
}

static unsigned
ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

int
corun_model_resolve(const struct corun_pool_opts *opts, unsigned *procs,
    unsigned *threads, unsigned *conc)
{
	struct corun_pool_opts mine;
	const struct corun_pool_opts *o = &mine;
	unsigned n, cores = ncpus();
	unsigned p = 1, t = 1, c = 1;

	if (opts == NULL || import_opts(opts, &mine) != 0) {
		return CORUN_EINVAL;
	}
	n = o->jobs ? o->jobs : cores;

	switch (o->model) {
	case CORUN_MODEL_DEFAULT:
	case CORUN_MODEL_PROCESS:
		p = n;
		break;
	case CORUN_MODEL_THREAD:
		t = n;
		break;
	case CORUN_MODEL_ASYNC:
		c = n;
		break;
	case CORUN_MODEL_HYBRID:
		p = n < cores ? n : cores;
		c = (n + p - 1) / p;
		break;
	case CORUN_MODEL_CUSTOM:
		break;
	default:
		return CORUN_EINVAL;
	}
	if (o->procs) {
		p = o->procs;
	}
	if (o->threads) {
		t = o->threads;
	}
	if (o->concurrency) {
		c = o->concurrency;
	}
	/*
	 * The worker's own limits: 256 threads, 1000000 jobs per loop (what
	 * corun -j promises), 2^20 job slots per process.
	 */
	if (p > 1024 || t > 256 || c > 1000000 ||
	    (unsigned long long)t * c > (1ull << 20)) {
		return CORUN_ERANGE;
	}
	*procs = p;
	*threads = t;
	*conc = c;
	return 0;
}

static char *
find_worker(const struct corun_pool_opts *o)
{
	const char *path = o->worker_path;

	if (path == NULL) {
		path = getenv("CORUN_WORKER");
	}
	if (path == NULL || *path == '\0') {
		path = CORUN_BINDIR "/corun-worker";
	}
	return strdup(path);
}

/* How workers report to the pool (sup-internal.h). */
static const struct sup_worker_ops worker_ops = {
	.on_frame = sup_pool_on_frame,
	.on_exit = sup_pool_on_exit,
	.on_lost = sup_pool_on_lost,
	.schedule_flush = sup_pool_schedule_flush,
};

/* The counts and limits that opts leave to the pool (0 = default). */
static void
set_limits(struct corun_pool *p, const struct corun_pool_opts *opts)
{
	p->nslots = p->procs;
	if (opts->listen != NULL) {
		p->nslots += opts->max_remote ? opts->max_remote : 64;
	}
	p->max_attempts = opts->max_attempts ? opts->max_attempts : 3;
	if (opts->prefetch > 0) {
		p->prefetch = (unsigned)opts->prefetch;
	} else if (opts->prefetch == 0 && p->procs == 1 &&
	    opts->listen == NULL) {
		/* (With remote workers, others could run them sooner.) */
		/* Enough to batch: a quarter of the window per frame. */
		p->prefetch = p->threads * p->concurrency;
		if (p->prefetch < SUP_AUTO_PREFETCH) {
			p->prefetch = SUP_AUTO_PREFETCH;
		}
	}
	if (p->prefetch > 65536) {
		p->prefetch = 65536;
	}
	if (opts->prefetch == 0 && p->prefetch == 0) {
		/* Nothing held ahead but map chunks: pool-dispatch.c. */
		p->map_ahead = SUP_MAP_AHEAD;
	}
	p->batch_max = opts->batch_max ? opts->batch_max : 256;
	p->restart_max = opts->restart_max ? opts->restart_max : 10;
	if (p->restart_max > 100000) {
		p->restart_max = 100000;
	}
}

/* Memory of the pool's parts: worker slots, --load copies, the builder. */
static int
alloc_parts(struct corun_pool *p, const struct corun_pool_opts *opts)
{
	p->restart_times = calloc(p->restart_max + 1,
	    sizeof(*p->restart_times));
	p->next_id = 1;
	p->worker_path = find_worker(opts);
	p->workers = calloc(p->nslots ? p->nslots : 1, sizeof(*p->workers));
	p->load = calloc(opts->nload + 1, sizeof(*p->load));
	if (p->worker_path == NULL || p->workers == NULL || p->load == NULL ||
	    p->restart_times == NULL) {
		return CORUN_ENOMEM;
	}
	/* Before any failure below: corun_pool_free() closes these. */
	for (unsigned i = 0; i < p->nslots; i++) {
		p->workers[i].idx = i;
		p->workers[i].pidfd = -1;
		p->workers[i].jobs_fd = -1;
		p->workers[i].pool = p;
		p->workers[i].ops = &worker_ops;
	}
	for (size_t i = 0; i < opts->nload; i++) {
		if ((p->load[i] = strdup(opts->load[i])) == NULL) {
			return CORUN_ENOMEM;
		}
	}
	p->opts.load = NULL;
	return wire_builder_init(&p->wb, 0, p->batch_max, 0);
}

/* The run directory, the rendezvous and the local workers. */
static int
start(struct corun_pool *p, const struct corun_pool_opts *opts)
{
	int rc;

	if (opts->url != NULL) {
		/* ipc://DIR: the caller's directory holds the sockets. */
		snprintf(p->rundir, sizeof(p->rundir), "%s", opts->url + 6);
	} else if ((rc = sup_pool_rundir_make(p)) != 0) {
		return rc;
	} else {
		p->own_rundir = 1;
	}
	if (p->procs > 0 && access(p->worker_path, X_OK) != 0) {
		int err = errno;

		sup_pool_log(p, "cannot run the worker %s: %s", p->worker_path,
		    strerror(err));
		errno = err;
		return CORUN_ESYS;
	}
	if (opts->listen != NULL) {
		char why[300];

		if ((rc = sup_remote_start(p, why, sizeof(why))) != 0) {
			sup_pool_log(p, "--listen %s: %s", opts->listen, why);
			return rc;
		}
	}
	for (unsigned i = 0; i < p->procs; i++) {
		if ((rc = sup_worker_spawn(p, &p->workers[i])) != 0) {
			return rc;
		}
	}
	if (p->own_rundir) {
		sup_pool_rundir_sweep(p);
	}
	return 0;
}

int
corun_pool_new(corun_loop *loop, const struct corun_pool_opts *opts,
    corun_pool **out)
{
	static const struct corun_pool_opts defaults = CORUN_POOL_OPTS_INIT;
	struct corun_pool_opts mine;
	struct corun_pool *p;
	int rc;

	if (loop == NULL || out == NULL) {
		return CORUN_EINVAL;
	}
	if (opts == NULL) {
		opts = &defaults;
	}
	if ((rc = import_opts(opts, &mine)) != 0) {
		return rc;
	}
	opts = &mine;
	if (opts->url != NULL && (strncmp(opts->url, "ipc://", 6) != 0 ||
	    strlen(opts->url + 6) >= sizeof(((struct corun_pool *)0)->rundir) -
	    32)) {
		return CORUN_ENOTSUP;	/* tcp:// listeners: not yet */
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		return CORUN_ENOMEM;
	}
	p->loop = loop;
	p->opts = *opts;
	p->opts.url = NULL;
	if ((rc = corun_model_resolve(opts, &p->procs, &p->threads,
	    &p->concurrency)) != 0) {
		free(p);
		return rc;
	}
	if (opts->no_local) {
		if (opts->listen == NULL) {
			free(p);
			return CORUN_EINVAL;	/* nobody could run a job */
		}
		p->procs = 0;
	}
	set_limits(p, opts);
	if ((rc = alloc_parts(p, opts)) != 0 || (rc = start(p, opts)) != 0) {
		corun_pool_free(p);
		return rc;
	}
	sup_pool_start_heartbeats(p);
	sup_health_start(p);
	p->st.procs = p->procs;
	p->st.threads = p->threads;
	p->st.concurrency = p->concurrency;
	*out = p;
	return 0;
}

/*
 * Workers still alive when the pool is freed: SIGINT makes each cancel its
 * jobs (killing their process groups, so nothing is orphaned) and exit;
 * whoever is still there after the grace period is killed.
 */
static void
stop_workers(struct corun_pool *p)
{
	uint64_t deadline = corun_loop_now_ns() + 3000000000ull;
	unsigned alive;
	int status;

	for (unsigned i = 0; p->workers != NULL && i < p->procs; i++) {
		if (p->workers[i].pid > 0 && p->workers[i].state != SUP_W_IDLE) {
			kill(p->workers[i].pid, SIGINT);
			sup_worker_continue(p->workers[i].pid);
		}
	}
	do {
		alive = 0;
		for (unsigned i = 0; p->workers != NULL && i < p->procs;
		    i++) {
			struct sup_worker *w = &p->workers[i];

			if (w->pid <= 0 || w->state == SUP_W_IDLE) {
				continue;
			}
			if (waitpid(w->pid, &status, WNOHANG) == w->pid) {
				w->state = SUP_W_IDLE;
				sup_worker_spawn_end(w);
				continue;
			}
			if (corun_loop_now_ns() > deadline) {
				kill(w->pid, SIGKILL);
				while (waitpid(w->pid, &status, 0) < 0 &&
				    errno == EINTR) {
				}
				w->state = SUP_W_IDLE;
				sup_worker_spawn_end(w);
				continue;
			}
			alive++;
		}
		if (alive > 0) {
			usleep(5000);
		}
	} while (alive > 0);
}

void
corun_pool_free(corun_pool *p)
{
	struct sup_job *job;

	if (p == NULL) {
		return;
	}
	p->closing = 1;
	sup_remote_stop(p);
	stop_workers(p);
	for (unsigned i = 0; p->workers != NULL && i < p->nslots; i++) {
		struct sup_worker *w = &p->workers[i];

		while ((job = sup_jobq_pop(&w->leases)) != NULL) {
			sup_jobmap_del(&p->leased, job->id);
			cr_future_complete_cancelled(&job->fut);
			corun_future_unref(&job->fut);
		}
		sup_worker_close(w);
		if (w->drop_h != NULL) {
			corun_handle_cancel(w->drop_h);
			corun_handle_release(w->drop_h);
			w->drop_h = NULL;
		}
	}
	sup_remote_free(p);
	while ((job = sup_jobq_pop(&p->queue)) != NULL) {
		cr_future_complete_cancelled(&job->fut);
		corun_future_unref(&job->fut);
	}
	if (p->dispatch_h != NULL) {
		corun_handle_cancel(p->dispatch_h);
		corun_handle_release(p->dispatch_h);
	}
	if (p->restart_h != NULL) {
		corun_handle_cancel(p->restart_h);
		corun_handle_release(p->restart_h);
	}
	sup_health_stop(p);
	if (p->heartbeat_h != NULL) {
		corun_handle_cancel(p->heartbeat_h);
		corun_handle_release(p->heartbeat_h);
	}
	if (p->done != NULL) {
		cr_future_complete_cancelled(p->done);
		corun_future_unref(p->done);
	}
	wire_builder_fini(&p->wb);
	sup_jobmap_fini(&p->leased);
	if (p->own_rundir) {
		rmdir(p->rundir);
	}
	for (size_t i = 0; p->load != NULL && p->load[i] != NULL; i++) {
		free(p->load[i]);
	}
	free(p->load);
	free(p->workers);
	free(p->worker_path);
	free(p->broken_reason);
	free(p->restart_times);
	free(p);
}

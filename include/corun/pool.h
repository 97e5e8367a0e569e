/* SPDX-License-Identifier: MIT */
/*
 * corun/pool.h - a process pool that returns futures (concurrent.futures
 * for C).
 *
 * A pool runs a supervisor on a corun loop.  It starts corun-worker
 * processes by fork+exec (posix_spawn), never by a bare fork, and talks to
 * them over nng: jobs go out and results come back in batches coalesced
 * per loop iteration.  Flow is pull-based: a worker advertises free slots
 * (credits) and never holds more jobs than it can start.
 *
 * The model is P worker processes x T threads per process x C jobs in
 * flight per thread's loop:
 *
 *   process  P = N, T = 1, C = 1      (multiprocessing.Pool)
 *   thread   P = 1, T = N, C = 1      (ThreadPoolExecutor)
 *   async    P = 1, T = 1, C = N      (asyncio)
 *   hybrid   P = cores, T = 1, C = ceil(N / cores)
 *
 * where N is the total concurrency (corun_pool_opts.jobs).
 *
 * Contracts: every submitted job's future completes exactly once.  It
 * completes with a result (struct corun_job_result, see
 * corun_pool_result()) whenever the job reached an outcome on a worker,
 * including a non-zero exit or a timeout; it fails with an error when the
 * job could not be run: CORUN_ELOST after its attempts ran out on workers
 * that died ("worker lost: signal 9"), CORUN_EBROKEN when the pool is
 * broken (workers keep dying at start), CORUN_ECANCELED when cancelled or
 * dropped by shutdown before it started.  A job cancelled while it runs
 * (corun_future_cancel, or shutdown without wait) is stopped on its
 * worker and completes with a result whose status is CORUN_ECANCELED,
 * carrying its timings and the output it had made.  A job handed to a worker that dies is re-leased
 * (at-least-once) up to max_attempts; its result is recorded once.
 *
 * All functions are called on the pool's loop thread.
 */
#ifndef CORUN_POOL_H
#define CORUN_POOL_H

#include <stddef.h>
#include <stdint.h>

#include <corun/error.h>
#include <corun/future.h>
#include <corun/job.h>
#include <corun/loop.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corun_pool corun_pool;

enum corun_model {
	CORUN_MODEL_DEFAULT = 0,	/* the pool picks (process) */
	CORUN_MODEL_PROCESS,
	CORUN_MODEL_THREAD,
	CORUN_MODEL_ASYNC,
	CORUN_MODEL_HYBRID,
	CORUN_MODEL_CUSTOM		/* procs/threads/concurrency as given */
};

/*
 * Options of a pool.  The struct grows: options added in later versions
 * go at its end, past the end (padding included) of the struct as it was,
 * so its first member, size, tells the library which options the caller
 * knew of.  Always start from CORUN_POOL_OPTS_INIT, which sets size to
 * sizeof(struct corun_pool_opts) as the caller was compiled and every
 * option to its default (0 or NULL):
 *
 *	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
 *
 *	o.jobs = 8;
 *	corun_pool_new(loop, &o, &pool);
 *
 * corun_pool_new() and corun_model_resolve() read only the first size
 * bytes; the options beyond them (newer than the caller) keep their
 * defaults.  They refuse with CORUN_EINVAL a size of 0 (a struct that was
 * not set up with CORUN_POOL_OPTS_INIT), one too small to hold size
 * itself, and one larger than the library's own struct whose extra bytes
 * are not all zero (options that this older library does not know).
 */
struct corun_pool_opts {
	size_t size;		/* sizeof(struct corun_pool_opts): see above */
	enum corun_model model;
	unsigned jobs;		/* total concurrency N (0 = number of cores) */
	unsigned procs;		/* CORUN_MODEL_CUSTOM, or override */
	unsigned threads;
	unsigned concurrency;
	unsigned max_attempts;	/* times a job may be lost with a dying
				   worker before it fails (0 = 3); failures
				   of the job itself count against retries */
	int offload;		/* run CORUN_KIND_BLOCKING kinds in executors */
	int prefetch;		/* jobs a worker may hold beyond its free
				   slots, so a freed slot never waits for a
				   round trip: 0 = auto (max(T x C, 1024) when P == 1
				   and nothing listens for remote workers,
				   where no other worker could run them
				   sooner; none otherwise, so a slow job
				   never traps others, except chunks of
				   corun_pool_map_chunked, see there, and
				   the room a remote worker announces,
				   filled while its last job ran under
				   100 ms), < 0 = none */
	const char *worker_path; /* corun-worker (NULL: $CORUN_WORKER, else
				   the installed one) */
	const char *const *load; /* --load FILE.so, passed to the workers */
	size_t nload;
	const char *url;	/* where worker sockets live: "ipc://DIR"
				   (an existing directory); NULL: a private
				   0700 directory the pool makes and removes;
				   other schemes: CORUN_ENOTSUP for now */
	unsigned batch_max;	/* max jobs per frame (0 = 256) */
	unsigned restart_max;	/* workers that died replaced at once
				   within restart_window_ms; past it, one
				   per window / restart_max (0 = 10).
				   Workers that die before their HELLO
				   min(restart_max, 5) + 1 times in a row
				   break the pool */
	int quiet;		/* do not log worker losses to stderr */
	unsigned heartbeat_timeout_ms; /* a worker not heard from for this
				   long (stopped, spinning, blocked loop) is
				   sent SIGABRT, then SIGKILL 1 s later; its
				   jobs are re-leased (0 = never) */
	unsigned restart_window_ms; /* the window of restart_max (0 = 10 s);
				   workers that fail to start are restarted
				   after 0.1 s doubling up to 5 s */
	unsigned max_jobs_per_worker; /* recycle a worker after this many
				   jobs, +/- up to 10% jitter so they do not
				   all restart at once; 0 = never */
	/*
	 * Output of CORUN_JOB_STREAM jobs while they run, on the loop:
	 * stream 1 = stdout, 2 = stderr; tag is the job's.  Whole lines
	 * come as the job writes them; the rest (a last line without a
	 * newline, or all of it for kinds run through --offload) comes just
	 * before the job's future completes.  An attempt lost with its
	 * worker has already delivered what it wrote; the next attempt
	 * delivers its own output from the start.
	 */
	void (*on_output)(void *arg, uint64_t tag, int stream,
	    const char *data, size_t len);
	void *output_arg;
	/*
	 * Remote workers (corun-worker --connect URL on other hosts).  With
	 * listen set, the pool also takes workers that attach at that nng
	 * URL (tcp://, tls+tcp://, ipc://) and present the token (tcp:// needs
	 * a token, TLS or insecure).  See corun-worker(8).
	 */
	const char *listen;	/* rendezvous URL, NULL = local workers only */
	const char *token;	/* shared secret workers must present */
	const char *tls_cert;	/* PEM certificate (tls+tcp://) */
	const char *tls_key;	/* PEM key (NULL: in tls_cert's file) */
	const char *tls_ca;	/* PEM CA: workers must have a cert it signed */
	int insecure;		/* allow tcp:// with no token and no TLS */
	int no_local;		/* start no local workers: remote ones only */
	unsigned max_remote;	/* remote workers at once (0 = 64) */
	unsigned remote_timeout_ms; /* a remote worker silent this long is
				   dropped and its jobs re-leased (0 = 10 s) */
	/*
	 * A job was leased to a worker, on the loop: tag is the job's,
	 * attempt 1 for its first lease and +1 for each re-lease (a lease
	 * a shutting-down worker hands back unstarted is given again with
	 * the same number).  With prefetch < 0 a worker holds only what it
	 * can start, so this is when the job starts.  A chunk of
	 * corun_pool_map_chunked() is leased as one job, tag its index.
	 */
	void (*on_lease)(void *arg, uint64_t tag, uint32_t attempt);
	void *lease_arg;
};

/* The start of every struct corun_pool_opts: this size, all defaults. */
#ifdef __cplusplus
#define CORUN_POOL_OPTS_INIT { sizeof(struct corun_pool_opts) }
#else
#define CORUN_POOL_OPTS_INIT { .size = sizeof(struct corun_pool_opts) }
#endif

/* Parse "process", "thread", "async", "hybrid"; CORUN_EINVAL otherwise. */
int corun_model_parse(const char *name, enum corun_model *out);
const char *corun_model_name(enum corun_model m);

/*
 * Resolve the model to P x T x C for opts (after defaults).  Used by
 * corun_pool_new; exposed for tools that print the plan.  CORUN_EINVAL
 * for a bad opts->size (see struct corun_pool_opts) or model.
 */
int corun_model_resolve(const struct corun_pool_opts *opts, unsigned *procs,
    unsigned *threads, unsigned *concurrency);

/*
 * Create a pool on loop and start its workers.  opts may be NULL (every
 * option its default); else it starts from CORUN_POOL_OPTS_INIT
 * (CORUN_EINVAL for a bad opts->size, see struct corun_pool_opts).
 */
int corun_pool_new(corun_loop *loop, const struct corun_pool_opts *opts,
    corun_pool **out);

/*
 * Submit a job; *out receives a future for its result.  The job's fields
 * are copied.  CORUN_ECLOSED after shutdown began, CORUN_EBROKEN on a
 * broken pool.
 */
int corun_pool_submit(corun_pool *pool, const struct corun_job *job,
    corun_future **out);

/*
 * Submit n jobs at once (one future each, in order, into outs[]).  The
 * same as n submits, but they are queued together, so they leave in full
 * batches.
 */
int corun_pool_map(corun_pool *pool, const struct corun_job *jobs, size_t n,
    corun_future **outs);

/*
 * Send the jobs queued so far to the workers now, instead of at the end of
 * this loop iteration (where they go out in one batch per worker): for a
 * caller with slow work left in this iteration that the jobs need not wait
 * for.  0 or CORUN_EINVAL.
 */
int corun_pool_flush(corun_pool *pool);

/*
 * Chunked map: submit n jobs packed into chunks of up to chunksize jobs
 * (0: n / (4 x slots), at most 1000; a chunk also ends at 1 MiB of
 * payload) and get ONE future, *out, for all of them.  A chunk travels as
 * one job and runs on one worker slot, its jobs one after another in a
 * single task, as multiprocessing.Pool.map(chunksize=) does; its results
 * come back together.  This is the cheap way to run many short jobs: no
 * future per job on this side, no task per job on the worker.
 *
 * Chunks may be held ahead on a worker, as Pool.map's task queue does:
 * where opts.prefetch is 0 and so holds nothing (P > 1), a local worker
 * busy with one chunk is sent up to 16 more of a map, as many as cover
 * about 2 ms of their run time (the median of the last 8 chunks; one
 * until the first is timed), so that short chunks never wait a round trip
 * each, and chunks that run 2 ms or more are not held at all.  A job
 * submitted otherwise still goes only to a worker that holds nothing.
 * With prefetch < 0 nothing is held, chunks included.
 *
 * *out completes, always with a result, once every chunk has ended; read
 * the n results, in the order of jobs[], with corun_pool_map_results().
 * Each job has its own outcome as with submit: status, exit code, signal,
 * output, message, timeout and retries (rerun on the worker, inside the
 * chunk).  A job that could not run gets the reason as its status:
 * CORUN_ECANCELED, CORUN_ELOST (its chunk was lost with workers max_attempts
 * times; lost chunks are re-leased whole, so a job may run more than once
 * but its result is recorded once), CORUN_EBROKEN.  result.id is the job's
 * index in jobs[]; result.tag is the job's tag.  Blocking kinds run inline
 * (never offloaded), and a chunk's results share one frame: past 8 MiB of
 * output in one chunk, jobs report CORUN_ERANGE without their output.
 *
 * Cancelling *out cancels the chunks: queued ones do not run, running ones
 * stop their current job (CORUN_ECANCELED, with what it did) and skip the
 * rest; *out then completes with every job's outcome.  Every job is
 * checked before anything is queued: CORUN_EINVAL for a bad job,
 * CORUN_ERANGE for a payload too large for a chunk (none queued);
 * CORUN_ECLOSED after shutdown, CORUN_EBROKEN on a broken pool.  Chunks
 * are queued as they are packed, and workers start on the first ones
 * before the call returns; if memory runs out part way, the jobs not
 * queued complete with CORUN_ENOMEM.  In corun_pool_stats() a chunk
 * counts as one job.
 */
int corun_pool_map_chunked(corun_pool *pool, const struct corun_job *jobs,
    size_t n, size_t chunksize, corun_future **out);

/*
 * The results of a completed corun_pool_map_chunked() future, in order,
 * and their count in *n (may be NULL).  NULL for any other future or
 * before it completed.  Valid while the future is referenced.
 */
const struct corun_job_result *corun_pool_map_results(const corun_future *fut,
    size_t *n);

/* The job result of a pool future that completed with a result, or NULL. */
const struct corun_job_result *corun_pool_result(const corun_future *fut);

/*
 * Kill the running job of a corun_pool_submit() future as a failed
 * attempt (GNU parallel's --limit status 2): its worker stops it as a
 * cancel does (a shell job's process group gets SIGTERM, then SIGKILL),
 * and the job runs again, first in the queue, while its retries allow;
 * with none left its future completes as a cancelled running job's does
 * (a result with status CORUN_ECANCELED).  One its worker held but had
 * not started goes back to the queue, not counted.  0; CORUN_EAGAIN when
 * the job is not running (queued, or being stopped), CORUN_ESTATE when
 * done, CORUN_EINVAL for another future.
 */
int corun_pool_kill(corun_future *fut);

/*
 * Shut down.  cancel_pending: jobs not yet handed to a worker are
 * cancelled.  wait: *done (may be NULL) completes when every job has
 * completed and the workers have exited; without wait, workers are told to
 * stop at once and running jobs are cancelled.  Idempotent.
 */
int corun_pool_shutdown(corun_pool *pool, int wait, int cancel_pending,
    corun_future **done);

/* Free a pool that was shut down (it shuts it down without waiting if not). */
void corun_pool_free(corun_pool *pool);

struct corun_pool_stats {
	unsigned procs, threads, concurrency;
	unsigned workers_alive;		/* local and remote, ready */
	unsigned remote_alive;		/* remote workers ready */
	uint64_t remote_refused;	/* rendezvous requests refused */
	uint64_t submitted, completed, failed, lost, restarts;
	uint64_t queued, running;
	uint64_t frames_out, frames_in;	/* nng messages sent / received */
};

void corun_pool_stats(const corun_pool *pool, struct corun_pool_stats *st);

/*
 * The URL remote workers dial (opts.listen), with the port the kernel
 * picked where opts.listen gave port 0 (tcp://host:0); NULL when the
 * pool does not listen.  Owned by the pool, valid until it is freed.
 */
const char *corun_pool_listen_url(const corun_pool *pool);

/* The worker pids (up to n); returns how many are alive. */
size_t corun_pool_worker_pids(const corun_pool *pool, int *pids, size_t n);

/*
 * One worker as corun_pool_workers() shows it.  The struct grows at its
 * end: set size to sizeof(struct corun_worker_info) in each element
 * (CORUN_WORKER_INFO_INIT); only that many bytes are written.
 */
struct corun_worker_info {
	size_t size;
	int pid;		/* its pid (on its own host when remote) */
	int remote;		/* attached through the rendezvous */
	char peer[96];		/* a remote worker's address, "" when local */
	unsigned inflight;	/* jobs it holds now */
	uint64_t jobs_done;	/* results from this process */
	uint64_t started_ns;	/* when it started (loop clock) */
};
#define CORUN_WORKER_INFO_INIT { sizeof(struct corun_worker_info), 0, 0, \
	"", 0, 0, 0 }

/*
 * The workers alive (up to n written to out[], each with its size set by
 * the caller); returns how many are alive.  On the pool's loop thread.
 */
size_t corun_pool_workers(const corun_pool *pool,
    struct corun_worker_info *out, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* CORUN_POOL_H */

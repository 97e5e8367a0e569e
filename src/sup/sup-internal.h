/* SPDX-License-Identifier: MIT */
/*
 * sup-internal.h - the supervisor behind corun_pool: jobs, leases,
 * workers and their nng sockets.  Not installed.
 *
 * Every worker gets its own PAIR1 socket (monogamous: polyamorous mode
 * drops messages when a pipe's queue is full), listening on a private URL
 * the worker dials.  A local worker's ipc:// socket is read and written
 * by the pool's loop itself (lib/spipc.c, nng's wire); a remote worker's
 * nng socket has its RECVFD and SENDFD watched by the loop and messages
 * moved with non-blocking calls, so nothing of corun runs on nng's
 * threads.
 */
#ifndef SUP_SUP_INTERNAL_H
#define SUP_SUP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <nng/nng.h>

#include <corun/pool.h>

#include "future-internal.h"
#include "wire/wire.h"

enum sup_job_state {
	SUP_JOB_QUEUED = 1,
	SUP_JOB_LEASED,
	SUP_JOB_DONE
};

/*
 * A submitted job.  It is its own future (first member), so one
 * allocation holds the job, its kind and its payload.  The pool holds a
 * reference until the job is done.
 */
struct sup_job {
	struct corun_future fut;
	struct corun_pool *pool;
	struct sup_job *next, *prev;	/* queue or the worker's leases */
	struct sup_worker *worker;	/* SUP_JOB_LEASED */
	uint64_t id;
	uint64_t tag;
	uint32_t timeout_ms;
	uint32_t attempts;		/* leases handed out */
	uint32_t lost;			/* leases lost with their worker */
	int retries_left;		/* reruns after a failure */
	uint8_t state;
	uint8_t cancel_req;
	uint8_t cancel_sent;
	uint8_t cancel_retry;		/* corun_pool_kill: a failed attempt,
					   run again while retries_left */
	uint8_t stream;			/* CORUN_JOB_STREAM */
	uint8_t map_chunk;		/* a chunk of corun_pool_map_chunked:
					   may be held ahead (map_ahead) */
	uint8_t spill;			/* CORUN_JOB_SPILL */
	uint32_t streamed[2];		/* stdout, stderr bytes delivered */
	char *files[2];			/* spill: the current attempt's files
					   of stdout, stderr (ours to remove) */
	uint16_t kind_len;
	size_t len;
	char *kind;			/* points into data */
	uint8_t *payload;		/* points into data */
	char data[];
};

#define SUP_CHUNK_TIMES 8

struct sup_jobq {
	struct sup_job *head, *tail;
	size_t len;
};

/* id -> leased job, open addressing with linear probing. */
struct sup_jobmap {
	struct sup_job **slots;
	size_t cap;			/* power of two, or 0 */
	size_t len;
};

enum sup_worker_state {
	SUP_W_IDLE = 0,			/* slot empty, maybe restarting */
	SUP_W_STARTING,			/* spawned, no HELLO yet */
	SUP_W_READY,
	SUP_W_STOPPING,			/* SHUTDOWN sent */
	SUP_W_DEAD
};

struct sup_outmsg {
	nng_msg *msg;
	struct sup_outmsg *next;
};

/* Workers take silence as a dead supervisor: we send heartbeats this often. */
#define SUP_HEARTBEAT_MS 1000
/*
 * A remote worker is sent a job ahead of its free slots (held there, so
 * that no round trip comes between its jobs) only while its last job ran
 * shorter than this: a job held behind a long one could have started on
 * another worker sooner.
 */
#define SUP_AHEAD_MAX_NS (100 * 1000000ull)

/*
 * How a worker (worker.c, worker-sock.c, and the remote session code)
 * reports to its owner, the pool, which installs these when it creates
 * the worker's slot.  The context is w->pool.  All are called on the
 * loop thread; on_exit and on_lost at most once per process or session.
 */
struct sup_worker_ops {
	/* A frame arrived (not decoded yet); w may be dropped inside. */
	void (*on_frame)(struct sup_worker *w, const uint8_t *buf, size_t len);
	/* Its process exited (reaped), with waitpid's status. */
	void (*on_exit)(struct sup_worker *w, int status);
	/* A remote worker is gone; its socket is closed already. */
	void (*on_lost)(struct sup_worker *w, const char *why);
	/* Run the owner's dispatch at the end of this iteration. */
	void (*schedule_flush)(struct corun_pool *p);
};

struct sup_worker {
	struct corun_pool *pool;
	const struct sup_worker_ops *ops;	/* the pool's */
	unsigned idx;
	uint32_t gen;
	int state;
	pid_t pid;
	nng_socket sock;		/* a remote worker's */
	int sock_open;			/* sock or ipc is open */
	/*
	 * A local worker's connection: its ipc:// socket read and written
	 * on the loop itself (lib/spipc.c), not through nng.
	 */
	struct cr_spipc *ipc;
	struct sup_sockwatch *watch;	/* its pipes (sockclose.c) */
	struct event *rev;		/* RECVFD readable: messages wait */
	struct event *wev;		/* SENDFD readable: can send */
	struct event *pev;		/* pidfd readable: the process exited */
	int pidfd;
	struct corun_handle *poll_h;	/* waitpid polling without pidfd */
	struct sup_outmsg *outq, *outq_tail;
	/*
	 * The socket a local worker reads its first jobs from, before it
	 * connects (--jobs-fd): written once at the first dispatch, then
	 * closed; -1 once closed.
	 */
	int jobs_fd;
	struct cr_spawn *spawn;		/* its start (lib/spawn.h), till reaped */
	/*
	 * Its listener is opened at the first dispatch, after its first
	 * jobs went out (sup_worker_listen): nng's start-up in this process
	 * (a dozen threads) then overlaps the worker's instead of delaying
	 * its first jobs.
	 */
	int listen_due;
	int kill_sent;			/* we signalled this process */
	int draining;			/* told SHUTDOWN drain (pool-shutdown.c) */
	int bye_seen;			/* its BYE arrived */
	/*
	 * It exited (not reaped yet) holding leases before its BYE was read:
	 * what it sent last may still be on its way (cr_worker_exit_wait).
	 */
	int exit_deferred;
	unsigned exit_checks;
	struct corun_handle *exit_h;
	uint32_t credit;		/* jobs we may still send */
	uint32_t cancels;		/* cancel requests not sent yet */
	uint32_t capacity;
	/*
	 * A remote worker's job slots (HELLO: threads x concurrency); the
	 * rest of its capacity is room to hold jobs ahead, filled only
	 * while its jobs are short (ahead_ok: its last result ran under
	 * SUP_AHEAD_MAX_NS).
	 */
	uint32_t slots;
	int short_runs;
	struct sup_jobq leases;
	uint64_t started_ns;
	uint64_t last_rx_ns;		/* last frame from it (health.c) */
	uint64_t hb_killed_ns;		/* when health.c sent SIGABRT */
	pid_t hb_pid;			/* the process hb_killed_ns is about */
	/* Recycling (opts.max_jobs_per_worker), pool-frame.c. */
	uint32_t jobs_done;		/* results from this process */
	uint32_t jobs_limit;		/* its jittered limit, 0 = not drawn */
	int recycling;			/* no more jobs; SHUTDOWN when idle */
	/* Remote workers (remote.c): no process of ours, no pid. */
	int remote;			/* attached through the rendezvous */
	uint32_t rpid;			/* its pid on its own host */
	corun_handle *drop_h;		/* a drop scheduled (sup_worker_kill) */
	struct sup_sess *sess;		/* its pipe callback's state */
	char peer[96];			/* its address, for logs */
	char key[48];			/* session key it must present */
	char url[256];
	char host[64];			/* its name up to ':' (remote.c) */
};

struct corun_pool {
	corun_loop *loop;
	struct corun_pool_opts opts;
	char *worker_path;
	char **load;
	unsigned procs, threads, concurrency;
	unsigned max_attempts, batch_max, restart_max;
	unsigned prefetch;		/* passed to workers */
	unsigned map_ahead;		/* more held by local workers, for map
					   chunks only (pool-dispatch.c) */
	uint64_t chunk_ns;		/* a map chunk's run time: the median
					   of the last SUP_CHUNK_TIMES as of
					   nchunk_sorted (pool-dispatch.c) */
	uint64_t chunk_times[SUP_CHUNK_TIMES];	/* a ring */
	unsigned nchunk_times;		/* 0 = none timed yet */
	unsigned nchunk_sorted;		/* nchunk_times when chunk_ns was
					   taken */
	int spilling;			/* spill jobs went out (sweep at exits) */
	char rundir[200];
	struct sup_worker *workers;	/* procs local, then remote slots */
	unsigned nslots;		/* procs + remote slots */
	struct sup_remote *remote;	/* remote.c: the rendezvous */
	struct sup_jobq queue;
	struct sup_jobmap leased;
	struct wire_builder wb;
	uint64_t next_id;
	corun_handle *dispatch_h;	/* one dispatch per iteration */
	corun_handle *restart_h;
	unsigned rr;			/* round-robin start */
	corun_handle *heartbeat_h;
	uint64_t heartbeat_seq;
	corun_handle *health_h;		/* health.c: silent workers */
	unsigned restart_streak;	/* start failures in a row: reset by
					   a HELLO (pool-frame.c) */
	uint64_t *restart_times;	/* ring of restart_max + 1, ns */
	unsigned nrestart_times;
	uint64_t recycle_rng;		/* jitter of jobs_limit */
	int closing;
	int wait_on_close;
	int stopped_now;		/* corun_pool_shutdown without wait done */
	int broken;
	int own_rundir;			/* we made it: remove it */
	char *broken_reason;
	corun_future *done;		/* shutdown completion */
	struct corun_pool_stats st;
};

/* jobmap.c */
int sup_jobmap_put(struct sup_jobmap *m, struct sup_job *job);
struct sup_job *sup_jobmap_get(const struct sup_jobmap *m, uint64_t id);
void sup_jobmap_del(struct sup_jobmap *m, uint64_t id);
void sup_jobmap_fini(struct sup_jobmap *m);
void sup_jobq_push(struct sup_jobq *q, struct sup_job *job);
void sup_jobq_push_front(struct sup_jobq *q, struct sup_job *job);
void sup_jobq_remove(struct sup_jobq *q, struct sup_job *job);
struct sup_job *sup_jobq_pop(struct sup_jobq *q);

/* log.c: a line on stderr, "corun: ...", unless opts.quiet.  Anyone's. */
void sup_pool_log(const struct corun_pool *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * worker.c: one worker process (spawn, exit, signals), and dropping a
 * remote worker.  What happens to a worker is reported upward through its
 * ops (struct sup_worker_ops, installed by the pool), never by name.
 */
int sup_worker_spawn(struct corun_pool *p, struct sup_worker *w);
void sup_worker_kill(struct sup_worker *w, int sig, const char *why);
/*
 * SIGCONT to pid if it is stopped (state T: SIGSTOP, ^Z), and only then:
 * a SIGCONT to a process that is exiting under LeakSanitizer discards the
 * SIGSTOP of its ptrace attach and hangs it.
 */
void sup_worker_continue(pid_t pid);
void sup_worker_close(struct sup_worker *w);
/* Close the socket of its first jobs (the worker then connects for them). */
void sup_worker_close_jobs_fd(struct sup_worker *w);
void sup_worker_listen(struct sup_worker *w);
void sup_worker_bye(struct sup_worker *w);
void sup_worker_spawn_end(struct sup_worker *w);
/*
 * A remote worker is gone: close its socket, then ops->on_lost (once:
 * nothing happens to a worker already idle).  On the loop thread.
 */
void sup_worker_drop(struct sup_worker *w, const char *why);

/*
 * worker-sock.c: a worker's socket on the pool's loop.  Every frame read
 * goes to w->ops->on_frame, on the loop thread.
 */
/*
 * Open a local worker's socket and listen at w->url (an ipc:// path, on
 * the loop: lib/spipc.c); its frames are read as they come.
 */
int sup_worker_open_socket(struct corun_pool *p, struct sup_worker *w);
/* Watch w's open socket: RECVFD for messages, SENDFD when sends wait. */
int sup_worker_watch(struct corun_pool *p, struct sup_worker *w);
int sup_worker_send(struct sup_worker *w, const uint8_t *frame, size_t len);

/*
 * w's job slots: the jobs it runs at once; the rest of its capacity holds
 * jobs ahead (a local worker's --prefetch is the pool's; a remote one
 * says its slots in HELLO).
 */
static inline uint32_t
sup_worker_slots(const struct corun_pool *p, const struct sup_worker *w)
{
	uint32_t held;

	if (w->capacity == 0) {
		return p->threads * p->concurrency;
	}
	if (w->remote) {
		return w->slots;
	}
	/* A local worker's --prefetch is the pool's and its map reserve. */
	held = p->prefetch + p->map_ahead;
	return w->capacity > held ? w->capacity - held : 1;
}
/* Read what w's socket has now (bounded). */
void sup_worker_read(struct sup_worker *w);
/* Stop talking to the worker: its exit is still watched. */
void sup_worker_close_socket(struct sup_worker *w);

/*
 * sockclose.c: watch a socket's pipes from its creation; close it on a
 * thread of its own once its peer's last messages were read (bounded),
 * so that nng 1.5.2 cannot hang in the close.  sup_sock_close takes sock
 * and sw (which may be NULL); url, if ipc://, is unlinked at once.
 */
struct sup_sockwatch;
int sup_sock_watch(nng_socket sock, struct sup_sockwatch **out);
void sup_sock_close(nng_socket sock, struct sup_sockwatch *sw,
    const char *url);
/* Closes started and not finished, in this process. */
unsigned sup_sock_closes_pending(void);

/*
 * health.c: heartbeats to the workers, silent workers, restart backoff.
 */
void sup_health_start(struct corun_pool *p);
void sup_health_stop(struct corun_pool *p);
/*
 * Counts one restart and returns the delay before it, in seconds: for a
 * worker that failed to start (start_failed), 0.1 s doubling with each
 * failure in a row up to 5 s; for one that died while it ran, 0 within
 * the intensity limit (restart_max in the window), else the limit's own
 * pace (window / restart_max).  Never gives up: pool-exit.c decides when
 * a pool is broken (more than SUP_START_FAILS_MAX start failures in a row,
 * or more than restart_max if that is lower).
 */
#define SUP_START_FAILS_MAX 5
double sup_health_restart_delay(struct corun_pool *p, int start_failed);
uint64_t sup_health_restart_window_ns(const struct corun_pool *p);
void sup_pool_start_heartbeats(struct corun_pool *p);

/*
 * remote.c, remote-listen.c: remote workers attach through a rendezvous
 * socket (opts.listen) and get a PAIR1 socket of their own; see
 * doc/wire-protocol.md.  remote-sess.c closes those sockets.
 */
int sup_remote_start(struct corun_pool *p, char *why, size_t whysize);
void sup_remote_stop(struct corun_pool *p);
void sup_remote_free(struct corun_pool *p);
int sup_remote_check_hello(struct sup_worker *w, const struct wire_hello *h);
void sup_remote_close_socket(struct sup_worker *w);
uint64_t sup_remote_timeout_ns(const struct corun_pool *p);

/*
 * The pool, lowest part first; each part calls only those before it.
 * All on the loop thread.
 */

/* pool-job.c: a job's outcome.  Each completes the job exactly once. */
void sup_pool_job_fail(struct sup_job *job, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* host: the remote worker's host, or NULL (local). */
void sup_pool_job_succeed(struct sup_job *job, const struct wire_result *r,
    pid_t pid, const char *host);
/* Hand streamed output to the caller (opts.on_output). */
void sup_pool_deliver(struct sup_job *job, int stream, const uint8_t *data,
    size_t len);
/*
 * Spill: a local worker says the file path holds the whole of stream
 * (WIRE_STDOUT_FILE, WIRE_STDERR_FILE) of the job's current attempt;
 * the job keeps it (job may be NULL: a job no longer leased), else the
 * file is removed.  Only a path of the shape workers make is taken.
 */
void sup_pool_job_file(struct sup_job *job, int stream, const uint8_t *path,
    size_t len);
/*
 * Remove the spill files a dead worker (pid) made that never reached us:
 * those it sent are ours already under another name (corun-res-...).
 */
void sup_pool_files_sweep(pid_t pid);
/*
 * Remove the spill files whose maker is gone from this machine: those a
 * pool took over (corun-res-PID-...) and those a worker made
 * (corun-out-PID-...), when PID is no longer a process (a corun killed
 * with SIGKILL, its workers then gone), in $TMPDIR and in /dev/shm
 * (WIRE_SPILL_MEM_DIR).  Once, at a pool's first spill.
 */
void sup_pool_files_orphans(void);
/*
 * Make the pool's run directory (p->rundir, corun.PID.XXXXXX, mode 0700)
 * for its workers' sockets (pool-rundir.c).  0, CORUN_ERANGE or
 * CORUN_ESYS.
 */
int sup_pool_rundir_make(struct corun_pool *p);
/*
 * Remove the run directories beside p's whose process is gone (killed
 * before it could remove them): the first pool of a process, after its
 * workers are started, while they start.
 */
void sup_pool_rundir_sweep(const struct corun_pool *p);
/* Remove the job's spill files (a new attempt, or the job's end). */
void sup_pool_job_files_drop(struct sup_job *job);
/*
 * The most bytes of received spill files in memory (WIRE_SPILL_MEM_DIR)
 * before new jobs spill to $TMPDIR only; a job sent meanwhile may add
 * up to WIRE_SPILL_MEM_MAX a stream.
 */
#define SUP_SPILL_MEM_HELD ((size_t)64 << 20)
/* Nonzero while received spill files in memory stay under that. */
int sup_pool_spill_mem_room(void);
/* Take a leased job back from its worker (still to be completed). */
void sup_pool_unlease(struct corun_pool *p, struct sup_job *job);
/* Fail every queued job with code and why. */
void sup_pool_fail_queue(struct corun_pool *p, int code, const char *why);

/* pool-shutdown.c */
void sup_pool_stop_worker(struct corun_pool *p, struct sup_worker *w,
    int graceful);
/* When closing: stop or drain workers, and complete the shutdown future
 * once none is left. */
void sup_pool_maybe_finish_shutdown(struct corun_pool *p);

/* pool-dispatch.c */
void sup_pool_schedule_dispatch(struct corun_pool *p);
/* Run dispatch at the end of this iteration even with nothing queued. */
void sup_pool_schedule_flush(struct corun_pool *p);
void sup_pool_dispatch_now(struct corun_pool *p);
/* A map chunk of run_ns ended: chunks held ahead follow its length
   (noted only where chunks are held ahead: p->map_ahead). */
void sup_pool_chunk_ran(struct corun_pool *p, uint64_t run_ns);
/* Back to the front of the queue, and a dispatch scheduled. */
void sup_pool_requeue_front(struct corun_pool *p, struct sup_job *job);
/* The cancel of a job's future (its cr_future_ops). */
int sup_pool_job_cancel(corun_future *fut);
/* corun_pool_kill() of a job of corun_pool_submit(). */
int sup_pool_job_kill(struct sup_job *job);

/* pool-frame.c: a frame from w (its ops->on_frame). */
void sup_pool_on_frame(struct sup_worker *w, const uint8_t *buf, size_t len);

/*
 * pool-exit.c: a local worker's process exited, with waitpid's status
 * (ops->on_exit); a remote worker is gone (ops->on_lost).  Its leases are
 * re-queued or failed; a local one is restarted.
 */
void sup_pool_on_exit(struct sup_worker *w, int status);
void sup_pool_on_lost(struct sup_worker *w, const char *why);

/* pool-submit.c: a job for the queue (not queued yet); NULL and *rc if bad. */
struct sup_job *sup_pool_job_new(struct corun_pool *p, const struct corun_job *j,
    int *rc);

#endif /* SUP_SUP_INTERNAL_H */

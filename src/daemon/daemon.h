/* SPDX-License-Identifier: MIT */
/*
 * daemon.h - corund internals: the durable job store (store*.c), feeding
 * the pool from it (feed*.c), the control socket (ctl.c), the operations
 * (ops.c, wait.c), options, config, signals, logging (cd-log.h) and
 * readiness (options.c, conf.c, signals.c, log.c, notify.c, startup.c), all
 * started and wired together by main.c.  Not installed.
 *
 * One thread runs everything: a corun loop.  nng's aio callbacks only
 * hand requests to the loop (ctl.c); SQLite is used from the loop thread
 * alone, and every write of one loop iteration goes into one transaction.
 */
#ifndef CD_DAEMON_H
#define CD_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include <corun/corun.h>
#include <corun/pool.h>

#include "cd-log.h"
#include "ctl.h"

#define CD_PROG "corund"
/* A bad option or argument: 255, as every corun command. */
#define CD_EXIT_USAGE 255

/* Job states, as stored (the numbers are on disk: never renumber). */
enum cd_state {
	CD_QUEUED = 0,
	CD_RUNNING = 1,
	CD_DONE = 2,
	CD_FAILED = 3,
	CD_CANCELLED = 4,
	CD_NSTATES
};

const char *cd_state_name(int state);

/* ---- store*.c: SQLite in WAL mode ---------------------------------- */

typedef struct cd_store cd_store;

/* A job to add, as checked by the control socket. */
struct cd_jobspec {
	const char *kind;
	const void *payload;
	size_t len;
	const char *group;	/* "" = the default group */
	int priority;		/* higher first */
	double timeout;		/* seconds, 0 = none */
	int retries;
	const char *key;	/* idempotency key or NULL */
	const int64_t *after;	/* run after these jobs succeeded (one
				   that fails fails this one) */
	size_t nafter;
	const int64_t *after_any;	/* run after these ended, however */
	size_t nafter_any;
};

/* A job taken from the queue to run. */
struct cd_taken {
	int64_t id;
	char *kind;
	void *payload;
	size_t len;
	double timeout;
	int retries;
	uint32_t attempts;	/* including this one */
	uint64_t submitted_ns;	/* when it was submitted (wall clock) */
};

/* How a job ended. */
struct cd_outcome {
	int state;		/* CD_DONE, CD_FAILED or CD_CANCELLED */
	int status;		/* corun error code, 0 when done */
	int exit_code;
	int signal;
	uint32_t attempts;
	uint64_t start_ns, end_ns;
	const char *out;
	size_t out_len;
	const char *err;
	size_t err_len;
	const char *message;
	int worker_pid;
};

/*
 * Open (creating) DIR/jobs.db.  sync_full: PRAGMA synchronous=FULL (an
 * acknowledged job survives power loss) instead of NORMAL (it survives a
 * crash of the daemon).  On failure why says what went wrong.
 */
int cd_store_open(const char *dir, int sync_full, cd_store **out,
    char *why, size_t whysize);
void cd_store_close(cd_store *s);
const char *cd_store_errmsg(cd_store *s);

/* What a start with recover found lost (store-check.c). */
struct cd_store_loss {
	int64_t first, last;	/* acknowledged ids missing (none when
				   first > last) */
	int damaged;		/* quick_check failed: rebuilt from what
				   could be read */
	size_t salvaged;	/* jobs read from a damaged file */
	uint64_t unread;	/* ids up to the highest acknowledged one
				   not read from it (or purged before) */
	char gaps[400];		/* those ids, "a-b, c, ..." */
	char kept[4200];	/* the damaged files' copy ("": none) */
	char what[600];		/* what was found, in one line */
};
/*
 * cd_store_open, checking first what DIR/jobs.acked says was
 * acknowledged and PRAGMA quick_check.  Damage or a missing job: the
 * files are copied aside and it fails, why naming the file and the ids
 * missing; with recover it goes on with what can be read, loss (if not
 * NULL) saying what was lost (loss->what empty: nothing).
 */
int cd_store_open_ex(const char *dir, int sync_full, int recover,
    struct cd_store_loss *loss, cd_store **out, char *why, size_t whysize);

/* One transaction; begin is a no-op inside one (it nests by count). */
int cd_store_begin(cd_store *s);
/* 1 when no transaction is open: a read sees only what is committed. */
int cd_store_at_rest(cd_store *s);
int cd_store_commit(cd_store *s);

/* A savepoint inside a transaction: undo one request's writes. */
int cd_store_savepoint(cd_store *s);
int cd_store_release(cd_store *s, int rollback);

/*
 * Add a job.  With a key that is already known, *id is the existing
 * job and *existed is 1.  CORUN_ENOENT: a job in after is unknown.
 */
int cd_store_add(cd_store *s, const struct cd_jobspec *js, uint64_t now_ns,
    int64_t *id, int *existed);

/*
 * After a restart: jobs that were running go back to the queue, or fail
 * when they already had max_attempts attempts.  Only a job that started
 * on a worker has had an attempt (cd_store_leased), so a job that was
 * taken but never started is never failed here.
 */
int cd_store_recover(cd_store *s, unsigned max_attempts, uint64_t now_ns,
    size_t *requeued, size_t *failed);

/*
 * Take up to n runnable queued jobs (not in a paused group, after their
 * dependencies), highest priority first, and mark them running.  Taking
 * is not an attempt: cd_store_leased() counts one when the job starts.
 * The caller frees each with cd_taken_free.
 */
int cd_store_take(cd_store *s, size_t n, uint64_t now_ns,
    struct cd_taken *out, size_t *got);
void cd_taken_free(struct cd_taken *t);

/*
 * Record how a queued or running job ended.  Returns 0 and *recorded = 1
 * the first time, *recorded = 0 when it had already ended (exactly once).
 */
int cd_store_finish(cd_store *s, int64_t id, const struct cd_outcome *o,
    int *recorded);

/*
 * A taken job started on a worker: its attempts so far are attempts (the
 * most recorded is kept) and it started at now_ns.  Nothing for a job
 * that is no longer running.
 */
int cd_store_leased(cd_store *s, int64_t id, uint32_t attempts,
    uint64_t now_ns);

/* A running job goes back to the queue, its attempts as recorded. */
int cd_store_requeue(cd_store *s, int64_t id);
/* The same, with at most attempts counted (an attempt stopped through no
   fault of the job's is not counted). */
int cd_store_requeue_at(cd_store *s, int64_t id, uint32_t attempts);

/*
 * store-deps.c: fn(arg, id) for each job that ended inside the store
 * (a dependant failed because its dependency failed), after the write
 * that ended it.  On the loop thread; fn must not call the store.
 */
void cd_store_on_ended(cd_store *s, void (*fn)(void *arg, int64_t id),
    void *arg);

/* The state of a job; CORUN_ENOENT if there is none. */
int cd_store_state(cd_store *s, int64_t id, int *state);

/* One column of a job's row: SQL NULL, or its bytes or its number. */
struct cd_value {
	int null;
	const char *p;		/* bytes or text, NULL if none (or no memory
				   for the text) */
	size_t len;
	int64_t i;
	double r;
};

/* The columns of a job's row, in the store's order. */
enum cd_job_field {
	CD_F_ID, CD_F_STATE, CD_F_KIND, CD_F_GROUP, CD_F_PRIORITY,
	CD_F_TIMEOUT, CD_F_RETRIES, CD_F_KEY, CD_F_ATTEMPTS, CD_F_SUBMITTED,
	CD_F_STARTED, CD_F_ENDED, CD_F_STATUS, CD_F_EXIT_CODE, CD_F_SIGNAL,
	CD_F_WORKER_PID, CD_F_MESSAGE, CD_F_OUT, CD_F_ERR, CD_F_PAYLOAD,
	CD_F_N
};

struct cd_job_row {
	struct cd_value f[CD_F_N];	/* kind is NUL-terminated text */
	int held;			/* stashed (set by cd_store_list) */
};

/*
 * store-query.c: read job id's row; CORUN_ENOENT if there is none.  On 0
 * its bytes point into the store until cd_store_job_done(), which the
 * caller must call before any other store call.
 */
int cd_store_job_get(cd_store *s, int64_t id, struct cd_job_row *row);
void cd_store_job_done(cd_store *s);

/* store-list.c: which jobs a page of the list holds. */
struct cd_list_query {
	int64_t cursor;		/* after this id (desc: before; 0: from the
				   newest) */
	int desc;		/* newest first */
	unsigned states;	/* bit (1 << state) for each state shown */
	const char *group;	/* or NULL: every group */
	size_t limit;		/* jobs in the page */
};
/*
 * Call fn with each job of the page, in id order (desc: newest first);
 * the row's output fields are NULL.  fn returns nonzero to stop (out of
 * memory).  0, CORUN_ENOMEM or CORUN_ESYS.
 */
int cd_store_list(cd_store *s, const struct cd_list_query *q,
    int (*fn)(void *arg, const struct cd_job_row *row), void *arg);
/* store-json.c: a listed job (no output) as JSON, or NULL (memory). */
json_t *cd_store_row_json(const struct cd_job_row *row);

/*
 * store-groups.c: add a group (create; *found: it existed) or set its
 * parallelism (*found: it exists); 0 = no limit.
 */
int cd_store_group_set(cd_store *s, const char *group, unsigned parallel,
    int create, int *found);
/* Remove a group; refused (*active > 0, nothing done) while it holds
   queued or running jobs.  *found: it was there. */
int cd_store_group_rm(cd_store *s, const char *group, int *found,
    uint64_t *active);
/* fn for each group added, paused or holding jobs, by name. */
int cd_store_groups(cd_store *s, void (*fn)(void *arg, const char *group,
    int added, unsigned parallel, int paused, const uint64_t
    counts[CD_NSTATES]), void *arg);

/* store-queue.c's calls (cancel --all, restart, stash, edit) are in
   store-queue.h. */
/* Forget the finished jobs in the states of mask (bit 1 << state), at
   most 10000 a call, adding how many to *deleted. */
int cd_store_clean(cd_store *s, unsigned mask, size_t *deleted);

/* Pause or resume a group ("" = all groups' flag is kept by feed.c). */
int cd_store_set_paused(cd_store *s, const char *group, int paused);
/* Call fn with each paused group, in order; 0 or CORUN_ESYS. */
int cd_store_paused(cd_store *s, void (*fn)(void *arg, const char *group),
    void *arg);

/* store-json.c: the job as JSON (with_output: stdout, stderr, and a
   shell job's cmd); CORUN_ENOENT, CORUN_ENOMEM. */
int cd_store_job_json(cd_store *s, int64_t id, int with_output,
    json_t **out);
/* The paused groups as a JSON array. */
json_t *cd_store_paused_json(cd_store *s);

/* Delete finished jobs older than max_age_s or beyond the newest keep. */
int cd_store_purge(cd_store *s, double max_age_s, uint64_t keep,
    uint64_t now_ns, size_t *deleted);

/* Jobs per state (kept in memory, loaded at open). */
void cd_store_counts(cd_store *s, uint64_t counts[CD_NSTATES]);
/* store-groups.c: fn(arg, group, state, count) for each group and state
   with jobs (only queued and running with active_only); 0 or CORUN_ESYS. */
int cd_store_group_counts(cd_store *s, int active_only,
    void (*fn)(void *arg, const char *group, int state, uint64_t n),
    void *arg);

/*
 * fault-hooks.c: SQLite's and jansson's allocations and SQLite's file I/O
 * through the fault counters (fault-internal.h).  Once per process,
 * before SQLite is used; cd_store_open() calls it.
 */
void cd_fault_hooks(void);

/* WAL checkpoints run so far, by the checkpoint thread (ckpt.c). */
uint64_t cd_store_checkpoints(cd_store *s);

/* ---- the daemon ---------------------------------------------------- */

struct cd_conf {
	char *socket;
	char *state_dir;
	char *pidfile;
	char *user;
	char *log;		/* "stderr" or "syslog" */
	int log_level;		/* CR_LOG_* + 1; 0: not set */
	unsigned workers;
	enum corun_model model;
	unsigned max_attempts;
	unsigned window;	/* jobs handed to the pool at once */
	double heartbeat_timeout;
	double graceful_timeout;
	unsigned max_jobs_per_worker;
	unsigned restart_max;
	double restart_window;
	double purge_age;	/* seconds; 0 = never by age */
	uint64_t purge_count;	/* finished jobs kept; 0 = no limit */
	size_t max_request;	/* bytes */
	int sync_full;
	/* Remote workers (corun-worker --connect URL on other hosts). */
	char *listen;		/* rendezvous URL, NULL = none */
	char *token_file;	/* first line: the token they present */
	char *tls_cert, *tls_key, *tls_ca;
	int insecure;		/* plain tcp:// with no token */
	double remote_timeout;	/* seconds of silence before a drop */
	/* launcher = slurm (launch-slurm.c) */
	int launcher_slurm;
	unsigned slurm_workers;	/* the sbatch array's size */
	char *sbatch_options;	/* passed to sbatch as they are */
	char *on_done;		/* sh -c command run when a job ends */
	/* The web listener (web.c): /metrics and the dashboard. */
	char *http;		/* HOST:PORT, NULL = off */
	char *http_token_file;	/* first line: the control token */
};

void cd_conf_init(struct cd_conf *c);
void cd_conf_free(struct cd_conf *c);
/* Read KEY = VALUE lines; on error why names the line. */
int cd_conf_load(struct cd_conf *c, const char *path, char *why,
    size_t whysize);
/* Set one key; used by the file and by the command line. */
int cd_conf_set(struct cd_conf *c, const char *key, const char *value,
    char *why, size_t whysize);
/* The workers to run: c->workers, or the number of cores when 0. */
unsigned cd_conf_workers(const struct cd_conf *c);

/* options.c: the command line. */
struct cd_options {
	int foreground;
	int recover;		/* --recover: start with what the store
				   still holds, saying what was lost */
	char *conf_path;	/* --config, made absolute (malloc'd) */
};
/*
 * Parse argv into o; the settings it gives are kept for
 * cd_options_conf().  -1: exit now with *rc (--help, --version, an
 * error, said on stderr).
 */
int cd_options_parse(int argc, char **argv, struct cd_options *o, int *rc);

/*
 * The value's name (NULL for a flag) and the line --help shows for the
 * long option name: 0, or -1 with text "(no description)"
 * (options-help.c).
 */
int cd_option_doc(const char *name, const char **arg, const char **text);
/* Fresh settings: the defaults, the file at path (if any), then the
   command line's.  On error c is freed and why says why; -2 when a
   command line value is bad, -1 for the file. */
int cd_options_conf(struct cd_conf *c, const char *path, char *why,
    size_t whysize);

/*
 * unit-env.c: the state directory and socket from systemd's
 * $STATE_DIRECTORY and $RUNTIME_DIRECTORY when the settings leave them
 * unset; -1 out of memory.
 */
int cd_unit_dirs(struct cd_conf *c);
/* The config file read without --config, and a copy of its name when it
   exists (NULL: none, corund runs on its built-in defaults). */
const char *cd_conf_default_path(void);
char *cd_conf_default_file(void);

struct cd_ctl;
struct cd_inflight;
struct cd_waiter;

/*
 * launch-slurm.c, on the loop thread: with launcher = slurm and listen,
 * submit the workers (an sbatch array) as corund starts (0, or -1
 * logged), and cancel them as it stops.
 */
struct cd_daemon;
int cd_launch_start(struct cd_daemon *d);
void cd_launch_stop(struct cd_daemon *d);

struct cd_daemon {
	corun_loop *loop;
	struct cd_conf conf;
	char *conf_path;
	int recover;			/* --recover */
	cd_store *store;
	struct cd_ctl *ctl;
	struct cd_stats *stats;		/* stats.c: what /metrics counts */
	struct cd_web *web;		/* web.c: --http, NULL = off */
	const struct cd_feed_hooks *feed_hooks;	/* main.c's */

	/* feed*.c */
	corun_pool *pool;
	corun_pool *old_pools[8];	/* draining after a scale */
	size_t nold;
	unsigned workers;		/* current target */
	struct cd_inflight *inflight;	/* jobs in the pool */
	size_t ninflight;
	struct cd_inflight *done_head;	/* results to record */
	struct cd_inflight *lease_head;	/* starts to record */
	int in_step;			/* cd_feed_step is running */
	corun_handle *tick_h;
	void (*feed_step)(struct cd_daemon *d);	/* what a kick runs */
	corun_handle *purge_h, *delay_h; /* delay_h: feed-delay.c */
	corun_handle *retry_h;		/* re-create a broken pool */
	int paused_all;
	int draining;			/* take no new jobs */
	int exiting;			/* stop when the pool is empty */
	int fast;
	char *pool_error;		/* why the pool is failing */
	int64_t *finished;		/* ended this tick, for waiters */
	size_t nfinished, finished_cap;
	struct cd_waiter *waiters;
	uint64_t started_ns;
	uint64_t results_recorded;
};

/*
 * What the feed's step tells its owner (main.c installs it in
 * d->feed_hooks before requests can arrive).  On the loop thread.
 */
struct cd_feed_hooks {
	/* In the step's transaction: handle the queued requests (store_ok
	   0: the transaction could not begin; answer with an error). */
	void (*requests)(struct cd_daemon *d, int store_ok);
	/* After the commit (or its failure): answer them. */
	void (*answer)(struct cd_daemon *d, int committed);
	/* In the transaction, before the commit: the jobs in d->finished
	   end with it; read what finished needs (may be NULL). */
	void (*ending)(struct cd_daemon *d);
	/* After the commit: the jobs in d->finished ended. */
	void (*finished)(struct cd_daemon *d);
};

/* feed.c */
int cd_feed_start(struct cd_daemon *d);
/* Run the step at the end of this loop iteration. */
void cd_feed_kick(struct cd_daemon *d);
/*
 * The step, now: in one transaction handle the queued requests, record
 * the results that arrived and take what the pool has room for; commit;
 * then answer the requests, hand the jobs to the pool, wake waiters.
 */
void cd_feed_step(struct cd_daemon *d);
int cd_feed_cancel(struct cd_daemon *d, int64_t id, int *found);
int cd_feed_scale(struct cd_daemon *d, unsigned n);
void cd_feed_drain(struct cd_daemon *d, int fast);
void cd_feed_stop(struct cd_daemon *d);
void cd_feed_finished(struct cd_daemon *d, int64_t id);
json_t *cd_feed_status(struct cd_daemon *d);

/* ops.c: the operations (reply.c: the error replies they share). */
/*
 * Handle one request; returns the reply, or NULL when the answer comes
 * later (wait), through cd_ctl_reply.  Runs inside the caller's
 * transaction.  Out of memory, the reply may be json_null() (it needs
 * none); cd_ctl_reply() and ctl.c answer that, or a NULL given to
 * cd_ctl_reply(), with a fixed out-of-memory error.
 */
json_t *cd_ops_handle(struct cd_daemon *d, struct cd_ctx *c,
    const char *buf, size_t len);
/* The same with the request early() parsed (taken), or NULL to read buf. */
json_t *cd_ops_handle_req(struct cd_daemon *d, struct cd_ctx *c,
    const char *buf, size_t len, json_t *parsed);
/*
 * ctl.c's early hook: the reply of a request that only reads what is
 * committed (status, result, list, group_list, ping), or of one that is
 * no request (bad JSON, no such op), outside any transaction; NULL when
 * it needs the step (*parsed: the request, handed to cd_ops_handle_req)
 * or the store is inside a transaction a failure left open.
 */
json_t *cd_ops_early(struct cd_daemon *d, const char *buf, size_t len,
    json_t **parsed);
/* reply.c: {"ok": false, "error": {"code": code, "message": ...}}. */
json_t *cd_ops_error(const char *code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The fixed out-of-memory error reply (never NULL). */
json_t *cd_ops_oom(void);
/* "ids": [..] or "id": N into a new array; *err gets the reply if bad. */
int cd_ops_get_ids(json_t *req, int64_t **out, size_t *n, json_t **err);

/*
 * wait.c: the wait op, and a submit's "wait" (ids: the jobs it added,
 * taken; timeout -1 = none).  The reply now, or NULL with *later set
 * when the answer comes through cd_ctl_reply.
 */
json_t *cd_wait_op(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
    int *later);
json_t *cd_wait_submitted(struct cd_daemon *d, struct cd_ctx *ctx,
    json_t *ids, int batch, double timeout, int *later);
/* A deferred request's commit failed: drop its waiter, unanswered. */
void cd_ops_forget(struct cd_daemon *d, struct cd_ctx *c);
/*
 * In the step's transaction, before its commit: build the replies of the
 * waiters that the jobs in d->finished would complete, read from the
 * store there (no read transaction of their own after the commit).
 */
void cd_ctl_notify_prepare(struct cd_daemon *d);
/*
 * After the commit: answer the waiters the jobs in d->finished complete
 * (with the prepared replies), and drop prepared replies whose jobs the
 * commit did not keep.
 */
void cd_ctl_notify(struct cd_daemon *d);
/* Answer every pending wait with an error (shutting down). */
void cd_ctl_flush_waiters(struct cd_daemon *d, const char *why);

/* startup.c: the process. */
/* mkdir -p, the last one with mode. */
int cd_mkdirs(const char *path, mode_t mode);
/* flock DIR/lock into *fdp; refused (said on stderr) while another
   corund holds it. */
int cd_lock_state_dir(const char *dir, int *fdp);
/* Our pid into the lock file. */
void cd_write_pid(int fd);
/* Fork into the background; the parent exits with what the child tells
   it through cd_tell_parent() ("ok", or why it failed). */
int cd_daemonize(void);
/* Tell the waiting parent, once (nothing when not daemonized). */
void cd_tell_parent(const char *msg);
/* --user: chown the state and the socket, then become the user. */
int cd_drop_privileges(struct cd_daemon *d, char *why, size_t whysize);
/* Exit with rc if tearing down takes longer than 10 s. */
void cd_exit_watchdog(int rc);

/* signals.c: TERM, INT, QUIT, HUP, TTIN, TTOU, USR1 on the loop. */
#define CD_NSIGNALS 7
struct event;
/* Watch them (sev: their events); -1 with *failed the signal that
   could not be.  cd_signals_free() frees what was made either way. */
int cd_signals_watch(struct cd_daemon *d, struct event *sev[CD_NSIGNALS],
    int *failed);
void cd_signals_free(struct event *sev[CD_NSIGNALS]);

/* on-done.c: run the on-done command for each job in d->finished (after
   their commit, before the waiters are told).  On the loop thread. */
void cd_on_done(struct cd_daemon *d);

/* notify.c: $NOTIFY_SOCKET messages (READY=1, STATUS=...), and a stop. */
void cd_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Stop the loop: corund exits (called on the loop thread). */
void cd_quit(struct cd_daemon *d);

#endif /* CD_DAEMON_H */

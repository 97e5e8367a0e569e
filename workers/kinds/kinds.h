/* SPDX-License-Identifier: MIT */
/*
 * kinds.h - the worker's registry of job kinds and the job runner
 * (internal to corun-worker and the tests).
 *
 * corun-worker decodes a JOBS frame and calls wk_job_start() for each job
 * on the loop of the thread that will run it.  The job runs as a stackful
 * task (or, for a CORUN_KIND_BLOCKING kind with offload, through the loop's
 * executor; the built-in noop and sleep without a task: a loop timer, see
 * runner-internal.h); its future always completes with a result: a struct
 * wk_job_outcome describing how it ended, never with an error.
 */
#ifndef WK_KINDS_H
#define WK_KINDS_H

#include <stddef.h>
#include <stdint.h>

#include <corun/future.h>
#include <corun/job.h>
#include <corun/loop.h>

/* What to run: views may point into a received frame (not NUL-terminated). */
struct wk_job_exec {
	uint64_t id;
	uint32_t attempt;
	const char *kind;
	size_t kind_len;
	const void *payload;
	size_t len;
	uint32_t timeout_ms;	/* 0 = none */
	int offload;		/* run blocking kinds in the executor */
	/*
	 * Stream output: called on the job's loop thread with each run of
	 * whole lines (stream 1 = stdout, 2 = stderr) as the kind writes
	 * them; NULL = no streaming.  Kinds running in an executor do not
	 * stream.  The outcome still holds the whole output.
	 */
	void (*stream)(void *arg, int stream, const char *data, size_t len);
	void *stream_arg;
	/*
	 * Spill: a stream past WK_SPILL_AT goes to a file (out_file,
	 * err_file in the outcome) instead of memory.  Not with stream.
	 */
	int spill;
	/*
	 * Spill in memory first (WIRE_JOB_SPILL_MEM): the file is made in
	 * WK_SPILL_MEM_DIR and moves to $TMPDIR past WK_SPILL_MEM_MAX.
	 */
	int spill_mem;
};

/* How it ended.  Owned by the future (freed by wk_job_outcome_free). */
struct wk_job_outcome {
	uint64_t id;
	uint32_t attempt;
	int status;		/* 0 or CORUN_E* (EFAILED, ETIMEDOUT, ...) */
	int exit_code;		/* -1 when not a process */
	int signal;		/* 0 when not killed by a signal */
	uint64_t start_ns;	/* CLOCK_REALTIME */
	uint64_t end_ns;
	char *out;		/* NUL-terminated, may be NULL when empty */
	size_t out_len;
	char *err;
	size_t err_len;
	char *message;		/* NULL when status is 0, unless the
				   output was truncated (it says so) */
	char *out_file;		/* spill: the file holding all stdout (out
				   is then empty), or NULL; removed when
				   the outcome is freed, unless taken */
	char *err_file;		/* ... all stderr */
};

/* Seconds between TERM and KILL when a shell job times out. */
#define WK_KILL_GRACE 1.0

/*
 * Load a plugin (dlopen + corun_job_plugin_init).  On failure why
 * receives a message naming the file and the problem.  Kinds from plugins
 * override built-in kinds of the same name.  Not thread-safe: load before
 * starting job threads.
 */
int wk_kinds_load(const char *path, char *why, size_t whylen);

/*
 * Set the internal kind of corun_pool_map_chunked() (workers/kind-chunk.c):
 * found by its name before any other, never listed, never overridden.
 * Not thread-safe: set before starting job threads.
 */
void wk_kinds_set_chunk(const struct corun_job_kind *k);

/* Find a kind by name (len bytes); NULL if unknown. */
const struct corun_job_kind *wk_kind_find(const char *name, size_t len);

/* Names of every known kind, comma-separated, for error messages. */
const char *wk_kind_names(void);

/*
 * Start a job on loop (the calling thread's running loop).  Everything in
 * exec is copied.  *out completes with a struct wk_job_outcome (dtor
 * set).  Cancelling *out cancels the job: its task sees CORUN_ECANCELED at
 * its await point, shell jobs get TERM then KILL on their process group,
 * and the outcome says CORUN_ECANCELED.  The timeout works the same way
 * and reports CORUN_ETIMEDOUT.  An unknown kind completes at once with
 * CORUN_ENOENT and a message listing the known kinds.
 */
int wk_job_start(corun_loop *loop, const struct wk_job_exec *exec,
    corun_future **out);

void wk_job_outcome_free(void *outcome);

#endif /* WK_KINDS_H */

/* SPDX-License-Identifier: MIT */
/*
 * corun/job.h - jobs, job results, and the ABI of job kinds (handlers).
 *
 * A job is a kind name plus an opaque payload.  The built-in kinds and
 * their payloads (text unless said otherwise):
 *
 *   noop    empty                   does nothing
 *   sleep   "MS"                    a loop timer: MS milliseconds
 *   block   "MS"                    a blocking sleep that stalls its loop
 *                                   (on purpose; --offload runs it in the
 *                                   loop's executor)
 *   cpu     "MS" "MSms" or "Niter"  a deterministic compute kernel;
 *                                   "50ms" runs about 50 ms, "1000000iter"
 *                                   a fixed number of rounds; "50" = 50 ms;
 *                                   the value is a checksum (hex text)
 *   shell   argv words, each NUL-terminated, then an empty word, then
 *           "KEY=VALUE" words, each NUL-terminated (the env part may be
 *           absent).  One word holding shell syntax runs through
 *           /bin/sh -c; otherwise the words are run directly.  Runs in its
 *           own process group; stdout and stderr are captured.
 *   net     "HOST:PORT" NUL request bytes: connect, send the request, read
 *           the reply until EOF (it is the job's stdout)
 *
 * Job kinds are written once as stackful task bodies: they may await
 * sleeps, fds, child processes and futures (corun/task.h).  Kinds that
 * block declare CORUN_KIND_BLOCKING so --offload can run them in the
 * executor instead.
 *
 * User kinds come from a shared object loaded with --load FILE.so that
 * exports corun_job_plugin_init() (CORUN_JOB_ABI_VERSION below).
 */
#ifndef CORUN_JOB_H
#define CORUN_JOB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <corun/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A job to run. */
struct corun_job {
	const char *kind;	/* kind name, 1..255 bytes */
	const void *payload;	/* kind-specific bytes (may be NULL if len 0) */
	size_t len;
	double timeout;		/* seconds; 0 = none */
	int retries;		/* extra attempts when the job fails */
	uint64_t tag;		/* caller's value, returned in the result */
	unsigned flags;		/* CORUN_JOB_* below */
};

/*
 * Deliver the job's output while it runs: whole lines, through the pool's
 * on_output callback (corun/pool.h), as the job writes them.  The result
 * still holds the whole output.
 */
#define CORUN_JOB_STREAM 0x1

/*
 * Keep large output out of memory: a worker on this machine writes a
 * stream that outgrows 64 KiB to a file in its $TMPDIR (or /tmp) instead
 * of sending it back, and the result names the file (out_file, err_file
 * below); remote workers ignore the flag.  The pool removes the files
 * when the result is freed; those of a process killed before that are
 * removed by the next pool on the machine to spill (in the same $TMPDIR).
 */
#define CORUN_JOB_SPILL 0x2

/* How a job ended (the pool future's result; see corun/pool.h). */
struct corun_job_result {
	uint64_t id;		/* the pool's id for the job */
	uint64_t tag;		/* corun_job.tag */
	int status;		/* 0, CORUN_EFAILED (exit != 0 or kind
				   failed), CORUN_ETIMEDOUT, CORUN_ECANCELED,
				   CORUN_ELOST ... */
	int exit_code;		/* shell: exit status, or -1 */
	int signal;		/* shell: terminating signal, or 0 */
	uint32_t attempts;	/* attempts made, >= 1 */
	uint64_t start_ns;	/* CLOCK_REALTIME when the last attempt began */
	uint64_t end_ns;	/* ... and ended */
	const char *out;	/* stdout (or the kind's value), NUL-terminated */
	size_t out_len;
	const char *err;	/* stderr, NUL-terminated */
	size_t err_len;
	const char *message;	/* why it failed; "" if it did not */
	int worker_pid;		/* the worker process that ran it */
	const char *host;	/* the host of the remote worker that ran it
				   (its name up to ':': the Slurm node or
				   host name), NULL for a local worker */
	/*
	 * CORUN_JOB_SPILL: the file holding the job's whole stdout (out is
	 * then empty), or NULL when out holds it.  Valid, like the file,
	 * until the result is freed.  err_file: the same for stderr.
	 */
	const char *out_file;
	const char *err_file;
};

/* ---- the job kind ABI ---------------------------------------------- */

#define CORUN_JOB_ABI_VERSION 1

/* Kind flags. */
#define CORUN_KIND_BLOCKING 0x1	/* blocks its thread: offloadable */

typedef struct corun_job_ctx corun_job_ctx;

/*
 * Run one job.  Runs as a stackful task on a worker thread's loop (or, for
 * a CORUN_KIND_BLOCKING kind under --offload, on an executor thread, where
 * it must not await).  Return 0 on success or a CORUN_E* code (use
 * corun_job_fail() for a message).
 */
typedef int (*corun_job_fn)(corun_job_ctx *ctx);

struct corun_job_kind {
	const char *name;
	corun_job_fn run;
	unsigned flags;
};

/* The job's payload bytes. */
const void *corun_job_payload(const corun_job_ctx *ctx, size_t *len);

/* The job's timeout in seconds (0 = none). */
double corun_job_timeout(const corun_job_ctx *ctx);

/* Append to the job's stdout / stderr (what the caller prints). */
int corun_job_write_out(corun_job_ctx *ctx, const void *buf, size_t len);
int corun_job_write_err(corun_job_ctx *ctx, const void *buf, size_t len);

/* Record a failure message; returns code, for `return corun_job_fail(..)`. */
int corun_job_fail(corun_job_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record a process outcome (exit code, signal) for shell-like kinds. */
void corun_job_set_exit(corun_job_ctx *ctx, int exit_code, int signal);

/*
 * Plugin entry point, exported by a --load shared object: return the
 * array of kinds it provides and their count, or NULL if abi_version is
 * not one it supports.
 */
typedef const struct corun_job_kind *(*corun_job_plugin_init_fn)(
    int abi_version, size_t *n);
const struct corun_job_kind *corun_job_plugin_init(int abi_version,
    size_t *n);

#ifdef __cplusplus
}
#endif

#endif /* CORUN_JOB_H */

/* SPDX-License-Identifier: MIT */
/*
 * kinds-internal.h - what the built-in kinds and the runner share: the
 * job context behind the opaque corun_job_ctx, and the built-in kinds.
 *
 * Calls go one way: runner.c -> registry.c -> the kinds -> job.c (the
 * job API of <corun/job.h>).  Kinds reach the registry only through
 * ctx->kinds.
 */
#ifndef WK_KINDS_INTERNAL_H
#define WK_KINDS_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <corun/job.h>
#include <corun/loop.h>

/* Each of stdout and stderr keeps at most this much; the rest is dropped. */
#define WK_OUT_CAP ((size_t)64 << 20)

/*
 * A job sent with WIRE_JOB_SPILL keeps a stream in memory up to this
 * much; past it the stream goes, whole, to a file (job.c).
 */
#define WK_SPILL_AT ((size_t)64 << 10)

/*
 * Spill in memory (WIRE_JOB_SPILL_MEM; kinds do not see the wire, so
 * here are its WIRE_SPILL_MEM_DIR and WIRE_SPILL_MEM_MAX again): spill
 * files go to this tmpfs while a stream stays under the size, when
 * $TMPDIR is not a tmpfs itself; past it the file moves to $TMPDIR.
 */
#define WK_SPILL_MEM_DIR "/dev/shm"
#define WK_SPILL_MEM_MAX ((size_t)8 << 20)

/*
 * The most bytes a worker process keeps in spill files in memory, being
 * written or handed over and not yet removed (spill-mem.c): past it, the
 * stream that grows moves to $TMPDIR.
 */
#define WK_SPILL_MEM_TOTAL ((size_t)64 << 20)
/* Free room WK_SPILL_MEM_DIR must have to be used at all (job.c). */
#define WK_SPILL_MEM_ROOM ((size_t)512 << 20)

/* A growable output buffer, or the file it spilled to. */
struct wk_outbuf {
	char *p;
	size_t len, cap;
	int truncated;		/* bytes were dropped at WK_OUT_CAP */
	int spilled;		/* the output is in fd / path, not in p */
	int nospill;		/* no file could be made: stay in memory */
	int mem;		/* the file is in memory (WK_SPILL_MEM_DIR) */
	int fd;
	char *path;
	size_t size;		/* bytes in the file */
};

/*
 * The registry of kinds (registry.c), as the runner hands it to a kind
 * that runs other kinds (workers/kind-chunk.c), so that kinds do not call the
 * registry by name.  The functions are those of kinds.h.
 */
struct wk_kind_lookup {
	const struct corun_job_kind *(*find)(const char *name, size_t len);
	const char *(*names)(void);
	size_t	(*stack)(const struct corun_job_kind *k);
};

/*
 * The context a kind runs with.  Under offload the kind runs on one
 * executor thread; it then only calls the corun_job_* functions, which
 * touch nothing but this struct, and the loop thread leaves the struct
 * alone until that call has returned.  stop is the one field both threads
 * use at once, hence atomic.
 */
/* The longest kind name (the wire's limit, doc/wire-protocol.md). */
#define WK_KIND_NAME_MAX 255

struct corun_job_ctx {
	const struct corun_job_kind *kind;
	char *name;		/* the kind's name, NUL-terminated, at most
				   WK_KIND_NAME_MAX bytes: its owner's */
	char *payload;		/* a copy, with a NUL after len bytes */
	size_t len;
	double timeout;		/* seconds, 0 = none */
	corun_loop *loop;
	struct wk_outbuf out, err;
	void (*stream)(void *, int, const char *, size_t); /* or NULL */
	void *stream_arg;
	size_t streamed[2];	/* out, err bytes handed to stream */
	int spill;		/* big output to files (WK_SPILL_AT) */
	int spill_mem;		/* ... in memory first (WK_SPILL_MEM_DIR) */
	int fail_code;		/* corun_job_fail(), 0 if not called */
	char *fail_msg;
	int exit_code;		/* -1 unless corun_job_set_exit() */
	int signal;
	int offloaded;		/* running on an executor thread */
	atomic_int stop;	/* 0, CORUN_ETIMEDOUT or CORUN_ECANCELED */
	corun_job_ctx *parent;	/* an item's chunk (workers/kind-chunk.c) */
	const struct wk_kind_lookup *kinds; /* set by the runner */
};

/* Nonzero once the job was asked to stop (timeout or cancel). */
static inline int
wk_job_stopping(corun_job_ctx *ctx)
{
	int stop = atomic_load_explicit(&ctx->stop, memory_order_relaxed);

	/* An item of a chunk stops with its chunk too. */
	if (stop == 0 && ctx->parent != NULL) {
		stop = atomic_load_explicit(&ctx->parent->stop,
		    memory_order_relaxed);
	}
	return stop;
}

/*
 * A new spill file (see job.c): its fd and *pathp (malloc'd), or -1; in
 * memory if mem and that can be (*memp says whether it is).
 */
int wk_spill_create(int mem, char **pathp, int *memp);

/*
 * Kinds that write into a stream's spill file themselves (shell-run.c)
 * report each n bytes written: past WK_SPILL_MEM_MAX a file in memory
 * moves to $TMPDIR.  0 or the failure, recorded on ctx.
 */
int wk_job_spill_wrote(corun_job_ctx *ctx, int which, size_t n);
/*
 * The stream's spill file in memory is full (ENOSPC): move it to $TMPDIR.
 * 0; 1 when it is not in memory (nothing to do); or the failure, recorded
 * on ctx.
 */
int wk_job_spill_full(corun_job_ctx *ctx, int which);

/*
 * spill-mem.c: n more bytes of a stream in memory; nonzero when the
 * process's total is past WK_SPILL_MEM_TOTAL (they count all the same).
 */
int wk_spill_mem_add(size_t n);
/* n bytes of a stream left memory (moved to $TMPDIR, or removed). */
void wk_spill_mem_sub(size_t n);
/* The stream's file (path, n bytes) was handed over: it counts until gone. */
void wk_spill_mem_sent(const char *path, size_t n);

/*
 * The output of stream which (1 stdout, 2 stderr) is the whole of the
 * spill file fd, path (a kind let its program write there): the stream
 * takes the file over, or reads it into memory and removes it when it
 * is small.  mem: the file is in memory, its size counted (spill-mem.c).  0 or the failure, recorded on ctx.
 */
int wk_job_adopt_file(corun_job_ctx *ctx, int which, int fd, char *path,
    int mem);
/* The most bytes a stream keeps in memory (WK_SPILL_MEM_MAX, or set). */
size_t wk_spill_mem_max(void);

/*
 * The file stream which (1 stdout, 2 stderr) spilled to, or -1 while it
 * is in memory: a kind may write there itself (shell-run.c splices).
 */
int wk_job_spill_fd(const corun_job_ctx *ctx, int which);

/*
 * Close the stream's file, if it spilled, and hand its path over (NULL
 * if it did not); the caller then owns the file.
 */
char *wk_outbuf_take_file(struct wk_outbuf *b);

/* Free what the buffer holds; a spilled file is removed. */
void wk_outbuf_free(struct wk_outbuf *b);

/* The built-in kinds (kind-basic.c, kind-shell.c, kind-net.c). */
int wk_kind_noop(corun_job_ctx *ctx);
int wk_kind_sleep(corun_job_ctx *ctx);
int wk_kind_block(corun_job_ctx *ctx);
int wk_kind_cpu(corun_job_ctx *ctx);
int wk_kind_shell(corun_job_ctx *ctx);
int wk_kind_net(corun_job_ctx *ctx);

/*
 * Parse a count of milliseconds ("250", optionally "250ms") from the
 * payload; CORUN_EINVAL with a message naming the kind when it is not one.
 */
int wk_parse_ms(corun_job_ctx *ctx, uint64_t *ms);

/* cr_spawn (lib/cr-spawn.h): also how the supervisor starts workers. */
#include "lib/cr-spawn.h"

/* Stack size for kinds that need more than the default (net, plugins). */
#define WK_BIG_STACK (256 * 1024)

/* The coroutine stack size to run kind k with (0 = the default). */
size_t wk_kind_stack(const struct corun_job_kind *k);

#endif /* WK_KINDS_INTERNAL_H */

/* SPDX-License-Identifier: MIT */
/*
 * job.c - the job API of <corun/job.h>: what a running kind calls on its
 * context (payload, timeout, output, failure, exit status).
 *
 * These functions touch nothing but the context (struct corun_job_ctx,
 * kinds-internal.h), so a kind may call them on an executor thread when
 * it runs offloaded.  Output written here is kept up to WK_OUT_CAP per
 * stream, and whole lines go to the context's stream callback, if any.
 * A job sent with WIRE_JOB_SPILL (ctx->spill) keeps a stream in memory
 * only up to WK_SPILL_AT: then the stream moves, whole, to a file of its
 * own in $TMPDIR (or /tmp), which the supervisor reads and removes, and
 * memory stays small whatever the job writes (no WK_OUT_CAP then).  With
 * ctx->spill_mem the file starts in WK_SPILL_MEM_DIR (a tmpfs) and moves
 * to $TMPDIR once it passes WK_SPILL_MEM_MAX, or $CORUN_SPILL_MEM bytes
 * (a disk's file system costs more per byte than a tmpfs; memory stays
 * bounded).
 * The runner (runner.c) sets the context up and reads it afterwards.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "kinds-internal.h"

const void *
corun_job_payload(const corun_job_ctx *ctx, size_t *len)
{
	if (len != NULL) {
		*len = ctx->len;
	}
	return ctx->payload;
}

double
corun_job_timeout(const corun_job_ctx *ctx)
{
	return ctx->timeout;
}

static int
buf_append(struct wk_outbuf *b, const void *p, size_t len)
{
	size_t cap;
	char *n;

	if (len == 0) {
		return 0;
	}
	if (p == NULL) {
		return CORUN_EINVAL;
	}
	if (len > WK_OUT_CAP - b->len) {
		/* Keep what fits; the outcome says the rest was dropped. */
		len = WK_OUT_CAP - b->len;
		b->truncated = 1;
		if (len == 0) {
			return 0;
		}
	}
	if (b->len + len + 1 > b->cap) {
		cap = b->cap != 0 ? b->cap : 4096;
		while (cap < b->len + len + 1) {
			cap *= 2;
		}
		if ((n = realloc(b->p, cap)) == NULL) {
			return CORUN_ENOMEM;
		}
		b->p = n;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

/* Write it all to fd; 0 or errno, *done the bytes written (may be NULL). */
static int
write_all(int fd, const char *p, size_t len, size_t *done)
{
	size_t at = 0;
	ssize_t n;

	while (at < len) {
		if ((n = write(fd, p + at, len - at)) < 0) {
			if (errno == EINTR) {
				continue;
			}
			break;
		}
		at += (size_t)n;
	}
	if (done != NULL) {
		*done = at;
	}
	return at < len ? errno : 0;
}

/*
 * How much of a stream a spill file in memory may hold: WK_SPILL_MEM_MAX,
 * or $CORUN_SPILL_MEM bytes (0: none).  Asked once per process.
 */
size_t
wk_spill_mem_max(void)
{
	static size_t max;
	static int known;
	const char *e;
	char *end;
	unsigned long long v;

	if (!__atomic_load_n(&known, __ATOMIC_ACQUIRE)) {
		size_t m = WK_SPILL_MEM_MAX;

		if ((e = getenv("CORUN_SPILL_MEM")) != NULL && *e >= '0' &&
		    *e <= '9' && (errno = 0, v = strtoull(e, &end, 10),
		    errno == 0 && *end == '\0' && v <= SIZE_MAX)) {
			m = (size_t)v;
		}
		__atomic_store_n(&max, m, __ATOMIC_RELAXED);
		__atomic_store_n(&known, 1, __ATOMIC_RELEASE);
	}
	return __atomic_load_n(&max, __ATOMIC_RELAXED);
}

/*
 * The directory for spill files in memory, or NULL: WK_SPILL_MEM_DIR if
 * it is a tmpfs we may write to with room for several workers' bound
 * (a container's /dev/shm is often 64 MB: a job writing straight to it
 * would fail with ENOSPC), $TMPDIR (dir) is not a tmpfs itself (its
 * files are in memory already) and wk_spill_mem_max() is not 0.  Asked
 * once per process.
 */
static const char *
mem_dir(const char *dir)
{
	static int known, ok;
	struct statfs fs, tfs;

	if (!__atomic_load_n(&known, __ATOMIC_ACQUIRE)) {
		int yes = wk_spill_mem_max() > 0 &&
		    statfs(WK_SPILL_MEM_DIR, &fs) == 0 &&
		    fs.f_type == TMPFS_MAGIC &&
		    (uint64_t)fs.f_bavail * (uint64_t)fs.f_bsize >=
		    (uint64_t)WK_SPILL_MEM_ROOM &&
		    access(WK_SPILL_MEM_DIR, W_OK | X_OK) == 0 &&
		    !(statfs(dir, &tfs) == 0 && tfs.f_type == TMPFS_MAGIC);

		__atomic_store_n(&ok, yes, __ATOMIC_RELAXED);
		__atomic_store_n(&known, 1, __ATOMIC_RELEASE);
	}
	return __atomic_load_n(&ok, __ATOMIC_RELAXED) ? WK_SPILL_MEM_DIR :
	    NULL;
}

/* A new file corun-out-PID-XXXXXX in dir: its fd, or -1. */
static int
create_in(const char *dir, char **pathp)
{
	char *path;
	int fd;

	if (asprintf(&path, "%s/corun-out-%ld-XXXXXX", dir, (long)getpid()) < 0) {
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0) {
		free(path);
		return -1;
	}
	*pathp = path;
	return fd;
}

int
wk_spill_create(int mem, char **pathp, int *memp)
{
	const char *dir = getenv("TMPDIR"), *md;
	int fd;

	if (dir == NULL || dir[0] != '/') {
		dir = "/tmp";
	}
	*memp = 0;
	if (mem && (md = mem_dir(dir)) != NULL &&
	    (fd = create_in(md, pathp)) >= 0) {
		*memp = 1;
		return fd;
	}
	return create_in(dir, pathp);
}

/*
 * Move the stream's file from memory to $TMPDIR (it grew past
 * WK_SPILL_MEM_MAX): copied in the kernel, the old one removed.  0, or
 * the failure, recorded on ctx (the stream then stays where it was).
 */
static int
spill_to_disk(corun_job_ctx *ctx, struct wk_outbuf *b)
{
	char *path;
	off_t at = 0;
	ssize_t n;
	int fd, mem;

	if ((fd = wk_spill_create(0, &path, &mem)) < 0) {
		b->mem = 0;	/* nowhere else: it stays, not counted */
		wk_spill_mem_sub(b->size);
		return 0;
	}
	while ((size_t)at < b->size) {
		n = sendfile(fd, b->fd, &at, b->size - (size_t)at);
		if (n <= 0 && !(n < 0 && errno == EINTR)) {
			int e = n < 0 ? errno : EIO;

			close(fd);
			unlink(path);
			free(path);
			b->mem = 0;
			wk_spill_mem_sub(b->size);
			return corun_job_fail(ctx, CORUN_ESYS, "output: moving "
			    "%s: %s", b->path, strerror(e));
		}
	}
	close(b->fd);
	unlink(b->path);
	free(b->path);
	b->fd = fd;
	b->path = path;
	b->mem = 0;
	wk_spill_mem_sub(b->size);
	return 0;
}

int
wk_job_spill_wrote(corun_job_ctx *ctx, int which, size_t n)
{
	struct wk_outbuf *b = which == 1 ? &ctx->out : &ctx->err;

	b->size += n;
	if (!b->mem) {
		return 0;
	}
	/* (Both tests: the process's total counts these bytes.) */
	if (wk_spill_mem_add(n) | (b->size > wk_spill_mem_max())) {
		return spill_to_disk(ctx, b);
	}
	return 0;
}

int
wk_job_spill_full(corun_job_ctx *ctx, int which)
{
	struct wk_outbuf *b = which == 1 ? &ctx->out : &ctx->err;

	if (!b->spilled || !b->mem) {
		return 1;
	}
	return spill_to_disk(ctx, b);
}

/*
 * Write to the stream's spill file and count it; a file in memory that
 * is full (ENOSPC: /dev/shm filled up meanwhile) moves to $TMPDIR and
 * the rest goes there.  0, or the failure, recorded on ctx.
 */
static int
spill_write(corun_job_ctx *ctx, struct wk_outbuf *b, const void *p,
    size_t len)
{
	int which = b == &ctx->out ? 1 : 2, err, rc;
	size_t done;

	err = write_all(b->fd, p, len, &done);
	if (err == ENOSPC && b->mem) {
		if ((rc = wk_job_spill_wrote(ctx, which, done)) != 0 ||
		    (b->mem && (rc = spill_to_disk(ctx, b)) != 0)) {
			return rc;
		}
		if (!b->mem) {
			p = (const char *)p + done;
			len -= done;
			err = write_all(b->fd, p, len, &done);
		}
	}
	if (err != 0) {
		return corun_job_fail(ctx, CORUN_ESYS, "output: writing %s: "
		    "%s", b->path, strerror(err));
	}
	return wk_job_spill_wrote(ctx, which, len);
}

/*
 * Move the stream into a new file: 0, or 1 when no file could be made
 * (the stream then stays in memory), or a failure recorded on ctx.
 */
static int
spill_open(corun_job_ctx *ctx, struct wk_outbuf *b)
{
	char *path;
	size_t n;
	int fd, err;

	if ((fd = wk_spill_create(ctx->spill_mem, &path, &b->mem)) < 0) {
		b->nospill = 1;
		return 1;
	}
	b->spilled = 1;
	b->fd = fd;
	b->path = path;
	b->size = 0;
	n = b->len;
	b->len = 0;
	err = spill_write(ctx, b, b->p, n);
	free(b->p);
	b->p = NULL;
	b->cap = 0;
	return err;
}

/* Append to the stream, spilling it to a file when it grows past. */
static int
out_append(corun_job_ctx *ctx, struct wk_outbuf *b, const void *p,
    size_t len)
{
	int err;

	if (ctx->spill && !b->spilled && !b->nospill &&
	    b->len + len > WK_SPILL_AT && len > 0 && p != NULL &&
	    (err = spill_open(ctx, b)) != 1 && err != 0) {
		return err;
	}
	if (!b->spilled) {
		return buf_append(b, p, len);
	}
	return spill_write(ctx, b, p, len);
}

int
wk_job_adopt_file(corun_job_ctx *ctx, int which, int fd, char *path,
    int mem)
{
	struct wk_outbuf *b = which == 1 ? &ctx->out : &ctx->err;
	struct stat st;
	char buf[16384];
	off_t at = 0;
	ssize_t n;
	int rc = 0;

	if (fstat(fd, &st) == 0 && st.st_size > (off_t)WK_SPILL_AT &&
	    b->len == 0 && !b->spilled) {
		b->spilled = 1;
		b->fd = fd;
		b->path = path;
		b->size = (size_t)st.st_size;
		b->mem = mem;
		return 0;
	}
	if (mem) {
		wk_spill_mem_sub(fstat(fd, &st) == 0 ? (size_t)st.st_size : 0);
	}
	/* Little: in memory, as if it came through a pipe. */
	while (rc == 0 && (n = pread(fd, buf, sizeof(buf), at)) != 0) {
		if (n < 0) {
			if (errno != EINTR) {
				rc = corun_job_fail(ctx, CORUN_ESYS, "output: "
				    "reading %s: %s", path, strerror(errno));
			}
			continue;
		}
		at += n;
		rc = out_append(ctx, b, buf, (size_t)n);
	}
	close(fd);
	unlink(path);
	free(path);
	return rc;
}

int
wk_job_spill_fd(const corun_job_ctx *ctx, int which)
{
	const struct wk_outbuf *b = which == 1 ? &ctx->out : &ctx->err;

	return b->spilled ? b->fd : -1;
}

char *
wk_outbuf_take_file(struct wk_outbuf *b)
{
	char *path = b->path;

	if (!b->spilled) {
		return NULL;
	}
	close(b->fd);
	if (b->mem) {
		wk_spill_mem_sent(path, b->size);
	}
	b->spilled = 0;
	b->fd = -1;
	b->path = NULL;
	b->size = 0;
	b->mem = 0;
	return path;
}

void
wk_outbuf_free(struct wk_outbuf *b)
{
	char *path = wk_outbuf_take_file(b);

	if (path != NULL) {
		unlink(path);
		free(path);
	}
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Hand the whole lines written so far to the stream callback. */
static void
stream_lines(corun_job_ctx *ctx, int which, const struct wk_outbuf *b)
{
	size_t *sent = &ctx->streamed[which - 1];
	const char *nl;

	if (ctx->stream == NULL || ctx->offloaded || b->len == *sent) {
		return;
	}
	nl = memrchr(b->p + *sent, '\n', b->len - *sent);
	if (nl != NULL) {
		ctx->stream(ctx->stream_arg, which, b->p + *sent,
		    (size_t)(nl + 1 - (b->p + *sent)));
		*sent = (size_t)(nl + 1 - b->p);
	}
}

int
corun_job_write_out(corun_job_ctx *ctx, const void *buf, size_t len)
{
	int rc = out_append(ctx, &ctx->out, buf, len);

	stream_lines(ctx, 1, &ctx->out);
	return rc;
}

int
corun_job_write_err(corun_job_ctx *ctx, const void *buf, size_t len)
{
	int rc = out_append(ctx, &ctx->err, buf, len);

	stream_lines(ctx, 2, &ctx->err);
	return rc;
}

int
corun_job_fail(corun_job_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (code <= 0 || code >= CORUN_EMAXERR) {
		code = CORUN_EFAILED;
	}
	if (fmt != NULL) {
		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) < 0) {
			msg = NULL;
		}
		va_end(ap);
	}
	/* The first failure is the cause; later ones are consequences. */
	if (ctx->fail_code == 0) {
		ctx->fail_code = code;
		ctx->fail_msg = msg;
	} else {
		free(msg);
	}
	return code;
}

void
corun_job_set_exit(corun_job_ctx *ctx, int exit_code, int signal)
{
	ctx->exit_code = exit_code;
	ctx->signal = signal;
}

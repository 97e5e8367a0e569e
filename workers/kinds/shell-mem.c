/* SPDX-License-Identifier: MIT */
/*
 * shell-mem.c - a shell job's stdout written straight into a spill file
 * in memory (WK_SPILL_MEM_DIR), kept bounded while the program runs.
 *
 * After a job of this thread spilled its stdout to memory, the next one
 * gets such a file as its stdout (shell-run.c), as a tmpfs $TMPDIR's
 * jobs do: no pipe, nothing passes through us.  We cannot see its writes,
 * so a timer looks at the file's size, every WK_MEM_TICK_MIN while it
 * grows, backing off to WK_MEM_TICK_MAX while it does not, and counts it
 * in this process's total (spill-mem.c).  Past WK_SPILL_MEM_MAX, or the
 * total, what it holds is copied to a file in $TMPDIR and punched out of
 * memory (the program writes on at its offset, past the hole), and so on
 * at each tick; when the program is gone the rest follows and the file
 * in $TMPDIR is the stream's.  Memory stays bounded, by the limits plus
 * what a program writes in one tick.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "kinds-internal.h"
#include "shell.h"

#define WK_MEM_TICK_MIN 2000	/* us */
#define WK_MEM_TICK_MAX 32000

/* Copy [m->moved, end) to the file on disk; 0 or errno. */
static int
copy_out(struct wk_memout *m, off_t end)
{
	off_t at = m->moved;
	ssize_t n;

	while (at < end) {
		n = sendfile(m->dfd, m->fd, &at, (size_t)(end - at));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return n < 0 ? errno : EIO;
		}
	}
	return 0;
}

/* Look at the file: count it; past the limits, move it out of memory. */
static void
check(struct wk_memout *m)
{
	struct stat st;
	char *p;
	int over, mem;

	if (m->err != 0 || fstat(m->fd, &st) != 0 || st.st_size <= m->seen) {
		return;
	}
	over = wk_spill_mem_add((size_t)(st.st_size - m->seen));
	m->seen = st.st_size;
	if (m->dfd < 0 && !over && (size_t)st.st_size <= wk_spill_mem_max()) {
		return;
	}
	if (m->dfd < 0) {
		if ((m->dfd = wk_spill_create(0, &p, &mem)) < 0) {
			m->err = errno != 0 ? errno : EIO;
			return;
		}
		m->dpath = p;
	}
	if ((m->err = copy_out(m, st.st_size)) != 0) {
		return;
	}
	if (fallocate(m->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    m->moved, st.st_size - m->moved) != 0) {
		m->err = errno;
		return;
	}
	wk_spill_mem_sub((size_t)(st.st_size - m->moved));
	m->moved = st.st_size;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wk_memout *m = arg;
	off_t before = m->seen;
	struct timeval tv;

	(void)fd;
	(void)what;
	check(m);
	m->tick_us = m->seen > before ? WK_MEM_TICK_MIN :
	    (m->tick_us * 2 < WK_MEM_TICK_MAX ? m->tick_us * 2 :
	    WK_MEM_TICK_MAX);
	tv.tv_sec = 0;
	tv.tv_usec = m->tick_us;
	(void)evtimer_add(m->tick, &tv);
}

int
wk_memout_open(corun_job_ctx *ctx, struct wk_memout *m)
{
	struct timeval tv = { 0, WK_MEM_TICK_MIN };
	int mem;

	memset(m, 0, sizeof(*m));
	m->fd = m->dfd = -1;
	m->ctx = ctx;
	/* Only while this worker has room (that counts nothing). */
	if (wk_spill_mem_add(0) || (m->fd = wk_spill_create(1, &m->path,
	    &mem)) < 0) {
		return -1;
	}
	if (!mem) {
		close(m->fd);
		unlink(m->path);
		free(m->path);
		m->path = NULL;
		return m->fd = -1;
	}
	m->tick_us = WK_MEM_TICK_MIN;
	m->tick = evtimer_new(corun_loop_base(ctx->loop), tick_cb, m);
	if (m->tick == NULL || evtimer_add(m->tick, &tv) != 0) {
		m->ctx = NULL;	/* (finish then removes it) */
		(void)wk_memout_finish(m);
		return -1;
	}
	return m->fd;
}

int
wk_memout_finish(struct wk_memout *m)
{
	struct stat st;
	int rc = 0;

	if (m->tick != NULL) {
		event_free(m->tick);
		m->tick = NULL;
	}
	if (m->fd < 0) {
		return 0;
	}
	check(m);
	if (m->ctx == NULL || m->err != 0 || fstat(m->fd, &st) != 0) {
		rc = m->ctx == NULL ? 0 : corun_job_fail(m->ctx, CORUN_ESYS,
		    "output: moving %s: %s", m->path,
		    strerror(m->err != 0 ? m->err : errno));
	} else if (m->dfd >= 0 && (m->err = copy_out(m, st.st_size)) != 0) {
		rc = corun_job_fail(m->ctx, CORUN_ESYS, "output: moving %s: "
		    "%s", m->path, strerror(m->err));
	} else if (m->dfd >= 0) {
		/* All of it on disk now: that file is the stream's. */
		wk_spill_mem_sub((size_t)(m->seen - m->moved));
		close(m->fd);
		unlink(m->path);
		free(m->path);
		rc = wk_job_adopt_file(m->ctx, 1, m->dfd, m->dpath, 0);
		m->fd = m->dfd = -1;
		m->path = m->dpath = NULL;
		return rc;
	} else {
		/* Still all in memory (and counted): the stream's. */
		rc = wk_job_adopt_file(m->ctx, 1, m->fd, m->path, 1);
		m->fd = -1;
		m->path = NULL;
		return rc;
	}
	/* Failed: let go of both. */
	wk_spill_mem_sub((size_t)(m->seen - m->moved));
	close(m->fd);
	unlink(m->path);
	free(m->path);
	if (m->dfd >= 0) {
		close(m->dfd);
		unlink(m->dpath);
		free(m->dpath);
	}
	m->fd = m->dfd = -1;
	m->path = m->dpath = NULL;
	return rc;
}

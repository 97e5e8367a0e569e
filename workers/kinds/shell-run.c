/* SPDX-License-Identifier: MIT */
/*
 * shell-run.c - run a shell job's program once it is chosen (kind-shell.c)
 * and collect its output and status.  It starts through shell-spawn.c.
 *
 * The child gets its own process group (so a timeout can kill the whole
 * tree), /dev/null as stdin, default signal dispositions and an empty
 * signal mask (the worker may ignore SIGPIPE or block signals; children
 * must not inherit that).  stdout and stderr are drained into the job's
 * buffers by two plain libevent events (no task, no stack each), so a
 * child that fills one pipe while we wait on the other cannot deadlock.
 * This task waits for the child's exit without reaping it, holding the
 * pipes' write ends meanwhile, so that the child closing its output (most
 * coreutils close stdout before they exit) wakes nobody; then it lets go
 * of them, reads what is left, waits for the end of file only if the
 * child left something behind that still holds the pipes, and reaps.
 * One wake-up per job's exit: the path from a child's exit to the next
 * spawn is a handful of system calls.
 *
 * Spill (ctx->spill, corun run's jobs): a stdout or stderr that passes
 * WK_SPILL_AT moves to a file (job.c) and the pipe is then spliced there;
 * after such a job the thread's next one gets a spill file as its stdout
 * (wk_out_to_file), read back into memory afterwards if it stayed small.
 * The first spill file in memory (ctx->spill_mem) is fed through the
 * pipe: each splice is counted, so that it moves to $TMPDIR once it
 * passes WK_SPILL_MEM_MAX (job.c) and memory stays bounded; after such
 * a job the next one writes straight to a file in memory, which
 * shell-mem.c keeps bounded while it runs (wk_out_to_mem).
 *
 * On cancel (timeout or the caller): SIGTERM to the group, up to
 * WK_KILL_GRACE seconds for the leader to exit, then SIGKILL to the group
 * (whatever of it is left), reap, stop the readers.  The leader is reaped
 * only after the SIGKILL, so its pid, and so the group id, cannot have
 * been reused when we signal it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include <corun/task.h>

#include "kinds-internal.h"
#include "kinds.h"
#include "shell.h"

/* Reads per event callback, so one chatty child cannot hog the loop. */
#define WK_DRAIN_READS 16

/* The most one splice into a spill file moves. */
#define WK_SPLICE_MAX ((size_t)1 << 20)

/*
 * Spill: the last job of this thread wrote more than WK_SPILL_AT to
 * stdout, so the next one writes straight to a file, as GNU parallel's
 * jobs always do, rather than through a pipe we copy from.  A job that
 * writes little there is read back and the pipe comes back.
 */
static __thread int wk_out_to_file;

/* The same for a job whose stdout spilled to memory (shell-mem.c). */
static __thread int wk_out_to_mem;

/* The two output pipes of a running child. */
struct drain {
	corun_job_ctx *ctx;
	int fd[2];			/* stdout, stderr */
	struct event *ev[2];		/* NULL once that side is done */
	int open;			/* sides not at end of file */
	int rc[2];			/* CORUN_E* that stopped a side */
	int sys_errno[2];
	int nosplice;			/* the spill file refused splice */
	int discard[2];			/* a side that failed: read, dropped */
	corun_future *eof;		/* both sides done */
};

static void
drain_close(struct drain *d, int i)
{
	if (d->ev[i] != NULL) {
		event_free(d->ev[i]);
		d->ev[i] = NULL;
		d->open--;
	}
}

/*
 * Side i failed (rc, recorded on the job): what the program still writes
 * there is read and dropped, so that it ends as it would and the job
 * with it, rather than waiting for ever on a pipe nobody reads.
 */
static void
drain_fail(struct drain *d, int i, int rc)
{
	if (d->rc[i] == 0) {
		d->rc[i] = rc;
	}
	d->discard[i] = 1;
}

/*
 * Move what the pipe holds straight into the side's spill file (no copy
 * through us); -2 when it cannot (not spilled, or no splice there).
 */
static ssize_t
drain_splice(struct drain *d, int i)
{
	int sfd = d->nosplice ? -1 : wk_job_spill_fd(d->ctx, i + 1), rc;
	ssize_t n;

	if (sfd < 0) {
		return -2;
	}
	n = splice(d->fd[i], NULL, sfd, NULL, WK_SPLICE_MAX,
	    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n < 0 && (errno == EINVAL || errno == ENOSYS)) {
		d->nosplice = 1;
		return -2;
	}
	if (n < 0 && errno == ENOSPC &&
	    (rc = wk_job_spill_full(d->ctx, i + 1)) != 1) {
		/* /dev/shm is full: the file moved to $TMPDIR, go on there */
		if (rc != 0) {
			drain_fail(d, i, rc);
		}
		return 1;
	}
	if (n > 0 && (rc = wk_job_spill_wrote(d->ctx, i + 1, (size_t)n)) !=
	    0) {
		drain_fail(d, i, rc);
	}
	return n;
}

/*
 * Read what side i holds, up to WK_DRAIN_READS reads; close the side at
 * end of file or on an error.  A side that spilled to a file is spliced
 * there.
 */
static void
drain_side(struct drain *d, int i)
{
	char buf[16384];
	ssize_t n;
	int k, rc;

	for (k = 0; k < WK_DRAIN_READS && d->ev[i] != NULL; k++) {
		if (!d->discard[i] && (n = drain_splice(d, i)) > 0) {
			continue;
		}
		if (d->discard[i] || n == -2) {
			n = read(d->fd[i], buf, sizeof(buf));
		} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR) {
			/* the spill file refused what the pipe holds */
			d->sys_errno[i] = errno;
			drain_fail(d, i, CORUN_ESYS);
			continue;
		}
		if (n > 0 && !d->discard[i]) {
			rc = i ? corun_job_write_err(d->ctx, buf, (size_t)n) :
			    corun_job_write_out(d->ctx, buf, (size_t)n);
			if (rc != 0) {
				drain_fail(d, i, rc);
			}
		} else if (n == 0) {
			drain_close(d, i);
		} else if (n > 0) {
			continue;	/* dropped */
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			break;
		} else if (errno != EINTR) {
			d->sys_errno[i] = errno;
			d->rc[i] = CORUN_ESYS;
			drain_close(d, i);
		}
	}
}

static void
drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct drain *d = arg;

	(void)what;
	drain_side(d, fd == d->fd[0] ? 0 : 1);
	if (d->open == 0 && !corun_future_done(d->eof)) {
		(void)corun_future_set_result(d->eof, NULL, NULL);
	}
}

static int
drain_start(struct drain *d, corun_job_ctx *ctx, const int fds[2])
{
	struct event_base *base = corun_loop_base(ctx->loop);
	int i, rc;

	memset(d, 0, sizeof(*d));
	d->ctx = ctx;
	d->fd[0] = fds[0];
	d->fd[1] = fds[1];
	if ((rc = corun_future_new(ctx->loop, &d->eof)) != 0) {
		return rc;
	}
	for (i = 0; i < 2; i++) {
		if (fds[i] < 0) {
			continue;	/* stdout is a file: nothing to read */
		}
		d->ev[i] = event_new(base, fds[i], EV_READ | EV_PERSIST,
		    drain_cb, d);
		if (d->ev[i] == NULL || event_add(d->ev[i], NULL) != 0) {
			return CORUN_ENOMEM;
		}
		d->open++;
	}
	return 0;
}

/* Take what is still readable now, then stop watching. */
static void
drain_stop(struct drain *d)
{
	for (int i = 0; i < 2; i++) {
		drain_side(d, i);
		drain_close(d, i);
	}
	if (d->eof != NULL) {
		corun_future_unref(d->eof);
		d->eof = NULL;
	}
}

/* Sleep a little, whatever cancel requests arrive meanwhile. */
static void
nap(double *delay)
{
	corun_sleep(*delay);
	if (*delay < 0.02) {
		*delay *= 2;
	}
}

/*
 * Stop the process group pid leads.  If the leader has not been reaped:
 * TERM, wait up to WK_KILL_GRACE for it to exit (without reaping), KILL,
 * then reap it into *status.  Returns 1 if *status was set.
 */
static int
terminate(pid_t pid, int reaped, int *status)
{
	uint64_t until = corun_loop_now_ns() +
	    (uint64_t)(WK_KILL_GRACE * 1e9);
	double delay = 0.001;
	siginfo_t si;
	pid_t r;

	kill(-pid, SIGTERM);
	while (corun_loop_now_ns() < until) {
		memset(&si, 0, sizeof(si));
		if (reaped) {
			if (kill(-pid, 0) != 0) {
				break;
			}
		} else if (waitid(P_PID, (id_t)pid, &si,
		    WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) {
			break;
		}
		nap(&delay);
	}
	kill(-pid, SIGKILL);
	if (reaped) {
		return 0;
	}
	delay = 0.001;
	while ((r = waitpid(pid, status, WNOHANG)) == 0 ||
	    (r < 0 && errno == EINTR)) {
		nap(&delay);
	}
	return r == pid;
}

/* Record how the child ended; returns the kind's status. */
static int
exit_status(corun_job_ctx *ctx, int st)
{
	if (WIFEXITED(st)) {
		corun_job_set_exit(ctx, WEXITSTATUS(st), 0);
		if (WEXITSTATUS(st) != 0) {
			return corun_job_fail(ctx, CORUN_EFAILED, "exit %d",
			    WEXITSTATUS(st));
		}
		return 0;
	}
	if (WIFSIGNALED(st)) {
		corun_job_set_exit(ctx, -1, WTERMSIG(st));
		return corun_job_fail(ctx, CORUN_EFAILED,
		    "killed by signal %d", WTERMSIG(st));
	}
	return corun_job_fail(ctx, CORUN_EFAILED, "unexpected wait status "
	    "%#x", (unsigned)st);
}

/*
 * Wait for the child to exit, let go of the write ends wr[], read what
 * is left and reap it (*reaped, *st).  Returns 1 when stopped on the way
 * (a cancel, or a failure recorded in *rc): the caller then stops the
 * process group.
 */
static int
wait_child(corun_job_ctx *ctx, struct drain *d, const int fds[2],
    const int wr[2], pid_t pid, int *st, int *reaped, int *rc)
{
	int cancelled = 0, i;
	pid_t r;

	if (drain_start(d, ctx, fds) != 0) {
		cancelled = 1;	/* no memory: treat as a stop */
		*rc = corun_job_fail(ctx, CORUN_ENOMEM, "shell: out of memory");
	}
	if (!cancelled && (*rc = cr_wait_exited(pid)) != 0) {
		if (*rc != CORUN_ECANCELED) {
			*rc = corun_job_fail(ctx, *rc, "shell: waiting for pid "
			    "%ld: %s", (long)pid, corun_strerror(*rc));
		}
		cancelled = 1;
	}
	for (i = 0; i < 2; i++) {
		if (wr[i] >= 0) {
			close(wr[i]);
		}
	}
	if (!cancelled) {
		/* Usually the end of file is there already. */
		for (i = 0; i < 2; i++) {
			drain_side(d, i);
		}
		if (d->open > 0 && corun_await(d->eof) != 0) {
			cancelled = 1;	/* kill what holds them */
		}
	}
	if (!cancelled) {
		while ((r = waitpid(pid, st, 0)) < 0 && errno == EINTR) {
			continue;
		}
		if (r == pid) {
			*reaped = 1;
		} else {
			*rc = corun_job_fail(ctx, CORUN_ESYS, "shell: reaping "
			    "pid %ld: %s", (long)pid, strerror(errno));
		}
	}
	return cancelled;
}

/* The kind's status once the child is gone (see run_once). */
static int
run_status(corun_job_ctx *ctx, const struct drain *d, struct cr_spawn *sp,
    int st, int reaped, int cancelled, int rc, int *exec_err)
{
	int i;

	/* Its stack is free once it is reaped (never before). */
	if (reaped) {
		int e = cr_spawn_end(sp);

		if (e != 0 && !cancelled) {
			*exec_err = e;
			return 0;
		}
	}
	if (reaped) {
		/* Record the signal even if we killed it ourselves. */
		int xrc = exit_status(ctx, st);

		if (!cancelled) {
			rc = xrc;
		}
	}
	if (cancelled) {
		return rc != 0 ? rc : CORUN_ECANCELED;
	}
	for (i = 0; i < 2 && rc == 0; i++) {
		if (d->rc[i] != 0) {
			errno = d->sys_errno[i];
			rc = corun_job_fail(ctx, d->rc[i], "shell: reading "
			    "std%s: %s", i == 0 ? "out" : "err",
			    d->sys_errno[i] != 0 ? strerror(d->sys_errno[i]) :
			    corun_strerror(d->rc[i]));
		}
	}
	return rc;
}

/*
 * Run argv once and collect its output and status; *exec_err is set
 * instead when the program could not be started (cr_spawn's children
 * report that only when reaped).
 *
 * We hold the pipes' write ends until the child has exited, so that its
 * closing them (coreutils close stdout before they exit, and the exit
 * closes the rest) is no end of file and wakes nobody: the loop wakes for
 * the child's output and once for its exit.  A wake-up at each close
 * comes while the child is still exiting, finds nothing to reap, and can
 * take the CPU from the very child it waits for.  Once the child is
 * reaped our write ends go and what the pipes hold is read at once; only
 * the child's own children still holding them (something it left in the
 * background) make us wait for their end of file, as a shell's $(...)
 * would.
 */
static int
run_once(corun_job_ctx *ctx, const char *path, char **argv, char **envp,
    int search, int *exec_err)
{
	struct cr_spawn *sp;
	struct drain d;
	struct wk_memout m = { .fd = -1 };
	int fds[2] = { -1, -1 }, wr[2] = { -1, -1 }, st = 0, rc, reaped = 0;
	int cancelled, i, ofd = -1, arc = 0, omem;
	char *opath = NULL;
	pid_t pid;

	*exec_err = 0;
	/* A file in memory while there is room, else on disk. */
	if (ctx->spill_mem && (wk_out_to_mem || wk_out_to_file)) {
		(void)wk_memout_open(ctx, &m);
	}
	if (m.fd < 0 && ctx->spill && wk_out_to_file) {
		ofd = wk_spill_create(0, &opath, &omem);
	}
	if ((rc = wk_shell_spawn(ctx, path, argv, envp, search,
	    m.fd >= 0 ? m.fd : ofd, fds, wr, &pid, &sp)) != 0) {
		if (ofd >= 0) {
			close(ofd);
			unlink(opath);
			free(opath);
		}
		m.ctx = NULL;	/* (removes it) */
		(void)wk_memout_finish(&m);
		return rc;
	}
	cancelled = wait_child(ctx, &d, fds, wr, pid, &st, &reaped, &rc);
	if (cancelled && terminate(pid, reaped, &st)) {
		reaped = 1;
	}
	drain_stop(&d);
	for (i = 0; i < 2; i++) {
		if (fds[i] >= 0) {
			close(fds[i]);
		}
	}
	if (ofd >= 0) {
		arc = wk_job_adopt_file(ctx, 1, ofd, opath, 0);
	}
	if (m.fd >= 0) {
		arc = wk_memout_finish(&m);
	}
	/* The next job writes to a file at once if this one filled one. */
	wk_out_to_file = ctx->spill && wk_job_spill_fd(ctx, 1) >= 0 &&
	    !ctx->out.mem;
	wk_out_to_mem = ctx->spill_mem && wk_job_spill_fd(ctx, 1) >= 0 &&
	    ctx->out.mem;
	rc = run_status(ctx, &d, sp, st, reaped, cancelled, rc, exec_err);
	return rc != 0 ? rc : arc;
}

/* Run argv and collect its output and status. */
int
wk_shell_run(corun_job_ctx *ctx, const char *path, char **argv, char **envp)
{
	int rc, err;

	rc = run_once(ctx, path, argv, envp, 0, &err);
	if (err == ENOENT || err == EACCES || err == ENOEXEC) {
		/* A cached path that stopped working: search PATH again. */
		wk_shell_path_forget(path);
		rc = run_once(ctx, path, argv, envp, 1, &err);
	}
	if (err != 0) {
		return wk_shell_cannot_run(ctx, argv, envp, err);
	}
	return rc;
}

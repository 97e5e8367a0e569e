/* SPDX-License-Identifier: MIT */
/*
 * worker.c - one worker process as the supervisor sees it: its start,
 * its listener, signals to it, and how it ends (its socket is
 * worker-sock.c); and dropping a remote worker, which has no process here.
 * What happens to it is reported to the pool through w->ops.
 *
 * A worker is started by cr_spawn, a vfork-style clone and exec (never
 * a bare fork: nng is not fork-safe), with --connect to a PAIR1 socket
 * that listens only for it.
 * Its exit is seen through a pidfd on the loop (or waitpid polling where
 * there is no pidfd), so no SIGCHLD handler is involved.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/fault-internal.h"
#include "lib/cr-spawn.h"
#include "sup-internal.h"

#include <nng/protocol/pair1/pair.h>

extern char **environ;

/* Reap the worker if it exited: 1 reaped, 0 running. */
static int
reap(struct sup_worker *w)
{
	int status = 0;
	pid_t r;

	do {
		r = waitpid(w->pid, &status, WNOHANG);
	} while (r < 0 && errno == EINTR);
	if (r == 0) {
		return 0;
	}
	if (r < 0) {
		status = 0;	/* reaped elsewhere: report a plain exit */
	}
	sup_worker_spawn_end(w);
	w->ops->on_exit(w, status);
	return 1;
}

/*
 * A worker that exits while it holds leases may have sent their results
 * just before (a drained worker sends its last results and BYE, then
 * exits at once): nng may not have handed us those frames yet when the
 * exit is seen.  So the exit waits, the process unreaped (its pid stays
 * ours), until its BYE was read or it holds nothing any more, checking
 * every SUP_EXIT_CHECK s for at most SUP_EXIT_CHECKS times (a worker that
 * crashed sends no BYE: its jobs are re-queued 100 ms later).
 */
#define SUP_EXIT_CHECK 0.002
#define SUP_EXIT_CHECKS 50

/* 1 if the process has exited (it is not reaped). */
static int
exited(const struct sup_worker *w)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)w->pid, &si, WEXITED | WNOHANG |
	    WNOWAIT) != 0) {
		if (errno != EINTR) {
			return 1;	/* not ours to wait for: let reap say */
		}
	}
	return si.si_pid == w->pid;
}

/* Nothing it sent can still be on the way that we would miss. */
static int
exit_ready(struct sup_worker *w)
{
	if (w->bye_seen || w->leases.len == 0 || !w->sock_open) {
		return 1;
	}
	sup_worker_read(w);		/* what nng has now */
	return w->bye_seen || w->leases.len == 0 || !w->sock_open;
}

static void exit_check(void *arg);

/*
 * It has exited: reap it now, or once its last frames are read.  Only a
 * worker past HELLO can have sent results; meanwhile it is sent nothing
 * (sup_worker_send) and given no jobs (no longer READY).
 */
static void
exited_now(struct sup_worker *w)
{
	if (w->state != SUP_W_READY && w->state != SUP_W_STOPPING) {
		reap(w);
		return;
	}
	if (!w->exit_deferred) {
		w->exit_deferred = 1;
		if (w->pev != NULL) {
			event_del(w->pev);	/* it stays readable */
		}
		if (w->state == SUP_W_READY) {
			w->state = SUP_W_STOPPING;
		}
	}
	if (exit_ready(w) || w->exit_checks >= SUP_EXIT_CHECKS) {
		reap(w);
		return;
	}
	if (w->exit_h == NULL) {
		w->exit_checks++;
		corun_call_later(w->pool->loop, SUP_EXIT_CHECK, exit_check, w,
		    &w->exit_h);
	}
}

static void
exit_check(void *arg)
{
	struct sup_worker *w = arg;

	corun_handle_release(w->exit_h);
	w->exit_h = NULL;
	exited_now(w);
}

/* Its BYE was read: a deferred exit need not wait any more. */
void
sup_worker_bye(struct sup_worker *w)
{
	w->bye_seen = 1;
	if (w->exit_deferred && w->exit_h != NULL) {
		corun_handle_cancel(w->exit_h);
		corun_handle_release(w->exit_h);
		w->exit_h = NULL;
		corun_call_soon(w->pool->loop, exit_check, w, &w->exit_h);
	}
}

static void
on_pidfd(evutil_socket_t fd, short what, void *arg)
{
	struct sup_worker *w = arg;

	(void)fd;
	(void)what;
	if (exited(w)) {
		exited_now(w);
	}
}

static void
poll_child(void *arg)
{
	struct sup_worker *w = arg;

	corun_handle_release(w->poll_h);
	w->poll_h = NULL;
	if (exited(w)) {
		exited_now(w);
	} else {
		corun_call_later(w->pool->loop, 0.02, poll_child, w, &w->poll_h);
	}
}

static int
watch_exit(struct sup_worker *w)
{
	struct event_base *base = corun_loop_base(w->pool->loop);

	w->pidfd = -1;
#ifdef SYS_pidfd_open
	w->pidfd = (int)syscall(SYS_pidfd_open, w->pid, 0);
#endif
	if (w->pidfd >= 0) {
		fcntl(w->pidfd, F_SETFD, FD_CLOEXEC);
		w->pev = event_new(base, w->pidfd, EV_READ, on_pidfd, w);
		if (w->pev == NULL || event_add(w->pev, NULL) != 0) {
			return CORUN_ENOMEM;
		}
		return 0;
	}
	return corun_call_later(w->pool->loop, 0.02, poll_child, w,
	    &w->poll_h);
}

/* The process is reaped: release what its start held, say why it failed. */
void
sup_worker_spawn_end(struct sup_worker *w)
{
	int err;

	if (w->spawn != NULL) {
		err = cr_spawn_end(w->spawn);
		w->spawn = NULL;
		if (err != 0) {
			sup_pool_log(w->pool, "cannot start worker %s: %s",
			    w->pool->worker_path, strerror(err));
		}
	}
}

/*
 * The socket pair a worker's first jobs come through (fd 3), see
 * sup_pool_dispatch_now: a socket, so that a write to a worker that died
 * is EPIPE, not SIGPIPE (MSG_NOSIGNAL).
 */
static int
jobs_socket(int jp[2])
{
	int fd;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, jp) != 0) {
		return CORUN_ESYS;
	}
	/* (Above 3, so that setting up 0 to 2 in the child cannot clobber it.) */
	if (jp[0] < 3) {
		if ((fd = fcntl(jp[0], F_DUPFD_CLOEXEC, 3)) < 0) {
			close(jp[0]);
			close(jp[1]);
			return CORUN_ESYS;
		}
		close(jp[0]);
		jp[0] = fd;
	}
	return 0;
}

/* The numbers a worker's command line shows, as strings. */
struct sup_worker_args {
	char threads[16], conc[16], id[16], parent[16], prefetch[16];
};

/* Fill argv (room for 32 + 2 * 64) with w's command line. */
static void
worker_argv(struct corun_pool *p, struct sup_worker *w,
    struct sup_worker_args *a, char **argv)
{
	size_t n = 0;

	snprintf(a->threads, sizeof(a->threads), "%u", p->threads);
	snprintf(a->conc, sizeof(a->conc), "%u", p->concurrency);
	snprintf(a->id, sizeof(a->id), "%u", w->idx);
	snprintf(a->parent, sizeof(a->parent), "%ld", (long)getpid());
	argv[n++] = p->worker_path;
	argv[n++] = "--connect";
	argv[n++] = w->url + 0;
	argv[n++] = "--threads";
	argv[n++] = a->threads;
	argv[n++] = "--concurrency";
	argv[n++] = a->conc;
	argv[n++] = "--id";
	argv[n++] = a->id;
	argv[n++] = "--parent";
	argv[n++] = a->parent;
	/*
	 * A local worker sees its parent die (PDEATHSIG, pipe close); only a
	 * supervisor alive but stuck for half a minute makes it leave.
	 */
	argv[n++] = "--silence";
	argv[n++] = "30";
	if (p->prefetch + p->map_ahead > 0) {
		/* (Map chunks only use map_ahead: pool-dispatch.c.) */
		snprintf(a->prefetch, sizeof(a->prefetch), "%u",
		    p->prefetch + p->map_ahead);
		argv[n++] = "--prefetch";
		argv[n++] = a->prefetch;
	}
	if (p->opts.offload) {
		argv[n++] = "--offload";
	}
	for (size_t i = 0; i < p->opts.nload && i < 64; i++) {
		argv[n++] = "--load";
		argv[n++] = p->load[i];
	}
	argv[n++] = "--jobs-fd";
	argv[n++] = "3";
	argv[n] = NULL;
}

static int
spawn_process(struct corun_pool *p, struct sup_worker *w)
{
	struct sup_worker_args args;
	char *argv[32 + 2 * 64];
	int jp[2] = { -1, -1 }, fds[4];
	int rc;

	if (jobs_socket(jp) != 0) {
		return CORUN_ESYS;
	}
	worker_argv(p, w, &args, argv);
	/*
	 * The worker reads nothing and prints nothing (results carry
	 * output); its stderr is ours, for its log lines.  Its own process
	 * group: a terminal's Ctrl-C goes to the supervisor, which stops the
	 * workers in order, not to every worker at once.  cr_spawn waiting
	 * for the exec (argv lives on this stack): unlike posix_spawn, the
	 * child resets only the signals we changed, not all 64.
	 */
	fds[0] = -1;
	fds[1] = -1;
	fds[2] = fcntl(2, F_GETFD) >= 0 ? 2 : -1;	/* (closed: /dev/null) */
	fds[3] = jp[0];
	rc = cr_spawn(p->worker_path, argv, environ, fds, CR_SPAWN_WAIT,
	    &w->pid, &w->spawn);
	close(jp[0]);
	if (rc == 0 && (rc = cr_spawn_error(w->spawn)) != 0) {
		/* The exec failed: the child has exited 127. */
		while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR) {
		}
		(void)cr_spawn_end(w->spawn);
		w->spawn = NULL;
		w->pid = 0;
	}
	if (rc != 0) {
		close(jp[1]);
		errno = rc;
		return CORUN_ESYS;
	}
	w->jobs_fd = jp[1];
	return 0;
}

void
sup_worker_close_jobs_fd(struct sup_worker *w)
{
	if (w->jobs_fd >= 0) {
		close(w->jobs_fd);
		w->jobs_fd = -1;
	}
}

int
sup_worker_spawn(struct corun_pool *p, struct sup_worker *w)
{
	int rc;

	w->pool = p;
	w->gen++;
	w->credit = 0;
	w->cancels = 0;
	w->capacity = 0;
	w->pid = 0;
	w->pidfd = -1;
	w->jobs_fd = -1;
	w->listen_due = 0;
	w->kill_sent = 0;
	w->draining = 0;
	w->bye_seen = 0;
	w->exit_deferred = 0;
	w->exit_checks = 0;
	w->started_ns = corun_loop_now_ns();
	/*
	 * The process now; its listener at the next dispatch, once its
	 * first jobs are on their way (sup_worker_listen): the worker's exec
	 * and start-up overlap the socket's set-up here, and it dials again
	 * (with a short back-off) if it gets there first.
	 */
	snprintf(w->url, sizeof(w->url), "ipc://%s/w%u.%u", p->rundir,
	    w->idx, w->gen);
	if ((rc = spawn_process(p, w)) != 0) {
		int err = errno;

		sup_pool_log(p, "cannot start worker %s: %s", p->worker_path,
		    strerror(err));
		sup_worker_close(w);
		errno = err;
		return rc;
	}
	w->state = SUP_W_STARTING;
	w->listen_due = 1;
	if ((rc = watch_exit(w)) != 0) {
		sup_worker_kill(w, SIGKILL, NULL);
		return rc;
	}
	/*
	 * The next dispatch, even with nothing queued, hands it its first
	 * jobs or closes their socket (it waits for one or the other), then
	 * opens its listener.
	 */
	w->ops->schedule_flush(p);
	return 0;
}

/*
 * Open a starting worker's listener (at the dispatch after its spawn).
 * A listener that cannot be opened stops the worker: its first jobs come
 * back without losing an attempt, and a pool whose listeners keep failing
 * breaks as one whose workers keep dying.
 */
void
sup_worker_listen(struct sup_worker *w)
{
	w->listen_due = 0;
	if (w->state != SUP_W_STARTING || w->sock_open) {
		return;
	}
	if (sup_worker_open_socket(w->pool, w) != 0) {
		sup_worker_close_socket(w);
		sup_worker_kill(w, SIGKILL, "cannot listen for it; stopping it");
	}
}

/* ---- remote workers: no process of ours ---------------------------- */

/* Stop talking to a remote worker and hand its jobs back to the owner. */
void
sup_worker_drop(struct sup_worker *w, const char *why)
{
	if (w->state == SUP_W_IDLE) {
		return;
	}
	sup_worker_close_socket(w);
	w->ops->on_lost(w, why);
}

static void
drop_cb(void *arg)
{
	struct sup_worker *w = arg;

	corun_handle_release(w->drop_h);
	w->drop_h = NULL;
	sup_worker_drop(w, "dropped");
}

/* Drop a remote worker at the end of this iteration (not under a caller). */
static void
drop_soon(struct sup_worker *w, const char *why)
{
	if (w->drop_h != NULL || w->state == SUP_W_IDLE) {
		return;
	}
	sup_pool_log(w->pool, "remote worker %u (%s): %s; dropping it",
	    w->idx, w->peer, why);
	(void)corun_call_soon(w->pool->loop, drop_cb, w, &w->drop_h);
}

void
sup_worker_continue(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		kill(pid, SIGCONT);	/* no /proc: wake it to be sure */
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	/* "pid (comm) S ...": comm may hold spaces or parentheses. */
	if ((p = strrchr(buf, ')')) != NULL && p[1] == ' ' && p[2] == 'T') {
		kill(pid, SIGCONT);
	}
}

void
sup_worker_kill(struct sup_worker *w, int sig, const char *why)
{
	if (w->remote) {
		/* No process of ours: any signal means "drop it". */
		drop_soon(w, why != NULL ? why : "stopped");
		return;
	}
	if (why != NULL) {
		sup_pool_log(w->pool, "worker %u (pid %ld): %s", w->idx,
		    (long)w->pid, why);
	}
	if (w->pid > 0 && w->state != SUP_W_DEAD && w->state != SUP_W_IDLE) {
		kill(w->pid, sig);
		w->kill_sent = 1;
	}
}

/* Release the socket, events and exit watch; the process is gone. */
void
sup_worker_close(struct sup_worker *w)
{
	sup_worker_close_jobs_fd(w);
	sup_worker_close_socket(w);
	if (w->pev != NULL) {
		event_free(w->pev);
		w->pev = NULL;
	}
	if (w->pidfd >= 0) {
		close(w->pidfd);
		w->pidfd = -1;
	}
	if (w->poll_h != NULL) {
		corun_handle_cancel(w->poll_h);
		corun_handle_release(w->poll_h);
		w->poll_h = NULL;
	}
	if (w->exit_h != NULL) {
		corun_handle_cancel(w->exit_h);
		corun_handle_release(w->exit_h);
		w->exit_h = NULL;
	}
	w->exit_deferred = 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * main.c - corund: the owner of everything else.  It settles the
 * settings, starts the parts in order, wires them together (the control
 * socket hands requests to the operations; the feed's step answers
 * through the control socket and wakes the waiters), runs the loop and
 * tears down.
 *
 * Start-up order matters: settle the options, take the lock on the state
 * directory (flock, so a second corund is refused whatever its pidfile
 * says), fork into the background before anything touches nng (nng is not
 * fork-safe), open the store and recover, bind the control socket, drop
 * privileges, start the pool, and only then say READY.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/paths.h"
#include "cr-log.h"
#include "daemon.h"
#include "fault-internal.h"
#include "stats.h"
#include "web.h"

/* The control socket hands its requests to the operations (ops.c). */
static const struct cd_ctl_handler ctl_handler = {
	.wake = cd_feed_step,
	.early = cd_ops_early,
	.request = cd_ops_handle_req,
	.forget = cd_ops_forget,
};

/* The step answers through the control socket and wakes waiters. */
/* Jobs ended: the on-done command, then the waiters. */
static void
on_finished(struct cd_daemon *d)
{
	cd_on_done(d);
	cd_ctl_notify(d);
}

static const struct cd_feed_hooks feed_hooks = {
	.requests = cd_ctl_handle,
	.answer = cd_ctl_answer,
	.ending = cd_ctl_notify_prepare,
	.finished = on_finished,
};

static int
fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
fatal(const char *fmt, ...)
{
	char msg[5120];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cd_tell_parent(msg);
	cd_log("%s", msg);
	return 1;
}

/* --recover: what was lost, in the log. */
static void
report_loss(const struct cd_store_loss *l)
{
	if (l->what[0] == '\0') {
		cd_log("--recover: the store is whole; nothing was lost");
		return;
	}
	cd_log("--recover: %s", l->what);
	if (l->damaged) {
		cd_log("--recover: %zu job(s) read from the damaged file",
		    l->salvaged);
	}
	if (l->unread > 0) {
		cd_log("--recover: lost: %llu id(s) not read (finished jobs "
		    "purged before among them): %s",
		    (unsigned long long)l->unread, l->gaps);
	}
	if (l->first <= l->last) {
		cd_log("--recover: lost: %lld acknowledged job(s), ids "
		    "%lld-%lld; new jobs get ids after %lld",
		    (long long)(l->last - l->first + 1), (long long)l->first,
		    (long long)l->last, (long long)l->last);
	}
	if (l->kept[0] != '\0') {
		cd_log("--recover: the damaged files are kept as %s", l->kept);
	}
}

/* Open the store and recover what a stop left running. */
static int
open_store(struct cd_daemon *d)
{
	struct cd_store_loss loss;
	char why[4608];
	size_t rq, fl;

	if (cd_store_open_ex(d->conf.state_dir, d->conf.sync_full, d->recover,
	    &loss, &d->store, why, sizeof(why)) != 0) {
		return fatal("store: %s", why);
	}
	if (d->recover) {
		report_loss(&loss);
	}
	if (cd_store_recover(d->store, d->conf.max_attempts,
	    (uint64_t)time(NULL) * 1000000000ull, &rq, &fl) != 0) {
		return fatal("store: recovery: %s",
		    cd_store_errmsg(d->store));
	}
	if (rq + fl > 0) {
		cd_log("recovered: %zu job(s) that were running re-queued, "
		    "%zu failed (attempts exhausted)", rq, fl);
	}
	return 0;
}

/* The pid in the lock file, and in --pidfile. */
static int
write_pids(struct cd_daemon *d, int lockfd)
{
	FILE *f;

	cd_write_pid(lockfd);
	if (d->conf.pidfile == NULL) {
		return 0;
	}
	if ((f = fopen(d->conf.pidfile, "w")) == NULL) {
		return fatal("%s: %s", d->conf.pidfile, strerror(errno));
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
	return 0;
}

/* From the control socket to the pid file: 0, or 1 (said why). */
static int
start(struct cd_daemon *d, int lockfd, struct event *sev[CD_NSIGNALS])
{
	char why[4608];
	int sig = 0;

	if (cd_ctl_open(d, d->conf.socket, &ctl_handler, why,
	    sizeof(why)) != 0) {
		return fatal("control socket: %s", why);
	}
	if (cd_drop_privileges(d, why, sizeof(why)) != 0) {
		return fatal("%s", why);
	}
	if (cd_signals_watch(d, sev, &sig) != 0) {
		return fatal("cannot watch signal %d", sig);
	}
	d->conf.workers = cd_conf_workers(&d->conf);
	if (cd_feed_start(d) != 0) {
		return fatal("cannot start the workers");
	}
	if (cd_web_start(d, why, sizeof(why)) != 0) {
		return fatal("http: %s", why);
	}
	if (write_pids(d, lockfd) != 0) {
		return 1;
	}
	if (cd_launch_start(d) != 0) {
		return fatal("launcher slurm: cannot submit the workers");
	}
	/* Tests: fail the Nth call from the first request on. */
	if (cr_fault_setenv("CORUN_FAULT") != 0) {
		return fatal("CORUN_FAULT=%s: expected CLASS:N[:once|:forever]"
		    "[,...] with CLASS alloc, io, net or listen",
		    getenv("CORUN_FAULT"));
	}
	return 0;
}

static void
stop(struct cd_daemon *d, struct event *sev[CD_NSIGNALS], int rc)
{
	/*
	 * Everything acknowledged is on disk by now.  nng 1.5.2 can block
	 * for good in a close (nng issues 1543, 1813): a stop must not.
	 * Worker sockets avoid the cause found (src/sup/sockclose.c); a
	 * client's message arriving as the control socket closes can still
	 * meet it.
	 */
	cd_exit_watchdog(rc);
	cd_ctl_flush_waiters(d, "corund is stopping");
	cd_launch_stop(d);
	cd_web_stop(d);
	cd_feed_stop(d);
	cd_ctl_close(d);
	cd_signals_free(sev);
	if (d->conf.pidfile != NULL && rc == 0) {
		unlink(d->conf.pidfile);
	}
	corun_loop_free(d->loop);
	if (getenv("CORUN_FAULT") != NULL) {
		cd_log("CORUN_FAULT=%s: %lu alloc, %lu io, %lu net failure(s) "
		    "injected", getenv("CORUN_FAULT"),
		    cr_fault_hits(CR_FAULT_ALLOC), cr_fault_hits(CR_FAULT_IO),
		    cr_fault_hits(CR_FAULT_NET));
	}
}

static int
run(struct cd_daemon *d, int lockfd)
{
	struct event *sev[CD_NSIGNALS] = { NULL };
	int rc;

	if (open_store(d) != 0) {
		return 1;
	}
	if (corun_loop_new(&d->loop) != 0) {
		return fatal("cannot create the loop");
	}
	d->started_ns = corun_loop_now_ns();
	d->feed_hooks = &feed_hooks;
	if ((d->stats = cd_stats_new()) == NULL) {
		return fatal("out of memory");
	}
	if ((rc = start(d, lockfd, sev)) == 0) {
		cd_log("ready: %s, state %s, %u workers (%s)", d->conf.socket,
		    d->conf.state_dir, d->workers,
		    corun_model_name(d->conf.model));
		cd_notify("READY=1\nSTATUS=running, %u workers\nMAINPID=%ld",
		    d->workers, (long)getpid());
		cd_tell_parent("ok");
		corun_loop_run_forever(d->loop);
		cd_log("stopped: %llu result(s) recorded",
		    (unsigned long long)d->results_recorded);
	}
	stop(d, sev, rc);
	return rc;
}

/* The state directory and socket by default; a relative pidfile made
   absolute (we chdir("/") in the background).  0, or 1 (said why). */
static int
settle_paths(struct cd_conf *c)
{
	char buf[4096];

	if (cd_unit_dirs(c) != 0) {
		fprintf(stderr, "%s: out of memory\n", CD_PROG);
		return 1;
	}
	if (c->state_dir == NULL) {
		if (cd_default_state_dir(buf, sizeof(buf)) != 0) {
			fprintf(stderr, "%s: no state directory: set "
			    "--state-dir or $XDG_STATE_HOME\n", CD_PROG);
			return 1;
		}
		c->state_dir = strdup(buf);
	}
	if (c->socket == NULL) {
		if (cd_default_socket(buf, sizeof(buf)) != 0) {
			fprintf(stderr, "%s: socket path too long\n", CD_PROG);
			return 1;
		}
		c->socket = strdup(buf);
	}
	if (c->pidfile != NULL && c->pidfile[0] != '/') {
		char *abs = NULL;

		if (getcwd(buf, sizeof(buf)) != NULL &&
		    asprintf(&abs, "%s/%s", buf, c->pidfile) > 0) {
			free(c->pidfile);
			c->pidfile = abs;
		}
	}
	return 0;
}

/*
 * Settings, state directory, lock, log, background: 0, or the exit
 * status (said why): CD_EXIT_USAGE for a bad value on the command line.
 */
static int
prepare(struct cd_daemon *d, const struct cd_options *o, int *lockfd)
{
	char why[1024];
	int rc;

	if ((rc = cd_options_conf(&d->conf, d->conf_path, why,
	    sizeof(why))) != 0) {
		/* a bad value on the command line is a usage error */
		fprintf(stderr, "%s: %s\n", CD_PROG, why);
		return rc == -2 ? CD_EXIT_USAGE : 1;
	}
	if (settle_paths(&d->conf) != 0) {
		return 1;
	}
	if (cd_mkdirs(d->conf.state_dir, 0700) != 0) {
		fprintf(stderr, "%s: %s: %s\n", CD_PROG, d->conf.state_dir,
		    strerror(errno));
		return 1;
	}
	if (cd_lock_state_dir(d->conf.state_dir, lockfd) != 0) {
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (d->conf.log_level != 0) {
		cr_log_set_level(d->conf.log_level - 1);
	}
	if (d->conf.log != NULL && cd_log_open(d->conf.log) != 0) {
		fprintf(stderr, "%s: log %s: %s\n", CD_PROG, d->conf.log,
		    strerror(errno));
		return 1;
	}
	if (!o->foreground && cd_daemonize() != 0) {
		fprintf(stderr, "%s: cannot go to the background: %s\n",
		    CD_PROG, strerror(errno));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct cd_daemon daemon_state;
	struct cd_daemon *d = &daemon_state;
	struct cd_options o = { 0 };
	int lockfd = -1, rc = 0;

	if (cd_options_parse(argc, argv, &o, &rc) != 0) {
		return rc;
	}
	/* No --config: the installed file if there is one, else defaults. */
	d->conf_path = o.conf_path != NULL ? o.conf_path :
	    cd_conf_default_file();
	d->recover = o.recover;
	if ((rc = prepare(d, &o, &lockfd)) != 0) {
		return rc;
	}
	rc = run(d, lockfd);
	cd_tell_parent(rc == 0 ? "ok" : "failed to start (see the log)");
	cd_store_close(d->store);
	cd_stats_free(d->stats);
	cd_conf_free(&d->conf);
	free(d->conf_path);
	close(lockfd);
	return rc;
}

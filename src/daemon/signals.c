/* SPDX-License-Identifier: MIT */
/*
 * signals.c - corund's signals, as libevent signal events (so they are
 * handled on the loop, never in an async handler): TERM drains, INT and
 * QUIT stop now, HUP reloads the config file, TTIN and TTOU add and
 * remove a worker, USR1 reopens the log file.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cr-log.h"
#include "daemon.h"

static void
reload(struct cd_daemon *d)
{
	struct cd_conf nc;
	char why[768];

	if (d->conf_path == NULL) {
		cd_log("SIGHUP: no --config file; nothing to reload");
		return;
	}
	cd_notify("RELOADING=1");
	if (cd_options_conf(&nc, d->conf_path, why, sizeof(why)) != 0) {
		cd_log("SIGHUP: keeping the old settings: %s", why);
		cd_notify("READY=1\nSTATUS=config reload failed: %s", why);
		return;
	}
	if ((nc.socket != NULL && d->conf.socket != NULL &&
	    strcmp(nc.socket, d->conf.socket) != 0) ||
	    (nc.state_dir != NULL && d->conf.state_dir != NULL &&
	    strcmp(nc.state_dir, d->conf.state_dir) != 0)) {
		cd_log("SIGHUP: socket and state-dir changes need a restart");
	}
	/* Keep what was resolved at start; take the rest. */
	free(nc.socket);
	free(nc.state_dir);
	free(nc.pidfile);
	free(nc.user);
	nc.socket = d->conf.socket;
	nc.state_dir = d->conf.state_dir;
	nc.pidfile = d->conf.pidfile;
	nc.user = d->conf.user;
	d->conf.socket = d->conf.state_dir = d->conf.pidfile = NULL;
	d->conf.user = NULL;
	nc.sync_full = d->conf.sync_full;
	nc.max_request = d->conf.max_request;	/* fixed at bind */
	if (nc.log_level != 0) {
		cr_log_set_level(nc.log_level - 1);
	}
	if (nc.log != NULL && (d->conf.log == NULL ||
	    strcmp(nc.log, d->conf.log) != 0) && nc.log[0] == '/') {
		cd_log_open(nc.log);
	}
	{
		int pool_change = nc.model != d->conf.model ||
		    cd_conf_workers(&nc) != cd_conf_workers(&d->conf) ||
		    nc.heartbeat_timeout != d->conf.heartbeat_timeout ||
		    nc.max_jobs_per_worker != d->conf.max_jobs_per_worker ||
		    (nc.listen == NULL) != (d->conf.listen == NULL) ||
		    (nc.listen != NULL && strcmp(nc.listen,
		    d->conf.listen) != 0);

		cd_conf_free(&d->conf);
		d->conf = nc;
		if (pool_change) {
			d->workers = 0;	/* a new pool with the new settings */
			cd_feed_scale(d, cd_conf_workers(&nc));
		}
	}
	cd_log("SIGHUP: reloaded %s", d->conf_path);
	cd_notify("READY=1\nSTATUS=running, %u workers", d->workers);
	cd_feed_kick(d);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct cd_daemon *d = arg;

	(void)what;
	switch (sig) {
	case SIGTERM:
		cd_log("SIGTERM: draining (graceful timeout %.0f s)",
		    d->conf.graceful_timeout);
		cd_feed_drain(d, 0);
		break;
	case SIGINT:
	case SIGQUIT:
		cd_log("%s: stopping now", sig == SIGINT ? "SIGINT" :
		    "SIGQUIT");
		cd_feed_drain(d, 1);
		break;
	case SIGHUP:
		reload(d);
		break;
	case SIGTTIN:
		if (!d->exiting) {
			cd_feed_scale(d, d->workers + 1);
		}
		break;
	case SIGTTOU:
		if (!d->exiting && d->workers > 1) {
			cd_feed_scale(d, d->workers - 1);
		}
		break;
	case SIGUSR1:
		if (cd_log_reopen() == 0) {
			cd_log("SIGUSR1: log reopened");
		}
		break;
	}
}

static const int sigs[CD_NSIGNALS] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP,
    SIGTTIN, SIGTTOU, SIGUSR1 };

int
cd_signals_watch(struct cd_daemon *d, struct event *sev[CD_NSIGNALS],
    int *failed)
{
	for (size_t i = 0; i < CD_NSIGNALS; i++) {
		sev[i] = evsignal_new(corun_loop_base(d->loop), sigs[i],
		    on_signal, d);
		if (sev[i] == NULL || evsignal_add(sev[i], NULL) != 0) {
			*failed = sigs[i];
			return -1;
		}
	}
	return 0;
}

void
cd_signals_free(struct event *sev[CD_NSIGNALS])
{
	for (size_t i = 0; i < CD_NSIGNALS; i++) {
		if (sev[i] != NULL) {
			event_free(sev[i]);
		}
	}
}

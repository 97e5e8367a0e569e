/* SPDX-License-Identifier: MIT */
/*
 * feed-pool.c - the pool's life: made from the settings (with remote
 * workers' token), replaced when scaling (the old one finishes the jobs
 * its workers hold and is freed; jobs it had not handed out come back to
 * the store), and, when it is broken (workers keep dying), replaced after
 * conf.restart_window while status says why.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "feed-internal.h"

static void retry_pool(void *arg);

/* The first line of a token file into buf; logs why not. */
static int
read_token(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		cd_log("token-file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fgets(buf, (int)size, f) == NULL) {
		buf[0] = '\0';
	}
	fclose(f);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (n == 0 || n > 1024) {
		cd_log("token-file %s: the first line must hold a token of 1 "
		    "to 1024 bytes", path);
		return -1;
	}
	return 0;
}

int
cd_feed_make_pool(struct cd_daemon *d, corun_pool **out)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;

	o.model = d->conf.model;
	o.jobs = d->workers;
	o.max_attempts = d->conf.max_attempts;
	o.restart_max = d->conf.restart_max;
	o.prefetch = -1;	/* a slow job must not trap others */
	o.heartbeat_timeout_ms = (unsigned)(d->conf.heartbeat_timeout * 1000);
	o.restart_window_ms = (unsigned)(d->conf.restart_window * 1000);
	o.max_jobs_per_worker = d->conf.max_jobs_per_worker;
	o.on_lease = cd_feed_on_lease;	/* a job starts: an attempt */
	o.lease_arg = d;
	o.on_output = cd_feed_on_output;	/* corun follow */
	o.output_arg = d;
	if (d->conf.listen != NULL) {
		char token[1100] = "";
		int rc;

		if (d->conf.token_file != NULL &&
		    read_token(d->conf.token_file, token,
		    sizeof(token)) != 0) {
			return CORUN_EINVAL;
		}
		o.listen = d->conf.listen;
		o.token = token[0] != '\0' ? token : NULL;
		o.tls_cert = d->conf.tls_cert;
		o.tls_key = d->conf.tls_key;
		o.tls_ca = d->conf.tls_ca;
		o.insecure = d->conf.insecure;
		o.remote_timeout_ms = (unsigned)(d->conf.remote_timeout * 1000);
		rc = corun_pool_new(d->loop, &o, out);
		memset(token, 0, sizeof(token));
		return rc;
	}
	return corun_pool_new(d->loop, &o, out);
}

void
cd_feed_failing(struct cd_daemon *d, const char *why)
{
	if (d->pool_error != NULL) {
		return;
	}
	d->pool_error = strdup(why != NULL ? why : "pool is broken");
	cd_log("pool failing: %s; retrying in %.0f s", d->pool_error,
	    d->conf.restart_window);
	cd_notify("STATUS=failing: %s", d->pool_error);
	if (d->retry_h == NULL) {
		corun_call_later(d->loop, d->conf.restart_window, retry_pool, d,
		    &d->retry_h);
	}
}

static void
old_pool_done(corun_future *fut, void *arg)
{
	struct cd_daemon *d = arg;

	for (size_t i = 0; i < d->nold; i++) {
		/* Free the one whose shutdown this was. */
		if (d->old_pools[i] != NULL) {
			struct corun_pool_stats st;

			corun_pool_stats(d->old_pools[i], &st);
			if (st.workers_alive == 0 && st.running == 0) {
				corun_pool_free(d->old_pools[i]);
				d->old_pools[i] = d->old_pools[--d->nold];
				break;
			}
		}
	}
	corun_future_unref(fut);
	cd_feed_kick(d);
}

void
cd_feed_retire(struct cd_daemon *d, int wait)
{
	corun_future *done = NULL;

	if (d->pool == NULL) {
		return;
	}
	if (d->nold == sizeof(d->old_pools) / sizeof(d->old_pools[0])) {
		wait = 0;	/* too many draining: the oldest must go */
	}
	corun_pool_shutdown(d->pool, wait, 1, &done);
	if (d->nold < sizeof(d->old_pools) / sizeof(d->old_pools[0])) {
		d->old_pools[d->nold++] = d->pool;
		corun_future_add_done_callback(done, old_pool_done, d);
	} else {
		corun_future_unref(done);
		corun_pool_free(d->pool);
	}
	d->pool = NULL;
}

int
cd_feed_scale(struct cd_daemon *d, unsigned n)
{
	corun_pool *np;
	unsigned prev = d->workers;
	int rc;

	if (n == 0 || n > 1024) {
		return CORUN_ERANGE;
	}
	if (n == d->workers && d->pool != NULL && d->pool_error == NULL) {
		return 0;
	}
	d->workers = n;
	if (d->conf.listen != NULL) {
		/* Its rendezvous holds the address: give it up first. */
		cd_feed_retire(d, 1);
	}
	if ((rc = cd_feed_make_pool(d, &np)) != 0) {
		d->workers = prev;
		if (d->pool == NULL) {
			/* The old one is gone (listen): keep trying. */
			d->workers = n;
			cd_feed_failing(d, "cannot start a pool with the new "
			    "settings");
		}
		return rc;
	}
	cd_feed_retire(d, 1);
	d->pool = np;
	free(d->pool_error);
	d->pool_error = NULL;
	cd_log("workers: %u -> %u", prev, n);
	cd_notify("STATUS=running, %u workers", n);
	cd_feed_kick(d);
	return 0;
}

static void
retry_pool(void *arg)
{
	struct cd_daemon *d = arg;
	int rc;

	corun_handle_release(d->retry_h);
	d->retry_h = NULL;
	if (d->exiting || d->pool_error == NULL) {
		return;
	}
	cd_log("starting a new pool after: %s", d->pool_error);
	d->workers = d->workers ? d->workers : 1;
	{
		unsigned n = d->workers;

		d->workers = 0;	/* force a new pool */
		rc = cd_feed_scale(d, n);
	}
	if (rc != 0) {
		corun_call_later(d->loop, d->conf.restart_window, retry_pool, d,
		    &d->retry_h);
	}
}

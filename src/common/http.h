/* SPDX-License-Identifier: MIT */
/*
 * http.h - the web listener shared by corund --http and corun run --http:
 * /metrics (Prometheus text), the dashboard page at /, its live updates
 * at /events (server-sent events), /api/state, /api/job?id=N, and the
 * control actions at POST /api/control (only with the control token).
 * It runs on the owner's libevent base (libevent's evhttp) and asks the
 * owner for everything it serves through struct cm_http_ops: it knows
 * nothing of jobs itself.
 *
 * Contract: every call and every ops callback is on the loop thread of
 * the base given to cm_http_open().  Without a token the listener only
 * binds a loopback address and refuses every control action.
 */
#ifndef CM_COMMON_HTTP_H
#define CM_COMMON_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/hostport.h"

struct event_base;
struct cm_http;

/* What the listener asks of its owner (arg is the owner's). */
struct cm_http_ops {
	/* The metrics now, in Prometheus' text format, appended to b. */
	void (*metrics)(void *arg, struct cm_buf *b);
	/* The state the page shows, as JSON text (malloc'd), or NULL. */
	char *(*state)(void *arg);
	/* Job id's detail and output as JSON text (malloc'd); NULL and
	   *found 0 when there is no such job. NULL: none to show. */
	char *(*job)(void *arg, int64_t id, int *found);
	/*
	 * A control action (pause, resume, cancel, scale) with its argument
	 * (a group, a job id, a number of workers; "" for none).  0, or -1
	 * with why saying what was wrong.  NULL: no control at all.
	 */
	int (*control)(void *arg, const char *action, const char *argument,
	    char *why, size_t whysize);
};

/* The embedded page (dashboard.html, built into dashboard-page.c). */
extern const char cm_dashboard_html[];

/*
 * Listen on addr ("HOST:PORT", "[V6]:PORT").  token: the control token,
 * NULL or "" for none (then HOST must be loopback).  Pushes the state to
 * each /events client every push_s seconds.  0, or -1 with why set.
 */
int cm_http_open(struct event_base *base, const char *addr,
    const char *token, double push_s, const struct cm_http_ops *ops,
    void *arg, struct cm_http **out, char *why, size_t whysize);
/* Close the listener and every connection. */
void cm_http_close(struct cm_http *h);
/* The /events clients attached now. */
size_t cm_http_clients(const struct cm_http *h);
/* The port bound (useful when addr asked for port 0). */
int cm_http_port(const struct cm_http *h);

#endif

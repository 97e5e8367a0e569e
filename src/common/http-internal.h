/* SPDX-License-Identifier: MIT */
/*
 * http-internal.h - what http.c (the listener and its routes) and
 * http-sse.c (the /events stream) share.  On the loop thread only.
 */
#ifndef CM_COMMON_HTTP_INTERNAL_H
#define CM_COMMON_HTTP_INTERNAL_H

#include <event2/event.h>
#include <event2/http.h>

#include "common/http.h"

/* One /events client. */
struct cm_sse {
	struct cm_http *h;
	struct evhttp_request *req;
	struct evhttp_connection *con;
	struct cm_sse *next;
};

struct cm_http {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	const struct cm_http_ops *ops;
	void *arg;
	char *token;		/* NULL: read-only */
	double push_s;
	struct event *push_ev;	/* the periodic push, while clients exist */
	struct cm_sse *sse;	/* the /events clients */
	size_t nsse;
};

/* GET /events: keep req open and push the state to it. */
void cm_http_sse_start(struct cm_http *h, struct evhttp_request *req);
/* End every stream (closing). */
void cm_http_sse_close_all(struct cm_http *h);

#endif

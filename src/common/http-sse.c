/* SPDX-License-Identifier: MIT */
/*
 * http-sse.c - /events: the dashboard's live updates as server-sent
 * events.  Each client gets the state at once, then every push_s
 * seconds; the state is built once per push whatever the number of
 * clients, and no timer runs while no client is attached.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "common/http-internal.h"

/* Send "data: STATE\n\n" to one client. */
static void
send_state(struct cm_sse *s, const char *state)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		return;
	}
	evbuffer_add_printf(b, "data: %s\n\n", state);
	evhttp_send_reply_chunk(s->req, b);
	evbuffer_free(b);
}

static void
unlink_sse(struct cm_http *h, struct cm_sse *s)
{
	for (struct cm_sse **pp = &h->sse; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			h->nsse--;
			break;
		}
	}
	if (h->nsse == 0 && h->push_ev != NULL) {
		evtimer_del(h->push_ev);
	}
}

/*
 * The client went away.  libevent (2.1) detaches a request whose reply
 * was not ended from its failed connection and leaves it to us: free it
 * then; one still attached goes with its connection.
 */
static void
on_close(struct evhttp_connection *con, void *arg)
{
	struct cm_sse *s = arg;

	(void)con;
	if (evhttp_request_get_connection(s->req) == NULL) {
		evhttp_request_free(s->req);
	}
	unlink_sse(s->h, s);
	free(s);
}

static void
arm(struct cm_http *h)
{
	struct timeval tv;

	tv.tv_sec = (time_t)h->push_s;
	tv.tv_usec = (suseconds_t)((h->push_s - (double)tv.tv_sec) * 1e6);
	evtimer_add(h->push_ev, &tv);
}

static void
on_push(evutil_socket_t fd, short what, void *arg)
{
	struct cm_http *h = arg;
	struct cm_sse *s, *next;
	char *state;

	(void)fd;
	(void)what;
	if (h->sse == NULL) {
		return;
	}
	if ((state = h->ops->state(h->arg)) != NULL) {
		/* A write only queues (libevent sends later), so no client
		   goes away in this loop; next is taken first all the same. */
		for (s = h->sse; s != NULL; s = next) {
			next = s->next;
			send_state(s, state);
		}
		free(state);
	}
	arm(h);
}

void
cm_http_sse_start(struct cm_http *h, struct evhttp_request *req)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct cm_sse *s = calloc(1, sizeof(*s));
	char *state;

	if (s == NULL || (h->push_ev == NULL && (h->push_ev = evtimer_new(
	    h->base, on_push, h)) == NULL)) {
		free(s);
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	s->h = h;
	s->req = req;
	s->con = evhttp_request_get_connection(req);
	evhttp_add_header(out, "Content-Type", "text/event-stream");
	evhttp_add_header(out, "Cache-Control", "no-cache");
	evhttp_send_reply_start(req, HTTP_OK, "OK");
	evhttp_connection_set_closecb(s->con, on_close, s);
	s->next = h->sse;
	h->sse = s;
	if (h->nsse++ == 0) {
		arm(h);
	}
	if ((state = h->ops->state(h->arg)) != NULL) {
		send_state(s, state);
		free(state);
	}
}

void
cm_http_sse_close_all(struct cm_http *h)
{
	struct cm_sse *s;

	while ((s = h->sse) != NULL) {
		h->sse = s->next;
		evhttp_connection_set_closecb(s->con, NULL, NULL);
		evhttp_send_reply_end(s->req);
		free(s);
	}
	h->nsse = 0;
	if (h->push_ev != NULL) {
		event_free(h->push_ev);
		h->push_ev = NULL;
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * ctl.c - the control socket: REQ/REP, one JSON object per message.
 *
 * An ipc:// socket (corund's default) is served on the loop's thread by
 * ctl-uds.c, which speaks nng's wire itself; its requests are queued
 * here as they arrive.  Any other URL (tcp://) is an nng REP socket,
 * used through contexts, one per request in progress,
 * so a client blocked in `wait` does not hold up the others: a context
 * whose answer is deferred is replaced by a new receiving one.  nng runs
 * the aio callbacks on its own threads; they only queue the request under
 * a mutex and wake the loop (corun_call_soon_threadsafe).  The loop
 * handles the whole queue at once, inside the step's one store
 * transaction (feed.c, through the handler main.c installs), and sends
 * the replies only after it committed: an acknowledged job is on disk.
 * A request on ipc:// that only reads what is committed (status, list,
 * ...) or is no request at all (bad JSON) is answered as it arrives,
 * through the owner's early() hook: no transaction, no step.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "common/paths.h"
#include "ctl-uds.h"
#include "daemon.h"
#include "fault-internal.h"

#define CD_CTX_MIN 8		/* contexts receiving at once */
#define CD_CTX_MAX 4096		/* including deferred ones */

struct cd_ctx {
	struct cd_ctl *ctl;
	nng_ctx ctx;
	nng_aio *aio;
	int sending;		/* written by the loop before a send, read
				   by the callback of that send */
	int deferred;
	nng_msg *req;
	json_t *parsed;		/* the handler's early() parsed it */
	json_t *reply;
	struct cd_ctx *qnext;
	/* ipc:// (ctl-uds.c): one context per request, freed when answered */
	struct cd_uds_conn *conn;
	unsigned char hdr[32];		/* the REQ routing header */
	size_t hlen;
	char *body;
	size_t blen;
	struct cd_ctx *lprev, *lnext;	/* in cd_ctl.live */
};

struct cd_ctl {
	struct cd_daemon *d;
	const struct cd_ctl_handler *h;	/* the owner's */
	nng_socket sock;
	int open;
	pthread_mutex_t mu;
	struct cd_ctx *qhead, *qtail;	/* requests for the loop */
	struct cd_ctx *batch, *batch_tail;	/* handled, not answered */
	int scheduled;
	int closing;
	struct cd_ctx **all;
	size_t nall;
	size_t nreceiving;		/* contexts not deferred */
	struct cd_uds *uds;		/* ipc:// */
	struct cd_ctx *live;		/* ipc:// contexts not yet answered */
};


size_t
cd_ctl_recv_limit(size_t max_request)
{
	size_t lim = max_request * 2 + 65536;

	return lim > CD_CTL_RECV_CAP ? lim : CD_CTL_RECV_CAP;
}

/* too_large, naming the limit (also as a number: "limit", bytes). */
static json_t *
too_large(size_t len, size_t limit)
{
	json_t *r = cd_ops_error("too_large", "request of %zu bytes is over "
	    "corund's limit of %zu bytes (%.1f MiB, max-request)", len, limit,
	    (double)limit / (1 << 20));

	if (r != NULL) {
		json_object_set_new(json_object_get(r, "error"), "limit",
		    json_integer((json_int_t)limit));
	}
	return r;
}

static void drain(void *arg);
static void uds_send_json(struct cd_uds_conn *conn, const unsigned char *hdr,
    size_t hlen, json_t *reply);

/* Queue c for the step (any thread): 1 when the loop must be woken. */
static int
enqueue(struct cd_ctl *ctl, struct cd_ctx *c)
{
	int wake = 0;

	c->qnext = NULL;
	pthread_mutex_lock(&ctl->mu);
	if (ctl->qtail != NULL) {
		ctl->qtail->qnext = c;
	} else {
		ctl->qhead = c;
	}
	ctl->qtail = c;
	if (!ctl->scheduled) {
		ctl->scheduled = wake = 1;
	}
	pthread_mutex_unlock(&ctl->mu);
	return wake;
}

static void
ctx_cb(void *arg)
{
	struct cd_ctx *c = arg;
	struct cd_ctl *ctl = c->ctl;
	int rv = nng_aio_result(c->aio);

	if (c->sending) {
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(c->aio));
		}
		c->sending = 0;
		if (rv != NNG_ECLOSED && !ctl->closing) {
			nng_ctx_recv(c->ctx, c->aio);
		}
		return;
	}
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED || ctl->closing) {
		return;
	}
	if (rv == 0 && cr_fault(CR_FAULT_NET)) {
		/* Injected: as if the request had been lost on the way. */
		nng_msg_free(nng_aio_get_msg(c->aio));
		cd_log("control socket: receive failed (fault injected)");
		rv = NNG_ECONNRESET;
	}
	if (rv != 0) {
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	c->req = nng_aio_get_msg(c->aio);
	if (enqueue(ctl, c)) {
		corun_call_soon_threadsafe(ctl->d->loop, drain, ctl);
	}
}

/* An ipc:// context is done: answered, or dropped with its daemon. */
static void
uds_ctx_free(struct cd_ctl *ctl, struct cd_ctx *c)
{
	if (c->lprev != NULL) {
		c->lprev->lnext = c->lnext;
	} else {
		ctl->live = c->lnext;
	}
	if (c->lnext != NULL) {
		c->lnext->lprev = c->lprev;
	}
	cd_uds_release(c->conn);
	json_decref(c->parsed);
	json_decref(c->reply);
	free(c->body);
	free(c);
}

/* ctl-uds.c: a request arrived on the loop's thread; queue it as
   ctx_cb queues nng's. */
static void
uds_request(void *arg, struct cd_uds_conn *conn, const unsigned char *hdr,
    size_t hlen, const char *body, size_t len)
{
	struct cd_ctl *ctl = arg;
	struct cd_ctx *c;
	json_t *r, *parsed = NULL;

	if (ctl->closing || hlen > sizeof(c->hdr)) {
		return;
	}
	if (cr_fault(CR_FAULT_NET)) {
		cd_log("control socket: receive failed (fault injected)");
		return;
	}
	/* One that needs no transaction is answered now, not in the step. */
	if (ctl->h->early != NULL && len <= ctl->d->conf.max_request &&
	    (r = ctl->h->early(ctl->d, body, len, &parsed)) != NULL) {
		uds_send_json(conn, hdr, hlen, r);
		return;
	}
	/* The step reads the body only when it was not parsed here. */
	if ((c = calloc(1, sizeof(*c))) == NULL || (parsed == NULL &&
	    (c->body = malloc(len + 1)) == NULL)) {
		free(c);
		json_decref(parsed);
		cd_log("control socket: out of memory; a request was lost");
		return;
	}
	c->ctl = ctl;
	c->parsed = parsed;
	if (c->body != NULL) {
		memcpy(c->body, body, len);
	}
	c->blen = len;
	memcpy(c->hdr, hdr, hlen);
	c->hlen = hlen;
	c->conn = conn;
	cd_uds_hold(conn);
	if ((c->lnext = ctl->live) != NULL) {
		ctl->live->lprev = c;
	}
	ctl->live = c;
	if (enqueue(ctl, c)) {
		corun_call_soon(ctl->d->loop, drain, ctl, NULL);
	}
}

static struct cd_ctx *
ctx_new(struct cd_ctl *ctl)
{
	struct cd_ctx *c, **all;

	if (ctl->nall >= CD_CTX_MAX) {
		return NULL;
	}
	if ((all = realloc(ctl->all, (ctl->nall + 1) * sizeof(*all))) ==
	    NULL) {
		return NULL;
	}
	ctl->all = all;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		return NULL;
	}
	c->ctl = ctl;
	if (nng_ctx_open(&c->ctx, ctl->sock) != 0) {
		free(c);
		return NULL;
	}
	if (nng_aio_alloc(&c->aio, ctx_cb, c) != 0) {
		nng_ctx_close(c->ctx);
		free(c);
		return NULL;
	}
	ctl->all[ctl->nall++] = c;
	ctl->nreceiving++;
	nng_ctx_recv(c->ctx, c->aio);
	return c;
}

/* What a client gets when no reply could be built. */
static const char oom_reply[] = "{\"ok\":false,\"error\":{\"code\":"
    "\"internal\",\"message\":\"corund is out of memory\"}}";

/* reply as text (the reference taken): a JSON object, or oom_reply. */
static char *
reply_text(json_t *reply, const char **body)
{
	/* Out of memory, ops.c answers json_null(): not an object. */
	char *text = json_is_object(reply) ?
	    json_dumps(reply, JSON_COMPACT) : NULL;

	json_decref(reply);
	*body = text != NULL ? text : oom_reply;
	return text;
}

/* Send reply (the reference taken) on an ipc:// connection. */
static void
uds_send_json(struct cd_uds_conn *conn, const unsigned char *hdr,
    size_t hlen, json_t *reply)
{
	const char *body;
	char *text = reply_text(reply, &body);

	if (cr_fault(CR_FAULT_NET)) {
		cd_log("control socket: a reply could not be sent");
	} else {
		cd_uds_send(conn, hdr, hlen, body, strlen(body));
	}
	free(text);
}

static void
send_reply(struct cd_ctx *c)
{
	const char *body;
	char *text;
	nng_msg *msg;

	if (c->conn != NULL) {
		uds_send_json(c->conn, c->hdr, c->hlen, c->reply);
		c->reply = NULL;
		uds_ctx_free(c->ctl, c);
		return;
	}
	text = reply_text(c->reply, &body);
	c->reply = NULL;
	if (nng_msg_alloc(&msg, 0) != 0) {
		msg = NULL;
	} else if (nng_msg_append(msg, body, strlen(body)) != 0 ||
	    cr_fault(CR_FAULT_NET)) {
		nng_msg_free(msg);
		msg = NULL;
	}
	free(text);
	if (msg == NULL) {
		/* Nothing can be said: listen again (the client times out). */
		cd_log("control socket: a reply could not be sent");
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	c->sending = 1;
	nng_aio_set_msg(c->aio, msg);
	nng_ctx_send(c->ctx, c->aio);
}

void
cd_ctl_reply(struct cd_ctx *c, json_t *reply)
{
	struct cd_ctl *ctl = c->ctl;

	c->reply = reply;
	if (c->deferred) {
		c->deferred = 0;
		ctl->nreceiving += c->conn == NULL;
	}
	if (ctl->closing) {
		json_decref(c->reply);
		c->reply = NULL;
		if (c->conn != NULL) {
			uds_ctx_free(ctl, c);
		}
		return;
	}
	send_reply(c);
}

/*
 * nng's thread woke the loop: the owner's step handles the queue along
 * with everything else of this iteration, in its one transaction.
 */
static void
drain(void *arg)
{
	struct cd_ctl *ctl = arg;

	ctl->h->wake(ctl->d);
}

void
cd_ctl_handle(struct cd_daemon *d, int store_ok)
{
	struct cd_ctl *ctl = d->ctl;
	struct cd_ctx *c, *head;

	if (ctl == NULL) {
		return;
	}
	pthread_mutex_lock(&ctl->mu);
	head = ctl->qhead;
	ctl->qhead = ctl->qtail = NULL;
	ctl->scheduled = 0;
	pthread_mutex_unlock(&ctl->mu);
	/* Appended: replies of an earlier failed begin may still wait. */
	if (ctl->batch_tail != NULL) {
		ctl->batch_tail->qnext = head;
	} else {
		ctl->batch = head;
	}
	for (c = head; c != NULL; c = c->qnext) {
		nng_msg *m = c->req;
		const char *buf = m != NULL ? nng_msg_body(m) : c->body;
		size_t len = m != NULL ? nng_msg_len(m) : c->blen;
		json_t *parsed = c->parsed;

		ctl->batch_tail = c;
		c->req = NULL;
		c->parsed = NULL;
		if (!store_ok) {
			c->reply = cd_ops_error("store", "the job store is "
			    "unavailable: %s", cd_store_errmsg(d->store));
		} else if (len > d->conf.max_request) {
			c->reply = too_large(len, d->conf.max_request);
		} else {
			/* NULL: a wait, answered later (cd_ctl_reply). */
			c->reply = ctl->h->request(d, c, buf, len, parsed);
			parsed = NULL;
			if (c->reply == NULL) {
				c->deferred = 1;
				ctl->nreceiving -= c->conn == NULL;
			}
		}
		json_decref(parsed);	/* not handed over */
		if (m != NULL) {
			nng_msg_free(m);
		}
		free(c->body);
		c->body = NULL;
	}
}

void
cd_ctl_answer(struct cd_daemon *d, int committed)
{
	struct cd_ctl *ctl = d->ctl;
	struct cd_ctx *c, *next;

	if (ctl == NULL) {
		return;
	}
	if (!committed && ctl->batch != NULL) {
		cd_log("store: commit failed: %s; the requests get an error",
		    cd_store_errmsg(d->store));
	}
	for (c = ctl->batch; c != NULL; c = next) {
		next = c->qnext;
		if (!committed) {
			if (c->deferred) {
				/* Its waiter counts on undone writes. */
				ctl->h->forget(d, c);
				c->deferred = 0;
				ctl->nreceiving += c->conn == NULL;
			}
			json_decref(c->reply);
			/*
			 * Not "nothing was done": with sync-full a failed
			 * fsync may leave the commit on disk.
			 */
			c->reply = cd_ops_error("store", "commit failed: %s; "
			    "it may not have taken effect",
			    cd_store_errmsg(d->store));
		}
		if (c->reply != NULL) {
			send_reply(c);
		}
	}
	ctl->batch = ctl->batch_tail = NULL;
	/* Keep CD_CTX_MIN contexts listening despite deferred ones. */
	while (ctl->open && ctl->nreceiving < CD_CTX_MIN && ctx_new(ctl) != NULL) {
	}
}

int
cd_ctl_open(struct cd_daemon *d, const char *url,
    const struct cd_ctl_handler *h, char *why, size_t whysize)
{
	struct cd_ctl *ctl;
	nng_listener l;
	int rv;

	if ((ctl = calloc(1, sizeof(*ctl))) == NULL) {
		snprintf(why, whysize, "out of memory");
		return CORUN_ENOMEM;
	}
	ctl->d = d;
	ctl->h = h;
	pthread_mutex_init(&ctl->mu, NULL);
	d->ctl = ctl;
	if ((rv = cd_ctl_make_socket_dir(url, why, whysize)) != 0) {
		return rv;
	}
	if (strncmp(url, "ipc://", 6) == 0) {
		static const struct cd_uds_ops uds_ops = { uds_request };

		if (cd_ctl_ipc_listening(url + 6)) {
			snprintf(why, whysize, "listen on %s: Address in use "
			    "(another corund serves it?)", url);
			return CORUN_ESYS;
		}
		return cd_uds_open(corun_loop_base(d->loop), url + 6,
		    cd_ctl_recv_limit(d->conf.max_request), &uds_ops, ctl,
		    &ctl->uds, why, whysize);
	}
	if ((rv = nng_rep0_open(&ctl->sock)) != 0) {
		snprintf(why, whysize, "nng_rep0_open: %s", nng_strerror(rv));
		return CORUN_ESYS;
	}
	ctl->open = 1;
	/*
	 * nng drops the connection of a message over RECVMAXSZ without a
	 * word, and a REP socket cannot answer what it never got: receive
	 * well over max-request (CD_CTL_RECV_CAP at least) so an oversized
	 * request gets too_large; only larger ones are cut off, which
	 * corun never sends.
	 */
	nng_socket_set_size(ctl->sock, NNG_OPT_RECVMAXSZ,
	    cd_ctl_recv_limit(d->conf.max_request));
	if ((rv = nng_listener_create(&l, ctl->sock, url)) != 0) {
		snprintf(why, whysize, "%s: %s", url, nng_strerror(rv));
		return CORUN_ESYS;
	}
	if ((rv = nng_listener_start(l, 0)) != 0) {
		snprintf(why, whysize, "listen on %s: %s%s", url,
		    nng_strerror(rv), rv == NNG_EADDRINUSE ?
		    " (another corund serves it?)" : "");
		return CORUN_ESYS;
	}
	for (int i = 0; i < CD_CTX_MIN; i++) {
		if (ctx_new(ctl) == NULL) {
			snprintf(why, whysize, "cannot open nng contexts");
			return CORUN_ENOMEM;
		}
	}
	return 0;
}

void
cd_ctl_close(struct cd_daemon *d)
{
	struct cd_ctl *ctl = d->ctl;

	if (ctl == NULL) {
		return;
	}
	if (ctl->uds != NULL) {
		cd_uds_flush(ctl->uds, 500);
	}
	/* Replies on their way (drain, shutdown): give them a moment. */
	for (size_t i = 0; i < ctl->nall; i++) {
		if (ctl->all[i]->sending) {
			nng_aio_set_timeout(ctl->all[i]->aio, 500);
		}
	}
	for (int spin = 0; spin < 50; spin++) {
		int busy = 0;

		for (size_t i = 0; i < ctl->nall; i++) {
			busy += ctl->all[i]->sending;
		}
		if (!busy) {
			break;
		}
		usleep(10000);
	}
	ctl->closing = 1;
	while (ctl->live != NULL) {
		uds_ctx_free(ctl, ctl->live);
	}
	cd_uds_close(ctl->uds);
	for (size_t i = 0; i < ctl->nall; i++) {
		nng_aio_stop(ctl->all[i]->aio);
	}
	if (ctl->open) {
		nng_close(ctl->sock);
	}
	for (size_t i = 0; i < ctl->nall; i++) {
		struct cd_ctx *c = ctl->all[i];

		if (c->req != NULL) {
			nng_msg_free(c->req);
		}
		json_decref(c->reply);
		nng_aio_free(c->aio);
		free(c);
	}
	free(ctl->all);
	pthread_mutex_destroy(&ctl->mu);
	free(ctl);
	d->ctl = NULL;
}

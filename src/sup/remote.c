/* SPDX-License-Identifier: MIT */
/*
 * remote.c - workers on other hosts: their session sockets, and losing
 * them.  The rendezvous is remote-listen.c.
 *
 * With opts.listen the pool listens on that URL with a REP socket, the
 * rendezvous.  A remote corun-worker sends its HELLO there (REQ).  With
 * a token, the first HELLO (no token in it) gets a challenge, a fresh
 * nonce, and the worker's second HELLO carries an HMAC of it keyed by the
 * token, never the token (remote-auth.c).  A HELLO that is well formed,
 * passes that check and finds a free remote slot gets a PAIR1 socket of
 * its own, listening on an ephemeral port of the rendezvous address (ipc:
 * a sibling path), and a WELCOME whose reason is "SESSION-URL PROOF"
 * (with a token: the session key is derived on both sides from the
 * nonces) or "SESSION-URL KEY" (without); anything else gets a refusing
 * WELCOME, is logged and counted, and gets no socket.  The worker then
 * dials the session socket and says HELLO again with the one-time key as
 * its token: from there on it is an ordinary worker (pool-frame.c) without a
 * process of ours.  See doc/wire-protocol.md, "Remote workers".
 *
 * Its connection closing is seen through nng_pipe_notify; the callback
 * runs on an nng thread and only records the socket id and writes a byte
 * to a pipe the loop watches.  The state it touches (struct sup_remote)
 * is reference counted: the pool holds one reference and every session
 * socket one more, dropped once nng_close of that socket returned on its
 * detached thread, after which nng calls nothing of ours for it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "remote-internal.h"

#include <nng/protocol/pair1/pair.h>
#ifdef HAVE_NNG_TLS_CONFIG_ALLOC
#include <nng/supplemental/tls/tls.h>
#endif

uint64_t
sup_remote_timeout_ns(const struct corun_pool *p)
{
	unsigned ms = p->opts.remote_timeout_ms ? p->opts.remote_timeout_ms :
	    SUP_REMOTE_TIMEOUT_MS;

	return (uint64_t)ms * 1000000ull;
}

/* nng thread: note which socket lost its pipe, wake the loop. */
static void
pipe_event(nng_pipe pp, nng_pipe_ev ev, void *arg)
{
	struct sup_sess *sess = arg;
	struct sup_remote *r = sess->r;
	int id = sess->id;
	char c = 1;

	(void)pp;
	if (ev != NNG_PIPE_EV_REM_POST) {
		return;
	}
	pthread_mutex_lock(&r->mu);
	if (r->pool != NULL) {
		if (r->ngone == r->capgone) {
			size_t ncap = r->capgone ? r->capgone * 2 : 16;
			int *ng = realloc(r->gone, ncap * sizeof(*ng));

			if (ng != NULL) {
				r->gone = ng;
				r->capgone = ncap;
			}
		}
		if (r->ngone < r->capgone) {
			r->gone[r->ngone++] = id;
		}
		(void)!write(r->pfd[1], &c, 1);
	}
	pthread_mutex_unlock(&r->mu);
}

/* Loop: sockets whose connection closed. */
void
sup_remote_on_gone(evutil_socket_t fd, short what, void *arg)
{
	struct corun_pool *p = arg;
	struct sup_remote *r = p->remote;
	char buf[64];
	int ids[64];
	size_t n;

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0) {
	}
	do {
		pthread_mutex_lock(&r->mu);
		n = r->ngone < 64 ? r->ngone : 64;
		memcpy(ids, r->gone, n * sizeof(*ids));
		memmove(r->gone, r->gone + n, (r->ngone - n) * sizeof(*ids));
		r->ngone -= n;
		pthread_mutex_unlock(&r->mu);
		for (size_t i = 0; i < n; i++) {
			for (unsigned k = p->procs; k < p->nslots; k++) {
				struct sup_worker *w = &p->workers[k];

				if (w->remote && w->sock_open &&
				    nng_socket_id(w->sock) == ids[i]) {
					sup_worker_drop(w, "connection closed");
				}
			}
		}
	} while (n == 64);
}

/* ---- the session socket of one remote worker ------------------------ */

void
sup_remote_format_addr(const nng_sockaddr *sa, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	switch (sa->s_family) {
	case NNG_AF_INET:
		inet_ntop(AF_INET, &sa->s_in.sa_addr, a, sizeof(a));
		snprintf(buf, size, "%s:%u", a, ntohs(sa->s_in.sa_port));
		break;
	case NNG_AF_INET6:
		inet_ntop(AF_INET6, sa->s_in6.sa_addr, a, sizeof(a));
		snprintf(buf, size, "[%s]:%u", a, ntohs(sa->s_in6.sa_port));
		break;
	case NNG_AF_IPC:
		snprintf(buf, size, "ipc");
		break;
	default:
		snprintf(buf, size, "unknown address");
		break;
	}
}

static int
make_key(char *key, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[16];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n < 0 && errno != EINTR) {
			return CORUN_ESYS;
		}
		got += n > 0 ? (size_t)n : 0;
	}
	if (size < 2 * sizeof(raw) + 1) {
		return CORUN_ERANGE;
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		key[2 * i] = hex[raw[i] >> 4];
		key[2 * i + 1] = hex[raw[i] & 15];
	}
	key[2 * sizeof(raw)] = '\0';
	return 0;
}

/* A name from the network, fit for a log line: no control bytes. */
void
sup_remote_printable(char *dst, size_t size, const uint8_t *src, size_t len)
{
	size_t i;

	for (i = 0; i < len && i + 1 < size; i++) {
		dst[i] = src[i] < 0x20 || src[i] == 0x7f ? '?' : (char)src[i];
	}
	dst[i] = '\0';
}

/* Compare without an early exit, so timing says nothing of the secret. */
int
sup_remote_same_secret(const uint8_t *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	unsigned diff = alen != blen;

	for (size_t i = 0; i < alen && i < blen; i++) {
		diff |= a[i] ^ (uint8_t)b[i];
	}
	return diff == 0;
}

int
sup_remote_set_tls(struct sup_remote *r, nng_listener l)
{
	if (r->tls == NULL) {
		return 0;
	}
	return nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, r->tls);
}

/* Listen for one worker on an ephemeral port: w->url is where. */
static int
open_session(struct corun_pool *p, struct sup_worker *w, char *why,
    size_t whysize)
{
	struct sup_remote *r = p->remote;
	nng_listener l;
	nng_sockaddr sa;
	unsigned port = 0;
	int rv;

	if (r->is_ipc) {
		snprintf(w->url, sizeof(w->url), "ipc://%s.%u.%u", r->path,
		    w->idx, w->gen);
		unlink(w->url + 6);
	} else {
		snprintf(w->url, sizeof(w->url), "%s://%s:0", r->scheme,
		    r->host);
	}
	if ((w->sess = calloc(1, sizeof(*w->sess))) == NULL) {
		snprintf(why, whysize, "out of memory");
		return CORUN_ENOMEM;
	}
	if ((rv = nng_pair1_open(&w->sock)) != 0) {
		snprintf(why, whysize, "nng_pair1_open: %s", nng_strerror(rv));
		free(w->sess);
		w->sess = NULL;
		return CORUN_ESYS;
	}
	w->sock_open = 1;
	w->sess->r = r;
	w->sess->id = nng_socket_id(w->sock);
	pthread_mutex_lock(&r->mu);
	r->refs++;		/* dropped when the socket is closed */
	pthread_mutex_unlock(&r->mu);
	nng_socket_set_size(w->sock, NNG_OPT_RECVMAXSZ, WIRE_MAX_FRAME +
	    WIRE_HDR_SIZE);
	nng_socket_set_int(w->sock, NNG_OPT_SENDBUF, 16);
	nng_socket_set_int(w->sock, NNG_OPT_RECVBUF, 16);
	if ((rv = nng_pipe_notify(w->sock, NNG_PIPE_EV_REM_POST, pipe_event,
	    w->sess)) != 0 || (rv = nng_listener_create(&l, w->sock, w->url)) != 0 ||
	    (rv = sup_remote_set_tls(r, l)) != 0 || (rv = nng_listener_start(l, 0)) != 0) {
		snprintf(why, whysize, "cannot listen at %s: %s", w->url,
		    nng_strerror(rv));
		return CORUN_ESYS;
	}
	if (!r->is_ipc) {
		if ((rv = nng_listener_get_addr(l, NNG_OPT_LOCADDR, &sa)) != 0) {
			snprintf(why, whysize, "no local address for %s: %s",
			    w->url, nng_strerror(rv));
			return CORUN_ESYS;
		}
		if (sa.s_family == NNG_AF_INET) {
			port = ntohs(sa.s_in.sa_port);
		} else if (sa.s_family == NNG_AF_INET6) {
			port = ntohs(sa.s_in6.sa_port);
		}
		snprintf(w->url, sizeof(w->url), "%s://%s:%u", r->scheme,
		    r->host, port);
	}
	if (sup_worker_watch(p, w) != 0) {
		snprintf(why, whysize, "cannot watch the session socket");
		return CORUN_ENOMEM;
	}
	return 0;
}

static struct sup_worker *
free_slot(struct corun_pool *p)
{
	for (unsigned i = p->procs; i < p->nslots; i++) {
		struct sup_worker *w = &p->workers[i];

		if (w->state == SUP_W_IDLE && w->drop_h == NULL &&
		    !w->sock_open && w->leases.len == 0) {
			return w;
		}
	}
	return NULL;
}

/* A remote slot for the worker that said h; its session is listening. */
struct sup_worker *
sup_remote_attach(struct corun_pool *p, const struct wire_hello *h,
    const char *key, const char *peer, char *why, size_t whysize)
{
	struct sup_worker *w = free_slot(p);
	char name[64];

	if (w == NULL) {
		snprintf(why, whysize, "no free remote slot (%u in use)",
		    p->nslots - p->procs);
		return NULL;
	}
	w->gen++;
	w->remote = 1;
	w->rpid = h->pid;
	w->pid = 0;
	w->credit = 0;
	w->cancels = 0;
	w->capacity = 0;
	w->slots = 0;
	w->short_runs = 0;
	w->recycling = 0;
	w->jobs_done = 0;
	w->jobs_limit = 0;
	w->last_rx_ns = 0;
	w->started_ns = corun_loop_now_ns();
	sup_remote_printable(name, sizeof(name), h->name.ptr, h->name.len);
	/* The host: the name up to its last ':' (corun-worker's host:pid). */
	snprintf(w->host, sizeof(w->host), "%.*s", strrchr(name, ':') ?
	    (int)(strrchr(name, ':') - name) : (int)strlen(name), name);
	snprintf(w->peer, sizeof(w->peer), "%.40s at %.50s", name, peer);
	if (key != NULL) {
		snprintf(w->key, sizeof(w->key), "%s", key);
	} else if (make_key(w->key, sizeof(w->key)) != 0) {
		snprintf(why, whysize, "no random bytes for a session key");
		return NULL;
	}
	if (open_session(p, w, why, whysize) != 0) {
		sup_worker_close_socket(w);
		return NULL;
	}
	w->state = SUP_W_STARTING;
	return w;
}

int
sup_remote_check_hello(struct sup_worker *w, const struct wire_hello *h)
{
	if (!sup_remote_same_secret(h->token.ptr, h->token.len, w->key)) {
		w->pool->st.remote_refused++;
		/* Always logged, as at the rendezvous. */
		fprintf(stderr, "corun: refused remote worker %u (%s): wrong "
		    "session key\n", w->idx, w->peer);
		sup_worker_kill(w, SIGKILL, "wrong session key in HELLO");
		return -1;
	}
	if (h->capacity == 0) {
		sup_worker_kill(w, SIGKILL, "HELLO with no capacity");
		return -1;
	}
	w->rpid = h->pid;
	return 0;
}

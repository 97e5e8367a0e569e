/* SPDX-License-Identifier: MIT */
/*
 * remote-listen.c - the rendezvous of remote workers (opts.listen): the
 * URL and its security, the REP socket, and what each HELLO there gets.
 * See remote.c for the whole picture.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remote-internal.h"

#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#ifdef HAVE_NNG_TLS_CONFIG_ALLOC
#include <nng/supplemental/tls/tls.h>
#endif

/* ---- the rendezvous ------------------------------------------------- */

static void
reply(struct corun_pool *p, int accepted, uint32_t id, const char *text)
{
	struct sup_remote *r = p->remote;
	struct wire_welcome wel = { 0 };
	const uint8_t *frame;
	size_t len;
	nng_msg *msg;

	wel.accepted = (uint8_t)accepted;
	wel.version = WIRE_VERSION;
	wel.worker_id = id;
	wel.heartbeat_ms = SUP_REMOTE_HEARTBEAT_MS;
	wel.reason.ptr = (const uint8_t *)text;
	wel.reason.len = (uint32_t)strlen(text);
	if (wire_encode_welcome(&p->wb, &wel, &frame, &len) != 0 ||
	    nng_msg_alloc(&msg, len) != 0) {
		return;
	}
	memcpy(nng_msg_body(msg), frame, len);
	if (nng_sendmsg(r->rv, msg, NNG_FLAG_NONBLOCK) != 0) {
		nng_msg_free(msg);	/* the peer went: nothing to tell */
	}
}

static void
refuse(struct corun_pool *p, const char *peer, const char *name,
    const char *why)
{
	p->st.remote_refused++;
	/* Always logged, quiet or not: someone knocked and was sent away. */
	fprintf(stderr, "corun: refused remote worker %s at %s: %s\n",
	    name[0] ? name : "(unnamed)", peer, why);
	reply(p, 0, 0, why);
}

/*
 * With a token: a HELLO without one asks for a challenge, which it gets
 * (1: answered); one with an answer is checked (0: passed, key and proof
 * set; -1: refused).  The token itself is never accepted.
 */
static int
authenticate(struct corun_pool *p, nng_msg *msg, const char *peer,
    const char *name, const struct wire_hello *h, char *key, char *proof)
{
	struct sup_remote *r = p->remote;
	uint32_t pipe = nng_pipe_id(nng_msg_get_pipe(msg));
	char text[160];

	if (h->token.len == 0) {
		if (sup_remote_challenge(r, pipe, sup_remote_timeout_ns(p), text,
		    sizeof(text)) != 0) {
			refuse(p, peer, name, "no random bytes for a nonce");
			return -1;
		}
		reply(p, 0, 0, text);	/* not a refusal: not counted */
		return 1;
	}
	if (sup_remote_check_answer(r, pipe, h, key, proof) != 0) {
		int none = h->token.len == strlen(WIRE_RV_NO_TOKEN) &&
		    memcmp(h->token.ptr, WIRE_RV_NO_TOKEN, h->token.len) == 0;

		refuse(p, peer, name, none ? "no token (this supervisor "
		    "requires one)" : "wrong token");
		return -1;
	}
	return 0;
}

static void
on_request(struct corun_pool *p, nng_msg *msg)
{
	struct sup_remote *r = p->remote;
	struct wire_frame f;
	struct sup_worker *w;
	nng_sockaddr sa;
	char peer[80], name[WIRE_NAME_MAX + 1] = "", why[300];
	char text[sizeof(w->url) + sizeof(w->key) + 2];
	char key[WIRE_RV_KEY_HEX + 1], proof[WIRE_RV_KEY_HEX + 1];

	if (nng_pipe_get_addr(nng_msg_get_pipe(msg), NNG_OPT_REMADDR,
	    &sa) == 0) {
		sup_remote_format_addr(&sa, peer, sizeof(peer));
	} else {
		snprintf(peer, sizeof(peer), "unknown address");
	}
	if (wire_decode(nng_msg_body(msg), nng_msg_len(msg),
	    SUP_RV_MAX_MSG, &f, why, sizeof(why)) != 0) {
		refuse(p, peer, name, why);
		return;
	}
	if (f.hdr.type != WIRE_HELLO) {
		snprintf(why, sizeof(why), "%s frame where HELLO was expected",
		    wire_type_name(f.hdr.type));
		refuse(p, peer, name, why);
		return;
	}
	sup_remote_printable(name, sizeof(name), f.u.hello.name.ptr,
	    f.u.hello.name.len);
	if (r->token != NULL && authenticate(p, msg, peer, name,
	    &f.u.hello, key, proof) != 0) {
		return;
	}
	if (p->closing || p->broken) {
		refuse(p, peer, name, "the supervisor is shutting down");
		return;
	}
	if (f.u.hello.capacity == 0) {
		refuse(p, peer, name, "a capacity of 0 job slots");
		return;
	}
	w = sup_remote_attach(p, &f.u.hello, r->token != NULL ? key : NULL,
	    peer, why, sizeof(why));
	if (w == NULL) {
		refuse(p, peer, name, why);
		return;
	}
	/* With a token the key stays here: the worker derives it too. */
	snprintf(text, sizeof(text), "%s %s", w->url,
	    r->token != NULL ? proof : w->key);
	sup_pool_log(p, "remote worker %u (%s): %u thread(s) x %u, room "
	    "for %u job(s); session at %s", w->idx, w->peer,
	    f.u.hello.threads, f.u.hello.concurrency, f.u.hello.capacity,
	    w->url);
	reply(p, 1, w->idx, text);
}

static void
on_rendezvous(evutil_socket_t fd, short what, void *arg)
{
	struct corun_pool *p = arg;
	nng_msg *msg;

	(void)fd;
	(void)what;
	for (int i = 0; i < 16 && p->remote->rv_open; i++) {
		if (nng_recvmsg(p->remote->rv, &msg, NNG_FLAG_NONBLOCK) != 0) {
			break;
		}
		on_request(p, msg);
		nng_msg_free(msg);
	}
}

/* ---- starting and stopping ------------------------------------------ */

/* Split URL into scheme and host (tcp) or path (ipc). */
static int
parse_url(struct sup_remote *r, const char *url, char *why, size_t whysize)
{
	const char *sep = strstr(url, "://"), *rest, *colon;
	size_t n;

	if (sep == NULL || (n = (size_t)(sep - url)) >= sizeof(r->scheme)) {
		snprintf(why, whysize, "not an nng URL (tcp://HOST:PORT, "
		    "tls+tcp://HOST:PORT or ipc://PATH)");
		return CORUN_EINVAL;
	}
	memcpy(r->scheme, url, n);
	r->scheme[n] = '\0';
	rest = sep + 3;
	if (strcmp(r->scheme, "ipc") == 0) {
		if (*rest == '\0' || strlen(rest) + 24 >= sizeof(r->path)) {
			snprintf(why, whysize, "the ipc path is empty or too "
			    "long");
			return CORUN_EINVAL;
		}
		snprintf(r->path, sizeof(r->path), "%s", rest);
		r->is_ipc = 1;
		return 0;
	}
	if (strcmp(r->scheme, "tcp") != 0 && strcmp(r->scheme, "tcp4") != 0 &&
	    strcmp(r->scheme, "tcp6") != 0 && strcmp(r->scheme, "tls+tcp") &&
	    strcmp(r->scheme, "tls+tcp4") && strcmp(r->scheme, "tls+tcp6")) {
		snprintf(why, whysize, "scheme %s:// is not supported (tcp, "
		    "tls+tcp or ipc)", r->scheme);
		return CORUN_EINVAL;
	}
	if ((colon = strrchr(rest, ':')) == NULL || colon[1] == '\0' ||
	    (size_t)(colon - rest) >= sizeof(r->host)) {
		snprintf(why, whysize, "no port in the URL (HOST:PORT)");
		return CORUN_EINVAL;
	}
	memcpy(r->host, rest, (size_t)(colon - rest));
	r->host[colon - rest] = '\0';
	return 0;
}

/*
 * Is a live socket listening at this ipc URL?  Asked with a complete
 * connection: nng 1.5.2's own check (a bare connect and close when the
 * bind finds the file) breaks the listener it probes, which then stops
 * taking connections (nng issue 1518).
 */
static int
ipc_in_use(const char *url)
{
	nng_socket s;
	int live;

	if (nng_req0_open(&s) != 0) {
		return 0;
	}
	live = nng_dial(s, url, NULL, 0) == 0;
	nng_close(s);
	return live;
}

static int
is_tls(const struct sup_remote *r)
{
	return strncmp(r->scheme, "tls+", 4) == 0;
}

#ifdef HAVE_NNG_TLS_CONFIG_ALLOC
/* The whole of a small PEM file, NUL-terminated; NULL with why set. */
static char *
slurp(const char *path, char *why, size_t whysize)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0;

	if (f == NULL || (buf = malloc(1u << 20)) == NULL) {
		snprintf(why, whysize, "%s: %s", path, strerror(errno));
		if (f != NULL) {
			fclose(f);
		}
		return NULL;
	}
	n = fread(buf, 1, (1u << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int
load_cert(nng_tls_config *cfg, const char *cert, const char *key,
    char *why, size_t whysize)
{
	char *c = slurp(cert, why, whysize), *k = NULL;
	int rv = -1;

	if (c != NULL && (k = slurp(key, why, whysize)) != NULL) {
		if ((rv = nng_tls_config_own_cert(cfg, c, k, NULL)) != 0) {
			snprintf(why, whysize, "certificate %s with key %s: "
			    "%s", cert, key, nng_strerror(rv));
		}
	}
	free(c);
	free(k);
	return rv;
}
#endif

static int
make_tls(struct corun_pool *p, struct sup_remote *r, char *why,
    size_t whysize)
{
#ifdef HAVE_NNG_TLS_CONFIG_ALLOC
	const struct corun_pool_opts *o = &p->opts;
	nng_tls_config *cfg;
	int rv;

	if (o->tls_cert == NULL) {
		snprintf(why, whysize, "%s:// needs a certificate "
		    "(--tls-cert)", r->scheme);
		return CORUN_EINVAL;
	}
	if ((rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_SERVER)) != 0) {
		snprintf(why, whysize, "TLS is not available in this nng: %s",
		    nng_strerror(rv));
		return CORUN_ENOTSUP;
	}
	r->tls = cfg;
	if (o->tls_key == NULL) {
		rv = nng_tls_config_cert_key_file(cfg, o->tls_cert, NULL);
	} else {
		rv = load_cert(cfg, o->tls_cert, o->tls_key, why,
		    whysize);
		if (rv != 0) {
			return CORUN_EINVAL;
		}
	}
	if (rv != 0) {
		snprintf(why, whysize, "certificate and key in %s: %s",
		    o->tls_cert, nng_strerror(rv));
		return CORUN_EINVAL;
	}
	if (o->tls_ca != NULL) {
		if ((rv = nng_tls_config_ca_file(cfg, o->tls_ca)) != 0) {
			snprintf(why, whysize, "CA file %s: %s", o->tls_ca,
			    nng_strerror(rv));
			return CORUN_EINVAL;
		}
		rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED);
	} else {
		rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_NONE);
	}
	return rv == 0 ? 0 : CORUN_ESYS;
#else
	(void)p;
	snprintf(why, whysize, "%s:// is not available: corun was built "
	    "without nng's TLS", r->scheme);
	return CORUN_ENOTSUP;
#endif
}

/* The token and the transport's security, as opts give them. */
static int
check_security(struct corun_pool *p, struct sup_remote *r, char *why,
    size_t whysize)
{
	const struct corun_pool_opts *o = &p->opts;

	if (o->token != NULL && (strlen(o->token) == 0 ||
	    strlen(o->token) > WIRE_TOKEN_MAX)) {
		snprintf(why, whysize, "the token must be 1 to %d bytes",
		    WIRE_TOKEN_MAX);
		return CORUN_EINVAL;
	}
	if (o->token != NULL && (r->token = strdup(o->token)) == NULL) {
		snprintf(why, whysize, "out of memory");
		return CORUN_ENOMEM;
	}
	p->opts.token = NULL;	/* the caller's: it may go */
	if (!r->is_ipc && !is_tls(r) && r->token == NULL && !o->insecure) {
		snprintf(why, whysize, "plain %s:// with no token lets anyone "
		    "who reaches the port run jobs: give a token, use "
		    "tls+tcp://, or say --insecure", r->scheme);
		return CORUN_EINVAL;
	}
	if (is_tls(r)) {
		return make_tls(p, r, why, whysize);
	}
	return 0;
}

/*
 * The URL workers dial: opts.listen, with the port the kernel picked in
 * place of a 0 (tcp://host:0), so that it can be handed on.
 */
static void
real_url(struct sup_remote *r, nng_listener l, const char *listen)
{
	const char *colon = strrchr(listen, ':');
	int port;

	snprintf(r->url, sizeof(r->url), "%s", listen);
	if (r->is_ipc || colon == NULL || strcmp(colon, ":0") != 0 ||
	    nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port) != 0) {
		return;
	}
	snprintf(r->url, sizeof(r->url), "%.*s:%d", (int)(colon - listen),
	    listen, port);
}

/* The REP socket listening at opts.listen, watched on the loop. */
static int
open_rendezvous(struct corun_pool *p, struct sup_remote *r, char *why,
    size_t whysize)
{
	const struct corun_pool_opts *o = &p->opts;
	nng_listener l;
	int rv, rfd;

	if ((rv = nng_rep0_open(&r->rv)) != 0) {
		snprintf(why, whysize, "nng_rep0_open: %s", nng_strerror(rv));
		return CORUN_ESYS;
	}
	r->rv_open = 1;
	nng_socket_set_size(r->rv, NNG_OPT_RECVMAXSZ, SUP_RV_MAX_MSG);
	/* (A stale ipc socket file nng replaces.) */
	if (r->is_ipc && ipc_in_use(o->listen)) {
		snprintf(why, whysize, "cannot listen: Address in use (a "
		    "supervisor listens there)");
		return CORUN_ESYS;
	}
	if ((rv = nng_listener_create(&l, r->rv, o->listen)) != 0 ||
	    (rv = sup_remote_set_tls(r, l)) != 0 ||
	    (rv = nng_listener_start(l, 0)) != 0) {
		snprintf(why, whysize, "cannot listen: %s", nng_strerror(rv));
		return CORUN_ESYS;
	}
	r->rvl = l;
	r->rv_listening = 1;
	real_url(r, l, o->listen);
	if (nng_socket_get_int(r->rv, NNG_OPT_RECVFD, &rfd) != 0) {
		snprintf(why, whysize, "no pollable descriptor");
		return CORUN_ESYS;
	}
	r->rv_ev = event_new(corun_loop_base(p->loop), rfd,
	    EV_READ | EV_PERSIST, on_rendezvous, p);
	if (r->rv_ev == NULL || event_add(r->rv_ev, NULL) != 0) {
		snprintf(why, whysize, "out of memory");
		return CORUN_ENOMEM;
	}
	return 0;
}

int
sup_remote_start(struct corun_pool *p, char *why, size_t whysize)
{
	const struct corun_pool_opts *o = &p->opts;
	struct event_base *base = corun_loop_base(p->loop);
	struct sup_remote *r;
	int rc;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(why, whysize, "out of memory");
		return CORUN_ENOMEM;
	}
	pthread_mutex_init(&r->mu, NULL);
	r->refs = 1;
	r->pool = p;
	r->pfd[0] = r->pfd[1] = -1;
	p->remote = r;
	if ((rc = parse_url(r, o->listen, why, whysize)) != 0 ||
	    (rc = check_security(p, r, why, whysize)) != 0) {
		return rc;
	}
	if (pipe2(r->pfd, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(why, whysize, "pipe: %s", strerror(errno));
		return CORUN_ESYS;
	}
	r->gone_ev = event_new(base, r->pfd[0], EV_READ | EV_PERSIST,
	    sup_remote_on_gone, p);
	if (r->gone_ev == NULL || event_add(r->gone_ev, NULL) != 0) {
		snprintf(why, whysize, "out of memory");
		return CORUN_ENOMEM;
	}
	if ((rc = open_rendezvous(p, r, why, whysize)) != 0) {
		return rc;
	}
	sup_pool_log(p, "listening for remote workers at %s (%s)", r->url,
	    is_tls(r) ? (o->tls_ca != NULL ? "TLS, worker certificates "
	    "required" : "TLS") : r->token != NULL ? "token" : r->is_ipc ?
	    "file permissions" : "insecure");
	return 0;
}

const char *
corun_pool_listen_url(const corun_pool *p)
{
	return p->remote != NULL && p->remote->url[0] != '\0' ?
	    p->remote->url : NULL;
}

/* Take no more workers: close the rendezvous. */
void
sup_remote_stop(struct corun_pool *p)
{
	struct sup_remote *r = p->remote;

	if (r == NULL) {
		return;
	}
	if (r->rv_ev != NULL) {
		event_free(r->rv_ev);
		r->rv_ev = NULL;
	}
	if (r->rv_open) {
		/*
		 * The port is free when this returns (a new pool may listen
		 * there at once); the socket itself closes on a thread.
		 */
		if (r->rv_listening) {
			nng_listener_close(r->rvl);
		}
		pthread_mutex_lock(&r->mu);
		r->refs++;
		pthread_mutex_unlock(&r->mu);
		sup_remote_close_session(r, r->rv, NULL);
		r->rv_open = 0;
		if (r->is_ipc && r->rv_listening) {
			unlink(r->path);
		}
		r->rv_listening = 0;
	}
}

void
sup_remote_free(struct corun_pool *p)
{
	struct sup_remote *r = p->remote;

	if (r == NULL) {
		return;
	}
	sup_remote_stop(p);
	if (r->gone_ev != NULL) {
		event_free(r->gone_ev);
	}
	pthread_mutex_lock(&r->mu);
	r->pool = NULL;
	pthread_mutex_unlock(&r->mu);
	p->remote = NULL;
	sup_remote_unref(r);
}

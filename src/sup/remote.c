/*
 * remote.c - workers on other hosts: the rendezvous, session sockets,
 * and losing them.
 *
 * With opts.listen the pool listens on that URL with a REP socket, the
 * rendezvous.  A remote corun-worker sends its HELLO there (REQ), with the
 * shared token.  A HELLO that is well formed, carries the token and finds
 * a free remote slot gets a PAIR1 socket of its own, listening on an
 * ephemeral port of the rendezvous address (ipc: a sibling path), and a
 * WELCOME whose reason is "SESSION-URL KEY"; anything else gets a refusing
 * WELCOME, is logged and counted, and gets no socket.  The worker then
 * dials the session socket and says HELLO again with the one-time KEY as
 * its token: from there on it is an ordinary worker (pool.c) without a
 * process of ours.  See doc/wire-protocol.md, "Remote workers".
 *
 * Its connection closing is seen through nng_pipe_notify; the callback
 * runs on an nng thread and only records the socket id and writes a byte
 * to a pipe the loop watches.  The state it touches (struct cr_remote)
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

#include "sup-internal.h"

#include <nng/protocol/pair1/pair.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#ifdef HAVE_NNG_TLS_CONFIG_ALLOC
#include <nng/supplemental/tls/tls.h>
#endif

#define CR_REMOTE_TIMEOUT_MS	10000
#define CR_REMOTE_HEARTBEAT_MS	1000	/* pool.c's CR_HEARTBEAT_MS */
#define CR_RV_MAX_MSG		(64u << 10)

struct cr_remote {
	pthread_mutex_t mu;
	int refs;			/* mu: the pool + open sessions */
	struct corun_pool *pool;	/* mu: NULL once the pool let go */
	int *gone;			/* mu: ids of sockets whose pipe left */
	size_t ngone, capgone;		/* mu */
	int pfd[2];			/* nng threads -> loop */
	struct event *gone_ev;
	nng_socket rv;
	nng_listener rvl;
	int rv_open;
	int rv_listening;		/* rvl started: ours to close */
	struct event *rv_ev;
	void *tls;			/* nng_tls_config *, or NULL */
	char *token;			/* a copy of opts.token, or NULL */
	char scheme[16];		/* "tcp", "tls+tcp", "ipc", ... */
	char host[160];			/* tcp: host part, as given */
	char path[200];			/* ipc: socket path */
	int is_ipc;
};

uint64_t
cr_remote_timeout_ns(const struct corun_pool *p)
{
	unsigned ms = p->opts.remote_timeout_ms ? p->opts.remote_timeout_ms :
	    CR_REMOTE_TIMEOUT_MS;

	return (uint64_t)ms * 1000000ull;
}

static void
remote_unref(struct cr_remote *r)
{
	int last;

	pthread_mutex_lock(&r->mu);
	last = --r->refs == 0;
	pthread_mutex_unlock(&r->mu);
	if (!last) {
		return;
	}
	close(r->pfd[0]);
	close(r->pfd[1]);
#ifdef HAVE_NNG_TLS_CONFIG_ALLOC
	if (r->tls != NULL) {
		nng_tls_config_free(r->tls);
	}
#endif
	pthread_mutex_destroy(&r->mu);
	if (r->token != NULL) {
		explicit_bzero(r->token, strlen(r->token));
		free(r->token);
	}
	free(r->gone);
	free(r);
}

/*
 * A session socket as its pipe callback knows it: the socket id is taken
 * when it opens (a removed pipe may no longer name its socket).  Freed
 * once nng_close of the socket has returned.
 */
struct cr_sess {
	struct cr_remote *r;
	int id;
};

/* nng thread: note which socket lost its pipe, wake the loop. */
static void
pipe_event(nng_pipe pp, nng_pipe_ev ev, void *arg)
{
	struct cr_sess *sess = arg;
	struct cr_remote *r = sess->r;
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

static void
drop_now(struct cr_worker *w, const char *why)
{
	if (w->state == CR_W_IDLE) {
		return;
	}
	cr_worker_close_socket(w);
	cr_pool_on_lost(w, why);
}

/* Loop: sockets whose connection closed. */
static void
on_gone(evutil_socket_t fd, short what, void *arg)
{
	struct corun_pool *p = arg;
	struct cr_remote *r = p->remote;
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
				struct cr_worker *w = &p->workers[k];

				if (w->remote && w->sock_open &&
				    nng_socket_id(w->sock) == ids[i]) {
					drop_now(w, "connection closed");
				}
			}
		}
	} while (n == 64);
}

static void
drop_cb(void *arg)
{
	struct cr_worker *w = arg;

	corun_handle_release(w->drop_h);
	w->drop_h = NULL;
	drop_now(w, "dropped");
}

void
cr_remote_drop_soon(struct cr_worker *w, const char *why)
{
	if (w->drop_h != NULL || w->state == CR_W_IDLE) {
		return;
	}
	cr_pool_log(w->pool, "remote worker %u (%s): %s; dropping it",
	    w->idx, w->peer, why);
	(void)corun_call_soon(w->pool->loop, drop_cb, w, &w->drop_h);
}

struct cr_rclose {
	nng_socket sock;
	struct cr_remote *r;
	struct cr_sess *sess;		/* its pipe callback's, or NULL */
};

static void *
rclose_main(void *arg)
{
	struct cr_rclose *c = arg;

	nng_close(c->sock);
	free(c->sess);
	remote_unref(c->r);
	free(c);
	return NULL;
}

/* nng_close can hang (worker.c): close on a detached thread. */
static void
close_session(struct cr_remote *r, nng_socket sock, struct cr_sess *sess)
{
	struct cr_rclose *c = malloc(sizeof(*c));
	pthread_attr_t attr;
	pthread_t tid;
	int ok = 0;

	if (c != NULL) {
		c->sock = sock;
		c->r = r;
		c->sess = sess;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		ok = pthread_create(&tid, &attr, rclose_main, c) == 0;
		pthread_attr_destroy(&attr);
	}
	if (!ok) {
		free(c);
		nng_close(sock);
		free(sess);
		remote_unref(r);
	}
}

void
cr_remote_close_socket(struct cr_worker *w)
{
	struct cr_remote *r = w->pool->remote;

	if (r->is_ipc) {
		unlink(w->url + 6);
	}
	close_session(r, w->sock, w->sess);
	w->sess = NULL;
	w->sock_open = 0;
}

/* ---- the session socket of one remote worker ------------------------ */

static void
format_addr(const nng_sockaddr *sa, char *buf, size_t size)
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
static void
printable(char *dst, size_t size, const uint8_t *src, size_t len)
{
	size_t i;

	for (i = 0; i < len && i + 1 < size; i++) {
		dst[i] = src[i] < 0x20 || src[i] == 0x7f ? '?' : (char)src[i];
	}
	dst[i] = '\0';
}

/* Compare without an early exit, so timing says nothing of the secret. */
static int
same_secret(const uint8_t *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	unsigned diff = alen != blen;

	for (size_t i = 0; i < alen && i < blen; i++) {
		diff |= a[i] ^ (uint8_t)b[i];
	}
	return diff == 0;
}

static int
set_tls(struct cr_remote *r, nng_listener l)
{
	if (r->tls == NULL) {
		return 0;
	}
	return nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, r->tls);
}

/* Listen for one worker on an ephemeral port: w->url is where. */
static int
open_session(struct corun_pool *p, struct cr_worker *w, char *why,
    size_t whysize)
{
	struct cr_remote *r = p->remote;
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
	nng_socket_set_size(w->sock, NNG_OPT_RECVMAXSZ, CR_WIRE_MAX_FRAME +
	    CR_WIRE_HDR_SIZE);
	nng_socket_set_int(w->sock, NNG_OPT_SENDBUF, 16);
	nng_socket_set_int(w->sock, NNG_OPT_RECVBUF, 16);
	if ((rv = nng_pipe_notify(w->sock, NNG_PIPE_EV_REM_POST, pipe_event,
	    w->sess)) != 0 || (rv = nng_listener_create(&l, w->sock, w->url)) != 0 ||
	    (rv = set_tls(r, l)) != 0 || (rv = nng_listener_start(l, 0)) != 0) {
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
	if (cr_worker_watch(p, w) != 0) {
		snprintf(why, whysize, "cannot watch the session socket");
		return CORUN_ENOMEM;
	}
	return 0;
}

static struct cr_worker *
free_slot(struct corun_pool *p)
{
	for (unsigned i = p->procs; i < p->nslots; i++) {
		struct cr_worker *w = &p->workers[i];

		if (w->state == CR_W_IDLE && w->drop_h == NULL &&
		    !w->sock_open && w->leases.len == 0) {
			return w;
		}
	}
	return NULL;
}

/* A remote slot for the worker that said h; its session is listening. */
static struct cr_worker *
attach(struct corun_pool *p, const struct cr_wire_hello *h,
    const char *peer, char *why, size_t whysize)
{
	struct cr_worker *w = free_slot(p);
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
	w->recycling = 0;
	w->jobs_done = 0;
	w->jobs_limit = 0;
	w->last_rx_ns = 0;
	w->started_ns = corun_loop_now_ns();
	printable(name, sizeof(name), h->name.ptr, h->name.len);
	snprintf(w->peer, sizeof(w->peer), "%.40s at %.50s", name, peer);
	if (make_key(w->key, sizeof(w->key)) != 0) {
		snprintf(why, whysize, "no random bytes for a session key");
		return NULL;
	}
	if (open_session(p, w, why, whysize) != 0) {
		cr_worker_close_socket(w);
		return NULL;
	}
	w->state = CR_W_STARTING;
	return w;
}

int
cr_remote_check_hello(struct cr_worker *w, const struct cr_wire_hello *h)
{
	if (!same_secret(h->token.ptr, h->token.len, w->key)) {
		w->pool->st.remote_refused++;
		/* Always logged, as at the rendezvous. */
		fprintf(stderr, "corun: refused remote worker %u (%s): wrong "
		    "session key\n", w->idx, w->peer);
		cr_worker_kill(w, SIGKILL, "wrong session key in HELLO");
		return -1;
	}
	if (h->capacity == 0) {
		cr_worker_kill(w, SIGKILL, "HELLO with no capacity");
		return -1;
	}
	w->rpid = h->pid;
	return 0;
}

/* ---- the rendezvous ------------------------------------------------- */

static void
reply(struct corun_pool *p, int accepted, uint32_t id, const char *text)
{
	struct cr_remote *r = p->remote;
	struct cr_wire_welcome wel = { 0 };
	const uint8_t *frame;
	size_t len;
	nng_msg *msg;

	wel.accepted = (uint8_t)accepted;
	wel.version = CR_WIRE_VERSION;
	wel.worker_id = id;
	wel.heartbeat_ms = CR_REMOTE_HEARTBEAT_MS;
	wel.reason.ptr = (const uint8_t *)text;
	wel.reason.len = (uint32_t)strlen(text);
	if (cr_wire_encode_welcome(&p->wb, &wel, &frame, &len) != 0 ||
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

static void
on_request(struct corun_pool *p, nng_msg *msg)
{
	struct cr_remote *r = p->remote;
	struct cr_wire_frame f;
	struct cr_worker *w;
	nng_sockaddr sa;
	char peer[80], name[CR_WIRE_NAME_MAX + 1] = "", why[300];
	char text[sizeof(w->url) + sizeof(w->key) + 2];

	if (nng_pipe_get_addr(nng_msg_get_pipe(msg), NNG_OPT_REMADDR,
	    &sa) == 0) {
		format_addr(&sa, peer, sizeof(peer));
	} else {
		snprintf(peer, sizeof(peer), "unknown address");
	}
	if (cr_wire_decode(nng_msg_body(msg), nng_msg_len(msg),
	    CR_RV_MAX_MSG, &f, why, sizeof(why)) != 0) {
		refuse(p, peer, name, why);
		return;
	}
	if (f.hdr.type != CR_WIRE_HELLO) {
		snprintf(why, sizeof(why), "%s frame where HELLO was expected",
		    cr_wire_type_name(f.hdr.type));
		refuse(p, peer, name, why);
		return;
	}
	printable(name, sizeof(name), f.u.hello.name.ptr,
	    f.u.hello.name.len);
	if (r->token != NULL && !same_secret(f.u.hello.token.ptr,
	    f.u.hello.token.len, r->token)) {
		refuse(p, peer, name, f.u.hello.token.len == 0 ?
		    "no token (this supervisor requires one)" :
		    "wrong token");
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
	if ((w = attach(p, &f.u.hello, peer, why, sizeof(why))) == NULL) {
		refuse(p, peer, name, why);
		return;
	}
	snprintf(text, sizeof(text), "%s %s", w->url, w->key);
	cr_pool_log(p, "remote worker %u (%s): %u thread(s) x %u, %u job "
	    "slot(s); session at %s", w->idx, w->peer, f.u.hello.threads,
	    f.u.hello.concurrency, f.u.hello.capacity, w->url);
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
parse_url(struct cr_remote *r, const char *url, char *why, size_t whysize)
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
is_tls(const struct cr_remote *r)
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
make_tls(struct corun_pool *p, struct cr_remote *r, char *why,
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

int
cr_remote_start(struct corun_pool *p, char *why, size_t whysize)
{
	const struct corun_pool_opts *o = &p->opts;
	struct event_base *base = corun_loop_base(p->loop);
	struct cr_remote *r;
	nng_listener l;
	int rv, rfd, rc;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(why, whysize, "out of memory");
		return CORUN_ENOMEM;
	}
	pthread_mutex_init(&r->mu, NULL);
	r->refs = 1;
	r->pool = p;
	r->pfd[0] = r->pfd[1] = -1;
	p->remote = r;
	if ((rc = parse_url(r, o->listen, why, whysize)) != 0) {
		return rc;
	}
	if (o->token != NULL && (strlen(o->token) == 0 ||
	    strlen(o->token) > CR_WIRE_TOKEN_MAX)) {
		snprintf(why, whysize, "the token must be 1 to %d bytes",
		    CR_WIRE_TOKEN_MAX);
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
	if (is_tls(r) && (rc = make_tls(p, r, why, whysize)) != 0) {
		return rc;
	}
	if (pipe2(r->pfd, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(why, whysize, "pipe: %s", strerror(errno));
		return CORUN_ESYS;
	}
	r->gone_ev = event_new(base, r->pfd[0], EV_READ | EV_PERSIST,
	    on_gone, p);
	if (r->gone_ev == NULL || event_add(r->gone_ev, NULL) != 0) {
		snprintf(why, whysize, "out of memory");
		return CORUN_ENOMEM;
	}
	if ((rv = nng_rep0_open(&r->rv)) != 0) {
		snprintf(why, whysize, "nng_rep0_open: %s", nng_strerror(rv));
		return CORUN_ESYS;
	}
	r->rv_open = 1;
	nng_socket_set_size(r->rv, NNG_OPT_RECVMAXSZ, CR_RV_MAX_MSG);
	/* (A stale ipc socket file nng replaces.) */
	if (r->is_ipc && ipc_in_use(o->listen)) {
		snprintf(why, whysize, "cannot listen: Address in use (a "
		    "supervisor listens there)");
		return CORUN_ESYS;
	}
	if ((rv = nng_listener_create(&l, r->rv, o->listen)) != 0 ||
	    (rv = set_tls(r, l)) != 0 || (rv = nng_listener_start(l, 0)) != 0) {
		snprintf(why, whysize, "cannot listen: %s", nng_strerror(rv));
		return CORUN_ESYS;
	}
	r->rvl = l;
	r->rv_listening = 1;
	if (nng_socket_get_int(r->rv, NNG_OPT_RECVFD, &rfd) != 0) {
		snprintf(why, whysize, "no pollable descriptor");
		return CORUN_ESYS;
	}
	r->rv_ev = event_new(base, rfd, EV_READ | EV_PERSIST, on_rendezvous,
	    p);
	if (r->rv_ev == NULL || event_add(r->rv_ev, NULL) != 0) {
		snprintf(why, whysize, "out of memory");
		return CORUN_ENOMEM;
	}
	cr_pool_log(p, "listening for remote workers at %s (%s)", o->listen,
	    is_tls(r) ? (o->tls_ca != NULL ? "TLS, worker certificates "
	    "required" : "TLS") : r->token != NULL ? "token" : r->is_ipc ?
	    "file permissions" : "insecure");
	return 0;
}

/* Take no more workers: close the rendezvous. */
void
cr_remote_stop(struct corun_pool *p)
{
	struct cr_remote *r = p->remote;

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
		close_session(r, r->rv, NULL);
		r->rv_open = 0;
		if (r->is_ipc && r->rv_listening) {
			unlink(r->path);
		}
		r->rv_listening = 0;
	}
}

void
cr_remote_free(struct corun_pool *p)
{
	struct cr_remote *r = p->remote;

	if (r == NULL) {
		return;
	}
	cr_remote_stop(p);
	if (r->gone_ev != NULL) {
		event_free(r->gone_ev);
	}
	pthread_mutex_lock(&r->mu);
	r->pool = NULL;
	pthread_mutex_unlock(&r->mu);
	p->remote = NULL;
	remote_unref(r);
}

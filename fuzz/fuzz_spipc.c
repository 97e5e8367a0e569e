/* SPDX-License-Identifier: MIT */
/*
 * fuzz_spipc.c - the PAIR1-over-ipc reader (src/lib/spipc.c): the peer's
 * greeting and the messages behind it, as a local worker's socket (or any
 * local process that reaches it) delivers them.
 *
 * An input is the byte stream a peer writes.  The harness listens with
 * cr_spipc_listen() in a private directory, connects a plain Unix socket,
 * writes the input in pieces (their sizes drawn from the input's hash, so
 * that reads end in varied places of a message; some inputs also meet
 * rx_hold) and shuts its write side; the loop runs until the listener has
 * dropped the connection (the peer reads its end).
 *
 * Invariants, against a reading of the wire written here apart from
 * spipc.c (doc/wire-protocol.md, "Transport"): on_msg gets exactly the
 * messages before the stream's end or its first fault, in order, each
 * body as sent (a hop count over 8 drops one; over 255, a type other
 * than 1, a length under 4 or a body over the limit closes); on_close
 * comes once iff the greeting was right, never before a message, with
 * "the connection closed" iff there was no fault; and the listener then
 * takes a next peer and delivers its message.  A frame the listener
 * queued before any peer came waits for a right greeting: each peer reads
 * the listener's greeting, then nothing or that frame whole, a peer with
 * a bad greeting never the frame, and no two peers both.  0 when the
 * stream was whole (a right greeting, whole messages, no fault), else
 * CORUN_EPROTO.  Then the dialling end (a worker's) reads the same
 * stream, with the same messages.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include <corun/error.h>

#include "fuzz.h"
#include "lib/cr-spipc.h"

#define SP_LIMIT	300	/* the listener's largest body */
#define SP_BOUND_S	5	/* seconds a stream may take, at most */

/* nng's SP greeting for PAIR1 (protocol 0x0011), as the wire says. */
static const uint8_t sp_greet[8] = { 0, 'S', 'P', 0, 0, 0x11, 0, 0 };
/* The frame the listener queues before a peer comes, as it goes out. */
static const uint8_t sp_frame[] = {
	1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1, 'f', 'i', 'r', 's', 't'
};

/* What the stream must deliver, read apart from spipc.c. */
struct model {
	int greeted;		/* the first 8 bytes are the greeting */
	int fault;		/* a protocol fault ends the stream */
	int whole;		/* it ends where a message ends */
	size_t n;		/* messages to hand over: */
	size_t *off, *len;	/* their bodies in the input */
};

/* One peer's run against the listener. */
struct run {
	struct event_base *base;
	const uint8_t *data;
	size_t size, sent;
	const struct model *m;
	int fd;			/* the peer's end */
	struct event *rev, *wev, *tmo;
	uint32_t rnd;		/* piece sizes */
	unsigned small;		/* pieces of 1..small bytes, 0: at once */
	int hold;		/* rx_hold says hold every other time */
	unsigned holds;
	uint8_t got[64];	/* what the peer read */
	size_t ngot;
	int framed;		/* it read sp_frame behind the greeting */
	int ended, timed_out;
	size_t nmsg;		/* what the listener handed over */
	int nclose;
	char why[128];
};

static char sp_dir[64];

static uint64_t
be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0) {
		v = v << 8 | *p++;
	}
	return v;
}

static void
model_read(struct model *m, const uint8_t *d, size_t size)
{
	size_t pos = sizeof(sp_greet), left, cap = size / 13 + 1;
	uint64_t len, hops;

	memset(m, 0, sizeof(*m));
	m->off = malloc(cap * sizeof(*m->off));
	m->len = malloc(cap * sizeof(*m->len));
	CR_FUZZ_CHECK(m->off != NULL && m->len != NULL);
	if (size < sizeof(sp_greet) ||
	    memcmp(d, sp_greet, sizeof(sp_greet)) != 0) {
		return;
	}
	m->greeted = 1;
	for (;;) {
		if ((left = size - pos) == 0) {
			m->whole = 1;
			return;
		}
		if (left < 9) {
			return;			/* half a header */
		}
		len = be(d + pos + 1, 8);
		if (d[pos] != 1 || len < 4 || len - 4 > SP_LIMIT) {
			m->fault = 1;
			return;
		}
		if (left - 9 < len) {
			return;			/* half a message */
		}
		if ((hops = be(d + pos + 9, 4)) > 255) {
			m->fault = 1;
			return;
		}
		if (hops <= 8) {
			CR_FUZZ_CHECK(m->n < cap);
			m->off[m->n] = pos + 13;
			m->len[m->n++] = (size_t)len - 4;
		}
		pos += 9 + (size_t)len;
	}
}

/* ---- the listener's side ---------------------------------------------- */

static void
on_msg(void *arg, const uint8_t *buf, size_t len)
{
	struct run *r = arg;
	const struct model *m = r->m;

	CR_FUZZ_CHECK(m != NULL && m->greeted);
	CR_FUZZ_CHECK(r->nclose == 0);
	CR_FUZZ_CHECK(r->nmsg < m->n);
	CR_FUZZ_CHECK(len == m->len[r->nmsg]);
	CR_FUZZ_CHECK(len == 0 ||
	    memcmp(buf, r->data + m->off[r->nmsg], len) == 0);
	r->nmsg++;
}

static void
on_close(void *arg, const char *why)
{
	struct run *r = arg;

	CR_FUZZ_CHECK(why != NULL && why[0] != '\0');
	r->nclose++;
	snprintf(r->why, sizeof(r->why), "%s", why);
}

static int
rx_hold(void *arg)
{
	struct run *r = arg;

	return r->hold && (r->holds++ & 1) == 0;
}

static const struct cr_spipc_ops sp_ops = {
	.on_msg = on_msg,
	.on_close = on_close,
	.rx_hold = rx_hold,
};

/* ---- the peer's side -------------------------------------------------- */

static void
peer_write(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	size_t piece = r->size - r->sent;
	ssize_t n;

	(void)what;
	if (r->small > 0) {
		r->rnd = r->rnd * 1103515245u + 12345u;
		if (piece > 1 + (r->rnd >> 16) % r->small) {
			piece = 1 + (r->rnd >> 16) % r->small;
		}
	}
	if (piece > 0) {
		n = send(fd, r->data + r->sent, piece,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR)) {
			return;
		}
		/* (Else broken: the listener dropped the peer.) */
		r->sent = n > 0 ? r->sent + (size_t)n : r->size;
	}
	if (r->sent == r->size) {
		shutdown(fd, SHUT_WR);
		event_del(r->wev);
	}
}

static void
peer_read(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	uint8_t buf[256];
	ssize_t n;

	(void)what;
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)) {
		return;
	}
	if (n <= 0) {
		/* The end, or a reset: the listener closed with bytes of
		 * ours unread. */
		r->ended = 1;
		event_base_loopbreak(r->base);
		return;
	}
	if (r->ngot < sizeof(r->got)) {
		size_t k = sizeof(r->got) - r->ngot;

		memcpy(r->got + r->ngot, buf, (size_t)n < k ? (size_t)n : k);
	}
	r->ngot += (size_t)n;
}

static void
on_bound(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	r->timed_out = 1;
	event_base_loopbreak(r->base);
}

static void
sock_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", path);
}

/* On the peer's end r->fd: write the stream, run until spipc dropped it. */
static void
peer_loop(struct run *r)
{
	struct timeval tv = { SP_BOUND_S, 0 };

	r->rev = event_new(r->base, r->fd, EV_READ | EV_PERSIST, peer_read,
	    r);
	r->wev = event_new(r->base, r->fd, EV_WRITE | EV_PERSIST, peer_write,
	    r);
	r->tmo = evtimer_new(r->base, on_bound, r);
	CR_FUZZ_CHECK(r->rev != NULL && r->wev != NULL && r->tmo != NULL);
	CR_FUZZ_CHECK(event_add(r->rev, NULL) == 0 &&
	    event_add(r->wev, NULL) == 0 && event_add(r->tmo, &tv) == 0);
	CR_FUZZ_CHECK(event_base_dispatch(r->base) >= 0);
	event_free(r->rev);
	event_free(r->wev);
	event_free(r->tmo);
	close(r->fd);
	CR_FUZZ_CHECK(!r->timed_out);
	CR_FUZZ_CHECK(r->ended);
	/* spipc greets at once; then the frame whole, or nothing. */
	CR_FUZZ_CHECK(r->ngot >= sizeof(sp_greet) &&
	    memcmp(r->got, sp_greet, sizeof(sp_greet)) == 0);
	r->framed = r->ngot > sizeof(sp_greet);
	if (r->framed) {
		CR_FUZZ_CHECK(r->ngot == sizeof(sp_greet) + sizeof(sp_frame));
		CR_FUZZ_CHECK(memcmp(r->got + sizeof(sp_greet), sp_frame,
		    sizeof(sp_frame)) == 0);
	}
}

/* What the listener handed over is what the model says. */
static void
check_run(const struct run *r, const struct model *m)
{
	CR_FUZZ_CHECK(r->nmsg == m->n);
	if (!m->greeted) {
		CR_FUZZ_CHECK(r->nclose == 0);
		CR_FUZZ_CHECK(!r->framed);
		return;
	}
	CR_FUZZ_CHECK(r->nclose == 1);
	if (m->fault) {
		CR_FUZZ_CHECK(strcmp(r->why, "the connection closed") != 0);
	} else {
		CR_FUZZ_CHECK(strcmp(r->why, "the connection closed") == 0);
	}
}

static uint32_t
hash(const uint8_t *d, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0) {
		h = (h ^ *d++) * 16777619u;
	}
	return h;
}

static void
rm_dir(void)
{
	rmdir(sp_dir);
}

static const char *
sock_path(void)
{
	static char path[sizeof(sp_dir) + 8];
	const char *tmp = getenv("TMPDIR");

	if (sp_dir[0] == '\0') {
		if (tmp == NULL || tmp[0] == '\0' || strlen(tmp) > 32) {
			tmp = "/tmp";
		}
		snprintf(sp_dir, sizeof(sp_dir), "%s/crfz-spipc-XXXXXX", tmp);
		CR_FUZZ_CHECK(mkdtemp(sp_dir) != NULL);
		atexit(rm_dir);
		snprintf(path, sizeof(path), "%s/l", sp_dir);
	}
	return path;
}

static void
run_init(struct run *r, struct event_base *base, const uint8_t *data,
    size_t size, const struct model *m)
{
	uint32_t h = hash(data, size);

	memset(r, 0, sizeof(*r));
	r->base = base;
	r->data = data;
	r->size = size;
	r->m = m;
	r->rnd = h;
	r->small = (h & 3) == 0 ? 0 : (h & 3) == 1 ? 512 : 16;
	r->hold = (h >> 2 & 3) == 0;
}

/* Run one peer's stream through the listener c and check it. */
static void
stream(struct event_base *base, struct cr_spipc *c, struct run *r,
    const uint8_t *data, size_t size, const struct model *m)
{
	struct sockaddr_un sa;

	run_init(r, base, data, size, m);
	sock_addr(&sa, sock_path());
	r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CR_FUZZ_CHECK(r->fd >= 0);
	CR_FUZZ_CHECK(connect(r->fd, (struct sockaddr *)&sa,
	    sizeof(sa)) == 0);
	peer_loop(r);
	check_run(r, m);
	CR_FUZZ_CHECK(cr_spipc_why(c)[0] != '\0');
	/* Gone with a greeted peer, else waiting for the next one. */
	CR_FUZZ_CHECK(cr_spipc_queued(c) ==
	    (m->greeted ? 0 : sizeof(sp_frame)));
}

/*
 * The same stream read by the dialling end (a worker's): spipc writes its
 * greeting and a frame at once, and calls on_close once whatever came (a
 * bad greeting too); sends fail after.
 */
static void
dial_side(const uint8_t *data, size_t size, const struct model *m)
{
	struct event_base *base = event_base_new();
	struct cr_spipc *c = NULL;
	struct sockaddr_un sa;
	struct run r;
	int lfd, plain;

	CR_FUZZ_CHECK(base != NULL);
	sock_addr(&sa, sock_path());
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CR_FUZZ_CHECK(lfd >= 0);
	CR_FUZZ_CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    listen(lfd, 1) == 0);
	run_init(&r, base, data, size, m);
	CR_FUZZ_CHECK(cr_spipc_dial(base, sa.sun_path, SP_LIMIT, &sp_ops, &r,
	    &c) == 0);
	r.fd = accept(lfd, NULL, NULL);
	CR_FUZZ_CHECK(r.fd >= 0);
	close(lfd);
	unlink(sa.sun_path);
	CR_FUZZ_CHECK(cr_spipc_send(c, (const uint8_t *)"first", 5) == 0);
	peer_loop(&r);
	CR_FUZZ_CHECK(r.framed);
	CR_FUZZ_CHECK(r.nmsg == m->n && r.nclose == 1);
	/* A clean end: the stream's, not a fault's nor a bad greeting's. */
	plain = m->greeted ? !m->fault : size < sizeof(sp_greet);
	CR_FUZZ_CHECK((strcmp(r.why, "the connection closed") == 0) == plain);
	CR_FUZZ_CHECK(strcmp(cr_spipc_why(c), r.why) == 0);
	CR_FUZZ_CHECK(cr_spipc_send(c, (const uint8_t *)"late", 4) ==
	    CORUN_ECLOSED);
	cr_spipc_close(c);
	event_base_free(base);
}

int
cr_fuzz_spipc(const uint8_t *data, size_t size, char *why, size_t whylen)
{
	/* The next peer: a greeting and one message of body "next". */
	static const uint8_t next[] = {
		0, 'S', 'P', 0, 0, 0x11, 0, 0,
		1, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 1, 'n', 'e', 'x', 't'
	};
	struct event_base *base = event_base_new();
	struct cr_spipc *c = NULL;
	struct model m, mn;
	struct run r;
	int rc = 0, framed;

	CR_FUZZ_CHECK(base != NULL);
	CR_FUZZ_CHECK(cr_spipc_listen(base, sock_path(), SP_LIMIT, &sp_ops,
	    &r, &c) == 0);
	CR_FUZZ_CHECK(cr_spipc_send(c, (const uint8_t *)"first", 5) == 0);
	CR_FUZZ_CHECK(cr_spipc_queued(c) == sizeof(sp_frame));
	model_read(&m, data, size);
	stream(base, c, &r, data, size, &m);
	framed = r.framed;
	why[0] = '\0';
	if (!m.greeted) {
		rc = CORUN_EPROTO;
		snprintf(why, whylen, "%s", size < sizeof(sp_greet) ?
		    "the stream ends inside the greeting" : "bad greeting");
	} else if (m.fault || !m.whole) {
		rc = CORUN_EPROTO;
		snprintf(why, whylen, "%s", m.fault ? r.why :
		    "the stream ends inside a message");
	}
	/* The listener listens on, whatever the first peer did. */
	model_read(&mn, next, sizeof(next));
	CR_FUZZ_CHECK(mn.n == 1 && mn.whole);
	stream(base, c, &r, next, sizeof(next), &mn);
	/* The frame went out once at most, to the first right greeting. */
	CR_FUZZ_CHECK(!(framed && r.framed));
	CR_FUZZ_CHECK(!(m.greeted && r.framed));
	cr_spipc_close(c);
	event_base_free(base);
	dial_side(data, size, &m);
	free(m.off);
	free(m.len);
	free(mn.off);
	free(mn.len);
	return rc;
}

CR_FUZZ_ENTRY(cr_fuzz_spipc)
